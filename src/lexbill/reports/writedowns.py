"""Write-downs and write-offs: what the firm gave up in a period, by reason and by who.

Each way of giving money up is its own column, so a reviewer's write-down is never confused
with a bad debt: line write-downs at review (negative adjustments on lines of invoices issued
in the period), no-charge lines (their amount), fee adjustments that lower the bill (caps,
discounts), credit notes issued in the period, and write-offs and discounts dated in the
period. Write-ups (positive adjustments, and flat-fee top-ups above the time's value) have their
own column and are not netted into "forgone".

Every source is one grouped query by (matter, timekeeper, reason, currency): only adjusted lines,
credits and write-offs are read, never the time entries, and the groupings and charts are sums
of those few groups. Per-line credits are put on the timekeeper of the line they credit; whole
credit notes and write-offs have no timekeeper (the "—" row), and the timekeeper filter leaves
them out. Reason labels come from the firm's adjustment reasons where the text is a code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce

from lexbill.billing.models import CreditNote, CreditNoteLine, InvoiceLine, LineKind
from lexbill.clients.models import Matter
from lexbill.fields import FixedDecimalField
from lexbill.formats.spreadsheet import Column
from lexbill.receivables.models import AdjustmentKind, AdjustmentReason, WriteOff
from lexbill.reports.filters import (
    NO_TIMEKEEPER,
    fill_timekeeper_names,
    label_of,
    matter_q,
    timekeeper_q,
)
from lexbill.reports.framework import (
    Chart,
    Dataset,
    Figure,
    Report,
    ReportRequest,
    ReportSpec,
    T,
    Table,
    totals_by_currency,
)
from lexbill.reports.registry import register

NAME = "write-downs"
KINDS: tuple[tuple[str, str], ...] = (
    ("write_downs", "Line write-downs"),
    ("no_charge", "No charge"),
    ("fee_adjustments", "Fee adjustments"),
    ("credits", "Credit notes"),
    ("write_offs", "Write-offs"),
    ("discounts", "Discounts"),
)
FORGONE = tuple(k for k, _ in KINDS)
MONEY_KEYS = (*FORGONE, "forgone", "write_ups")
GROUPINGS: tuple[tuple[str, str], ...] = (
    ("reason", "Reason"),
    ("timekeeper", "Timekeeper"),
    ("client", "Client"),
    ("matter", "Matter"),
    ("attorney", "Responsible attorney"),
)
_MONEY = FixedDecimalField(places=2)
_ZERO = Value(0, output_field=_MONEY)


@dataclass(frozen=True)
class Fact:
    """One grouped sum: what one kind of adjustment gave up for a matter/timekeeper/reason."""

    matter_id: int
    timekeeper: str
    timekeeper_name: str
    reason: str
    currency: str
    kind: str
    amount: Decimal


def _sum(expr: Any, condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum(expr, filter=condition, output_field=_MONEY), _ZERO)


def _line_facts(request: ReportRequest) -> Iterable[Fact]:
    p, filters = request.period, request.filters
    lines = InvoiceLine.objects.filter(
        matter_q(filters, "invoice__matter"),
        timekeeper_q(filters, "timekeeper_code"),
        Q(adjustment__lt=0)
        | Q(adjustment__gt=0)
        | Q(no_charge=True)
        | Q(kind=LineKind.FEE_ADJUSTMENT),
        invoice__issued_on__gte=p.start,
        invoice__issued_on__lte=p.end,
    ).order_by()
    charged = Q(no_charge=False)
    grouped = lines.values(
        "invoice__matter_id",
        "timekeeper_code",
        "timekeeper_name",
        "adjustment_reason",
        "narrative",
        "kind",
        "no_charge",
        "invoice__currency",
    ).annotate(
        down=_sum(-F("adjustment"), charged & Q(adjustment__lt=0)),
        up=_sum("adjustment", charged & Q(adjustment__gt=0)),
        nc=_sum("amount", Q(no_charge=True)),
        fee=_sum(-F("total"), Q(kind=LineKind.FEE_ADJUSTMENT, total__lt=0) & charged),
        fee_up=_sum("total", Q(kind=LineKind.FEE_ADJUSTMENT, total__gt=0) & charged),
    )
    for r in grouped:
        base = {
            "matter_id": r["invoice__matter_id"],
            "timekeeper": r["timekeeper_code"] or NO_TIMEKEEPER,
            "timekeeper_name": r["timekeeper_name"],
            "currency": r["invoice__currency"],
        }
        reason = r["adjustment_reason"] or "no reason given"
        if r["kind"] == LineKind.FEE_ADJUSTMENT:
            # a cap or discount gives money up; a flat fee above the time's value is a write-up
            label = r["narrative"] or "Fee adjustment"
            if r["fee"]:
                yield Fact(**base, reason=label, kind="fee_adjustments", amount=r["fee"])
            if r["fee_up"]:
                yield Fact(**base, reason=label, kind="write_ups", amount=r["fee_up"])
            continue
        if r["nc"]:
            yield Fact(**base, reason="No charge", kind="no_charge", amount=r["nc"])
        if r["down"]:
            yield Fact(**base, reason=reason, kind="write_downs", amount=r["down"])
        if r["up"]:
            yield Fact(**base, reason=reason, kind="write_ups", amount=r["up"])


def _credit_facts(request: ReportRequest) -> Iterable[Fact]:
    p, filters = request.period, request.filters
    per_line = CreditNoteLine.objects.filter(
        matter_q(filters, "credit_note__invoice__matter"),
        timekeeper_q(filters, "invoice_line__timekeeper_code"),
        credit_note__issued_on__gte=p.start,
        credit_note__issued_on__lte=p.end,
    ).order_by()
    for r in per_line.values(
        "credit_note__invoice__matter_id",
        "invoice_line__timekeeper_code",
        "invoice_line__timekeeper_name",
        "credit_note__reason_code",
        "credit_note__reason",
        "credit_note__invoice__currency",
    ).annotate(credited=_sum("amount")):
        yield Fact(
            r["credit_note__invoice__matter_id"],
            r["invoice_line__timekeeper_code"] or NO_TIMEKEEPER,
            r["invoice_line__timekeeper_name"],
            r["credit_note__reason_code"] or r["credit_note__reason"],
            r["credit_note__invoice__currency"],
            "credits",
            r["credited"],
        )
    if filters.timekeepers:
        return  # a whole-invoice credit names no timekeeper
    whole = CreditNote.objects.filter(
        matter_q(filters, "invoice__matter"),
        lines__isnull=True,
        issued_on__gte=p.start,
        issued_on__lte=p.end,
    ).order_by()
    for r in whole.values(
        "invoice__matter_id", "reason_code", "reason", "invoice__currency"
    ).annotate(credited=_sum("amount")):
        yield Fact(
            r["invoice__matter_id"],
            NO_TIMEKEEPER,
            "",
            r["reason_code"] or r["reason"],
            r["invoice__currency"],
            "credits",
            r["credited"],
        )


def _write_off_facts(request: ReportRequest) -> Iterable[Fact]:
    p, filters = request.period, request.filters
    if filters.timekeepers:
        return  # a write-off names no timekeeper
    offs = WriteOff.objects.filter(
        matter_q(filters, "invoice__matter"),
        written_off_on__gte=p.start,
        written_off_on__lte=p.end,
    ).order_by()
    for r in offs.values(
        "invoice__matter_id", "reason__code", "kind", "invoice__currency"
    ).annotate(total=_sum("amount")):
        kind = "discounts" if r["kind"] == AdjustmentKind.DISCOUNT else "write_offs"
        yield Fact(
            r["invoice__matter_id"],
            NO_TIMEKEEPER,
            "",
            r["reason__code"],
            r["invoice__currency"],
            kind,
            r["total"],
        )


def collect(request: ReportRequest) -> list[Fact]:
    """Every grouped sum of the period; the report's tables and charts are sums of these."""
    return [*_line_facts(request), *_credit_facts(request), *_write_off_facts(request)]


