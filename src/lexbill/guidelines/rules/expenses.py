"""Rules about travel time and expenses."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import cast

from lexbill.core.money import round_money
from lexbill.guidelines import params as p
from lexbill.guidelines.chunk import Chunk
from lexbill.guidelines.model import ZERO, CheckContext, Finding, FixKind, Line
from lexbill.guidelines.params import CapBasis, RuleType
from lexbill.guidelines.pricing import HUNDRED, at_risk, line_value, share_of, time_value
from lexbill.guidelines.rules.base import Found, Rule, Scan, day, hours, minutes_bound
from lexbill.guidelines.text import PhraseSet


class TravelDetector:
    """Whether a time line is travel: its flag when set, else its activity code or its words."""

    def __init__(self, phrases: tuple[str, ...], codes: tuple[str, ...]) -> None:
        self.phrases = PhraseSet.of(phrases)
        self.codes = frozenset(codes)
        self.key = ("travel", self.phrases.phrases, self.codes)

    def rows(self, chunk: Chunk) -> list[int]:
        """Indexes of the chunk's travel lines; shared by the two travel rules when their
        phrases and codes agree (the usual case)."""
        cached = chunk.shared.get(self.key)
        if cached is None:
            cached = chunk.shared[self.key] = self._rows(chunk)
        return cast(list[int], cached)

    def _rows(self, chunk: Chunk) -> list[int]:
        flags = chunk.travel_flags
        find = self.phrases.find
        worded = chunk.time_rows_where(self.phrases.may_be_in, self.phrases.words)
        named = [i for i in worded if flags[i] is None and find(chunk.text(i)) is not None]
        said = {*chunk.time_rows_coded(self.codes), *named}
        return [i for i in chunk.time_rows if flags[i] or (flags[i] is None and i in said)]


class TravelTimeRule(Rule[p.TravelTime]):
    type = RuleType.TRAVEL_TIME

    def setup(self) -> None:
        self.detector = TravelDetector(self.params.phrases, self.params.activity_codes)
        self.share = self.params.billable_percent / HUNDRED

    @property
    def trigger_words(self) -> frozenset[str]:
        return self.detector.phrases.words

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        if self.share >= 1:
            return
        percent = self.params.billable_percent
        for i in self.detector.rows(chunk):
            line = chunk.lines[i]
            allowed = share_of(line_value(line, self.currency), self.share, self.currency)
            if line.amount <= allowed:
                continue
            fix = self.fix(
                line,
                FixKind.CUT_TRAVEL,
                allowed,
                f"bill travel at {percent}% of its value",
                value_share=self.share,
            )
            message = (
                f"travel time billed at {self.money(line.amount)}; the client pays {percent}% "
                f"of travel, {self.money(allowed)}"
            )
            risk = at_risk(line.amount, line.amount - allowed)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk, (fix,))))


class TravelDailyCapRule(Rule[p.TravelDailyCap]):
    type = RuleType.TRAVEL_DAILY_CAP
    per_line = False

    def setup(self) -> None:
        self.detector = TravelDetector(self.params.phrases, self.params.activity_codes)
        self.limit = int(minutes_bound(self.params.max_hours))

    @property
    def trigger_words(self) -> frozenset[str]:
        return self.detector.phrases.words

    def begin(self, context: CheckContext) -> Scan:
        return _TravelDayScan(self)


class _TravelDayScan(Scan):
    def __init__(self, rule: TravelDailyCapRule) -> None:
        self.rule = rule
        self.days: dict[tuple[str, datetime.date], list[int]] = {}
        self.minutes: dict[tuple[str, datetime.date], int] = {}

    def scan(self, chunk: Chunk) -> None:
        for i in self.rule.detector.rows(chunk):
            key = (chunk.timekeepers[i], chunk.dates[i])
            self.days.setdefault(key, []).append(chunk.positions[i])
            self.minutes[key] = self.minutes.get(key, 0) + chunk.minutes[i]

    def finish(self, lines: Sequence[Line]) -> Found:
        rule = self.rule
        limit = rule.limit
        step = rule.facts.increment_minutes
        found: Found = []
        for key, total in self.minutes.items():
            if total <= limit:
                continue
            positions = self.days[key]
            excess = total - limit
            fixes = []
            for pos in reversed(positions):
                if excess <= 0:
                    break
                line = lines[pos]
                # Cut in whole increments, so the fix cannot break the increment rule.
                keep = max(line.minutes - excess, 0)
                keep -= keep % step
                excess -= line.minutes - keep
                new_amount = min(line.amount, time_value(keep, line.rate, rule.currency))
                fixes.append(
                    rule.fix(
                        line,
                        FixKind.CAP_TRAVEL_HOURS,
                        new_amount,
                        f"cut travel to {hours(keep)} h to keep the day within "
                        f"{rule.params.max_hours} h",
                        minutes_at_most=keep,
                    )
                )
            fixes.reverse()
            keeper, traveled_on = key
            message = (
                f"timekeeper {keeper} billed {hours(total)} h of travel on {day(traveled_on)}; "
                f"the client pays at most {rule.params.max_hours} h of travel a day"
            )
            risk = sum((-fix.adjustment for fix in fixes), ZERO)
            ids = tuple(lines[pos].id for pos in positions)
            found.append((positions[0], rule.finding(ids, message, risk, tuple(fixes))))
        return found


class NonReimbursableExpenseRule(Rule[p.NonReimbursableExpense]):
    type = RuleType.NON_REIMBURSABLE_EXPENSE

    def setup(self) -> None:
        self.codes = frozenset(self.params.codes)
        self.phrases = PhraseSet.of(self.params.phrases)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        codes = chunk.expense_codes
        first = self.phrases.first_words
        for i in chunk.expense_rows:
            if codes[i] in self.codes:
                because = f"expense code {codes[i]}"
            else:
                disjoint = chunk.words[i].isdisjoint(first)
                phrase = None if disjoint else self.phrases.find(chunk.text(i))
                if phrase is None:
                    continue
                because = repr(phrase)
            line = chunk.lines[i]
            fix = self.fix(
                line, FixKind.REMOVE, ZERO, "remove: the client does not reimburse this expense"
            )
            message = f"the client treats this expense ({because}) as overhead it does not pay"
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk, (fix,))))


class ExpenseCapRule(Rule[p.ExpenseCap]):
    type = RuleType.EXPENSE_CAP

    def setup(self) -> None:
        self.caps: dict[str, list[p.ExpenseCapItem]] = {}
        for cap in self.params.caps:
            self.caps.setdefault(cap.code, []).append(cap)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        codes = chunk.expense_codes
        for i in chunk.expense_rows:
            caps = self.caps.get(codes[i])
            if caps is None:
                continue
            line = chunk.lines[i]
            for cap in caps:
                found.extend((chunk.positions[i], f) for f in self._over(line, cap))

    def _over(self, line: Line, cap: p.ExpenseCapItem) -> list[Finding]:
        limit = cap.max_amount
        if cap.per is CapBasis.UNIT:
            if line.unit_cost <= limit:
                return []
            new_amount = min(line.amount, round_money(line.quantity * limit, self.currency))
            fix = self.fix(
                line,
                FixKind.CAP_EXPENSE,
                new_amount,
                f"charge {limit:f} per unit, the client's cap",
                unit_cost_at_most=limit,
            )
            message = (
                f"{line.expense_code} at {line.unit_cost:f} per unit is above the client's cap "
                f"of {limit:f} per unit"
            )
        else:
            persons = max(line.persons, 1) if cap.per is CapBasis.PERSON else 1
            ceiling = round_money(limit * persons, self.currency)
            if line.amount <= ceiling:
                return []
            new_amount = ceiling
            what = self.money(limit)
            if persons > 1:
                what = f"{what} a person for {persons}"
            fix = self.fix(
                line,
                FixKind.CAP_EXPENSE,
                new_amount,
                f"cap at {what}",
                amount_at_most=ceiling,
            )
            basis = "a person" if cap.per is CapBasis.PERSON else "a line"
            message = (
                f"{line.expense_code} of {self.money(line.amount)} is above the client's cap of "
                f"{self.money(limit)} {basis}"
                + (f" ({persons} people: {self.money(ceiling)})" if persons > 1 else "")
            )
        risk = at_risk(line.amount, line.amount - new_amount)
        return [self.finding((line.id,), message, risk, (fix,))]


class FirstClassTravelRule(Rule[p.FirstClassTravel]):
    type = RuleType.FIRST_CLASS_TRAVEL

    def setup(self) -> None:
        self.codes = frozenset(self.params.codes)
        self.classes = frozenset(c.lower() for c in self.params.classes)
        self.phrases = PhraseSet.of(self.params.phrases)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        codes = chunk.expense_codes
        first = self.phrases.first_words
        for i in chunk.expense_rows:
            if self.codes and codes[i] not in self.codes:
                continue
            line = chunk.lines[i]
            fare = line.travel_class.strip().lower()
            if fare in self.classes:
                because = f"{fare} class"
            else:
                disjoint = chunk.words[i].isdisjoint(first)
                phrase = None if disjoint else self.phrases.find(chunk.text(i))
                if phrase is None:
                    continue
                because = repr(phrase)
            message = (
                f"travel above economy ({because}); the client pays economy fares unless it "
                "approved otherwise"
            )
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))


class ReceiptRequiredRule(Rule[p.ReceiptRequired]):
    type = RuleType.RECEIPT_REQUIRED

    def setup(self) -> None:
        self.codes = frozenset(self.params.codes)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        over = self.params.over_amount
        amounts = chunk.amounts
        codes = chunk.expense_codes
        for i in chunk.expense_rows:
            if amounts[i] <= over or (self.codes and codes[i] not in self.codes):
                continue
            line = chunk.lines[i]
            if line.receipt:
                continue
            message = (
                f"an expense of {self.money(line.amount)} has no receipt; the client wants one "
                f"for every expense over {self.money(over)}"
            )
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))
