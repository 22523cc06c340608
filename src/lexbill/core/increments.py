"""Turning recorded time into billable time.

Time is recorded as whole seconds so nothing is lost at capture; it is billed in whole minutes,
in increments agreed with the client (tenths of an hour, quarter hours, or by the minute).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.core.money import to_decimal


class Rounding(StrEnum):
    """How a duration is brought onto the increment grid; engagement letters differ on this."""

    UP = "up"
    NEAREST = "nearest"
    DOWN = "down"


ALLOWED_INCREMENT_MINUTES: tuple[int, ...] = (1, 6, 15)

_INCREMENT_LABELS: dict[int, str] = {1: "1/60 h", 6: "0.1 h", 15: "0.25 h"}

_SECONDS_PER_HOUR = Decimal(3600)
_MINUTES_PER_HOUR = Decimal(60)
_HOURS_PLACES = Decimal("0.0001")


def increment_label(minutes: int) -> str:
    """Lawyers think of increments in fractions of an hour, not in minutes."""
    try:
        return _INCREMENT_LABELS[minutes]
    except KeyError:
        raise LexbillError(
            f"{minutes} minutes is not an offered billing increment", field="increment"
        ) from None


def hours_to_seconds(hours: Decimal | int | str) -> int:
    """Timekeepers type hours ("1.3"); storage wants exact seconds."""
    try:
        value = to_decimal(hours)
    except LexbillError as exc:
        raise InvalidEntry(exc.message, field="hours") from exc
    if value < 0:
        raise InvalidEntry("hours cannot be negative", field="hours")
    return int((value * _SECONDS_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def billed_minutes(
    raw_seconds: int, increment_minutes: int, rounding: Rounding = Rounding.UP
) -> int:
    """Integer arithmetic only, so the billed figure is the same wherever it is recomputed."""
    if not isinstance(raw_seconds, int) or isinstance(raw_seconds, bool):
        raise TypeError(f"raw_seconds must be an int, not {type(raw_seconds).__name__}")
    if not isinstance(increment_minutes, int) or isinstance(increment_minutes, bool):
        raise TypeError(f"increment_minutes must be an int, not {type(increment_minutes).__name__}")
    if raw_seconds < 0:
        raise InvalidEntry("a duration cannot be negative", field="duration")
    if increment_minutes <= 0:
        raise InvalidEntry("the billing increment must be positive", field="increment")
    step = increment_minutes * 60
    if rounding == Rounding.UP:
        units = -(-raw_seconds // step)
    elif rounding == Rounding.DOWN:
        units = raw_seconds // step
    elif rounding == Rounding.NEAREST:
        units = (2 * raw_seconds + step) // (2 * step)
    else:
        raise LexbillError(f"unknown rounding {rounding!r}", field="rounding")
    return units * increment_minutes


def minutes_to_hours(minutes: int) -> Decimal:
    """Exact when the minutes are a clean decimal of an hour; 4 places is below any billed cent."""
    hours = Decimal(minutes) / _MINUTES_PER_HOUR
    if minutes % 3 == 0:  # n/60 terminates exactly when 3 divides n
        return hours
    return hours.quantize(_HOURS_PLACES, rounding=ROUND_HALF_UP)


def hours_to_minutes(hours: Decimal | int | str, field: str = "hours") -> int:
    """Billed hours as typed ("0.7", or "0.1167" for 7 minutes as ``minutes_to_hours`` shows
    them) to whole minutes; hours that are no whole number of minutes are refused, not rounded,
    because billed time is whole minutes and a silent rounding would bill what nobody typed."""
    try:
        value = to_decimal(hours)
    except LexbillError as exc:
        raise InvalidEntry(exc.message, field=field) from exc
    minutes = int((value * _MINUTES_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if value * _MINUTES_PER_HOUR != minutes and minutes_to_hours(minutes) != value:
        raise InvalidEntry(
            f"{value} h is not a whole number of minutes (e.g. 0.1, 0.25, 1.5)", field=field
        )
    return minutes


def format_hours(minutes: int, places: int = 2) -> str:
    """Rounds from the exact figure, not from a rounded one, so display never double-rounds."""
    if places < 0:
        raise LexbillError("places cannot be negative", field="places")
    hours = Decimal(minutes) / _MINUTES_PER_HOUR
    return f"{hours.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
