"""Billed fees and expenses: what the firm invoiced in a period, and what it credited back.

Billed = the final invoices issued in the period (by ``issued_on``): fees, expenses,
adjustments (write-ups/downs on lines, fee adjustments, late charges), tax and total, exactly
as frozen on the invoices. Credited = credit notes issued in the period, whatever the invoice's
date. Net billed = total − credited. Sums run in SQL grouped by the row key and currency.

By timekeeper (or filtered to timekeepers) the figures come from the invoice lines instead:
a line belongs to the timekeeper who did the work; lines with no timekeeper (fee adjustments,
late charges, expenses without one) form their own "no timekeeper" row, and only per-line
credits can be put on a timekeeper, the rest are credited on that row too. Either way, the
totals equal the invoices' own totals to the cent (the tests check both ways).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from lexbill.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, LineKind
from lexbill.fields import FixedDecimalField
from lexbill.formats.spreadsheet import Column
from lexbill.reports.filters import (
    GROUPING_CHOICES,
    MATTER_GROUPINGS,
    NO_TIMEKEEPER,
    fill_timekeeper_names,
    label_of,
    matter_q,
    prefixed,
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

NAME = "billed"
MONEY_KEYS = ("fees", "expenses", "adjustments", "tax", "total", "credited", "net")
_MONEY = FixedDecimalField(places=2)
_ZERO = Value(0, output_field=_MONEY)


def _sum(expr: Any, **filter_q: Any) -> Coalesce:
    condition = Q(**filter_q) if filter_q else None
    return Coalesce(Sum(expr, filter=condition), _ZERO)


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _group_values(by: str, matter_path: str) -> tuple[str, tuple[str, ...]]:
    return prefixed(MATTER_GROUPINGS[by], matter_path)


def _invoices(request: ReportRequest) -> QuerySet[Invoice]:
    p = request.period
    return Invoice.objects.filter(
        matter_q(request.filters), issued_on__gte=p.start, issued_on__lte=p.end
    ).order_by()


def _credit_notes(request: ReportRequest) -> QuerySet[CreditNote]:
    p = request.period
    return CreditNote.objects.filter(
        matter_q(request.filters, "invoice__matter"), issued_on__gte=p.start, issued_on__lte=p.end
    ).order_by()


def _row(key: Any, label: str, currency: str) -> dict[str, Any]:
    zero = Decimal("0.00")
    return {
        "key": key or NO_TIMEKEEPER,
        "name": label,
        "currency": currency,
        "invoices": 0,
        **{k: zero for k in MONEY_KEYS},
    }


def _by_matter_grouping(request: ReportRequest) -> dict[tuple[Any, str], dict[str, Any]]:
    by = request.group_by
    rows: dict[tuple[Any, str], dict[str, Any]] = {}
    key_path: str
    label_paths: tuple[str, ...]
    credit_key: str
    credit_labels: tuple[str, ...]
    invoices: QuerySet[Any]
    credits: QuerySet[Any]
    if by == "month":
        key_path, label_paths = "month", ()
        invoices = _invoices(request).annotate(month=TruncMonth("issued_on"))
        credits = _credit_notes(request).annotate(month=TruncMonth("issued_on"))
        credit_key, credit_labels = "month", ()
    else:
        key_path, label_paths = _group_values(by, "matter")
        credit_key, credit_labels = _group_values(by, "invoice__matter")
        invoices, credits = _invoices(request), _credit_notes(request)
    for r in invoices.values(key_path, *label_paths, "currency").annotate(
        n=Count("pk"),
        fees_=_sum("fees"),
        expenses_=_sum("expenses"),
        adjustments_=_sum("adjustments"),
        tax_=_sum("tax"),
        total_=_sum("total"),
    ):
        key = _month_key(r[key_path]) if by == "month" else r[key_path]
        row = rows.setdefault(
            (key, r["currency"]),
            _row(key, label_of(tuple(r[path] for path in label_paths)), r["currency"]),
        )
        row["invoices"] += r["n"]
        for k in ("fees", "expenses", "adjustments", "tax", "total"):
            row[k] += r[f"{k}_"]
    for r in credits.values(credit_key, *credit_labels, "invoice__currency").annotate(
        credited_=_sum("total")
    ):
        key = _month_key(r[credit_key]) if by == "month" else r[credit_key]
        currency = r["invoice__currency"]
        row = rows.setdefault(
            (key, currency), _row(key, label_of(tuple(r[path] for path in credit_labels)), currency)
        )
        row["credited"] += r["credited_"]
    return rows


def _by_line(request: ReportRequest) -> dict[tuple[Any, str], dict[str, Any]]:
    """Line-level sums: by timekeeper, or any grouping narrowed to some timekeepers' work."""
    by = request.group_by
    filters = request.filters
    p = request.period
    lines: QuerySet[Any] = InvoiceLine.objects.filter(
        matter_q(filters, "invoice__matter"),
        timekeeper_q(filters, "timekeeper_code"),
        invoice__issued_on__gte=p.start,
        invoice__issued_on__lte=p.end,
    ).order_by()
    key_path: str
    label_paths: tuple[str, ...]
    credit_key: str
    credit_labels: tuple[str, ...]
    credit_lines: QuerySet[Any] = CreditNoteLine.objects.filter(
        matter_q(filters, "credit_note__invoice__matter"),
        timekeeper_q(filters, "invoice_line__timekeeper_code"),
        credit_note__issued_on__gte=p.start,
        credit_note__issued_on__lte=p.end,
    ).order_by()
    if by == "timekeeper":
        key_path, label_paths = "timekeeper_code", ("timekeeper_name",)
        credit_key, credit_labels = (
            "invoice_line__timekeeper_code",
            ("invoice_line__timekeeper_name",),
        )
    elif by == "month":
        lines = lines.annotate(month=TruncMonth("invoice__issued_on"))
        credit_lines = credit_lines.annotate(month=TruncMonth("credit_note__issued_on"))
        key_path, label_paths, credit_key, credit_labels = "month", (), "month", ()
    else:
        key_path, label_paths = _group_values(by, "invoice__matter")
        credit_key, credit_labels = _group_values(by, "credit_note__invoice__matter")
    rows: dict[tuple[Any, str], dict[str, Any]] = {}
    charged = Q(no_charge=False)
    for r in lines.values(key_path, *label_paths, "invoice__currency").annotate(
        n=Count("invoice", distinct=True),
        fees_=_sum("amount", kind=LineKind.TIME, no_charge=False),
        expenses_=_sum("amount", kind=LineKind.EXPENSE, no_charge=False),
        lines_=Coalesce(Sum("total", filter=charged), _ZERO),
        tax_=_sum("tax"),
    ):
        key = _month_key(r[key_path]) if by == "month" else r[key_path]
        currency = r["invoice__currency"]
        row = rows.setdefault(
            (key or NO_TIMEKEEPER, currency),
            _row(key, label_of(tuple(r[path] for path in label_paths)), currency),
        )
        row["invoices"] += r["n"]
        row["fees"] += r["fees_"]
        row["expenses"] += r["expenses_"]
        row["adjustments"] += r["lines_"] - r["fees_"] - r["expenses_"]
        row["tax"] += r["tax_"]
        row["total"] += r["lines_"] + r["tax_"]
    for r in credit_lines.values(
        credit_key, *credit_labels, "credit_note__invoice__currency"
    ).annotate(credited_=Coalesce(Sum(F("amount") + F("tax"), output_field=_MONEY), _ZERO)):
        key = _month_key(r[credit_key]) if by == "month" else r[credit_key]
        currency = r["credit_note__invoice__currency"]
        row = rows.setdefault(
            (key or NO_TIMEKEEPER, currency),
            _row(key, label_of(tuple(r[path] for path in credit_labels)), currency),
        )
        row["credited"] += r["credited_"]
    if not filters.timekeepers:
        _add_unattributed_credits(request, rows, by)
    return rows


