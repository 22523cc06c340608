"""Rules about who bills and at what rate: caps, rate rises, approved timekeepers, classes the
client does not pay for, and how many people may attend one event."""

from __future__ import annotations

import datetime
from bisect import bisect_right
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from itertools import compress, repeat

from lexbill.guidelines import params as p
from lexbill.guidelines.chunk import Chunk
from lexbill.guidelines.model import ZERO, CheckContext, FixKind, Line, RateIncrease
from lexbill.guidelines.params import RuleType
from lexbill.guidelines.pricing import HUNDRED, at_risk, time_value
from lexbill.guidelines.rules.base import Found, NoScan, Rule, Scan, a_or_an, day
from lexbill.guidelines.rules.narrative import extra_timekeepers
from lexbill.guidelines.text import PhraseSet, words_of


class RateCapRule(Rule[p.RateCap]):
    type = RuleType.RATE_CAP

    def setup(self) -> None:
        caps = self.params.caps
        self.by_keeper = {cap.timekeeper: cap.max_rate for cap in caps if cap.timekeeper}
        self.by_class = {
            cap.classification.lower(): cap.max_rate for cap in caps if cap.classification
        }

    def caps(self, chunk: Chunk) -> list[Decimal | None]:
        """Each row's approved rate: the timekeeper's own cap, else the classification's, else
        the default. Looked up in C by classification when no timekeeper has a cap of their
        own (the usual guideline), else once per (timekeeper, classification) pair."""
        default = self.params.default_max_rate
        if not self.by_keeper:
            return list(map(self.by_class.get, chunk.classes, repeat(default)))
        pairs = list(zip(chunk.timekeepers, chunk.classes, strict=True))
        cap_of = {
            pair: self.by_keeper.get(pair[0], self.by_class.get(pair[1], default))
            for pair in set(pairs)
        }
        return list(map(cap_of.__getitem__, pairs))

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        keepers, rates = chunk.timekeepers, chunk.rates
        caps = self.caps(chunk)
        above = [
            (i, cap) for i in chunk.time_rows if (cap := caps[i]) is not None and rates[i] > cap
        ]
        for i, cap in above:
            line = chunk.lines[i]
            new_amount = min(line.amount, time_value(line.minutes, cap, self.currency))
            fix = self.fix(
                line,
                FixKind.CAP_RATE,
                new_amount,
                f"bill at the approved rate {cap:f} instead of {line.rate:f}",
                rate_at_most=cap,
            )
            whose = (
                f"timekeeper {line.timekeeper_id}"
                if keepers[i] in self.by_keeper
                else a_or_an(line.classification or "timekeeper")
            )
            message = f"rate {line.rate:f} is above the approved {cap:f} for {whose}"
            risk = at_risk(line.amount, line.amount - new_amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk, (fix,))))


_RATE_PLACES = Decimal("0.0001")
_Increases = dict[str, tuple[list[datetime.date], list[RateIncrease]]]