def _blank(key: str, name: str, currency: str) -> dict[str, Any]:
    zero = Decimal("0.00")
    return {"key": key, "name": name, "currency": currency, **dict.fromkeys(MONEY_KEYS, zero)}


def _reason_labels(facts: list[Fact]) -> dict[str, str]:
    codes = {f.reason.strip().upper() for f in facts}
    labels = dict(AdjustmentReason.objects.filter(code__in=codes).values_list("code", "label"))
    return {f.reason: labels.get(f.reason.strip().upper(), f.reason) for f in facts}


def _group_key(
    by: str, fact: Fact, matters: dict[int, dict[str, Any]], reasons: dict[str, str]
) -> tuple[str, str]:
    if by == "reason":
        return reasons[fact.reason], ""
    if by == "timekeeper":
        return fact.timekeeper, fact.timekeeper_name
    m = matters[fact.matter_id]
    if by == "client":
        return m["client__number"], m["client__name"]
    if by == "matter":
        return m["number"], label_of((m["name"], m["client__name"]))
    return m["responsible_attorney__code"], label_of(
        (m["responsible_attorney__first_name"], m["responsible_attorney__last_name"])
    )


def rows_by(by: str, facts: list[Fact], reasons: dict[str, str]) -> list[dict[str, Any]]:
    matters: dict[int, dict[str, Any]] = {}
    if by in ("client", "matter", "attorney"):
        ids = {f.matter_id for f in facts}
        matters = {
            m["pk"]: dict(m)
            for m in Matter.objects.filter(pk__in=ids).values(
                "pk",
                "number",
                "name",
                "client__number",
                "client__name",
                "responsible_attorney__code",
                "responsible_attorney__first_name",
                "responsible_attorney__last_name",
            )
        }
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for fact in facts:
        key, name = _group_key(by, fact, matters, reasons)
        row = rows.setdefault((key, fact.currency), _blank(key, name, fact.currency))
        row["name"] = row["name"] or name
        row[fact.kind] += fact.amount
    result = list(rows.values())
    for row in result:
        row["forgone"] = sum((row[k] for k in FORGONE), Decimal("0.00"))
    if by == "timekeeper":
        fill_timekeeper_names(result)
    result.sort(key=lambda r: (r["currency"], -r["forgone"], str(r["key"])))
    return result


