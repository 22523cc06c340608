"""Sharing a line out over its parts: every share adds up to the original, to the cent and the
second, and a write-down never takes a part below zero."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.core.increments import hours_to_minutes, minutes_to_hours
from lexbill.core.splitting import share_adjustment, share_amount, share_whole

D = Decimal
weights_st = st.lists(st.integers(min_value=1, max_value=600), min_size=2, max_size=10)


def test_seconds_are_shared_in_proportion_with_the_remainder_on_the_last() -> None:
    assert share_whole(7201, [60, 30, 30]) == [3600, 1800, 1801]
    assert share_whole(0, [1, 2]) == [0, 0]


def test_an_amount_is_shared_rounded_down_with_the_remainder_on_the_last() -> None:
    assert share_amount(D("100.00"), [1, 1, 1], "USD") == [D("33.33"), D("33.33"), D("33.34")]
    assert share_amount(D("1000"), [1, 2], "JPY") == [D("333"), D("667")]


def test_a_write_down_is_shared_half_up_and_keeps_its_sign_in_every_part() -> None:
    amounts = [D("5.00")] * 4
    # a cent each would be four cents: the running total rounds, so no part turns into a write-up
    assert share_adjustment(D("-0.02"), amounts, [1, 1, 1, 1], "USD") == [
        D("-0.01"),
        D("0.00"),
        D("-0.01"),
        D("0.00"),
    ]
    assert share_adjustment(D("-10.00"), [D("33.33"), D("66.67")], [1, 2], "USD") == [
        D("-3.33"),
        D("-6.67"),
    ]


def test_a_write_down_of_the_whole_line_writes_every_part_down_to_zero() -> None:
    amounts = share_amount(D("0.05"), [1, 1], "USD")
    shares = share_adjustment(D("-0.05"), amounts, [1, 1], "USD")
    assert [a + s for a, s in zip(amounts, shares, strict=True)] == [D(0), D(0)]


def test_a_write_down_larger_than_the_amount_is_refused() -> None:
    with pytest.raises(LexbillError, match="cannot exceed"):
        share_adjustment(D("-2.00"), [D("1.00"), D("0.50")], [1, 1], "USD")


@given(
    weights=weights_st,
    cents=st.integers(min_value=0, max_value=10_000_000),
    share=st.integers(min_value=-100, max_value=100),
)
def test_the_parts_add_up_exactly_and_no_part_goes_below_zero(
    weights: list[int], cents: int, share: int
) -> None:
    amount = D(cents).scaleb(-2)
    adjustment = (amount * share / 100).quantize(D("0.01"))
    if adjustment < -amount:
        adjustment = -amount
    amounts = share_amount(amount, weights, "USD")
    shares = share_adjustment(adjustment, amounts, weights, "USD")
    assert sum(amounts, D(0)) == amount and sum(shares, D(0)) == adjustment
    assert all(a >= 0 for a in amounts)
    assert all(a + s >= 0 for a, s in zip(amounts, shares, strict=True))
    assert all(s <= 0 for s in shares) if adjustment <= 0 else all(s >= 0 for s in shares)
    assert all(
        a == a.quantize(D("0.01")) and s == s.quantize(D("0.01"))
        for a, s in zip(amounts, shares, strict=True)
    )


@given(weights=weights_st, total=st.integers(min_value=0, max_value=10**7))
def test_whole_shares_add_up_and_are_never_negative(weights: list[int], total: int) -> None:
    parts = share_whole(total, weights)
    assert sum(parts) == total and all(p >= 0 for p in parts)


@given(st.integers(min_value=1, max_value=24 * 60))
def test_hours_as_shown_read_back_as_the_same_minutes(minutes: int) -> None:
    assert hours_to_minutes(minutes_to_hours(minutes)) == minutes
    assert hours_to_minutes(str(minutes_to_hours(minutes))) == minutes


def test_hours_that_are_no_whole_minutes_are_refused_by_field() -> None:
    assert hours_to_minutes("0.7") == 42 and hours_to_minutes("0.1167") == 7
    with pytest.raises(InvalidEntry, match="not a whole number of minutes") as refused:
        hours_to_minutes("0.123")
    assert refused.value.field == "hours"
    with pytest.raises(InvalidEntry) as refused:
        hours_to_minutes("half", field="minutes")
    assert refused.value.field == "minutes"
