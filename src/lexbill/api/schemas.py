"""Types every router shares, so the API spells money, hours and pages one way.

Money and rates travel as decimal strings (``"1234.50"``) both ways: a JSON number is a binary
float in most clients, and ``0.1 + 0.2`` is not a sum a bill may contain. Whole numbers are
accepted as input for convenience; a number with a fraction is refused with a message saying
to send a string.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from ninja import Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import BeforeValidator, Field, PlainSerializer


def _exact_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError('send an amount as a decimal string, such as "1234.50"')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise ValueError(
            'send amounts as decimal strings ("1234.50"), not JSON numbers with a fraction'
        )
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
        if not parsed.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return parsed
    raise ValueError("send an amount as a decimal string")


DecimalIn = Annotated[Decimal, BeforeValidator(_exact_decimal)]
"""A money amount, rate or quantity sent by a client: a decimal string or a whole number."""

DecimalOut = Annotated[Decimal, PlainSerializer(lambda v: str(v), return_type=str)]
"""A money amount, rate or quantity in a response: always a decimal string."""


MAX_PAGE = 500
MAX_OFFSET = 10**12
"""Far beyond any list; bounded because an offset past a 64-bit integer fails in the database."""


class Page(LimitOffsetPagination):
    """``?limit=&offset=`` → ``{"items": [...], "count": N}``; at most 500 items a page."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_PAGE, **kwargs)
