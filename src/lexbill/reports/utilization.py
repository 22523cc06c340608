"""Utilization: each timekeeper's billable hours against their billable-hour target.

Hours are the billed minutes (after the billing increment) of time entries worked in the
period. ``Timekeeper.billable_target_hours`` is annual; a period's target is the annual target
× the period's days ÷ 365 (a quarter of 90 days expects 90/365 of the year). Utilization is
billable hours ÷ that prorated target, computed from the exact fraction and rounded once.
Everything is summed in one grouped query per timekeeper.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce

from lexbill.entries.models import Billable, TimeEntry
from lexbill.firm.models import Classification, Timekeeper
from lexbill.formats.spreadsheet import Column
from lexbill.reports.filters import matter_q, timekeeper_q
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

NAME = "utilization"
GROUPINGS: tuple[tuple[str, str], ...] = (
    ("timekeeper", "Timekeeper"),
    ("classification", "Classification"),
)
_HUNDREDTH = Decimal("0.01")
_KINDS = {
    "billable": Billable.BILLABLE,
    "no_charge": Billable.NO_CHARGE,
    "non_billable": Billable.NON_BILLABLE,
}


def _hours(minutes: int | Decimal) -> Decimal:
    return (Decimal(minutes) / 60).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def _minutes_by_timekeeper(request: ReportRequest) -> dict[int, dict[str, int]]:
    p, filters = request.period, request.filters
    sums = {
        f"{k}_": Coalesce(Sum("billed_minutes", filter=Q(billable=v)), Value(0))
        for k, v in _KINDS.items()
    }
    rows: Any = (
        TimeEntry.objects.filter(
            matter_q(filters, "matter"),
            timekeeper_q(filters, "timekeeper__code"),
            work_date__gte=p.start,
            work_date__lte=p.end,
        )
        .order_by()
        .values("timekeeper_id")
        .annotate(**sums)
    )
    return {r["timekeeper_id"]: {k: int(r[f"{k}_"]) for k in _KINDS} for r in rows}


def _blank(key: str, name: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "billable_m": 0,
        "no_charge_m": 0,
        "non_billable_m": 0,
        "targeted_m": 0,  # billable minutes of timekeepers who have a target
        "target_annual": 0,
        "people": 0,
    }


def _finish(row: dict[str, Any], days: int) -> dict[str, Any]:
    total = row["billable_m"] + row["no_charge_m"] + row["non_billable_m"]
    row["billable"] = _hours(row["billable_m"])
    row["no_charge"] = _hours(row["no_charge_m"])
    row["non_billable"] = _hours(row["non_billable_m"])
    row["total"] = _hours(total)
    has_target = bool(row["target_annual"])
    # prorated target in hours = annual × days / 365; compared in minutes to stay exact
    row["target"] = (
        (Decimal(row["target_annual"] * days) / 365).quantize(_HUNDREDTH, ROUND_HALF_UP)
        if has_target
        else None
    )
    row["utilization"] = (
        percent(row["targeted_m"] * 365, row["target_annual"] * days * 60) if has_target else None
    )
    row["billable_share"] = percent(row["billable_m"], total)
    return row


def build(request: ReportRequest) -> Report:
    if not request.group_by:
        request = replace(request, group_by=GROUPINGS[0][0])
    by = request.group_by
    days = (request.period.end - request.period.start).days + 1
    minutes = _minutes_by_timekeeper(request)
    people = Timekeeper.objects.filter(
        Q(pk__in=minutes.keys())
        | (
            Q(active=True, billable_target_hours__isnull=False)
            & timekeeper_q(request.filters, "code")
        )
    )
    if not request.filters.timekeepers and not request.filters.empty:
        # narrowed to clients or matters: only the people who worked on them
        people = people.filter(pk__in=minutes.keys())
    rows: dict[str, dict[str, Any]] = {}
    labels = dict(Classification.choices)
    for tk in people.order_by("code"):
        if by == "timekeeper":
            row = rows.setdefault(tk.code, _blank(tk.code, tk.name))
        else:
            row = rows.setdefault(
                tk.classification, _blank(tk.classification, str(labels.get(tk.classification, "")))
            )
        got = minutes.get(tk.pk, dict.fromkeys(_KINDS, 0))
        for k in _KINDS:
            row[f"{k}_m"] += got[k]
        row["people"] += 1
        if tk.billable_target_hours:
            row["target_annual"] += tk.billable_target_hours
            row["targeted_m"] += got["billable"]
    ordered = sorted(
        (_finish(r, days) for r in rows.values()), key=lambda r: (-r["billable_m"], r["key"])
    )
    total = _blank("", "")
    for r in ordered:
        for k in (
            "billable_m",
            "no_charge_m",
            "non_billable_m",
            "targeted_m",
            "target_annual",
            "people",
        ):
            total[k] += r[k]
    _finish(total, days)
    title = dict(GROUPINGS)[by]
    columns = [
        Column("key", title),
        Column("name", "Name"),
        Column("billable", "Billable hours", T.DECIMAL),
        Column("no_charge", "No-charge hours", T.DECIMAL),
        Column("non_billable", "Non-billable hours", T.DECIMAL),
        Column("total", "Total hours", T.DECIMAL),
        Column("billable_share", "Billable % of hours", T.PERCENT),
        Column("target", "Target for the period", T.DECIMAL),
        Column("utilization", "Utilization %", T.PERCENT),
    ]
    if by == "classification":
        columns.insert(2, Column("people", "Timekeepers", T.INTEGER))
    table = Table(
        key="utilization",
        title=f"Utilization by {title.lower()}",
        columns=columns,
        rows=ordered,
        totals=[total],
    )
    figures = [
        Figure("billable", "Billable hours", total["billable"], T.DECIMAL),
        Figure("total", "Total hours", total["total"], T.DECIMAL),
        Figure("target", "Target for the period", total["target"], T.DECIMAL),
        Figure("utilization", "Utilization", total["utilization"], T.PERCENT),
    ]
    return Report(
        name=NAME,
        title="Utilization",
        request=request,
        tables=[table],
        figures=figures,
        charts=_charts(ordered),
        notes=[
            f"Hours are billed minutes of time entries worked in the period ({days} days). "
            "Targets are annual billable hours prorated by the period's days ÷ 365; "
            "utilization = billable hours ÷ prorated target (timekeepers without a target have "
            "none, and their hours are left out of a group's utilization).",
        ],
    )


def _charts(rows: list[dict[str, Any]]) -> list[Chart]:
    top = rows[:20]
    if not top:
        return []
    labels = [str(r["key"]) for r in top]
    return [
        Chart(
            key="target",
            title="Billable hours against target",
            kind="bar",
            labels=labels,
            datasets=[
                Dataset("Billable hours", [r["billable"] for r in top]),
                Dataset("Target", [r["target"] for r in top]),
            ],
            unit="hours",
        ),
        Chart(
            key="utilization",
            title="Utilization %",
            kind="bar",
            labels=labels,
            datasets=[Dataset("Utilization", [r["utilization"] for r in top])],
            unit="%",
        ),
    ]


SPEC = register(
    ReportSpec(
        name=NAME,
        title="Utilization",
        description="Billable, no-charge and non-billable hours against each timekeeper's "
        "billable-hour target, prorated to the period.",
        build=build,
        groupings=GROUPINGS,
    )
)
