"""Reporting periods: a month, a quarter, a year or any custom range of days.

Billing coordinators think in months, quarters and years ("Q3 2026"), auditors in exact date
ranges. Every report takes one ``Period`` (both ends inclusive), and this module turns what a
person types — ``2026-03``, ``2026-Q1``, ``2026``, or two dates — into one, so the page, the
command line and the API read periods the same way and refuse the same mistakes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from lexbill.core.errors import LexbillError


class InvalidPeriod(LexbillError):
    """A period that cannot be read, or that ends before it starts."""


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidPeriod(
                f"the period ends ({self.end}) before it starts ({self.start})", field="to"
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def label(self) -> str:
        """ "March 2026", "Q1 2026", "2026", or "2026-01-05 – 2026-02-10"."""
        s, e = self.start, self.end
        last = calendar.monthrange(e.year, e.month)[1]
        if s.day == 1 and e.day == last and s.year == e.year:
            if s.month == e.month:
                return f"{calendar.month_name[s.month]} {s.year}"
            if s.month % 3 == 1 and e.month == s.month + 2:
                return f"Q{(s.month + 2) // 3} {s.year}"
            if s.month == 1 and e.month == 12:
                return str(s.year)
        return f"{s.isoformat()} – {e.isoformat()}"

    def previous(self) -> Period:
        """The period of the same length just before this one (for comparisons)."""
        try:
            return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))
        except OverflowError:
            raise InvalidPeriod(f"no period comes before {self.start}", field="from") from None

    def months(self) -> Iterator[Period]:
        """The calendar months this period touches, each cut to the period (chart buckets)."""
        year, month = self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            first = date(year, month, 1)
            last = date(year, month, calendar.monthrange(year, month)[1])
            yield Period(max(first, self.start), min(last, self.end))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


# The years a date can hold: "0000" is refused as a typo, not a crash.
_FIRST_YEAR, _LAST_YEAR = 1, 9999


def month(year: int, month_no: int) -> Period:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise InvalidPeriod(f"the year {year:04d} is out of range", field="year")
    if not 1 <= month_no <= 12:
        raise InvalidPeriod(f"there is no month {month_no}", field="month")
    return Period(
        date(year, month_no, 1), date(year, month_no, calendar.monthrange(year, month_no)[1])
    )


def quarter(year: int, number: int) -> Period:
    if not 1 <= number <= 4:
        raise InvalidPeriod(f"there is no quarter {number}", field="quarter")
    first = 3 * (number - 1) + 1
    return Period(month(year, first).start, month(year, first + 2).end)


def year(year_no: int) -> Period:
    if not _FIRST_YEAR <= year_no <= _LAST_YEAR:
        raise InvalidPeriod(f"the year {year_no:04d} is out of range", field="year")
    return Period(date(year_no, 1, 1), date(year_no, 12, 31))


_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def parse_period(text: str) -> Period:
    """``2026`` (a year), ``2026-03`` (a month), ``2026-Q1`` (a quarter)."""
    value = text.strip()
    try:
        if m := _YEAR.match(value):
            return year(int(m[1]))
        if m := _MONTH.match(value):
            return month(int(m[1]), int(m[2]))
        if m := _QUARTER.match(value):
            return quarter(int(m[1]), int(m[2]))
    except InvalidPeriod as error:
        # "2026-13" was typed in the period box: point there, not at a "month" field
        raise InvalidPeriod(f"{text!r} is not a period: {error.message}", field="period") from None
    raise InvalidPeriod(
        f"{text!r} is not a period: write a year (2026), a month (2026-03) or a quarter (2026-Q1)",
        field="period",
    )


def parse_day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidPeriod(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def period_from(
    *, start: str | date | None = None, end: str | date | None = None, period: str | None = None
) -> Period:
    """One period from what a form or command line gave: a named ``period``, or both ends.

    Giving both a named period and dates is refused rather than guessed between.
    """
    if period:
        if start or end:
            raise InvalidPeriod("give a period or dates (from/to), not both", field="period")
        return parse_period(period)
    if not start or not end:
        raise InvalidPeriod(
            "give a period (2026, 2026-03, 2026-Q1) or both dates (from and to)",
            field="from" if not start else "to",
        )
    first = start if isinstance(start, date) else parse_day(start, "from")
    last = end if isinstance(end, date) else parse_day(end, "to")
    return Period(first, last)


def last_full_month(today: date) -> Period:
    """The default period of a report: last month, complete."""
    first = today.replace(day=1)
    previous = first - timedelta(days=1)
    return month(previous.year, previous.month)