def _add_unattributed_credits(
    request: ReportRequest, rows: dict[tuple[Any, str], dict[str, Any]], by: str
) -> None:
    """Whole-invoice credit notes name no line: by timekeeper they go on the "no timekeeper"
    row; by any other grouping they go where the invoice's matter (or the month) puts them."""
    whole: QuerySet[Any] = _credit_notes(request).filter(lines__isnull=True)
    key_path: str
    label_paths: tuple[str, ...]
    if by == "timekeeper":
        for r in whole.values("invoice__currency").annotate(credited_=_sum("total")):
            row = rows.setdefault(
                (NO_TIMEKEEPER, r["invoice__currency"]),
                _row(NO_TIMEKEEPER, "", r["invoice__currency"]),
            )
            row["credited"] += r["credited_"]
        return
    if by == "month":
        whole = whole.annotate(month=TruncMonth("issued_on"))
        key_path, label_paths = "month", ()
    else:
        key_path, label_paths = _group_values(by, "invoice__matter")
    for r in whole.values(key_path, *label_paths, "invoice__currency").annotate(
        credited_=_sum("total")
    ):
        key = _month_key(r[key_path]) if by == "month" else r[key_path]
        currency = r["invoice__currency"]
        row = rows.setdefault(
            (key, currency), _row(key, label_of(tuple(r[path] for path in label_paths)), currency)
        )
        row["credited"] += r["credited_"]


