"""Each timekeeper's standard rate as date intervals, for pricing work set-based in SQL.

The standard rate is what the firm would charge with no agreement: the timekeeper's own rate
(level ``timekeeper``), else the firm-wide rate of their classification. Realization measures
billed fees against it. A report joins a million lines to these few thousand intervals in one
grouped query instead of resolving a rate per line, so the intervals are cut here, in Python,
from the rate rows: a new interval starts wherever either level's rate changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lexbill.core.rates import RateBook, RateLevel, RateQuery, RateRow

END_OF_TIME = date(9999, 12, 31)


@dataclass(frozen=True)
class RateInterval:
    """``amount`` per hour is in force from ``start`` up to and excluding ``end``."""

    timekeeper_id: int
    currency: str
    start: date
    end: date
    amount: Decimal


def standard_intervals(
    rows: Iterable[RateRow], classifications: Mapping[int, str]
) -> list[RateInterval]:
    """Intervals for every timekeeper in ``classifications`` (id → classification) and every
    currency they have a standard rate in; days before the first rate have no interval."""
    standard = [r for r in rows if r.level in (RateLevel.TIMEKEEPER, RateLevel.CLASSIFICATION)]
    book = RateBook(standard)
    changes: dict[tuple[int, str], set[date]] = {}
    by_class: dict[tuple[str, str], set[date]] = {}
    for r in standard:
        if r.level == RateLevel.TIMEKEEPER and r.timekeeper_id is not None:
            if r.timekeeper_id not in classifications:
                continue
            changes.setdefault((r.timekeeper_id, r.currency), set()).add(r.effective_from)
        elif r.classification is not None:
            by_class.setdefault((r.classification, r.currency), set()).add(r.effective_from)
    for tk, classification in classifications.items():
        for (cls, currency), days in by_class.items():
            if cls == classification:
                changes.setdefault((tk, currency), set()).update(days)
    intervals: list[RateInterval] = []
    for (tk, currency), days in sorted(changes.items()):
        ordered = sorted(days)
        for i, start in enumerate(ordered):
            end = ordered[i + 1] if i + 1 < len(ordered) else END_OF_TIME
            rate = book.resolve(RateQuery(start, 0, 0, tk, classifications[tk], currency))
            if rate is None:
                continue
            last = intervals[-1] if intervals else None
            if last is not None and (last.timekeeper_id, last.currency, last.end, last.amount) == (
                tk,
                currency,
                start,
                rate.amount,
            ):
                intervals[-1] = RateInterval(tk, currency, last.start, end, rate.amount)
            else:
                intervals.append(RateInterval(tk, currency, start, end, rate.amount))
    return intervals


@dataclass(frozen=True)
class WorkKey:
    """Who worked on what: everything that can select a rate except the day."""

    matter_id: int
    client_id: int
    timekeeper_id: int
    classification: str
    currency: str


def agreed_intervals(
    rows: Iterable[RateRow], keys: Iterable[WorkKey]
) -> list[tuple[WorkKey, RateInterval]]:
    """The rate a bill run would use (every level, core.rates precedence) for each key, as
    intervals: work in progress is valued at the rates it will be billed at."""
    all_rows = list(rows)
    book = RateBook(all_rows)
    dates: dict[tuple[object, ...], set[date]] = {}
    for r in all_rows:
        who = r.timekeeper_id if r.timekeeper_id is not None else r.classification
        scope = r.matter_id if r.level == RateLevel.MATTER else r.client_id
        dates.setdefault((r.level, scope, who, r.currency), set()).add(r.effective_from)
    result: list[tuple[WorkKey, RateInterval]] = []
    for k in keys:
        days: set[date] = set()
        for level, scope in (
            (RateLevel.MATTER, k.matter_id),
            (RateLevel.CLIENT, k.client_id),
            (RateLevel.TIMEKEEPER, None),
            (RateLevel.CLASSIFICATION, None),
        ):
            for who in (k.timekeeper_id, k.classification):
                days |= dates.get((level, scope, who, k.currency), set())
        ordered = sorted(days)
        for i, start in enumerate(ordered):
            end = ordered[i + 1] if i + 1 < len(ordered) else END_OF_TIME
            rate = book.resolve(
                RateQuery(
                    start, k.matter_id, k.client_id, k.timekeeper_id, k.classification, k.currency
                )
            )
            if rate is not None:
                result.append(
                    (k, RateInterval(k.timekeeper_id, k.currency, start, end, rate.amount))
                )
    return result
