"""What every compiled rule shares: its identity, how it reports, and how it is run.

A rule is compiled once per document (phrases into word sets, caps into dicts) and then run over
the lines chunk by chunk. A per-line rule looks at each line alone, so it also serves the entry
form; a set-wise rule (daily hours, duplicates, attendance, budgets) gathers across chunks and
reports in ``finish``, where it may look back at any line by position.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar, cast

from lexbill.core.increments import format_hours
from lexbill.guidelines.chunk import Chunk
from lexbill.guidelines.document import RuleSpec
from lexbill.guidelines.model import CheckContext, Finding, Fix, FixKind, Line
from lexbill.guidelines.params import RuleParams, RuleType

P = TypeVar("P", bound=RuleParams)

Found = list[tuple[int, Finding]]
"""Findings with the position of their first line, so the engine can sort them into order."""


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What a rule may know about the rest of its document when it is compiled."""

    currency: str
    increment_minutes: int
    """The billing increment of the document (6 when it has none), for splitting entries."""


class Scan:
    """One run of a rule over one set of lines."""

    def scan(self, chunk: Chunk) -> None:
        raise NotImplementedError

    def finish(self, lines: Sequence[Line]) -> Found:
        raise NotImplementedError


class Rule(Generic[P]):
    type: ClassVar[RuleType]
    per_line: ClassVar[bool] = True
    """Looks at one line at a time: usable on the entry form."""

    def __init__(self, spec: RuleSpec, facts: DocumentFacts) -> None:
        self.spec = spec
        self.id = spec.id
        self.params = cast(P, spec.params)
        self.currency = facts.currency
        self.facts = facts
        self._type_name = spec.type.value
        self._severity = spec.severity
        source = f", {spec.source}" if spec.source else ""
        self.reason = f"guideline rule {spec.id!r}{source}"
        self.setup()

    def setup(self) -> None:
        """Compiles the parameters (phrase sets, lookup tables); runs once per document."""

    @property
    def trigger_words(self) -> frozenset[str]:
        """Every word this rule's tests of a narrative's words read (``Chunk.time_rows_where``
        and the like). The engine gathers them over the rules of a check into the chunks'
        ``vocabulary``, by which narratives are grouped so that such a test runs once per
        group; a test reading a word left out is still exact, only run row by row."""
        return frozenset()

    @property
    def checks_alone(self) -> bool:
        return self.per_line

    def begin(self, context: CheckContext) -> Scan:
        return _LineScan(self, context)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        raise NotImplementedError

    def finding(
        self,
        line_ids: tuple[str, ...],
        message: str,
        amount_at_risk: Decimal,
        fixes: tuple[Fix, ...] = (),
    ) -> Finding:
        return Finding(
            rule_id=self.id,
            rule_type=self._type_name,
            severity=self._severity,
            line_ids=line_ids,
            message=message,
            amount_at_risk=amount_at_risk,
            fixes=fixes,
        )

    def fix(
        self, line: Line, kind: FixKind, new_amount: Decimal, what: str, **change: object
    ) -> Fix:
        """A fix whose reason names this rule: "cap the rate at 450.00 (guideline rule …)"."""
        new_amount = min(new_amount, line.amount)
        return Fix(
            rule_id=self.id,
            line_id=line.id,
            kind=kind,
            reason=f"{what} ({self.reason})",
            old_amount=line.amount,
            new_amount=new_amount,
            adjustment=new_amount - line.amount,
            **change,  # type: ignore[arg-type]
        )

    def money(self, amount: Decimal) -> str:
        return f"{self.currency} {amount:,.2f}"


class _LineScan(Scan):
    def __init__(self, rule: Rule[Any], context: CheckContext) -> None:
        self.rule = rule
        self.context = context
        self.found: Found = []

    def scan(self, chunk: Chunk) -> None:
        self.rule.check(chunk, self.context, self.found)

    def finish(self, lines: Sequence[Line]) -> Found:
        return self.found


class NoScan(Scan):
    """A rule whose facts are missing from the context says nothing."""

    def scan(self, chunk: Chunk) -> None:
        return None

    def finish(self, lines: Sequence[Line]) -> Found:
        return []


def hours(minutes: int) -> str:
    """Hours as a reviewer writes them: 1.5, 0.25, 2."""
    text = format_hours(minutes, 2)
    return text.rstrip("0").rstrip(".") if "." in text else text


def a_or_an(noun: str) -> str:
    """ "a partner", "an associate": messages are read by people."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def day(value: datetime.date) -> str:
    return value.isoformat()


def increment_label(minutes: int) -> str:
    labels = {6: "0.1-hour", 15: "0.25-hour", 30: "0.5-hour", 60: "1-hour", 1: "1-minute"}
    return labels.get(minutes, f"{minutes}-minute")


def minutes_bound(hours_value: Decimal) -> Decimal | int:
    """An hours parameter as minutes; an int when whole, so comparisons stay on ints."""
    value = hours_value * 60
    return int(value) if value == value.to_integral_value() else value
