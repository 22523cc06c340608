"""DSO and average days: exact ratios, half-up to one place, None over nothing."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.report_days import average_days, days_sales_outstanding


def _half_up_tenths(value: Fraction) -> Decimal:
    """Independently: round a non-negative fraction to tenths, half up, with integers."""
    tenths = value * 10
    whole = tenths.numerator // tenths.denominator
    if tenths - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 10


def test_examples() -> None:
    assert average_days(10, 4) == Decimal("2.5")
    assert average_days(1, 3) == Decimal("0.3")
    assert average_days(0, 0) is None
    assert days_sales_outstanding(Decimal("500.00"), Decimal("1000.00"), 30) == Decimal("15.0")
    assert days_sales_outstanding(Decimal("1.00"), Decimal("0.00"), 30) is None
    # 0.05 exactly rounds up, not to even
    assert average_days(1, 20) == Decimal("0.1")


@given(st.integers(0, 10**9), st.integers(1, 10**6))
def test_average_days_is_the_ratio_rounded_half_up(total: int, count: int) -> None:
    assert average_days(total, count) == _half_up_tenths(Fraction(total, count))


@given(st.integers(0, 10**12), st.integers(1, 10**12), st.integers(1, 3660))
def test_dso_is_ar_over_billed_times_days(ar_cents: int, billed_cents: int, days: int) -> None:
    got = days_sales_outstanding(Decimal(ar_cents) / 100, Decimal(billed_cents) / 100, days)
    assert got == _half_up_tenths(Fraction(ar_cents * days, billed_cents))
