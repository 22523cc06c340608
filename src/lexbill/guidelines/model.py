"""What the engine reads (lines and their context) and what it returns (findings and fixes).

The Django side fills these from time entries, expenses or pre-bill lines and from the matter;
nothing here knows about models. Amounts, rates and unit costs are ``Decimal`` (never float);
billed time is whole minutes, as the rest of Lexbill stores it, so a 1/60-hour increment has no
hidden rounding. Ids are strings so time entries, expenses and pre-bill lines (and LEDES line
numbers) share one shape; the caller maps them back.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from lexbill.core.increments import minutes_to_hours

ZERO = Decimal(0)


class LineKind(StrEnum):
    TIME = "time"
    EXPENSE = "expense"


class Severity(StrEnum):
    """What a finding does to the pre-bill: a ``block`` must be fixed or overridden first."""

    BLOCK = "block"
    WARN = "warn"


@dataclass(frozen=True, slots=True)
class Line:
    """One time entry, expense or pre-bill line, as the client's e-billing system will see it.

    ``amount`` is what is billed for the line now, after any write-down already on it; for time
    the line's value is ``minutes`` at ``rate`` and for an expense ``quantity`` × ``unit_cost``,
    so a write-down shows as ``amount`` below the value. Rules compare the fields a client's
    system compares (the rate, the minutes, the codes, the words), and fixes only ever lower
    ``amount``.
    """

    id: str
    kind: LineKind
    matter_id: str
    work_date: datetime.date
    amount: Decimal
    timekeeper_id: str = ""
    classification: str = ""
    """The firm's title or the LEDES code (partner, PARTNR…); compared ignoring case."""
    minutes: int = 0
    """Billed minutes of a time line (0.1 h is 6)."""
    rate: Decimal = ZERO
    narrative: str = ""
    task_code: str = ""
    activity_code: str = ""
    expense_code: str = ""
    quantity: Decimal = ZERO
    """Units of an expense: pages, nights, miles."""
    unit_cost: Decimal = ZERO
    entered_on: datetime.date | None = None
    """When the time was recorded; ``None`` when unknown (the late-entry rule then says nothing)."""
    travel: bool | None = None
    """Whether a time line is travel; ``None`` lets the travel rules decide from the activity
    code and the narrative."""
    receipt: bool = False
    """A receipt is attached to the expense."""
    persons: int = 1
    """How many people an expense covers (a meal for four)."""
    travel_class: str = ""
    """Fare class of an airfare or rail expense: economy, premium, business, first."""
    event_id: str = ""
    """The meeting, hearing or deposition the line belongs to, when the firm records it; without
    it, attendance is grouped by matter, date and the kind of event named in the narrative."""

    @property
    def hours(self) -> Decimal:
        return minutes_to_hours(self.minutes)


@dataclass(frozen=True, slots=True)
class RateIncrease:
    """A timekeeper's rate rise as the client was told of it; the rate-increase rule needs it."""

    timekeeper_id: str
    previous_rate: Decimal
    new_rate: Decimal
    effective_from: datetime.date
    notice_given_on: datetime.date | None = None
    """``None``: the client was never told."""


@dataclass(frozen=True, slots=True)
class MatterFacts:
    """What the budget and code rules need to know about a matter beyond its lines."""

    code_set: str = ""
    """The matter's UTBMS task code set (litigation, counseling, project, bankruptcy); blank
    accepts the sets the guideline allows."""
    budget: Decimal | None = None
    billed_to_date: Decimal = ZERO
    """Fees and expenses billed on earlier invoices, not counting the lines being checked."""
    phase_budgets: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    """Budget per UTBMS phase (L100, L200…) or per task code."""
    phase_billed_to_date: Mapping[str, Decimal] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything around the lines that some rules need; every part may be left out.

    A rule whose facts are missing says nothing rather than guessing (no invoice date, no
    late-invoice finding; no approved list, no unapproved-timekeeper finding).
    """

    currency: str = "USD"
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    invoice_date: datetime.date | None = None
    matters: Mapping[str, MatterFacts] = field(default_factory=lambda: MappingProxyType({}))
    approved_timekeepers: frozenset[str] | None = None
    """Timekeepers the client approved (added to any listed in the guideline itself)."""
    rate_increases: tuple[RateIncrease, ...] = ()
    other_minutes_by_day: Mapping[tuple[str, datetime.date], int] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Minutes a timekeeper billed the same client on a day outside the lines being checked
    (other matters, other pre-bills), keyed by (timekeeper id, date): the daily cap counts
    every matter of the client."""


class FixKind(StrEnum):
    ROUND_TO_INCREMENT = "round_to_increment"
    CAP_RATE = "cap_rate"
    CUT_TRAVEL = "cut_travel"
    CAP_TRAVEL_HOURS = "cap_travel_hours"
    CAP_EXPENSE = "cap_expense"
    REMOVE = "remove"
    SPLIT = "split"


@dataclass(frozen=True, slots=True)
class Fix:
    """A change whose outcome is certain, shown as a write-down with its rule as the reason.

    ``new_amount`` and ``adjustment`` (``new_amount - old_amount``, never positive) are this fix
    alone applied to the line as checked. The constraint fields say what the fix does, so that
    ``apply_fixes`` can combine several fixes on one line (a capped rate *and* travel at half)
    without any of them undoing another. A split proposes ``proposed_lines`` for the user to
    confirm instead of the line.
    """

    rule_id: str
    line_id: str
    kind: FixKind
    reason: str
    old_amount: Decimal
    new_amount: Decimal
    adjustment: Decimal
    minutes_at_most: int | None = None
    minutes_multiple_of: int | None = None
    rate_at_most: Decimal | None = None
    unit_cost_at_most: Decimal | None = None
    value_share: Decimal | None = None
    """Fraction of the line's value that may be billed (0.5 for travel at half)."""
    amount_at_most: Decimal | None = None
    split_narratives: tuple[str, ...] = ()
    split_increment: int = 0
    proposed_lines: tuple[Line, ...] = ()

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "rule": self.rule_id,
            "line": self.line_id,
            "kind": self.kind.value,
            "reason": self.reason,
            "old_amount": f"{self.old_amount:f}",
            "new_amount": f"{self.new_amount:f}",
            "adjustment": f"{self.adjustment:f}",
        }
        if self.proposed_lines:
            data["proposed_lines"] = [
                {
                    "id": line.id,
                    "minutes": line.minutes,
                    "amount": f"{line.amount:f}",
                    "narrative": line.narrative,
                }
                for line in self.proposed_lines
            ]
        return data


@dataclass(frozen=True, slots=True)
class Finding:
    """One way the lines break one rule.

    ``line_ids`` is empty for an invoice-level finding (a late invoice). ``amount_at_risk`` is
    what the client's system would cut or reject, rounded to the currency; findings can overlap
    (one line may be vague and late), so their amounts are not meant to be added blindly.
    """

    rule_id: str
    rule_type: str
    severity: Severity
    line_ids: tuple[str, ...]
    message: str
    amount_at_risk: Decimal
    fixes: tuple[Fix, ...] = ()

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.BLOCK

    def as_dict(self) -> dict[str, object]:
        """The ``--json`` shape: rule, type, lines, severity, message, amount at risk, fixes."""
        return {
            "rule": self.rule_id,
            "type": self.rule_type,
            "lines": list(self.line_ids),
            "severity": self.severity.value,
            "message": self.message,
            "amount_at_risk": f"{self.amount_at_risk:f}",
            "fixes": [fix.as_dict() for fix in self.fixes],
        }
