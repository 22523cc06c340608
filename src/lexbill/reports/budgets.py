"""Matter budgets against what has been billed so far, and the alerts when a budget runs out.

Actual = line totals of final invoices issued up to the report's day (before tax, no-charge
lines excluded) less per-line credits on those lines; for the whole-matter budget, less every
credit note (as the matter page's budget box counts it). A phase budget (L200) counts the
lines whose task code belongs to it, and a task-code budget (L210) its own lines, by the same
rule the guideline engine uses (clients.selectors.budget_key). Unbilled work in progress
(billable time dated up to the day and not yet on a pre-bill, as the dashboard counts it) is
shown beside it in hours: entries carry no priced value, and pricing a million entries would
mean evaluating the rate tables per entry.

Every figure is a grouped query, by matter (by matter and task code where phases are budgeted);
the firm's thresholds (``Firm.budget_alert_percents``) say which have been crossed. The alerts
(matter page, dashboard) need only the billed figures and skip the WIP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from lexbill.billing.models import CreditNote, CreditNoteLine, InvoiceLine
from lexbill.clients.models import Matter, MatterBudget
from lexbill.clients.selectors import budget_key
from lexbill.core.budget_thresholds import highest_crossed, parse_alert_percents
from lexbill.core.errors import LexbillError
from lexbill.entries.models import Billable, BillingState, TimeEntry
from lexbill.formats.spreadsheet import Column
from lexbill.reports.filters import matter_q
from lexbill.reports.framework import (
    Chart,
    Dataset,
    Figure,
    Report,
    ReportRequest,
    ReportSpec,
    T,
    Table,
    percent,
)
from lexbill.reports.registry import register

NAME = "budgets"
WHOLE = "Whole matter"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BudgetUse:
    matter_id: int
    matter: str
    matter_name: str
    client: str
    currency: str
    phase: str  # '' = the whole matter
    budget: Decimal
    actual: Decimal
    wip_hours: Decimal
    used: Decimal | None  # percent of the budget billed
    threshold: Decimal | None  # the highest alert threshold crossed

    @property
    def phase_label(self) -> str:
        return self.phase or WHOLE

    @property
    def threshold_label(self) -> str:
        return "" if self.threshold is None else f"{self.threshold.normalize():f} %"


def firm_thresholds() -> tuple[Decimal, ...]:
    from lexbill.firm.services import get_firm

    return parse_alert_percents(get_firm().budget_alert_percents)


def budget_use(on: date, matters: Q | None = None, *, wip: bool = True) -> list[BudgetUse]:
    """Every budget of the matters ``matters`` selects (all if None), as billed up to ``on``;
    ``wip=False`` leaves the unbilled hours at zero (the alerts do not show them)."""
    thresholds = firm_thresholds()
    chosen = MatterBudget.objects.filter(matters or Q()).order_by()
    budgets = list(
        chosen.order_by("matter__number", "phase").values(
            "matter_id",
            "matter__number",
            "matter__name",
            "matter__client__name",
            "matter__currency",
            "phase",
            "amount",
        )
    )
    if not budgets:
        return []
    phases: dict[int, set[str]] = {}
    for b in budgets:
        if b["phase"]:
            phases.setdefault(b["matter_id"], set()).add(b["phase"])
    # Subqueries, not lists of ids: a firm can budget tens of thousands of matters.
    whole_ids = chosen.filter(phase="").values("matter_id")
    phase_ids = chosen.exclude(phase="").values("matter_id")
    lines = InvoiceLine.objects.filter(invoice__issued_on__lte=on, no_charge=False).order_by()
    credit_lines = CreditNoteLine.objects.filter(credit_note__issued_on__lte=on).order_by()
    # unbilled billable work, as the dashboard counts it, read from its covering index
    work = TimeEntry.objects.filter(
        state=BillingState.UNBILLED, work_date__lte=on, billable=Billable.BILLABLE
    ).order_by()
    billed = _by_matter(
        lines.filter(invoice__matter_id__in=whole_ids)
        .values_list("invoice__matter_id")
        .annotate(s=Sum("total"))
    )
    credited = _by_matter(
        CreditNote.objects.filter(invoice__matter_id__in=whole_ids, issued_on__lte=on)
        .order_by()
        .values_list("invoice__matter_id")
        .annotate(s=Sum("amount"))
    )
    # every matter's WIP from the index alone (no join to the budgets, which would make SQLite
    # read each budgeted matter's entries from the table); the budgeted ones are picked here
    hours = (
        _by_matter(work.values_list("matter_id").annotate(s=Sum("billed_minutes"))) if wip else {}
    )
    billed.update(
        _by_phase(
            phases,
            lines.filter(invoice__matter_id__in=phase_ids)
            .exclude(task_code="")
            .values_list("invoice__matter_id", "task_code")
            .annotate(s=Sum("total")),
        )
    )
    credited.update(
        _by_phase(
            phases,
            credit_lines.filter(credit_note__invoice__matter_id__in=phase_ids)
            .exclude(invoice_line__task_code="")
            .values_list("credit_note__invoice__matter_id", "invoice_line__task_code")
            .annotate(s=Sum("amount")),
        )
    )
    if wip:
        hours.update(
            _by_phase(
                phases,
                work.filter(matter_id__in=phase_ids)
                .exclude(task_code="")
                .values_list("matter_id", "task_code")
                .annotate(s=Sum("billed_minutes")),
            )
        )
    out = []
    for b in budgets:
        key = (b["matter_id"], b["phase"])
        # money sums come back as the stored scaled integers (cents): no per-row converters
        actual = Decimal(billed.get(key, 0) - credited.get(key, 0)).scaleb(-2)
        used = percent(actual, b["amount"])
        out.append(
            BudgetUse(
                matter_id=b["matter_id"],
                matter=b["matter__number"],
                matter_name=b["matter__name"],
                client=b["matter__client__name"],
                currency=b["matter__currency"],
                phase=b["phase"],
                budget=b["amount"],
                actual=actual,
                wip_hours=(Decimal(hours.get(key, 0)) / 60).quantize(Decimal("0.01")),
                used=used,
                threshold=highest_crossed(used, thresholds),
            )
        )
    return out


def _raw(grouped: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A grouped query's rows as plain tuples, without the ORM's per-value converters (a third
    of the report's time over a big firm, as on the dashboard's WIP table)."""
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _by_matter(grouped: QuerySet[Any]) -> dict[tuple[int, str], int]:
    """(matter id, sum) rows → {(matter, ''): sum}: the whole-matter budget's figure."""
    return {(matter_id, ""): int(total or 0) for matter_id, total in _raw(grouped)}