def build(request: ReportRequest) -> Report:
    if not request.group_by:
        request = replace(request, group_by=GROUPINGS[0][0])
    by = request.group_by
    facts = collect(request)
    reasons = _reason_labels(facts)
    rows = rows_by(by, facts, reasons)
    totals = totals_by_currency(rows, MONEY_KEYS)
    title = dict(GROUPINGS)[by]
    columns = [
        Column("key", title),
        Column("name", "Name"),
        Column("currency", "Currency"),
        *[Column(k, label, T.MONEY) for k, label in KINDS],
        Column("forgone", "Total forgone", T.MONEY),
        Column("write_ups", "Write-ups (separate)", T.MONEY),
    ]
    if by == "reason":
        columns = [c for c in columns if c.key != "name"]
    table = Table(
        "write-downs", f"Write-downs and write-offs by {title.lower()}", columns, rows, totals
    )
    figures = []
    for t in totals:
        c = t["currency"]
        figures += [
            Figure("forgone", f"Forgone ({c})", t["forgone"], T.MONEY, c),
            Figure("write_ups", f"Write-ups ({c})", t["write_ups"], T.MONEY, c),
        ]
    charts = _charts(
        rows if by == "reason" else rows_by("reason", facts, reasons),
        rows if by == "timekeeper" else rows_by("timekeeper", facts, reasons),
    )
    return Report(
        name=NAME,
        title="Write-downs and write-offs",
        request=request,
        tables=[table],
        figures=figures,
        charts=charts,
        notes=[
            "Line write-downs, no-charge lines and fee adjustments: invoices issued in the "
            "period. Credit notes: issued in the period (before tax). Write-offs and discounts: "
            "dated in the period. Total forgone excludes write-ups, shown on their own.",
            "Whole-invoice credit notes and write-offs have no timekeeper (the — row); the "
            "timekeeper filter leaves them out.",
        ],
    )


def _charts(by_reason: list[dict[str, Any]], by_tk: list[dict[str, Any]]) -> list[Chart]:
    if not by_reason:
        return []
    currency = max(
        {r["currency"] for r in by_reason},
        key=lambda c: sum(r["forgone"] for r in by_reason if r["currency"] == c),
    )
    reasons = [r for r in by_reason if r["currency"] == currency][:15]
    people = [r for r in by_tk if r["currency"] == currency][:15]
    return [
        Chart(
            key="by-reason",
            title=f"Forgone by reason ({currency})",
            kind="bar",
            labels=[str(r["key"]) for r in reasons],
            datasets=[Dataset(label, [r[k] for r in reasons]) for k, label in KINDS],
            stacked=True,
            horizontal=True,
            unit=currency,
        ),
        Chart(
            key="by-timekeeper",
            title=f"Forgone by timekeeper ({currency})",
            kind="bar",
            labels=[str(r["key"]) for r in people],
            datasets=[Dataset(label, [r[k] for r in people]) for k, label in KINDS],
            stacked=True,
            horizontal=True,
            unit=currency,
        ),
    ]


SPEC = register(
    ReportSpec(
        name=NAME,
        title="Write-downs and write-offs",
        description="What the firm gave up: write-downs at review, no-charge lines, fee caps, "
        "credit notes, write-offs and discounts, by reason, timekeeper, client, matter or "
        "attorney.",
        build=build,
        groupings=GROUPINGS,
    )
)
