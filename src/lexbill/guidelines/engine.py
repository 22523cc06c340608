"""Running a guideline over lines: a whole pre-bill at once, or one entry while it is typed.

A document is compiled once (``compile_guidelines``, cached per document) into rule objects
with their phrase sets and lookup tables built. Checking streams the lines through every rule
in chunks, so the set-wise rules (hours per day, duplicates, attendance, budgets) see the whole
batch while per-line rules read cheap columns; findings come back in the document's rule order,
and within a rule in the order of the lines.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from lexbill.core.errors import LexbillError
from lexbill.guidelines.chunk import Chunk
from lexbill.guidelines.document import GuidelineDocument, RuleSpec
from lexbill.guidelines.fixes import apply_fixes
from lexbill.guidelines.model import ZERO, CheckContext, Finding, Fix, Line
from lexbill.guidelines.params import CLIENT_WIDE, BillingIncrement, RuleType
from lexbill.guidelines.rules import RULES, DocumentFacts, Found, Rule

CHUNK_SIZE = 4096
_position = itemgetter(0)

AnyRule = Rule[Any]


@dataclass(frozen=True)
class CompiledGuidelines:
    """A document ready to run: its rules compiled, and each overridden matter's rules."""

    document: GuidelineDocument
    rules: tuple[AnyRule, ...]
    by_matter: dict[str, tuple[AnyRule, ...]]
    order: dict[str, int]
    """Rule id → place in the output (the client's rules first, then rules matters add)."""

    def rules_for(self, matter_id: str) -> tuple[AnyRule, ...]:
        return self.by_matter.get(matter_id, self.rules)


def _facts(document: GuidelineDocument) -> DocumentFacts:
    increment = next(
        (
            rule.params.minutes
            for rule in document.rules
            if isinstance(rule.params, BillingIncrement)
        ),
        6,
    )
    return DocumentFacts(currency=document.currency, increment_minutes=increment)


def _compile_rules(specs: Sequence[RuleSpec], facts: DocumentFacts) -> tuple[AnyRule, ...]:
    return tuple(RULES[spec.type](spec, facts) for spec in specs)


@lru_cache(maxsize=64)
def compile_guidelines(document: GuidelineDocument) -> CompiledGuidelines:
    """Compiles once per document (cached): phrase lists into word sets, caps into tables."""
    facts = _facts(document)
    rules = _compile_rules(document.rules, facts)
    compiled = {rule.id: rule for rule in rules}
    order = {rule.id: index for index, rule in enumerate(rules)}
    by_matter: dict[str, tuple[AnyRule, ...]] = {}
    for override in document.matters:
        specs = document.rules_for_matter(override.matter_id)
        base = {rule.id: rule for rule in document.rules}
        by_matter[override.matter_id] = tuple(
            compiled[spec.id] if base.get(spec.id) is spec else _compile_rules([spec], facts)[0]
            for spec in specs
        )
        for spec in specs:
            order.setdefault(spec.id, len(order))
    return CompiledGuidelines(document, rules, by_matter, order)


def _compiled(guidelines: GuidelineDocument | CompiledGuidelines) -> CompiledGuidelines:
    if isinstance(guidelines, CompiledGuidelines):
        return guidelines
    return compile_guidelines(guidelines)