class RateIncreaseCheck(Rule[p.RateIncreaseRule]):
    """Work before the notice period ends is payable at the previous rate."""

    type = RuleType.RATE_INCREASE

    def begin(self, context: CheckContext) -> Scan:
        if not context.rate_increases:
            return NoScan()
        return _RateIncreaseScan(self, _increases_by_keeper(context))

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        self.check_increases(chunk, _increases_by_keeper(context), found)

    def allowed_rate(
        self, increase: RateIncrease, worked_on: datetime.date
    ) -> tuple[Decimal, str] | None:
        """The rate payable for work on ``worked_on`` under ``increase`` and why, or None when
        the new rate is payable."""
        notice = self.params.notice_days
        allowed: Decimal | None = None
        reasons: list[str] = []
        given = increase.notice_given_on
        if given is None:
            allowed = increase.previous_rate
            reasons.append(f"the client was not given the {notice} days' notice it requires")
        else:
            payable_from = given + datetime.timedelta(days=notice)
            if worked_on < payable_from:
                allowed = increase.previous_rate
                reasons.append(
                    f"notice was given on {day(given)}, so with {notice} days' notice the new "
                    f"rate is payable from {day(payable_from)}"
                )
        limit = self.params.max_increase_percent
        if limit is not None:
            ceiling = (increase.previous_rate * (HUNDRED + limit) / HUNDRED).quantize(
                _RATE_PLACES, rounding=ROUND_DOWN
            )
            if increase.new_rate > ceiling:
                reasons.append(f"the client caps a rise at {limit}%")
                if allowed is None or ceiling < allowed:
                    allowed = ceiling
        if allowed is None:
            return None
        return allowed, "; ".join(reasons)

    def check_increases(self, chunk: Chunk, increases: _Increases, found: Found) -> None:
        keepers, rates, dates = chunk.timekeepers, chunk.rates, chunk.dates
        # Rows of the timekeepers with a rise (few), picked out in C.
        time_rows = chunk.time_rows
        risen = map(increases.__contains__, map(keepers.__getitem__, time_rows))
        for i in compress(time_rows, risen):
            starts, rows = increases[keepers[i]]
            index = bisect_right(starts, dates[i]) - 1
            if index < 0 or rates[i] <= rows[index].previous_rate:
                continue
            increase = rows[index]
            verdict = self.allowed_rate(increase, dates[i])
            if verdict is None or rates[i] <= verdict[0]:
                continue
            allowed, because = verdict
            line = chunk.lines[i]
            new_amount = min(line.amount, time_value(line.minutes, allowed, self.currency))
            fix = self.fix(
                line,
                FixKind.CAP_RATE,
                new_amount,
                f"bill at {allowed:f}, the rate payable under the client's notice rules",
                rate_at_most=allowed,
            )
            message = (
                f"rate {line.rate:f} is a rise from {increase.previous_rate:f} effective "
                f"{day(increase.effective_from)}; {because}"
            )
            risk = at_risk(line.amount, line.amount - new_amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk, (fix,))))


def _increases_by_keeper(context: CheckContext) -> _Increases:
    by_keeper: dict[str, list[RateIncrease]] = {}
    for increase in context.rate_increases:
        by_keeper.setdefault(increase.timekeeper_id, []).append(increase)
    result: _Increases = {}
    for keeper, increases in by_keeper.items():
        increases.sort(key=lambda increase: increase.effective_from)
        result[keeper] = ([increase.effective_from for increase in increases], increases)
    return result


class _RateIncreaseScan(Scan):
    def __init__(self, rule: RateIncreaseCheck, increases: _Increases) -> None:
        self.rule = rule
        self.increases = increases
        self.found: Found = []

    def scan(self, chunk: Chunk) -> None:
        self.rule.check_increases(chunk, self.increases, self.found)

    def finish(self, lines: Sequence[Line]) -> Found:
        return self.found


class ApprovedTimekeepersRule(Rule[p.ApprovedTimekeepers]):
    type = RuleType.APPROVED_TIMEKEEPERS

    def begin(self, context: CheckContext) -> Scan:
        if not self.params.timekeepers and context.approved_timekeepers is None:
            return NoScan()
        return super().begin(context)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        approved = set(self.params.timekeepers) | (context.approved_timekeepers or frozenset())
        keepers = chunk.timekeepers
        for i in [i for i in chunk.time_rows if keepers[i] not in approved]:
            line = chunk.lines[i]
            message = (
                f"timekeeper {line.timekeeper_id or '(none)'} is not approved to bill this "
                "client; the client pays only for approved timekeepers"
            )
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))


