"""Reporting periods: what a person types becomes one inclusive range of days, or a refusal
that names the box to correct."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.periods import (
    InvalidPeriod,
    Period,
    last_full_month,
    month,
    parse_period,
    period_from,
    quarter,
    year,
)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def periods(draw: st.DrawFn) -> Period:
    first = draw(days)
    length = draw(st.integers(min_value=0, max_value=800))
    return Period(first, first + timedelta(days=length))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # a leap February
        ("2026-2", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026q3", date(2026, 7, 1), date(2026, 9, 30)),
        (" 2026-Q4 ", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_years_months_and_quarters_are_read(text: str, start: date, end: date) -> None:
    assert parse_period(text) == Period(start, end)


@pytest.mark.parametrize(
    "text", ["", "26", "2026-13", "2026-00", "2026-Q0", "2026-Q5", "Q1 2026", "2026-03-01", "0000"]
)
def test_anything_else_is_refused_naming_the_period_box(text: str) -> None:
    with pytest.raises(InvalidPeriod) as refused:
        parse_period(text)
    assert refused.value.field == "period"
    assert repr(text) in refused.value.message


def test_period_from_takes_a_named_period_or_both_dates() -> None:
    assert period_from(period="2026-03") == month(2026, 3)
    assert period_from(start="2026-01-05", end="2026-02-10") == Period(
        date(2026, 1, 5), date(2026, 2, 10)
    )
    assert period_from(start=date(2026, 1, 5), end=date(2026, 1, 5)).days == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "from"),
        ({"start": "2026-01-01"}, "to"),
        ({"end": "2026-01-31"}, "from"),
        ({"period": "2026", "start": "2026-01-01"}, "period"),
        ({"period": "2026", "end": date(2026, 1, 31)}, "period"),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "from"),
        ({"start": "2026-02-01", "end": "March"}, "to"),
        ({"start": "2026-03-01", "end": "2026-02-28"}, "to"),  # reversed
        ({"start": date(2026, 3, 1), "end": date(2026, 2, 28)}, "to"),
    ],
)
def test_period_from_refuses_half_or_both_or_reversed(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidPeriod) as refused:
        period_from(**kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_period_never_ends_before_it_starts() -> None:
    with pytest.raises(InvalidPeriod, match="before it starts"):
        Period(date(2026, 3, 2), date(2026, 3, 1))


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (month(2026, 3), "March 2026"),
        (quarter(2026, 2), "Q2 2026"),
        (year(2026), "2026"),
        (Period(date(2026, 1, 5), date(2026, 2, 10)), "2026-01-05 – 2026-02-10"),
        (Period(date(2026, 2, 1), date(2026, 3, 31)), "2026-02-01 – 2026-03-31"),  # not a quarter
        (Period(date(2025, 10, 1), date(2026, 3, 31)), "2025-10-01 – 2026-03-31"),
        (Period(date(2026, 3, 1), date(2026, 3, 30)), "2026-03-01 – 2026-03-30"),
    ],
)
def test_labels_read_as_people_say_them(period: Period, label: str) -> None:
    assert period.label == label


def test_previous_is_the_same_length_just_before() -> None:
    assert month(2026, 3).previous() == Period(date(2026, 1, 29), date(2026, 2, 28))
    # same number of days, not "the year before": 2024 has one day more than 2025
    assert year(2025).previous() == Period(date(2024, 1, 2), date(2024, 12, 31))
    assert Period(date(2026, 1, 10), date(2026, 1, 19)).previous() == Period(
        date(2025, 12, 31), date(2026, 1, 9)
    )


def test_nothing_comes_before_the_first_day() -> None:
    with pytest.raises(InvalidPeriod):
        Period(date.min, date.min).previous()


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 15), month(2026, 2)),
        (date(2026, 3, 1), month(2026, 2)),
        (date(2026, 1, 31), month(2025, 12)),
    ],
)
def test_the_default_is_last_full_month(today: date, expected: Period) -> None:
    assert last_full_month(today) == expected


@given(periods())
def test_months_tile_the_period_exactly(period: Period) -> None:
    parts = list(period.months())
    assert parts[0].start == period.start and parts[-1].end == period.end
    for before, after in pairwise(parts):
        assert after.start == before.end + timedelta(days=1)
    assert sum(p.days for p in parts) == period.days
    for part in parts:
        assert (part.start.year, part.start.month) == (part.end.year, part.end.month)


@given(periods())
def test_previous_has_the_same_length_and_ends_the_day_before(period: Period) -> None:
    before = period.previous()
    assert before.days == period.days
    assert before.end + timedelta(days=1) == period.start


@given(st.integers(min_value=1990, max_value=2100), st.integers(min_value=1, max_value=4))
def test_a_quarter_is_its_three_months(year_no: int, number: int) -> None:
    q = quarter(year_no, number)
    months = list(q.months())
    assert months == [month(year_no, 3 * number - 2 + i) for i in range(3)]
    assert q == parse_period(f"{year_no}-Q{number}")
    assert q.label == f"Q{number} {year_no}"
    assert q.days == sum(calendar.monthrange(year_no, m.start.month)[1] for m in months)


@given(st.integers(min_value=1990, max_value=2100))
def test_a_year_is_its_four_quarters(year_no: int) -> None:
    y = year(year_no)
    assert sum(quarter(year_no, n).days for n in range(1, 5)) == y.days
    assert len(list(y.months())) == 12


@given(days, days)
def test_a_day_is_in_a_period_when_between_its_ends(a: date, b: date) -> None:
    first, last = min(a, b), max(a, b)
    period = Period(first, last)
    assert first in period and last in period
    assert first - timedelta(days=1) not in period
    assert last + timedelta(days=1) not in period
    assert "2026-01-01" not in period
