"""How figures read on printed documents: money, rates, quantities, percentages and dates.

Everything here takes exact decimals and produces strings; rounding to the currency happens here
only for display, so a printed figure is always the stored figure (stored amounts are already
rounded to the currency, see core.money).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lexbill.core.money import minor_unit_places, require_decimal, round_money

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _grouped(value: Decimal, places: int) -> str:
    """Thousands separators via Decimal's own formatter, which never goes through float."""
    # The sign is added by hand so that a negative zero (Decimal keeps one) prints as "0.00":
    # "-0.00" on an invoice looks like an error. Decimal("-0.00") < 0 is False.
    text = f"{abs(value):,.{places}f}"
    return f"-{text}" if value < 0 else text


def format_amount(amount: Decimal, currency: str) -> str:
    """An amount without its currency code, for table columns whose header names the currency."""
    value = round_money(require_decimal(amount, "amount"), currency)
    return _grouped(value, minor_unit_places(currency))


def format_money(amount: Decimal, currency: str) -> str:
    """``USD 1,234.50`` / ``USD -500.00``: the code first so a column of totals lines up.

    Floats are refused (TypeError) rather than converted: by the time a float exists the cents
    may already be wrong.
    """
    return f"{currency} {format_amount(amount, currency)}"


def format_rate(rate: Decimal) -> str:
    """Rates and unit costs carry up to 4 places; print at least 2 and never hide a real digit."""
    value = require_decimal(rate, "rate")
    two = value.quantize(Decimal("0.01"))
    if two == value:
        return _grouped(two, 2)
    text = f"{value:f}".rstrip("0")
    places = len(text.partition(".")[2])
    return _grouped(value, max(places, 2))


def format_quantity(quantity: Decimal) -> str:
    """Quantities are counts more often than not ("120" copies), so trailing zeros go."""
    value = require_decimal(quantity, "quantity")
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return _grouped(Decimal(text), len(text.partition(".")[2]))


def format_percent(rate: Decimal) -> str:
    """``19%`` rather than ``19.0000%``: the stored scale is for arithmetic, not for reading."""
    text = f"{require_decimal(rate, 'rate'):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def format_date(day: date) -> str:
    """US long form, spelled out independently of the process locale so output is stable."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def format_short_date(day: date) -> str:
    """US numeric form for table columns, where the long form would wrap."""
    return f"{day.month:02d}/{day.day:02d}/{day.year}"