@dataclass(frozen=True)
class CheckResult:
    """Every finding for a batch of lines, in rule order then line order."""

    findings: tuple[Finding, ...]
    lines_checked: int
    currency: str

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings that stop approval until fixed or overridden with a reason."""
        return tuple(f for f in self.findings if f.blocking)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.blocking)

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """Every certain fix, ready for ``apply_fixes``."""
        return tuple(fix for finding in self.findings for fix in finding.fixes)

    @property
    def amount_at_risk(self) -> Decimal:
        """The sum over findings; a line with two findings counts twice, as it can be cut for
        either reason (use ``by_rule`` for figures per rule)."""
        return sum((f.amount_at_risk for f in self.findings), ZERO)

    def by_rule(self) -> dict[str, tuple[int, Decimal]]:
        """Rule id → (findings, amount at risk), for the "learn from it" report."""
        result: dict[str, tuple[int, Decimal]] = {}
        for finding in self.findings:
            count, amount = result.get(finding.rule_id, (0, ZERO))
            result[finding.rule_id] = (count + 1, amount + finding.amount_at_risk)
        return result

    def for_line(self, line_id: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if line_id in f.line_ids)

    def as_dict(self) -> dict[str, object]:
        """The ``--json`` shape of a check."""
        return {
            "lines_checked": self.lines_checked,
            "currency": self.currency,
            "blocking": len(self.blocking),
            "warnings": len(self.warnings),
            "amount_at_risk": f"{self.amount_at_risk:f}",
            "findings": [finding.as_dict() for finding in self.findings],
        }


_PAUSE_FROM = 10_000
_pause_lock = threading.Lock()
_pausers = 0
_paused_by_us = False


@contextmanager
def _collector_paused(lines: int) -> Iterator[None]:
    """Pauses Python's cyclic garbage collector while a large batch is checked.

    Checking allocates millions of short-lived word sets and tuples, and every few thousand
    allocations the collector would walk the caller's whole batch (a million line records) for
    cycles that checking never creates; that walking alone took a third of the time. Reference
    counting still frees everything as usual. Nested and concurrent checks share one pause; the
    collector comes back when the last of them ends, and only if it was on before.
    """
    global _pausers, _paused_by_us
    if lines < _PAUSE_FROM:
        yield
        return
    with _pause_lock:
        if _pausers == 0 and gc.isenabled():
            gc.disable()
            _paused_by_us = True
        _pausers += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausers -= 1
            if _pausers == 0 and _paused_by_us:
                _paused_by_us = False
                gc.enable()


def _scan(
    rules: Sequence[AnyRule],
    lines: Sequence[Line],
    positions: Sequence[int] | None,
    context: CheckContext,
) -> list[Found]:
    """Streams the lines (all of them, or those at ``positions``) through ``rules``: each
    rule's findings with the position of their first line, in line order."""
    if not rules:
        return []
    scans = [rule.begin(context) for rule in rules]
    vocabulary = frozenset().union(*(rule.trigger_words for rule in rules))
    total = len(lines) if positions is None else len(positions)
    for start in range(0, total, CHUNK_SIZE):
        stop = min(start + CHUNK_SIZE, total)
        if positions is None:
            chunk = Chunk(lines[start:stop], range(start, stop), vocabulary)
        else:
            where = positions[start:stop]
            chunk = Chunk([lines[p] for p in where], where, vocabulary)
        for scan in scans:
            scan.scan(chunk)
    founds = [scan.finish(lines) for scan in scans]
    for found in founds:
        found.sort(key=_position)  # per-line rules find in order already: a linear pass
    return founds


def _run(
    rules: Sequence[AnyRule],
    lines: Sequence[Line],
    positions: Sequence[int] | None,
    context: CheckContext,
) -> list[tuple[str, int, Finding]]:
    """``_scan``'s findings as (rule id, position, finding), for sorting across runs."""
    founds = _scan(rules, lines, positions, context)
    return [
        (rule.id, position, finding)
        for rule, found in zip(rules, founds, strict=True)
        for position, finding in found
    ]


def check_lines(
    guidelines: GuidelineDocument | CompiledGuidelines,
    lines: Sequence[Line],
    context: CheckContext | None = None,
) -> CheckResult:
    """Checks a whole batch (a pre-bill, or every unbilled entry of a client) at once.

    Set-wise rules need the whole batch: hours per timekeeper per day count every matter of
    the client (add minutes billed elsewhere through ``CheckContext.other_minutes_by_day``).
    Lines of a matter with overrides are checked with that matter's rules.
    """
    compiled = _compiled(guidelines)
    context = context or CheckContext(currency=compiled.document.currency)
    if context.currency != compiled.document.currency:
        raise LexbillError(
            f"the guideline is in {compiled.document.currency} and the lines in "
            f"{context.currency}; its caps cannot apply",
            field="currency",
        )
    with _collector_paused(len(lines)):
        findings = _findings(compiled, lines, context)
    return CheckResult(findings=findings, lines_checked=len(lines), currency=context.currency)


