"""Late charges: simple interest, actual/365, rounded half-up once per charge."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import InvalidEntry
from lexbill.core.late_charges import (
    BalanceEvent,
    LateChargePolicy,
    compute_late_charge,
    first_chargeable_day,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
DUE = date(2026, 9, 30)


def _policy(
    percent: str = "12", fee: str = "0", grace: int = 0, minimum: str = "0"
) -> LateChargePolicy:
    return LateChargePolicy(Decimal(percent), Decimal(fee), grace, Decimal(minimum))


def _by_formula(balance: str, percent: str, days: int) -> Decimal:
    """The documented formula, written out independently of the module."""
    exact = Decimal(balance) * Decimal(percent) / Decimal(100) * Decimal(days) / Decimal(365)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def _charge(
    opening: str = "10000.00",
    events: tuple[BalanceEvent, ...] = (),
    window: tuple[date, date] = (date(2026, 10, 1), date(2026, 10, 31)),
    policy: LateChargePolicy | None = None,
    fee_charged: bool = False,
) -> object:
    return compute_late_charge(
        opening=Decimal(opening),
        events=events,
        due_on=DUE,
        window_from=window[0],
        window_to=window[1],
        policy=policy or _policy(),
        fee_already_charged=fee_charged,
        currency="USD",
    )


def test_ten_thousand_at_twelve_percent_for_thirty_one_days_is_the_formula() -> None:
    result = _charge()
    assert result.interest == _by_formula("10000.00", "12", 31)  # 101.92 by actual/365 half-up
    assert result.chargeable_days == 31
    assert result.amount == result.interest


def test_a_payment_mid_window_reduces_interest_from_its_own_date() -> None:
    paid = BalanceEvent(date(2026, 10, 16), Decimal("-6000.00"))
    result = _charge(events=(paid,))
    exact = Decimal("10000.00") * 12 / 100 * 15 / 365 + Decimal("4000.00") * 12 / 100 * 16 / 365
    assert result.interest == exact.quantize(CENT, rounding=ROUND_HALF_UP)
    assert [(p.days, p.balance) for p in result.periods] == [
        (15, Decimal("10000.00")),
        (16, Decimal("4000.00")),
    ]


def test_rounding_is_once_per_charge_not_per_period() -> None:
    # 0.004 of interest per one-day period: rounded per period it would be 0.00 twice
    per_period = _by_formula("2.00", "73", 1)
    once = _by_formula("2.00", "73", 2)
    assert (per_period, once) == (ZERO, CENT)
    events = (BalanceEvent(date(2026, 10, 2), Decimal("0.00")),)
    result = _charge(
        opening="2.00", events=events, window=(date(2026, 10, 1), date(2026, 10, 2)),
        policy=_policy("73"),
    )  # fmt: skip
    assert len(result.periods) == 2
    assert result.interest == once


def test_nothing_before_the_grace_period_ends_and_the_first_day_after_counts() -> None:
    policy = _policy(grace=10)
    first = first_chargeable_day(DUE, 10)
    assert first == DUE + timedelta(days=11)
    before = _charge(window=(date(2026, 10, 1), first - timedelta(days=1)), policy=policy)
    assert before.is_zero and before.chargeable_days == 0
    on_it = _charge(window=(date(2026, 10, 1), first), policy=policy)
    assert on_it.chargeable_days == 1
    assert on_it.interest == _by_formula("10000.00", "12", 1)


def test_no_interest_below_the_minimum_or_on_a_paid_balance() -> None:
    paid_down = BalanceEvent(date(2026, 10, 11), Decimal("-9950.00"))
    policy = _policy(minimum="100.00")
    result = _charge(events=(paid_down,), policy=policy)
    assert result.chargeable_days == 10
    assert result.interest == _by_formula("10000.00", "12", 10)
    credited = (BalanceEvent(date(2026, 9, 1), Decimal("-10000.00")),)
    assert _charge(events=credited).is_zero


def test_the_flat_fee_comes_once_with_the_first_overdue_charge() -> None:
    policy = _policy(percent="0", fee="25.00")
    first = _charge(policy=policy)
    assert (first.flat_fee, first.interest) == (Decimal("25.00"), ZERO)
    again = _charge(policy=policy, fee_charged=True)
    assert again.is_zero


def test_a_window_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidEntry) as caught:
        _charge(window=(date(2026, 10, 5), date(2026, 10, 4)))
    assert caught.value.field == "window_to"


def test_negative_policy_figures_are_refused() -> None:
    with pytest.raises(InvalidEntry) as caught:
        _policy(percent="-1")
    assert caught.value.field == "annual_percent"


# ---- properties --------------------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))
changes = st.integers(min_value=-(10**8), max_value=10**7).map(lambda n: Decimal(n).scaleb(-2))
percents = st.integers(min_value=0, max_value=3600).map(lambda n: Decimal(n).scaleb(-2))
fees = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2))
offsets = st.integers(min_value=-30, max_value=400)
event_lists = st.lists(
    st.builds(lambda d, c: BalanceEvent(DUE + timedelta(days=d), c), offsets, changes),
    max_size=8,
)
policies = st.builds(
    LateChargePolicy,
    annual_percent=percents,
    flat_fee=fees,
    grace_days=st.integers(min_value=0, max_value=30),
    minimum_balance=st.sampled_from([ZERO, Decimal("50.00"), Decimal("1000.00")]),
)


def _compute(
    opening: Decimal,
    events: list[BalanceEvent],
    start: date,
    end: date,
    policy: LateChargePolicy,
    fee_charged: bool = False,
) -> object:
    return compute_late_charge(
        opening=opening,
        events=events,
        due_on=DUE,
        window_from=start,
        window_to=end,
        policy=policy,
        fee_already_charged=fee_charged,
        currency="USD",
    )


@given(cents, event_lists, policies, st.integers(1, 200), st.integers(0, 200))
def test_two_assessments_never_charge_more_than_one_by_more_than_a_cent_each(
    opening: Decimal,
    events: list[BalanceEvent],
    policy: LateChargePolicy,
    first_days: int,
    second_days: int,
) -> None:
    start = DUE + timedelta(days=1)
    cut = start + timedelta(days=first_days - 1)
    end = cut + timedelta(days=second_days + 1)
    whole = _compute(opening, events, start, end, policy)
    first = _compute(opening, events, start, cut, policy)
    second = _compute(
        opening, events, cut + timedelta(days=1), end, policy, fee_charged=first.flat_fee > 0
    )
    assert first.amount + second.amount <= whole.amount + 2 * CENT
    assert first.interest + second.interest <= whole.interest + CENT
    assert first.flat_fee + second.flat_fee <= whole.flat_fee


@given(cents, event_lists, policies, st.integers(0, 300), st.integers(0, 100))
def test_interest_grows_with_the_days(
    opening: Decimal, events: list[BalanceEvent], policy: LateChargePolicy, days: int, more: int
) -> None:
    start = DUE + timedelta(days=1)
    shorter = _compute(opening, events, start, start + timedelta(days=days), policy)
    longer = _compute(opening, events, start, start + timedelta(days=days + more), policy)
    assert longer.interest >= shorter.interest
    assert longer.amount >= shorter.amount


@given(cents, event_lists, percents, percents, st.integers(0, 300))
def test_interest_grows_with_the_rate(
    opening: Decimal, events: list[BalanceEvent], a: Decimal, b: Decimal, days: int
) -> None:
    low, high = sorted((a, b))
    start = DUE + timedelta(days=1)
    end = start + timedelta(days=days)
    at_low = _compute(opening, events, start, end, LateChargePolicy(low, ZERO, 0, ZERO))
    at_high = _compute(opening, events, start, end, LateChargePolicy(high, ZERO, 0, ZERO))
    assert at_high.interest >= at_low.interest


@given(cents, event_lists, st.integers(0, 30), st.integers(0, 400))
def test_a_zero_rate_and_no_fee_charge_nothing(
    opening: Decimal, events: list[BalanceEvent], grace: int, days: int
) -> None:
    start = DUE + timedelta(days=1)
    policy = LateChargePolicy(ZERO, ZERO, grace, ZERO)
    result = _compute(opening, events, start, start + timedelta(days=days), policy)
    assert result.amount == 0
    assert not policy.charges_anything


def test_a_late_charge_line_counts_as_an_adjustment_and_is_never_taxed() -> None:
    from lexbill.core.invoice_math import LineInput, LineKind, invoice_totals, line_tax

    work = LineInput(LineKind.TIME, Decimal("1000.00"))
    late = LineInput(LineKind.LATE_CHARGE, Decimal("101.92"))
    totals = invoice_totals([work, late], "USD", Decimal("20"))
    assert totals.tax == line_tax(work.total, Decimal("20"), "USD")
    assert totals.adjustments == late.total
    assert totals.fees == work.total and totals.expenses == 0
    assert totals.total == work.total + late.total + totals.tax
