"""The few money figures the rules need, all from core/ so a finding agrees with the invoice.

A time line's value is ``rate × minutes / 60`` rounded half-up, exactly as the bill run prices
it; an amount at risk is rounded the same way and never exceeds what the line bills, so adding
the risks of one line's findings cannot promise back more than was charged.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from lexbill.core.invoice_math import time_amount
from lexbill.core.money import minor_unit_places, round_money
from lexbill.guidelines.model import ZERO, Line, LineKind

HUNDRED = Decimal(100)


def line_value(line: Line, currency: str) -> Decimal:
    """What the line is worth before any write-down: minutes at the rate, or units × cost."""
    if line.kind is LineKind.TIME:
        return time_amount(line.minutes, line.rate, currency)
    return round_money(line.quantity * line.unit_cost, currency)


def time_value(minutes: int, rate: Decimal, currency: str) -> Decimal:
    return time_amount(minutes, rate, currency)


def percent_of(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    return round_money(amount * percent / HUNDRED, currency)


def share_of(amount: Decimal, share: Decimal, currency: str) -> Decimal:
    return round_money(amount * share, currency)


def proportion(amount: Decimal, part: int, whole: int, currency: str) -> Decimal:
    """``amount × part / whole`` rounded *down*, so the parts of an amount never add up to more
    than it (the last part takes the remainder)."""
    if whole == 0:
        return ZERO
    quantum = Decimal(1).scaleb(-minor_unit_places(currency))
    return (amount * part / whole).quantize(quantum, rounding=ROUND_DOWN)


def at_risk(amount: Decimal, risk: Decimal) -> Decimal:
    """Clamps a computed risk to what the line actually bills, and to zero."""
    ceiling = amount if amount > ZERO else ZERO
    if risk <= ZERO:
        return ZERO
    return risk if risk <= ceiling else ceiling