def _findings(
    compiled: CompiledGuidelines, lines: Sequence[Line], context: CheckContext
) -> tuple[Finding, ...]:
    """Every finding, in rule order then line order.

    Whatever is made on the way is freed on return, while the collector is still paused: its
    first pass after a check walks every object made during the check and still alive (tens
    of milliseconds for 200,000 lines), so no more is kept than the findings.
    """
    if not compiled.by_matter:
        founds = _scan(compiled.rules, lines, None, context)  # already in order
        return tuple(finding for found in founds for _, finding in found)
    results = _run_by_matter(compiled, lines, context)
    order = compiled.order
    results.sort(key=lambda item: (order[item[0]], item[1]))
    return tuple(finding for _, _, finding in results)


def _run_by_matter(
    compiled: CompiledGuidelines, lines: Sequence[Line], context: CheckContext
) -> list[tuple[str, int, Finding]]:
    """Client-wide rules over every line; the others per group of matters sharing rules."""
    client_wide = [rule for rule in compiled.rules if rule.spec.type in CLIENT_WIDE]
    results = _run(client_wide, lines, None, context)
    groups: dict[str, list[int]] = {}
    for position, line in enumerate(lines):
        key = line.matter_id if line.matter_id in compiled.by_matter else ""
        groups.setdefault(key, []).append(position)
    for matter_id, positions in groups.items():
        rules = [r for r in compiled.rules_for(matter_id) if r.spec.type not in CLIENT_WIDE]
        results.extend(_run(rules, lines, positions, context))
    return results


def check_entry(
    guidelines: GuidelineDocument | CompiledGuidelines,
    line: Line,
    context: CheckContext | None = None,
    *,
    types: Collection[RuleType] | None = None,
) -> tuple[Finding, ...]:
    """Checks one entry alone, for warnings on the entry form while it is typed.

    Only rules that can judge an entry by itself run (vague narrative, block billing,
    increment, codes, rate cap…); the set-wise ones (hours per day, duplicates, budgets) wait
    for the pre-bill. ``types`` narrows the rules further. Compiling is cached per document, so
    a call costs tens of microseconds.
    """
    compiled = _compiled(guidelines)
    context = context or CheckContext(currency=compiled.document.currency)
    rules = [
        rule
        for rule in compiled.rules_for(line.matter_id)
        if rule.checks_alone and (types is None or rule.spec.type in types)
    ]
    results = _run(rules, [line], None, context)
    return tuple(finding for _, _, finding in results)


def fix_all(
    guidelines: GuidelineDocument | CompiledGuidelines,
    lines: Sequence[Line],
    context: CheckContext | None = None,
    *,
    rounds: int = 5,
) -> tuple[tuple[Line, ...], tuple[Fix, ...]]:
    """Applies every certain fix, checks again, and repeats until none is left.

    One pass is not always enough: a fix can make another rule bite on the same line (capping
    the rate lowers the value that the travel share is taken from, and a line written down to
    exactly half may then be a cent above half). Each round only lowers amounts or removes
    lines, so it settles in a round or two; this is what "apply all fixes" should call.
    Returns the fixed lines and every fix applied, in order, for the write-down record.
    """
    compiled = _compiled(guidelines)
    currency = (context or CheckContext(currency=compiled.document.currency)).currency
    applied: list[Fix] = []
    current = tuple(lines)
    for _ in range(rounds):
        fixes = check_lines(compiled, current, context).fixes
        if not fixes:
            break
        applied.extend(fixes)
        current = apply_fixes(current, fixes, currency)
    return current, tuple(applied)
