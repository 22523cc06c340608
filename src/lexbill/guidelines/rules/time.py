"""Rules about how much time is billed and when it was recorded."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from itertools import compress, count
from operator import attrgetter

from lexbill.guidelines import params as p
from lexbill.guidelines.chunk import Chunk
from lexbill.guidelines.model import ZERO, CheckContext, FixKind, Line
from lexbill.guidelines.params import RuleType
from lexbill.guidelines.pricing import at_risk, proportion, time_value
from lexbill.guidelines.rules.base import (
    Found,
    Rule,
    Scan,
    day,
    hours,
    increment_label,
    minutes_bound,
)

_keeper = attrgetter("timekeeper_id")
_work_date = attrgetter("work_date")


class BillingIncrementRule(Rule[p.BillingIncrement]):
    type = RuleType.BILLING_INCREMENT

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        step = self.params.minutes
        minutes = chunk.minutes
        for i in [i for i in chunk.time_rows if minutes[i] % step]:
            line = chunk.lines[i]
            down = line.minutes - line.minutes % step
            new_amount = min(line.amount, time_value(down, line.rate, self.currency))
            fix = self.fix(
                line,
                FixKind.ROUND_TO_INCREMENT,
                new_amount,
                f"round {hours(line.minutes)} h down to {hours(down)} h",
                minutes_multiple_of=step,
            )
            message = (
                f"{hours(line.minutes)} h is not in {increment_label(step)} increments; "
                f"rounded down it is {hours(down)} h"
            )
            risk = at_risk(line.amount, line.amount - new_amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk, (fix,))))


class EntryHoursRule(Rule[p.EntryHours]):
    type = RuleType.ENTRY_HOURS

    def setup(self) -> None:
        low, high = self.params.min_hours, self.params.max_hours
        self.low = minutes_bound(low) if low is not None else None
        self.high = minutes_bound(high) if high is not None else None

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        minutes = chunk.minutes
        low, high = self.low, self.high
        for i in chunk.time_rows:
            billed = minutes[i]
            if high is not None and billed > high:
                line = chunk.lines[i]
                allowed = proportion(line.amount, int(high), billed, self.currency)
                message = (
                    f"{hours(billed)} h in one entry is more than the {self.params.max_hours} h "
                    "the client allows without approval"
                )
                risk = at_risk(line.amount, line.amount - allowed)
                found.append((chunk.positions[i], self.finding((line.id,), message, risk)))
            elif low is not None and billed < low:
                line = chunk.lines[i]
                message = (
                    f"{hours(billed)} h is less than the {self.params.min_hours} h minimum "
                    "for an entry"
                )
                risk = at_risk(line.amount, line.amount)
                found.append((chunk.positions[i], self.finding((line.id,), message, risk)))


class DailyHoursRule(Rule[p.DailyHours]):
    """Hours per timekeeper per day across all the client's matters."""

    type = RuleType.DAILY_HOURS
    per_line = False

    def begin(self, context: CheckContext) -> Scan:
        return _DailyScan(self, context)


class _DailyScan(Scan):
    def __init__(self, rule: DailyHoursRule, context: CheckContext) -> None:
        self.rule = rule
        self.context = context
        # Whole minutes: billed time is whole minutes, so "more than 7.51 h" is "more than 450".
        self.limit = int(minutes_bound(rule.params.max_hours))
        self.by_keeper: defaultdict[str, dict[datetime.date, int]] = defaultdict(dict)
        self.same_day: dict[datetime.date, datetime.date] = {}
        """Each date as the one object first seen for it: a line's date then finds its key in
        the dicts by identity, without reading a second date object (a fifth off the scan at
        a million lines, whose dates are a million objects)."""

    def scan(self, chunk: Chunk) -> None:
        by_keeper = self.by_keeper
        # Lines with minutes only (compress, in C, drops expenses and zero time, which add
        # nothing). A dict per timekeeper (not one keyed by pairs) stays small enough for the
        # CPU caches: twice as fast at a million lines. (Keeping each day's positions here too,
        # to spare finish its pass, measured slower: a list per day is more to write.)
        minutes = chunk.minutes
        dates = map(self.same_day.setdefault, chunk.dates, chunk.dates)
        rows = zip(
            compress(chunk.timekeepers, minutes),
            compress(dates, minutes),
            compress(minutes, minutes),
            strict=True,
        )
        for keeper, worked_on, spent in rows:
            days = by_keeper[keeper]
            days[worked_on] = days.get(worked_on, 0) + spent

    def finish(self, lines: Sequence[Line]) -> Found:
        other = self.context.other_minutes_by_day
        totals = self.by_keeper
        for (keeper, worked_on), minutes in other.items():  # time on other bills counts too
            days = totals[keeper]
            days[worked_on] = days.get(worked_on, 0) + minutes
        over = {
            (keeper, worked_on): total
            for keeper, days in totals.items()
            for worked_on, total in days.items()
            if total > self.limit
        }
        if not over:
            return []
        # The lines of those days: found in C (a pair and a lookup per line), then in order.
        keys = zip(map(_keeper, lines), map(_work_date, lines), strict=True)
        by_day: dict[tuple[str, datetime.date], list[int]] = {}
        for position in compress(count(), map(over.__contains__, keys)):
            line = lines[position]
            if line.minutes:
                by_day.setdefault((line.timekeeper_id, line.work_date), []).append(position)
        rule = self.rule
        found: Found = []
        for key, positions in by_day.items():
            total = over[key]
            outside = other.get(key, 0)
            excess = total - self.limit
            risk = ZERO
            for position in reversed(positions):
                if excess <= 0:
                    break
                line = lines[position]
                taken = min(line.minutes, excess)
                kept = proportion(line.amount, line.minutes - taken, line.minutes, rule.currency)
                risk += at_risk(line.amount, line.amount - kept)
                excess -= taken
            keeper, worked_on = key
            besides = f" (with {hours(outside)} h on other bills)" if outside else ""
            message = (
                f"timekeeper {keeper} billed {hours(total)} h on {day(worked_on)} across the "
                f"client's matters{besides}; the limit is {rule.params.max_hours} h a day"
            )
            ids = tuple(lines[position].id for position in positions)
            found.append((positions[0], rule.finding(ids, message, risk)))
        return found


class LateEntryRule(Rule[p.LateEntry]):
    type = RuleType.LATE_ENTRY

    def setup(self) -> None:
        self.limit = datetime.timedelta(days=self.params.max_days)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        limit = self.limit
        dates, recorded = chunk.dates, chunk.entered_on
        lines = chunk.lines
        for i in chunk.time_rows:
            entered = recorded[i]
            if entered is not None and entered - dates[i] > limit:
                line = lines[i]
                late = (entered - line.work_date).days
                message = (
                    f"time for {day(line.work_date)} was recorded on {day(entered)}, {late} days "
                    f"later; the client wants it recorded within {self.params.max_days} days"
                )
                risk = at_risk(line.amount, line.amount)
                found.append((chunk.positions[i], self.finding((line.id,), message, risk)))
