"""The report that learns from the guidelines: findings and amounts at risk by client, by rule and
by timekeeper over a period, with the findings behind each row.

It reads the ``FindingRecord`` rows the checks keep, so a finding counts with the amount at risk
as first found even after a reviewer fixed it, and says how many were fixed, overridden or are
still open. The period is the pre-bill's period end (its ``through`` date), because that is how a
coordinator names a billing cycle: "November's bills" are the pre-bills through a November day,
whenever the run was made or the findings were first seen. Pre-bills later cancelled are left
out: their work comes back on a new pre-bill and is found there again.

Amounts are added per currency only. A line can break two rules (vague *and* block-billed), so a
total here is what the findings put at risk, which can exceed what the lines bill. Counts: by
client and by rule a finding counts once; by timekeeper it counts once for each timekeeper
whose lines it names, with that timekeeper's share of the amount, so the amounts of all three
groupings add up to the same total and only the timekeepers' counts can add up to more.

Every figure is one grouped query (``values().annotate(Sum, Count)``), four for the page.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from lexbill.billing.models import PrebillStatus
from lexbill.compliance.models import FindingOutcome, FindingRecord
from lexbill.core.errors import InvalidEntry
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require

_ZERO = Value(0, output_field=FixedDecimalField(places=2))
GROUPINGS = ("client", "rule", "timekeeper")
NO_TIMEKEEPER = "-"
"""The timekeeper filter's value for findings without one (an invoice-level finding)."""
DRILL_LIMIT = 500


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of ``day``'s month."""
    return day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1])


def default_period(today: date) -> tuple[date, date]:
    """Last month: the billing cycle most recently closed. Its pre-bills run through its last
    day and are made and reviewed in the days after it, so the current month by period end
    would be empty for most of the month."""
    return month_of(today.replace(day=1) - timedelta(days=1))


@dataclass(frozen=True)
class Criteria:
    """The period (pre-bills through ``start``…``end``, both included) and optional filters.

    ``timekeeper_id`` narrows to that timekeeper's share of findings; ``no_timekeeper`` to the
    findings without one. ``currency`` and ``rule_type`` serve the drill-down from a row.
    """

    start: date
    end: date
    client_id: int | None = None
    rule_id: str = ""
    rule_type: str = ""
    timekeeper_id: int | None = None
    no_timekeeper: bool = False
    currency: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidEntry(
                f"the period ends ({self.end}) before it starts ({self.start})", field="end"
            )

    @property
    def per_timekeeper(self) -> bool:
        """Rows are timekeepers' shares, not whole findings."""
        return self.timekeeper_id is not None or self.no_timekeeper


@dataclass(frozen=True)
class ReportRow:
    """One row of a grouping, in one currency."""

    key: str
    """Client number, rule id, timekeeper code ('' for none) or, for totals, the currency."""
    label: str
    """Client name, rule type, timekeeper name."""
    currency: str
    findings: int
    amount_at_risk: Decimal
    open: int
    fixed: int
    overridden: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "currency": self.currency,
            "findings": self.findings,
            "amount_at_risk": str(self.amount_at_risk),
            "open": self.open,
            "fixed": self.fixed,
            "overridden": self.overridden,
        }


@dataclass(frozen=True)
class GuidelineReport:
    criteria: Criteria
    totals: list[ReportRow]
    by_client: list[ReportRow]
    by_rule: list[ReportRow]
    by_timekeeper: list[ReportRow]

    def grouping(self, name: str) -> list[ReportRow]:
        return {
            "client": self.by_client,
            "rule": self.by_rule,
            "timekeeper": self.by_timekeeper,
        }[name]


def records(criteria: Criteria) -> QuerySet[FindingRecord]:
    """The records the report reads: in the period, filtered, without cancelled pre-bills."""
    found = FindingRecord.objects.filter(through__gte=criteria.start, through__lte=criteria.end)
    if criteria.client_id is not None:
        found = found.filter(client_id=criteria.client_id)
    if criteria.rule_id:
        found = found.filter(rule_id=criteria.rule_id)
    if criteria.rule_type:
        found = found.filter(rule_type=criteria.rule_type)
    if criteria.timekeeper_id is not None:
        found = found.filter(timekeeper_id=criteria.timekeeper_id)
    elif criteria.no_timekeeper:
        found = found.filter(timekeeper__isnull=True)
    if criteria.currency:
        found = found.filter(currency=criteria.currency)
    return found.exclude(prebill__status=PrebillStatus.CANCELLED)


def _figures(per_row: bool) -> dict[str, Any]:
    """Counts of findings (each row when rows are timekeepers' shares, else each finding's first
    row) and the amount at risk (every row: the shares add up to the finding)."""
    counted = Q() if per_row else Q(part=1)

    def count(outcome: str | None = None) -> Count:
        condition = counted if outcome is None else counted & Q(outcome=outcome)
        return Count("pk", filter=condition) if condition else Count("pk")

    return {
        "findings": count(),
        "amount": Coalesce(Sum("amount_at_risk"), _ZERO),
        "open_count": count(FindingOutcome.OPEN),
        "fixed_count": count(FindingOutcome.FIXED),
        "overridden_count": count(FindingOutcome.OVERRIDDEN),
    }


