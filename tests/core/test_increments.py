from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.core.increments import (
    ALLOWED_INCREMENT_MINUTES,
    Rounding,
    billed_minutes,
    format_hours,
    hours_to_seconds,
    increment_label,
    minutes_to_hours,
)

raw_seconds = st.integers(min_value=0, max_value=24 * 3600 * 3)
increments = st.sampled_from(ALLOWED_INCREMENT_MINUTES) | st.integers(min_value=1, max_value=120)
roundings = st.sampled_from(Rounding)


@given(raw_seconds, increments, roundings)
def test_billed_minutes_are_always_a_whole_number_of_increments(
    raw: int, increment: int, rounding: Rounding
) -> None:
    assert billed_minutes(raw, increment, rounding) % increment == 0


@given(raw_seconds, increments)
def test_billed_units_are_never_less_than_the_raw_duration_when_rounding_up(
    raw: int, increment: int
) -> None:
    billed = billed_minutes(raw, increment, Rounding.UP)
    assert billed * 60 >= raw
    assert billed * 60 < raw + increment * 60


@given(raw_seconds, increments)
def test_billed_units_are_never_more_than_the_raw_duration_when_rounding_down(
    raw: int, increment: int
) -> None:
    billed = billed_minutes(raw, increment, Rounding.DOWN)
    assert billed * 60 <= raw
    assert billed * 60 > raw - increment * 60


@given(raw_seconds, increments)
def test_rounding_to_nearest_stays_within_half_an_increment(raw: int, increment: int) -> None:
    billed = billed_minutes(raw, increment, Rounding.NEAREST)
    assert abs(billed * 60 - raw) * 2 <= increment * 60


@given(raw_seconds, increments)
def test_rounding_up_is_the_default(raw: int, increment: int) -> None:
    assert billed_minutes(raw, increment) == billed_minutes(raw, increment, Rounding.UP)


@pytest.mark.parametrize(
    ("raw", "increment", "rounding", "expected"),
    [
        (1, 6, Rounding.UP, 6),
        (6 * 60, 6, Rounding.UP, 6),
        (6 * 60 + 1, 6, Rounding.UP, 12),
        (0, 6, Rounding.UP, 0),
        (179, 6, Rounding.NEAREST, 0),
        (180, 6, Rounding.NEAREST, 6),
        (7 * 60 + 30, 15, Rounding.NEAREST, 15),
        (14 * 60 + 59, 15, Rounding.DOWN, 0),
        (61, 1, Rounding.UP, 2),
        (61, 1, Rounding.DOWN, 1),
    ],
)
def test_billed_minutes_at_named_points(
    raw: int, increment: int, rounding: Rounding, expected: int
) -> None:
    assert billed_minutes(raw, increment, rounding) == expected


def test_a_negative_duration_is_an_invalid_entry() -> None:
    with pytest.raises(InvalidEntry):
        billed_minutes(-1, 6)


@pytest.mark.parametrize("increment", [0, -6])
def test_an_increment_that_is_not_positive_is_an_invalid_entry(increment: int) -> None:
    with pytest.raises(InvalidEntry):
        billed_minutes(60, increment)


def test_the_offered_increments_read_as_fractions_of_an_hour() -> None:
    assert [increment_label(m) for m in ALLOWED_INCREMENT_MINUTES] == ["1/60 h", "0.1 h", "0.25 h"]
    with pytest.raises(LexbillError):
        increment_label(10)


@pytest.mark.parametrize(
    ("hours", "seconds"),
    [("1.3", 4680), ("0.1", 360), (2, 7200), (Decimal("0.00014"), 1), ("0.000138", 0), ("0", 0)],
)
def test_typed_hours_become_exact_seconds_rounded_half_up(hours: str | int, seconds: int) -> None:
    assert hours_to_seconds(hours) == seconds


def test_hours_cannot_be_negative() -> None:
    with pytest.raises(InvalidEntry) as caught:
        hours_to_seconds("-0.1")
    assert caught.value.field == "hours"


def test_hours_cannot_be_a_float() -> None:
    with pytest.raises(TypeError):
        hours_to_seconds(1.5)  # type: ignore[arg-type]


def test_unreadable_hours_are_an_invalid_entry_on_the_hours_field() -> None:
    with pytest.raises(InvalidEntry) as caught:
        hours_to_seconds("1h30")
    assert caught.value.field == "hours"


@given(st.integers(min_value=0, max_value=10_000))
def test_typed_hours_round_trip_through_billed_minutes(tenths: int) -> None:
    seconds = hours_to_seconds(Decimal(tenths) / 10)
    assert billed_minutes(seconds, 6) == tenths * 6


def test_minutes_become_hours_exactly_when_they_can() -> None:
    assert minutes_to_hours(6) == Decimal("0.1")
    assert minutes_to_hours(15) == Decimal("0.25")
    assert minutes_to_hours(90) == Decimal("1.5")
    assert minutes_to_hours(1) == Decimal("0.0167")
    assert minutes_to_hours(2) == Decimal("0.0333")


@given(st.integers(min_value=0, max_value=10**6))
def test_minutes_to_hours_is_within_half_a_ten_thousandth_of_an_hour(minutes: int) -> None:
    assert abs(minutes_to_hours(minutes) * 60 - minutes) <= Decimal("0.003")


def test_hours_are_formatted_from_the_exact_figure() -> None:
    assert format_hours(6) == "0.10"
    assert format_hours(90) == "1.50"
    assert format_hours(1) == "0.02"
    assert format_hours(1, places=4) == "0.0167"
    assert format_hours(150, places=1) == "2.5"
    assert format_hours(0) == "0.00"
