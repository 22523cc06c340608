"""Input types with the database's limits built in, for the clients, firm and entries routers.

A value the database cannot hold must be refused at the edge as a 422 naming the field, never
reach the database and come back as a server error: a string longer than its column (PostgreSQL
refuses it, SQLite would keep it), a NUL character (PostgreSQL text cannot hold one), an id or an
amount beyond a 64-bit integer (money is stored as scaled integers, see ``lexbill.fields``). The
limits are also written into the OpenAPI schema, so a client (and schemathesis) can see them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, WithJsonSchema

from lexbill.api.schemas import DecimalIn
from lexbill.core.errors import InvalidEntry

MAX_ID = 2**63 - 1
"""The largest primary key either engine stores (a signed 64-bit integer)."""

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A record's id, as the API returns it."""


def _storable_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text cannot contain a NUL character")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("text must be valid Unicode (no lone surrogates)")
    return value


_Storable = AfterValidator(_storable_text)

Code = Annotated[str, StringConstraints(max_length=10), _Storable]
Text20 = Annotated[str, StringConstraints(max_length=20), _Storable]
Name20 = Annotated[str, StringConstraints(min_length=1, max_length=20), _Storable]
Name30 = Annotated[str, StringConstraints(min_length=1, max_length=30), _Storable]
Text40 = Annotated[str, StringConstraints(max_length=40), _Storable]
Text60 = Annotated[str, StringConstraints(max_length=60), _Storable]
Name80 = Annotated[str, StringConstraints(min_length=1, max_length=80), _Storable]
Text150 = Annotated[str, StringConstraints(max_length=150), _Storable]
Text200 = Annotated[str, StringConstraints(max_length=200), _Storable]
Name200 = Annotated[str, StringConstraints(min_length=1, max_length=200), _Storable]
LongText = Annotated[str, StringConstraints(max_length=10_000), _Storable]
"""A free-text column (address, narrative): bounded so one request stays a sensible size."""
Search = Annotated[str, StringConstraints(max_length=200), _Storable]
"""Text a list is filtered by."""


def _places_and_bound(places: int, whole_digits: int, *, signed: bool) -> Any:
    limit = Decimal(10) ** whole_digits

    def check(value: Decimal) -> Decimal:
        # the size first: quantizing a huge value would overflow the decimal context
        if abs(value) >= limit:
            raise ValueError(f"must be less than {limit:,} in size")
        if value != value.quantize(Decimal(1).scaleb(-places)):
            raise ValueError(f"at most {places} decimal places")
        if not signed and value < 0:
            raise ValueError("cannot be negative")
        return value

    return check


def _string_schema(places: int, whole_digits: int, *, signed: bool = False) -> WithJsonSchema:
    sign = "-?" if signed else ""
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    return WithJsonSchema(
        {"type": "string", "pattern": rf"^{sign}[0-9]{{1,{whole_digits}}}{fraction}$"}
    )


# Decimals sent as strings with at most so many places and whole digits; the OpenAPI schema
# says so with a pattern. Whole JSON numbers are still accepted (``DecimalIn``); numbers with a
# fraction are refused, as everywhere in the API.
Money = Annotated[
    DecimalIn, AfterValidator(_places_and_bound(2, 12, signed=False)), _string_schema(2, 12)
]
"""An amount of money in the matter's currency: ``"1234.50"``."""

Rate4 = Annotated[
    DecimalIn, AfterValidator(_places_and_bound(4, 10, signed=False)), _string_schema(4, 10)
]
"""A quantity, a unit cost or a tax percentage, to 4 places: ``"0.5000"``."""

Hours = Annotated[
    DecimalIn, AfterValidator(_places_and_bound(4, 2, signed=False)), _string_schema(4, 2)
]
"""Hours worked, as typed: ``"1.5"``; the firm's increment decides what is billed."""


def changes_of(payload: BaseModel, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH body sets, as keyword changes for a service.

    A field left out is unchanged; ``null`` clears only a field that may be empty in the
    database (a matter's fee cap), and is refused by name for the others rather than ignored.
    """
    changes = payload.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in nullable:
            raise InvalidEntry(f"{name} cannot be null; leave it out to keep it", field=name)
    if not changes:
        raise InvalidEntry("send at least one field to change", field="body")
    return changes
