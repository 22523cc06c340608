"""Rules about the bill as a whole: its dates, duplicates within it, and budgets."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import compress, count
from operator import ne

from lexbill.core.money import round_money
from lexbill.guidelines import params as p
from lexbill.guidelines.chunk import Chunk
from lexbill.guidelines.model import ZERO, CheckContext, Finding, Line, LineKind
from lexbill.guidelines.params import RuleType
from lexbill.guidelines.pricing import HUNDRED, at_risk, percent_of
from lexbill.guidelines.rules.base import Found, NoScan, Rule, Scan, day
from lexbill.guidelines.text import analyze, words_of


class LateInvoiceRule(Rule[p.LateInvoice]):
    type = RuleType.LATE_INVOICE
    per_line = False

    def begin(self, context: CheckContext) -> Scan:
        end, dated = context.period_end, context.invoice_date
        if end is None or dated is None:
            return NoScan()
        days_late = (dated - end).days - self.params.max_days
        if days_late <= 0:
            return NoScan()
        return _LateInvoiceScan(self, end, dated, days_late)


class _LateInvoiceScan(Scan):
    def __init__(
        self, rule: LateInvoiceRule, end: datetime.date, dated: datetime.date, days_late: int
    ) -> None:
        self.rule = rule
        self.end = end
        self.dated = dated
        self.days_late = days_late
        self.total = ZERO

    def scan(self, chunk: Chunk) -> None:
        self.total += sum(chunk.amounts, ZERO)

    def finish(self, lines: Sequence[Line]) -> Found:
        rule = self.rule
        penalty = rule.params.penalty_percent_per_month
        message = (
            f"invoice dated {day(self.dated)} is {self.days_late} days past the client's "
            f"deadline of {rule.params.max_days} days after the period ended on {day(self.end)}"
        )
        if penalty is None:
            risk = at_risk(self.total, self.total)
        else:
            months = -(-self.days_late // 30)
            percent = min(HUNDRED, penalty * months)
            risk = at_risk(self.total, percent_of(self.total, percent, rule.currency))
            message += f"; the client deducts {penalty}% a month late ({percent}%)"
        return [(0, rule.finding((), message, risk))]


class BillingPeriodRule(Rule[p.BillingPeriod]):
    type = RuleType.BILLING_PERIOD

    def begin(self, context: CheckContext) -> Scan:
        dates = (context.period_start, context.period_end, context.invoice_date)
        if all(date is None for date in dates):
            return NoScan()
        return super().begin(context)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        start = None if self.params.allow_before_period else context.period_start
        end = context.period_end
        dated = context.invoice_date
        latest = min(d for d in (end, dated) if d is not None) if end or dated else None
        dates = chunk.dates
        for i in range(len(chunk)):
            worked_on = dates[i]
            if (start is None or worked_on >= start) and (latest is None or worked_on <= latest):
                continue
            line = chunk.lines[i]
            if dated is not None and worked_on > dated:
                why = f"after the invoice date {day(dated)}"
            elif start is not None and worked_on < start:
                why = f"before the billing period starting {day(start)}"
            else:
                why = f"after the billing period ending {day(end or worked_on)}"
            message = f"line dated {day(worked_on)} is {why}"
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))


class DuplicateEntryRule(Rule[p.DuplicateEntry]):
    type = RuleType.DUPLICATE_ENTRY
    per_line = False

    def setup(self) -> None:
        self.stop = frozenset(w for phrase in self.params.stop_words for w in words_of(phrase))

    def begin(self, context: CheckContext) -> Scan:
        if self.params.similarity < 1:
            return _NearDuplicateScan(self)
        return _DuplicateScan(self)

    def group_of(self, line: Line) -> tuple[object, ...]:
        """What two entries must share to be duplicates, besides their words."""
        if line.kind is LineKind.TIME:
            minutes = line.minutes if self.params.same_hours else None
            return (line.timekeeper_id, line.work_date, line.matter_id, minutes)
        return ("expense", line.work_date, line.matter_id, line.expense_code, line.amount)

    def finding_for(self, lines: Sequence[Line], first: int, again: int) -> tuple[int, Finding]:
        original, repeat = lines[first], lines[again]
        what = (
            "same timekeeper, day, matter and narrative"
            if repeat.kind is LineKind.TIME
            else "same expense, day, matter, amount and description"
        )
        message = f"line {repeat.id} repeats line {original.id}: {what}"
        risk = at_risk(repeat.amount, repeat.amount)
        return again, self.finding((original.id, repeat.id), message, risk)


class _DuplicateScan(Scan):
    """Exact duplicates: a dict of signature hashes (no word sets kept for a million lines);
    each hit is compared again in ``finish``, so a hash clash can never make a finding."""

    def __init__(self, rule: DuplicateEntryRule) -> None:
        self.rule = rule
        self.first: dict[int, int] = {}
        self.hits: list[tuple[int, int]] = []

    def scan(self, chunk: Chunk) -> None:
        positions = chunk.positions
        padded = chunk.padded
        minutes = chunk.minutes if self.rule.params.same_hours else [None] * len(chunk)
        # Every line hashed as a time line, in C (the normalized narrative is a str, whose hash
        # Python keeps: hashing it is free); then the expenses, far fewer, by their own group.
        columns = zip(chunk.timekeepers, chunk.dates, chunk.matters, minutes, padded, strict=True)
        keys = list(map(hash, columns))
        group_of = self.rule.group_of
        for i in chunk.expense_rows:
            keys[i] = hash((group_of(chunk.lines[i]), padded[i]))
        # setdefault keeps the position stored first under a key and returns it: a line whose
        # own position does not come back repeats an earlier line.
        firsts = list(map(self.first.setdefault, keys, positions))
        repeats = compress(count(), map(ne, firsts, positions))
        self.hits.extend((firsts[i], positions[i]) for i in repeats)

    def finish(self, lines: Sequence[Line]) -> Found:
        rule = self.rule
        found: Found = []
        for earlier, later in self.hits:
            a, b = lines[earlier], lines[later]
            if rule.group_of(a) == rule.group_of(b) and analyze(a.narrative) == analyze(
                b.narrative
            ):
                found.append(rule.finding_for(lines, earlier, later))
        return found


class _NearDuplicateScan(Scan):
    """Near duplicates: the narratives of one timekeeper, day and matter compared pairwise by
    the share of their words in common (Jaccard); only used when ``similarity`` is below 1."""

    def __init__(self, rule: DuplicateEntryRule) -> None:
        self.rule = rule
        self.groups: dict[tuple[object, ...], list[tuple[int, frozenset[str]]]] = {}
        self.pairs: list[tuple[int, int]] = []

    def scan(self, chunk: Chunk) -> None:
        threshold = self.rule.params.similarity
        stop = self.rule.stop
        word_sets = chunk.words
        for i in range(len(chunk)):
            words = word_sets[i] - stop
            group = self.groups.setdefault(self.rule.group_of(chunk.lines[i]), [])
            for earlier, earlier_words in group:
                union = len(words | earlier_words)
                if union == 0 or Decimal(len(words & earlier_words)) / union >= threshold:
                    self.pairs.append((earlier, chunk.positions[i]))
                    break
            else:
                group.append((chunk.positions[i], words))

    def finish(self, lines: Sequence[Line]) -> Found:
        return [self.rule.finding_for(lines, a, b) for a, b in self.pairs]


class MatterBudgetRule(Rule[p.MatterBudget]):
    type = RuleType.MATTER_BUDGET
    per_line = False

    def begin(self, context: CheckContext) -> Scan:
        factor = (HUNDRED + self.params.tolerance_percent) / HUNDRED
        limits: dict[object, tuple[Decimal, Decimal, Decimal]] = {
            matter: (facts.billed_to_date, facts.budget, facts.budget * factor)
            for matter, facts in context.matters.items()
            if facts.budget is not None
        }
        if not limits:
            return NoScan()
        return _BudgetScan(self, limits, phase=False)


def phase_key(task_code: str) -> str:
    """The phase a task code bills to: L110 → L100, P210 → P200; a budget may also be keyed
    by the task code itself."""
    if len(task_code) == 4 and task_code[1:].isdigit():
        return task_code[:2] + "00"
    return task_code


class PhaseBudgetRule(Rule[p.PhaseBudget]):
    type = RuleType.PHASE_BUDGET
    per_line = False

    def begin(self, context: CheckContext) -> Scan:
        factor = (HUNDRED + self.params.tolerance_percent) / HUNDRED
        limits: dict[object, tuple[Decimal, Decimal, Decimal]] = {}
        for matter, facts in context.matters.items():
            for phase, budget in facts.phase_budgets.items():
                billed = facts.phase_billed_to_date.get(phase, ZERO)
                limits[(matter, phase)] = (billed, budget, budget * factor)
        if not limits:
            return NoScan()
        return _BudgetScan(self, limits, phase=True)


class _BudgetScan(Scan):
    """Adds up the lines of budgeted matters (or phases) in order and remembers the lines from
    the one that crosses the budget onwards: those are the lines the overrun is billed on."""

    def __init__(
        self,
        rule: MatterBudgetRule | PhaseBudgetRule,
        limits: dict[object, tuple[Decimal, Decimal, Decimal]],
        phase: bool,
    ) -> None:
        self.rule = rule
        self.limits = limits
        self.phase = phase
        self.running: dict[object, Decimal] = {}
        self.over: dict[object, list[int]] = {}
        self.task_keys: dict[tuple[str, str], object] = {}

    def _key(self, matter: str, task_code: str) -> object:
        if not self.phase:
            return matter
        cached = self.task_keys.get((matter, task_code))
        if cached is None:
            if (matter, task_code) in self.limits:
                cached = (matter, task_code)
            else:
                cached = (matter, phase_key(task_code))
            self.task_keys[(matter, task_code)] = cached
        return cached

    def scan(self, chunk: Chunk) -> None:
        limits = self.limits
        running = self.running
        matters, amounts, tasks = chunk.matters, chunk.amounts, chunk.task_codes
        rows: Iterable[int] = range(len(chunk))
        if not self.phase:  # the rows of budgeted matters only, picked out in C
            rows = compress(rows, map(limits.__contains__, matters))
        for i in rows:
            key = self._key(matters[i], tasks[i]) if self.phase else matters[i]
            limit = limits.get(key)
            if limit is None:
                continue
            total = running.get(key, ZERO) + amounts[i]
            running[key] = total
            if limit[0] + total > limit[2]:
                self.over.setdefault(key, []).append(chunk.positions[i])

    def finish(self, lines: Sequence[Line]) -> Found:
        found: Found = []
        rule = self.rule
        for key, positions in self.over.items():
            billed, budget, ceiling = self.limits[key]
            total = billed + self.running[key]
            overrun = total - ceiling
            tolerance = rule.params.tolerance_percent
            allowed = f" (+{tolerance}% tolerance)" if tolerance else ""
            if self.phase:
                assert isinstance(key, tuple)
                matter, phase = key
                what = f"phase {phase} budget of matter {matter}"
            else:
                what = f"budget of matter {key}"
            message = (
                f"the {what} is {rule.money(budget)}{allowed}; billed before "
                f"{rule.money(billed)} plus {rule.money(self.running[key])} on this bill is "
                f"{rule.money(total)}, {rule.money(overrun)} over"
            )
            ids = tuple(lines[pos].id for pos in positions)
            risk = round_money(overrun, rule.currency) if overrun > 0 else ZERO
            found.append((positions[0], rule.finding(ids, message, risk)))
        return found