class NonBillableClassificationRule(Rule[p.NonBillableClassification]):
    type = RuleType.NON_BILLABLE_CLASSIFICATION

    def setup(self) -> None:
        self.classes = frozenset(c.lower() for c in self.params.classifications)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        classes = chunk.classes
        for i in [i for i in chunk.time_rows if classes[i] in self.classes]:
            line = chunk.lines[i]
            fix = self.fix(
                line,
                FixKind.REMOVE,
                ZERO,
                f"write off: the client does not pay for {line.classification} time",
            )
            message = f"the client does not pay for time billed by {a_or_an(line.classification)}"
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk, (fix,))))


class AttendanceRule(Rule[p.Attendance]):
    """More timekeepers at one meeting, hearing or deposition than the client allows."""

    type = RuleType.ATTENDANCE
    per_line = False

    def setup(self) -> None:
        self.kinds = [
            (event.kind, _words(event.words), event.max_timekeepers) for event in self.params.events
        ]
        self.event_words = frozenset(word for _, words, _ in self.kinds for word in words)
        self.attend = PhraseSet.of(self.params.attendance_words).words
        self.codes = frozenset(self.params.activity_codes)
        self.strictest = min(limit for _, _, limit in self.kinds)

    @property
    def trigger_words(self) -> frozenset[str]:
        return self.event_words | self.attend

    def begin(self, context: CheckContext) -> Scan:
        return _AttendanceScan(self)

    def event_of(self, chunk: Chunk, i: int) -> tuple[object, str, int] | None:
        """The event a line attends (group key, kind, limit), or None."""
        words = chunk.words[i]
        kind = next(
            ((name, limit) for name, own, limit in self.kinds if not words.isdisjoint(own)), None
        )
        line = chunk.lines[i]
        if line.event_id:
            name, limit = kind if kind is not None else ("event", self.strictest)
            return (chunk.matters[i], line.event_id), name, limit
        if kind is None:
            return None
        if chunk.activity_codes[i] not in self.codes and words.isdisjoint(self.attend):
            return None
        return (chunk.matters[i], chunk.dates[i], kind[0]), kind[0], kind[1]

    def candidates(self, chunk: Chunk) -> list[int]:
        """The time rows ``event_of`` may place at an event: those with an event id, and those
        naming an event with an attendance word or code (word tests in C, see ``Chunk``)."""
        event_ids = chunk.event_ids
        with_id = [i for i in chunk.time_rows if event_ids[i]]
        attending = {*chunk.time_rows_mentioning(self.attend), *chunk.time_rows_coded(self.codes)}
        named = chunk.time_rows_mentioning(self.event_words)
        return sorted({*with_id, *(i for i in named if i in attending)})


class _AttendanceScan(Scan):
    def __init__(self, rule: AttendanceRule) -> None:
        self.rule = rule
        self.events: dict[object, tuple[str, int, list[int]]] = {}

    def scan(self, chunk: Chunk) -> None:
        rule = self.rule
        for i in rule.candidates(chunk):
            event = rule.event_of(chunk, i)
            if event is not None:
                key, kind, limit = event
                self.events.setdefault(key, (kind, limit, []))[2].append(chunk.positions[i])

    def finish(self, lines: Sequence[Line]) -> Found:
        found: Found = []
        for kind, limit, positions in self.events.values():
            extra = extra_timekeepers(lines, positions, limit)
            if not extra:
                continue
            first = lines[positions[0]]
            attended = len({lines[pos].timekeeper_id for pos in positions})
            keepers = ", ".join(sorted({lines[pos].timekeeper_id for pos in extra}))
            message = (
                f"{attended} timekeepers billed the {kind} on matter {first.matter_id} on "
                f"{day(first.work_date)}; the client allows {limit} without approval "
                f"(at risk: {keepers})"
            )
            risk = sum((at_risk(lines[pos].amount, lines[pos].amount) for pos in extra), ZERO)
            ids = tuple(lines[pos].id for pos in extra)
            found.append((extra[0], self.rule.finding(ids, message, risk)))
        return found


def _words(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(word for phrase in phrases for word in words_of(phrase))
