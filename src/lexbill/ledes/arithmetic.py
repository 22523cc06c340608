"""LEDES line and invoice arithmetic, in the order receivers recompute it.

A line total is ``units × unit cost + adjustment`` rounded half-up to the cent; 98BI tax is that
rounded amount times the line's rate, rounded again; every invoice figure is a sum of rounded line
figures. Rounding a total on its own is the classic one-cent rejection, so nothing here does.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Context, Decimal

from lexbill.core.money import ROUNDING
from lexbill.ledes.model import LineItem, LineType

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)

# Wide enough that no product of two 10.4 figures (or 12.4 sums) is ever rounded by the context.
# Used explicitly so a caller's thread context (precision, traps) cannot change a result.
CONTEXT = Context(prec=60, rounding=ROUNDING)

ADJUSTMENT_TYPES = frozenset({LineType.FEE_ADJUSTMENT, LineType.EXPENSE_ADJUSTMENT})


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent, never "-0.00"."""
    rounded = value.quantize(CENT, rounding=ROUNDING, context=CONTEXT)
    return rounded if rounded else ZERO.quantize(CENT)


def priced_units(line_type: LineType, units: Decimal | None, unit_cost: Decimal | None) -> Decimal:
    """``units × unit_cost`` with the blanks an invoice-level adjustment may leave.

    An IF/IE line with no unit cost prices nothing but its adjustment; with a unit cost and no
    units it counts once, since receivers ignore units on those lines.
    """
    if unit_cost is None:
        if line_type in ADJUSTMENT_TYPES:
            return ZERO
        raise ValueError(f"a {line_type.value} line needs a unit cost")
    if units is None:
        if line_type in ADJUSTMENT_TYPES:
            return unit_cost
        raise ValueError(f"a {line_type.value} line needs units")
    return CONTEXT.multiply(units, unit_cost)


def line_amount(line: LineItem) -> Decimal:
    """LINE_ITEM_TOTAL before tax: units × unit cost + adjustment, rounded to the cent."""
    base = priced_units(line.type, line.units, line.unit_cost)
    return round_cents(CONTEXT.add(base, line.adjustment))


def line_tax(amount: Decimal, rate: Decimal) -> Decimal:
    """98BI LINE_ITEM_TAX_TOTAL for a line whose rounded amount is ``amount``."""
    return round_cents(CONTEXT.multiply(amount, rate))


def sum_amounts(amounts: Iterable[Decimal]) -> Decimal:
    """Sums already-rounded figures exactly (a plain ``sum`` would use the caller's context)."""
    total = ZERO
    for amount in amounts:
        total = CONTEXT.add(total, amount)
    return total


def reconciling_adjustment(units: Decimal, unit_cost: Decimal, billed_amount: Decimal) -> Decimal:
    """The line adjustment that makes LEDES arithmetic charge exactly ``billed_amount``.

    Needed where the firm prices differently from LEDES: time billed in 1/60-hour increments has
    no exact decimal hour, so ``round(units, 4) × rate`` can miss the billed amount by a cent.
    The difference then travels, visibly, as the line's adjustment.
    """
    priced = CONTEXT.multiply(units, unit_cost)
    adjustment = CONTEXT.subtract(billed_amount, round_cents(priced))
    if round_cents(CONTEXT.add(priced, adjustment)) != billed_amount:
        adjustment = CONTEXT.subtract(billed_amount, priced).quantize(
            Decimal("0.0001"), rounding=ROUNDING, context=CONTEXT
        )
    return adjustment