def _row(values: Mapping[str, Any], key: str, label: str) -> ReportRow:
    return ReportRow(
        key=key,
        label=label,
        currency=values["currency"],
        findings=values["findings"],
        amount_at_risk=values["amount"],
        open=values["open_count"],
        fixed=values["fixed_count"],
        overridden=values["overridden_count"],
    )


def _name(first: str | None, last: str | None) -> str:
    return " ".join(filter(None, (first, last)))


def guideline_report(actor: User | None, criteria: Criteria) -> GuidelineReport:
    """Totals per currency and the three groupings over the same records."""
    require(actor, Action.VIEW_REPORTS)
    found = records(criteria)
    whole = _figures(criteria.per_timekeeper)
    shares = _figures(True)
    totals = [
        _row(v, v["currency"], "")
        for v in found.values("currency").annotate(**whole).order_by("currency")
    ]
    by_client = [
        _row(v, v["client__number"], v["client__name"])
        for v in found.values("client_id", "client__number", "client__name", "currency")
        .annotate(**whole)
        .order_by("client__number", "currency")
    ]
    by_rule = [
        _row(v, v["rule_id"], v["rule_type"])
        for v in found.values("rule_id", "rule_type", "currency")
        .annotate(**whole)
        .order_by("rule_id", "rule_type", "currency")
    ]
    by_timekeeper = [
        _row(
            v,
            v["timekeeper__code"] or "",
            _name(v["timekeeper__first_name"], v["timekeeper__last_name"]) or "no timekeeper",
        )
        for v in found.values(
            "timekeeper_id",
            "timekeeper__code",
            "timekeeper__first_name",
            "timekeeper__last_name",
            "currency",
        )
        .annotate(**shares)
        .order_by("timekeeper__code", "currency")
    ]
    return GuidelineReport(criteria, totals, by_client, by_rule, by_timekeeper)


@dataclass(frozen=True)
class FindingRow:
    """One finding behind a report row (or a timekeeper's share of it, when filtered so)."""

    prebill_id: int
    through: date
    client_number: str
    client_name: str
    matter_number: str
    rule_id: str
    rule_type: str
    severity: str
    message: str
    line_key: str
    currency: str
    amount_at_risk: Decimal
    outcome: str
    first_found_at: datetime
    timekeepers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "prebill": self.prebill_id,
            "through": self.through.isoformat(),
            "client": self.client_number,
            "matter": self.matter_number,
            "rule": self.rule_id,
            "type": self.rule_type,
            "severity": self.severity,
            "message": self.message,
            "lines": [i for i in self.line_key.split(",") if i],
            "timekeepers": self.timekeepers,
            "currency": self.currency,
            "amount_at_risk": str(self.amount_at_risk),
            "outcome": self.outcome,
            "first_found_at": self.first_found_at.isoformat(),
        }


def report_findings(
    actor: User | None, criteria: Criteria, limit: int = DRILL_LIMIT
) -> tuple[list[FindingRow], int]:
    """The findings behind a row, newest period first, at most ``limit``; and how many in all.

    A finding over several timekeepers is one row with its whole amount (the sum of its
    shares), unless the criteria name a timekeeper: then it is that timekeeper's share, so the
    list adds up to the row it was opened from.
    """
    require(actor, Action.VIEW_REPORTS)
    found = records(criteria)
    identity = ("prebill_id", "rule_id", "line_key_hash")
    grouped = (
        found.values(
            *identity,
            "through",
            "client__number",
            "client__name",
            "matter__number",
            "rule_type",
            "severity",
            "message",
            "line_key",
            "currency",
            "outcome",
            "first_found_at",
        )
        .annotate(amount=Sum("amount_at_risk"))
        .order_by("-through", "client__number", "matter__number", "prebill_id", "rule_id")
    )
    total = found.filter(Q() if criteria.per_timekeeper else Q(part=1)).count()
    shown = list(grouped[:limit])
    keepers: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    if shown:
        for values in (
            FindingRecord.objects.filter(prebill_id__in={v["prebill_id"] for v in shown})
            .exclude(timekeeper__isnull=True)
            .values(*identity, "timekeeper__code")
            .order_by("part")
        ):
            keepers[tuple(values[k] for k in identity)].append(values["timekeeper__code"])
    rows = [
        FindingRow(
            prebill_id=v["prebill_id"],
            through=v["through"],
            client_number=v["client__number"],
            client_name=v["client__name"],
            matter_number=v["matter__number"],
            rule_id=v["rule_id"],
            rule_type=v["rule_type"],
            severity=v["severity"],
            message=v["message"],
            line_key=v["line_key"],
            currency=v["currency"],
            amount_at_risk=v["amount"],
            outcome=v["outcome"],
            first_found_at=v["first_found_at"],
            timekeepers=keepers.get(tuple(v[k] for k in identity), []),
        )
        for v in shown
    ]
    return rows, total