def build(request: ReportRequest) -> Report:
    if not request.group_by:  # "" is the spec's first grouping, for callers other than the page
        request = replace(request, group_by=GROUPING_CHOICES[0][0])
    by = request.group_by
    line_level = by == "timekeeper" or bool(request.filters.timekeepers)
    grouped = _by_line(request) if line_level else _by_matter_grouping(request)
    rows = sorted(grouped.values(), key=lambda r: (r["currency"], -r["total"], str(r["key"])))
    if by == "month":
        rows.sort(key=lambda r: (r["currency"], r["key"]))
    for r in rows:
        r["net"] = r["total"] - r["credited"]
    if by == "timekeeper":
        fill_timekeeper_names(rows)
    totals = {t["currency"]: t for t in totals_by_currency(rows, ("invoices", *MONEY_KEYS))}
    if line_level:
        # an invoice with lines of several timekeepers counts once in the total
        invoices = _invoices(request)
        if request.filters.timekeepers:
            invoices = invoices.filter(lines__timekeeper_code__in=request.filters.timekeepers)
        for currency, n in invoices.values_list("currency").annotate(n=Count("pk", distinct=True)):
            if currency in totals:
                totals[currency]["invoices"] = n
    grouping_title = dict(GROUPING_CHOICES)[by]
    table = Table(
        key="billed",
        title=f"Billed by {grouping_title.lower()}",
        columns=[
            Column("key", grouping_title if by != "matter" else "Matter"),
            Column("name", "Name"),
            Column("currency", "Currency"),
            Column("invoices", "Invoices", T.INTEGER),
            Column("fees", "Fees", T.MONEY),
            Column("expenses", "Expenses", T.MONEY),
            Column("adjustments", "Adjustments", T.MONEY),
            Column("tax", "Tax", T.MONEY),
            Column("total", "Billed", T.MONEY),
            Column("credited", "Credited", T.MONEY),
            Column("net", "Net billed", T.MONEY),
        ],
        rows=rows,
        totals=list(totals.values()),
    )
    if by == "month":
        table.columns = [c for c in table.columns if c.key != "name"]
    figures = []
    for currency, t in totals.items():
        figures += [
            Figure("billed", f"Billed ({currency})", t["total"], T.MONEY, currency),
            Figure("credited", f"Credited ({currency})", t["credited"], T.MONEY, currency),
            Figure("net", f"Net billed ({currency})", t["net"], T.MONEY, currency),
        ]
    return Report(
        name=NAME,
        title="Billed fees and expenses",
        request=request,
        tables=[table],
        figures=figures,
        charts=_charts(request, rows, by),
        notes=[
            "Billed: final invoices issued in the period, as frozen on them. Credited: credit "
            "notes issued in the period. Amounts in different currencies are never added up.",
        ],
    )


def _charts(request: ReportRequest, rows: list[dict[str, Any]], by: str) -> list[Chart]:
    if not rows:
        return []
    currency = max(
        {r["currency"] for r in rows},
        key=lambda c: sum(r["total"] for r in rows if r["currency"] == c),
    )
    if by == "month":
        mine = [r for r in rows if r["currency"] == currency]
        return [
            Chart(
                key="by-month",
                title=f"Billed by month ({currency})",
                kind="bar",
                labels=[r["key"] for r in mine],
                datasets=[
                    Dataset("Fees", [r["fees"] for r in mine]),
                    Dataset("Expenses", [r["expenses"] for r in mine]),
                    Dataset("Adjustments", [r["adjustments"] for r in mine]),
                    Dataset("Credited", [-r["credited"] for r in mine]),
                ],
                stacked=True,
                unit=currency,
            )
        ]
    top = [r for r in rows if r["currency"] == currency][:15]
    return [
        Chart(
            key="top",
            title=f"Largest {len(top)} by amount billed ({currency})",
            kind="bar",
            labels=[str(r["key"]) for r in top],
            datasets=[
                Dataset("Fees", [r["fees"] for r in top]),
                Dataset("Expenses", [r["expenses"] for r in top]),
                Dataset("Adjustments", [r["adjustments"] for r in top]),
            ],
            stacked=True,
            horizontal=True,
            unit=currency,
        )
    ]


SPEC = register(
    ReportSpec(
        name=NAME,
        title="Billed fees and expenses",
        description="Invoices issued in the period (fees, expenses, adjustments, tax) and "
        "credit notes, by client, matter, attorney, timekeeper, practice area or month.",
        build=build,
        groupings=GROUPING_CHOICES,
    )
)
