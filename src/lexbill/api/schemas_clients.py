"""What the API sends and accepts for clients and matters.

Inputs refuse unknown fields (a typo in a field name must not be silently ignored) and carry the
columns' limits (``lexbill.api.values``); outputs spell money as decimal strings.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from lexbill.api.schemas import DecimalOut
from lexbill.api.values import (
    Id,
    LongText,
    Money,
    Name20,
    Name30,
    Name200,
    Rate4,
    Search,
    Text20,
    Text40,
    Text60,
    Text150,
)
from lexbill.clients.models import Client, Matter


def _email(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text cannot contain a NUL character")
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(f"{value!r} is not an e-mail address") from None
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
TaskCodeSet = Literal["", "litigation", "counseling", "project", "bankruptcy"]
Arrangement = Literal["hourly", "flat_fee", "capped"]
MatterStatus = Literal["open", "closed"]


class Input(Schema):
    """A request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


# ---- clients -----------------------------------------------------------------------------------


class ClientOut(Schema):
    id: int
    number: str
    name: str
    address: str
    billing_contact: str
    billing_email: str
    tax_rate_percent: DecimalOut
    tax_label: str
    tax_id: str
    late_charges_allowed: bool
    open_matters: int = Field(description="matters of the client still open")

    @staticmethod
    def resolve_open_matters(obj: Client) -> int:
        annotated = getattr(obj, "open_matter_count", None)
        if annotated is not None:
            return int(annotated)
        return obj.matters.filter(status=Matter.Status.OPEN).count()


class ClientIn(Input):
    number: Name20
    name: Name200
    address: LongText = ""
    billing_contact: Text150 = ""
    billing_email: Email = ""
    tax_rate_percent: Rate4 = Field(
        default=Decimal(0), description="VAT/GST percent, 0 to under 100"
    )
    tax_label: Text20 = "Tax"
    tax_id: Text40 = ""
    late_charges_allowed: bool = False


class ClientPatch(Input):
    number: Name20 | None = None
    name: Name200 | None = None
    address: LongText | None = None
    billing_contact: Text150 | None = None
    billing_email: Email | None = None
    tax_rate_percent: Rate4 | None = None
    tax_label: Text20 | None = None
    tax_id: Text40 | None = None
    late_charges_allowed: bool | None = None


class ClientFilters(Schema):
    search: Search | None = Field(None, description="part of the client's number or name")
    active: bool | None = Field(
        None, description="true: clients with an open matter; false: clients without one"
    )


# ---- matters -----------------------------------------------------------------------------------


class MatterOut(Schema):
    id: int
    number: str
    name: str
    client_id: int
    client_number: str
    client_matter_id: str
    status: MatterStatus
    responsible_attorney_id: int
    responsible_attorney_code: str
    practice_area: str
    task_code_set: str
    currency: str
    arrangement: Arrangement
    flat_fee: DecimalOut | None
    fee_cap: DecimalOut | None
    opened_on: date
    closed_on: date | None

    @staticmethod
    def resolve_client_number(obj: Matter) -> str:
        return obj.client.number

    @staticmethod
    def resolve_responsible_attorney_code(obj: Matter) -> str:
        return obj.responsible_attorney.code


class MatterIn(Input):
    client_id: Id
    number: Name30
    name: Name200
    responsible_attorney_id: Id = Field(description="the timekeeper responsible for the matter")
    opened_on: date
    client_matter_id: Text60 = ""
    task_code_set: TaskCodeSet = ""
    currency: Currency = "USD"
    arrangement: Arrangement = "hourly"
    flat_fee: Money | None = Field(None, description="required for a flat-fee matter")
    fee_cap: Money | None = Field(None, description="required for a capped matter")
    practice_area: Text60 = ""


class MatterPatch(Input):
    name: Name200 | None = None
    client_matter_id: Text60 | None = None
    task_code_set: TaskCodeSet | None = None
    responsible_attorney_id: Id | None = None
    arrangement: Arrangement | None = None
    flat_fee: Money | None = Field(None, description="null clears it")
    fee_cap: Money | None = Field(None, description="null clears it")
    practice_area: Text60 | None = None


class MatterClose(Input):
    closed_on: date


class MatterFilters(Schema):
    client: Id | None = Field(None, description="the client's id")
    status: MatterStatus | None = None
    responsible_attorney: Id | None = Field(None, description="the responsible timekeeper's id")
    practice_area: Text60 | None = Field(None, description="exact practice area, any case")
    search: Search | None = Field(None, description="part of the matter's number or name")
