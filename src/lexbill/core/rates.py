"""Which hourly rate applies to a piece of work.

Firms agree rates at several levels and the most specific agreement must win: a rate negotiated
for one matter beats the client's rate card, which beats the timekeeper's standard rate, which
beats the firm-wide rate for the timekeeper's classification. Rates change over time, so every
row is effective-dated and the work date (not the billing date) picks the row.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from lexbill.core.errors import LexbillError, NoRateInForce
from lexbill.core.money import minor_unit_places, require_decimal

KEYED_BY_TIMEKEEPER = "timekeeper"
KEYED_BY_CLASSIFICATION = "classification"


class RateLevel(StrEnum):
    """Listed most specific first; that order is the precedence."""

    MATTER = "matter"
    CLIENT = "client"
    TIMEKEEPER = "timekeeper"
    CLASSIFICATION = "classification"


# Which scope id a level is tied to; the others must be empty so a row cannot mean two things.
_SCOPE_FIELD: dict[RateLevel, str | None] = {
    RateLevel.MATTER: "matter_id",
    RateLevel.CLIENT: "client_id",
    RateLevel.TIMEKEEPER: None,
    RateLevel.CLASSIFICATION: None,
}


@dataclass(frozen=True)
class RateRow:
    """One effective-dated rate agreement, as stored."""

    level: RateLevel
    amount: Decimal
    currency: str
    effective_from: date
    matter_id: int | None = None
    client_id: int | None = None
    timekeeper_id: int | None = None
    classification: str | None = None
    rate_id: int | None = None

    def __post_init__(self) -> None:
        try:
            level = RateLevel(self.level)
        except ValueError:
            raise LexbillError(f"unknown rate level {self.level!r}", field="level") from None
        object.__setattr__(self, "level", level)
        require_decimal(self.amount, "amount")
        if not self.amount.is_finite() or self.amount < 0:
            raise LexbillError(f"a rate cannot be {self.amount}", field="amount")
        minor_unit_places(self.currency)
        if not isinstance(self.effective_from, date) or isinstance(self.effective_from, datetime):
            # A datetime would make "in force on" depend on a time zone; rates change by day.
            raise TypeError("effective_from must be a date")
        if self.classification is not None and (
            not isinstance(self.classification, str) or not self.classification.strip()
        ):
            raise LexbillError("a classification cannot be blank", field="classification")
        self._check_key()

    def _check_key(self) -> None:
        scope_field = _SCOPE_FIELD[self.level]
        for name in ("matter_id", "client_id"):
            present = getattr(self, name) is not None
            if name == scope_field and not present:
                raise LexbillError(f"a {self.level} rate needs {name}", field=name)
            if name != scope_field and present:
                raise LexbillError(f"a {self.level} rate cannot have {name}", field=name)
        by_timekeeper = self.timekeeper_id is not None
        by_classification = self.classification is not None
        if self.level == RateLevel.TIMEKEEPER and (by_classification or not by_timekeeper):
            raise LexbillError("a timekeeper rate is keyed by timekeeper_id only", field="level")
        if self.level == RateLevel.CLASSIFICATION and (by_timekeeper or not by_classification):
            raise LexbillError(
                "a classification rate is keyed by classification only", field="level"
            )
        if by_timekeeper == by_classification:
            raise LexbillError(
                f"a {self.level} rate is keyed by exactly one of timekeeper_id or classification",
                field="timekeeper_id",
            )

    @property
    def keyed_by(self) -> str:
        return KEYED_BY_TIMEKEEPER if self.timekeeper_id is not None else KEYED_BY_CLASSIFICATION


@dataclass(frozen=True)
class RateQuery:
    """Everything about a piece of work that can select a rate."""

    work_date: date
    matter_id: int
    client_id: int
    timekeeper_id: int
    classification: str
    currency: str


@dataclass(frozen=True)
class ResolvedRate:
    """The chosen rate plus where it came from, so a pre-bill can show why a rate applied."""

    amount: Decimal
    currency: str
    level: RateLevel
    keyed_by: str
    rate_id: int | None
    effective_from: date

    @property
    def source(self) -> str:
        if self.level in (RateLevel.MATTER, RateLevel.CLIENT):
            return f"{self.level.value}/{self.keyed_by}"
        return self.level.value


def _resolved_from(row: RateRow) -> ResolvedRate:
    return ResolvedRate(
        amount=row.amount,
        currency=row.currency,
        level=row.level,
        keyed_by=row.keyed_by,
        rate_id=row.rate_id,
        effective_from=row.effective_from,
    )


# (effective_from dates ascending, the matching results); parallel lists so bisect needs no key.
_Timeline = tuple[list[date], list[ResolvedRate]]

# The six lookups in precedence order: (level, keyed by), each with its own index.
_PRECEDENCE: tuple[tuple[RateLevel, str], ...] = (
    (RateLevel.MATTER, KEYED_BY_TIMEKEEPER),
    (RateLevel.MATTER, KEYED_BY_CLASSIFICATION),
    (RateLevel.CLIENT, KEYED_BY_TIMEKEEPER),
    (RateLevel.CLIENT, KEYED_BY_CLASSIFICATION),
    (RateLevel.TIMEKEEPER, KEYED_BY_TIMEKEEPER),
    (RateLevel.CLASSIFICATION, KEYED_BY_CLASSIFICATION),
)


def _index_key(row: RateRow) -> tuple[Any, ...]:
    who = row.timekeeper_id if row.timekeeper_id is not None else row.classification
    if row.level == RateLevel.MATTER:
        return (row.matter_id, who, row.currency)
    if row.level == RateLevel.CLIENT:
        return (row.client_id, who, row.currency)
    return (who, row.currency)


def _in_force(timeline: _Timeline, day: date) -> ResolvedRate | None:
    dates, rates = timeline
    position = bisect_right(dates, day)
    return rates[position - 1] if position else None


class RateBook:
    """All rate rows indexed for the bill run, where one resolve per time entry must be cheap.

    Built once per run; each resolve is at most six dict lookups and one bisect, and returns
    a result object prepared at build time.
    """

    __slots__ = (
        "_client_by_classification",
        "_client_by_timekeeper",
        "_firm_by_classification",
        "_matter_by_classification",
        "_matter_by_timekeeper",
        "_timekeeper_standard",
    )

    def __init__(self, rows: Iterable[RateRow]) -> None:
        staged: dict[tuple[RateLevel, str], dict[tuple[Any, ...], list[RateRow]]] = {
            slot: {} for slot in _PRECEDENCE
        }
        for row in rows:
            staged[(row.level, row.keyed_by)].setdefault(_index_key(row), []).append(row)
        built = [_build_index(staged[slot]) for slot in _PRECEDENCE]
        (
            self._matter_by_timekeeper,
            self._matter_by_classification,
            self._client_by_timekeeper,
            self._client_by_classification,
            self._timekeeper_standard,
            self._firm_by_classification,
        ) = built

    def resolve(self, q: RateQuery) -> ResolvedRate | None:
        day = q.work_date
        currency = q.currency
        found = self._matter_by_timekeeper.get((q.matter_id, q.timekeeper_id, currency))
        if found is not None and (rate := _in_force(found, day)) is not None:
            return rate
        found = self._matter_by_classification.get((q.matter_id, q.classification, currency))
        if found is not None and (rate := _in_force(found, day)) is not None:
            return rate
        found = self._client_by_timekeeper.get((q.client_id, q.timekeeper_id, currency))
        if found is not None and (rate := _in_force(found, day)) is not None:
            return rate
        found = self._client_by_classification.get((q.client_id, q.classification, currency))
        if found is not None and (rate := _in_force(found, day)) is not None:
            return rate
        found = self._timekeeper_standard.get((q.timekeeper_id, currency))
        if found is not None and (rate := _in_force(found, day)) is not None:
            return rate
        found = self._firm_by_classification.get((q.classification, currency))
        if found is not None and (rate := _in_force(found, day)) is not None:
            return rate
        return None

    def resolve_or_raise(self, q: RateQuery) -> ResolvedRate:
        """For the bill run, where unpriced work must stop the run with a fixable message."""
        rate = self.resolve(q)
        if rate is None:
            raise NoRateInForce(
                f"no {q.currency} rate in force for timekeeper {q.timekeeper_id} "
                f"on matter {q.matter_id} on {q.work_date.isoformat()}",
                field="rate",
            )
        return rate


def _build_index(groups: dict[tuple[Any, ...], list[RateRow]]) -> dict[tuple[Any, ...], _Timeline]:
    index: dict[tuple[Any, ...], _Timeline] = {}
    for key, rows in groups.items():
        rows.sort(key=lambda row: row.effective_from)
        for earlier, later in pairwise(rows):
            if earlier.effective_from == later.effective_from:
                raise _ambiguous(earlier, later)
        index[key] = ([row.effective_from for row in rows], [_resolved_from(row) for row in rows])
    return index


def _ambiguous(first: RateRow, second: RateRow) -> LexbillError:
    # Two rows for the same key and day leave the rate to storage order; refuse, never guess.
    return LexbillError(
        f"rates {first.rate_id} and {second.rate_id} both take effect on "
        f"{first.effective_from.isoformat()} for the same {_resolved_from(first).source} key",
        field="effective_from",
    )


def resolve_rate_reference(rows: Sequence[RateRow], q: RateQuery) -> ResolvedRate | None:
    """The rule stated as plainly as possible, to check RateBook against; far too slow to bill."""
    for level, keyed_by in _PRECEDENCE:
        candidates = [
            row
            for row in rows
            if row.level == level and row.keyed_by == keyed_by and _applies_to(row, q)
        ]
        if not candidates:
            continue
        latest = max(row.effective_from for row in candidates)
        winners = [row for row in candidates if row.effective_from == latest]
        if len(winners) > 1:
            raise _ambiguous(winners[0], winners[1])
        return _resolved_from(winners[0])
    return None


def _applies_to(row: RateRow, q: RateQuery) -> bool:
    if row.currency != q.currency or row.effective_from > q.work_date:
        return False
    if row.level == RateLevel.MATTER and row.matter_id != q.matter_id:
        return False
    if row.level == RateLevel.CLIENT and row.client_id != q.client_id:
        return False
    if row.keyed_by == KEYED_BY_TIMEKEEPER:
        return row.timekeeper_id == q.timekeeper_id
    return row.classification == q.classification
