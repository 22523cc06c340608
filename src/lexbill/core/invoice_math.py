"""Invoice arithmetic, in the one order that lets a client recompute every figure.

Each line is rounded on its own, tax is computed per line and rounded, and totals are sums of
those rounded figures. Taxing the subtotal instead can differ by a cent from the sum of the
line taxes, and e-billing validators reject invoices for exactly that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from lexbill.core.errors import InvalidEntry
from lexbill.core.money import require_decimal, round_money

_ZERO = Decimal(0)
_MINUTES_PER_HOUR = Decimal(60)
_PERCENT = Decimal(100)


def time_amount(minutes: int, rate: Decimal, currency: str) -> Decimal:
    """Prices the billed minutes, not hours, so 0.1 h at an odd rate has no hidden rounding."""
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise TypeError(f"minutes must be an int, not {type(minutes).__name__}")
    require_decimal(rate, "rate")
    return round_money(rate * minutes / _MINUTES_PER_HOUR, currency)


def expense_amount(quantity: Decimal, unit_cost: Decimal, currency: str) -> Decimal:
    require_decimal(quantity, "quantity")
    require_decimal(unit_cost, "unit_cost")
    return round_money(quantity * unit_cost, currency)


class LineKind(StrEnum):
    TIME = "time"
    EXPENSE = "expense"
    # Invoice-level fee adjustment (fee cap, flat fee): counted as an adjustment, never as fees.
    FEE_ADJUSTMENT = "fee_adjustment"
    # Interest or a late fee on an overdue invoice: never taxed, counted as an adjustment (the
    # footer's place for invoice-level amounts) so fees and expenses stay the work billed.
    LATE_CHARGE = "late_charge"


@dataclass(frozen=True)
class LineInput:
    """One invoice line as already priced and rounded; the adjustment is a write-up or -down."""

    kind: LineKind
    amount: Decimal
    adjustment: Decimal = _ZERO
    no_charge: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", LineKind(self.kind))
        require_decimal(self.amount, "amount")
        require_decimal(self.adjustment, "adjustment")

    @property
    def total(self) -> Decimal:
        """A no-charge line still shows its value on the invoice but adds nothing to it."""
        if self.no_charge:
            return _ZERO
        return self.amount + self.adjustment

    @property
    def taxable(self) -> bool:
        """A late charge is a charge for paying late, not a supply of services: never taxed."""
        return self.kind != LineKind.LATE_CHARGE


def check_line_rounded(line: LineInput, currency: str) -> None:
    """Totals are sums of billed figures; an unrounded figure would make them unrecomputable."""
    if round_money(line.amount, currency) != line.amount:
        raise InvalidEntry(f"{line.amount} is not rounded to {currency}", field="amount")
    if round_money(line.adjustment, currency) != line.adjustment:
        raise InvalidEntry(f"{line.adjustment} is not rounded to {currency}", field="adjustment")


def line_tax(total: Decimal, tax_rate_percent: Decimal, currency: str) -> Decimal:
    require_decimal(total, "total")
    require_decimal(tax_rate_percent, "tax_rate_percent")
    return round_money(total * tax_rate_percent / _PERCENT, currency)


def tax_of_line(line: LineInput, tax_rate_percent: Decimal, currency: str) -> Decimal:
    """The line's tax, zero on a line that is not taxable (a late charge)."""
    if not line.taxable:
        return round_money(_ZERO, currency)
    return line_tax(line.total, tax_rate_percent, currency)


@dataclass(frozen=True)
class InvoiceTotals:
    """The invoice footer; subtotal is fees + expenses + adjustments, and also the line sum."""

    fees: Decimal
    expenses: Decimal
    adjustments: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def invoice_totals(
    lines: Sequence[LineInput], currency: str, tax_rate_percent: Decimal = _ZERO
) -> InvoiceTotals:
    zero = round_money(_ZERO, currency)
    fees = expenses = adjustments = tax = zero
    for line in lines:
        check_line_rounded(line, currency)
        if line.no_charge:
            continue
        if line.kind == LineKind.TIME:
            fees += line.amount
            adjustments += line.adjustment
        elif line.kind == LineKind.EXPENSE:
            expenses += line.amount
            adjustments += line.adjustment
        else:
            adjustments += line.amount + line.adjustment
        tax += tax_of_line(line, tax_rate_percent, currency)
    subtotal = fees + expenses + adjustments
    return InvoiceTotals(
        fees=fees,
        expenses=expenses,
        adjustments=adjustments,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
    )


def fee_cap_adjustment(fees: Decimal, cap: Decimal, previously_billed_fees: Decimal) -> Decimal:
    """The write-down (zero or negative) that keeps fees billed to date within the cap."""
    require_decimal(fees, "fees")
    require_decimal(previously_billed_fees, "previously_billed_fees")
    if require_decimal(cap, "cap") < 0:
        raise InvalidEntry("a fee cap cannot be negative", field="cap")
    remaining = max(cap - previously_billed_fees, _ZERO)
    excess = fees - remaining
    # Subtracting from zero, not negating, so "no adjustment" is never printed as -0.00.
    return _ZERO - excess if excess > 0 else _ZERO


def flat_fee_adjustment(
    fees: Decimal, flat_fee: Decimal, previously_billed_fees: Decimal
) -> Decimal:
    """Brings fees to what is left of the flat fee; negative when the hours ran over it."""
    require_decimal(fees, "fees")
    require_decimal(previously_billed_fees, "previously_billed_fees")
    if require_decimal(flat_fee, "flat_fee") < 0:
        raise InvalidEntry("a flat fee cannot be negative", field="flat_fee")
    remaining = max(flat_fee - previously_billed_fees, _ZERO)
    return remaining - fees
