"""Aging buckets: every boundary day in the right bucket, and bucket totals add up."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.aging import (
    BUCKET_KEYS,
    BUCKETS,
    AgingRow,
    AgingTotals,
    OpenBalance,
    age_balances,
    bucket,
    bucket_for,
    bucket_ranges,
    days_past_due,
    totals_by_currency,
)
from lexbill.core.errors import CurrencyMismatch, LexbillError

AS_OF = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-45, "current"),
        (0, "current"),
        (1, "d1_30"),
        (30, "d1_30"),
        (31, "d31_60"),
        (60, "d31_60"),
        (61, "d61_90"),
        (90, "d61_90"),
        (91, "d91_120"),
        (120, "d91_120"),
        (121, "over_120"),
        (5000, "over_120"),
    ],
)
def test_each_boundary_day_falls_in_its_bucket(days: int, expected: str) -> None:
    assert bucket_for(days).key == expected


@pytest.mark.parametrize("days", [-3, 0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 400])
def test_the_due_date_ranges_bucket_like_the_days_past_due(days: int) -> None:
    due_on = AS_OF - timedelta(days=days)
    holding = [r.bucket.key for r in bucket_ranges(AS_OF) if r.holds(due_on)]
    assert holding == [bucket_for(days_past_due(due_on, AS_OF)).key]


def test_days_past_due_counts_from_the_due_date() -> None:
    assert days_past_due(date(2026, 6, 1), AS_OF) == 29
    assert days_past_due(date(2026, 7, 1), AS_OF) == -1


def test_an_unknown_bucket_name_is_refused_with_the_field() -> None:
    with pytest.raises(LexbillError) as caught:
        bucket("d0_7")
    assert caught.value.field == "bucket"


def test_aging_refuses_to_add_two_currencies() -> None:
    totals = AgingTotals("USD")
    with pytest.raises(CurrencyMismatch):
        totals.add("current", Decimal("1.00"), "EUR")
    with pytest.raises(CurrencyMismatch):
        totals.merge(AgingTotals("EUR"))


def test_totals_are_kept_per_currency() -> None:
    usd = AgingTotals("USD")
    usd.add("d1_30", Decimal("10.00"))
    eur = AgingTotals("EUR")
    eur.add("over_120", Decimal("7.50"))
    rows = [AgingRow("C1", "A", usd), AgingRow("C2", "B", eur), AgingRow("C3", "C", usd)]
    totals = totals_by_currency(rows)
    assert list(totals) == ["EUR", "USD"]
    assert totals["USD"].amounts["d1_30"] == usd.amounts["d1_30"] * 2
    assert totals["EUR"].total == eur.total


def test_json_amounts_are_exact_strings() -> None:
    totals = AgingTotals("USD")
    totals.add("d31_60", Decimal("0.10"))
    totals.add("d31_60", Decimal("0.20"))
    assert totals.as_strings()["d31_60"] == "0.30"
    assert totals.as_strings()["total"] == "0.30"
    assert set(totals.as_strings()) == {*BUCKET_KEYS, "total"}


balances = st.lists(
    st.tuples(
        st.integers(min_value=-10_000_000, max_value=10_000_000),
        st.integers(min_value=-200, max_value=400),
    ),
    max_size=40,
)


@given(items=balances, as_of=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_bucket_totals_add_up_to_the_total_balance(
    items: list[tuple[int, int]], as_of: date
) -> None:
    opened = [
        OpenBalance(Decimal(cents).scaleb(-2), as_of - timedelta(days=days))
        for cents, days in items
    ]
    totals = age_balances(opened, as_of, "USD")
    assert totals.total == sum((o.balance for o in opened), Decimal(0))
    for b in BUCKETS:
        in_bucket = [o.balance for o in opened if b.holds((as_of - o.due_on).days)]
        assert totals.amounts[b.key] == sum(in_bucket, Decimal(0))


@given(as_of=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_the_due_date_ranges_cover_every_day_once(as_of: date) -> None:
    for days in range(-5, 130):
        due_on = as_of - timedelta(days=days)
        assert sum(1 for r in bucket_ranges(as_of) if r.holds(due_on)) == 1
