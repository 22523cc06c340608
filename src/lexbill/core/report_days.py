"""Day counts in the reports (DSO, average days), rounded one way everywhere.

Every figure is a ratio of exact integers or Decimals rounded half-up to one decimal place, so
the page, the spreadsheet and a re-computation by hand show the same digits; a ratio over
nothing is None ("no figure"), never zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_ONE_PLACE = Decimal("0.1")


def average_days(total_days: int, count: int) -> Decimal | None:
    """Σ days ÷ count, half-up to one place; None when there is nothing to average."""
    if not count:
        return None
    return (Decimal(total_days) / Decimal(count)).quantize(_ONE_PLACE, rounding=ROUND_HALF_UP)


def days_sales_outstanding(receivable: Decimal, billed: Decimal, days: int) -> Decimal | None:
    """DSO by the period method: receivables at the period's end ÷ billed in the period × the
    period's days, half-up to one place; None when nothing was billed."""
    if not billed:
        return None
    return (Decimal(receivable) * days / Decimal(billed)).quantize(
        _ONE_PLACE, rounding=ROUND_HALF_UP
    )