def _by_phase(phases: dict[int, set[str]], grouped: QuerySet[Any]) -> dict[tuple[int, str], int]:
    """(matter id, task code, sum) rows → {(matter, budget key): sum}, the key chosen as the
    guideline engine chooses it (clients.selectors.budget_key)."""
    sums: dict[tuple[int, str], int] = {}
    for matter_id, task_code, total in _raw(grouped):
        budgeted = phases.get(matter_id)
        if not budgeted:
            continue
        key = budget_key(task_code, budgeted)
        if key in budgeted:
            sums[(matter_id, key)] = sums.get((matter_id, key), 0) + int(total or 0)
    return sums


def budget_alerts(matters: Iterable[Matter] | None = None) -> list[BudgetUse]:
    """The budgets (whole matters and phases) billed past a firm threshold today, most used
    first; ``matters`` narrows them (a matter page passes its own)."""
    q = None if matters is None else Q(matter__in=[m.pk for m in matters])
    uses = budget_use(timezone.localdate(), q, wip=False)
    alerts = [u for u in uses if u.threshold is not None]
    return sorted(alerts, key=lambda u: (-(u.used or 0), u.matter, u.phase))


def build(request: ReportRequest) -> Report:
    request = replace(request, group_by="")
    if request.filters.timekeepers:
        raise LexbillError("budgets belong to matters: the timekeeper filter does not apply")
    uses = budget_use(request.on, matter_q(request.filters, "matter"))
    rows: list[dict[str, Any]] = [
        {
            "matter": u.matter,
            "name": f"{u.matter_name} ({u.client})",
            "phase": u.phase_label,
            "currency": u.currency,
            "budget": u.budget,
            "actual": u.actual,
            "remaining": u.budget - u.actual,
            "used": u.used,
            "threshold": u.threshold_label,
            "wip_hours": u.wip_hours,
        }
        for u in uses
    ]
    totals: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = totals.setdefault(
            r["currency"],
            {"matter": "", "currency": r["currency"], "budget": ZERO, "actual": ZERO},
        )
        if r["phase"] == WHOLE:  # phases are parts of a matter: only whole budgets add up
            t["budget"] += r["budget"]
            t["actual"] += r["actual"]
    for t in totals.values():
        t["remaining"] = t["budget"] - t["actual"]
        t["used"] = percent(t["actual"], t["budget"])
    table = Table(
        key="budgets",
        title="Budgets against billed",
        columns=[
            Column("matter", "Matter"),
            Column("name", "Name"),
            Column("phase", "Budget for"),
            Column("currency", "Currency"),
            Column("budget", "Budget", T.MONEY),
            Column("actual", "Billed", T.MONEY),
            Column("remaining", "Remaining", T.MONEY),
            Column("used", "Used", T.PERCENT),
            Column("threshold", "Alert"),
            Column("wip_hours", "Unbilled WIP (hours)", T.DECIMAL),
        ],
        rows=rows,
        totals=list(totals.values()),
    )
    over = [u for u in uses if u.threshold is not None]
    figures = [
        Figure("budgets", "Budgets", len(uses), T.INTEGER),
        Figure("alerts", "Over an alert threshold", len(over), T.INTEGER),
    ]
    return Report(
        name=NAME,
        title="Matter budgets",
        request=request,
        tables=[table],
        figures=figures,
        charts=_chart(uses),
        notes=[
            f"Billed up to {request.on}: final invoice lines before tax, less per-line credits "
            "(the whole-matter row less every credit note). Totals add whole-matter budgets "
            "only; phases are parts of them. Unbilled WIP: billable time in hours not yet on "
            "a pre-bill.",
            "Alerts: the firm's thresholds (Firm settings, budget alert percents).",
        ],
    )


def _chart(uses: list[BudgetUse]) -> list[Chart]:
    whole = [u for u in uses if not u.phase]
    if not whole:
        return []
    currency = max(
        {u.currency for u in whole}, key=lambda c: sum(u.budget for u in whole if u.currency == c)
    )
    top = sorted((u for u in whole if u.currency == currency), key=lambda u: -u.budget)[:20]
    return [
        Chart(
            key="budget-vs-billed",
            title=f"Budget and billed per matter ({currency})",
            kind="bar",
            labels=[u.matter for u in top],
            datasets=[
                Dataset("Budget", [u.budget for u in top]),
                Dataset("Billed", [u.actual for u in top]),
            ],
            horizontal=True,
            unit=currency,
        )
    ]


SPEC = register(
    ReportSpec(
        name=NAME,
        title="Matter budgets",
        description="Each matter and phase budget against what has been billed so far, with "
        "unbilled work in progress and the alert thresholds crossed.",
        build=build,
        groupings=(),
        point_in_time=True,
    )
)
