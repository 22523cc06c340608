"""AR aging and collections: what clients owe as of a date, and what the firm collected.

Aging: each invoice's balance as of ``request.on`` (the period's end unless an as-of date is
given) in the buckets of ``core.aging``, by ``receivables.aging.ar_aging`` itself (the same SQL
as the AR aging page, so the two totals agree to the cent).

Collected = Σ PaymentAllocation.amount with ``applied_on`` in the period, the invoices filtered
by the report filters (client, matter, responsible attorney, practice area), per the invoice's
currency. A reversal's negative allocations count negative in the period they are dated in;
money applied from trust counts like any other receipt. Unapplied money is not collected until
it is applied. ``collected_by`` gives this figure to other reports (realization).

Unapplied receipts: receipts received in the period, less their corrections (reversals,
refunds) and their allocations dated on or before ``request.on``, per client and currency.
Payments belong to a client, not a matter, so the table is left out when the report is narrowed
to matters, attorneys or practice areas.

DSO (period method) per currency = AR at the period's end ÷ billed in the period × the days
in the period, half-up to one place; billed is the invoices' totals issued in the period before
credits (the billed report's "Billed"); no figure when nothing was billed.

The timekeeper filter is refused: receivables belong to invoices, not to anyone's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from lexbill.billing.models import Invoice
from lexbill.core.aging import BUCKETS
from lexbill.core.errors import LexbillError
from lexbill.core.periods import Period
from lexbill.core.report_days import days_sales_outstanding
from lexbill.fields import FixedDecimalField
from lexbill.formats.spreadsheet import Column
from lexbill.receivables.aging import AgingFilters, AgingReport, ar_aging
from lexbill.receivables.models import Payment, PaymentAllocation, PaymentKind
from lexbill.reports.filters import MATTER_GROUPINGS, label_of, matter_q, prefixed
from lexbill.reports.framework import (
    Chart,
    Dataset,
    Figure,
    Report,
    ReportFilters,
    ReportRequest,
    ReportSpec,
    T,
    Table,
    totals_by_currency,
)
from lexbill.reports.registry import register

NAME = "collections"
TITLE = "AR aging and collections"
GROUPINGS: tuple[tuple[str, str], ...] = (
    ("client", "Client"),
    ("matter", "Matter"),
    ("attorney", "Responsible attorney"),
    ("practice_area", "Practice area"),
)
NO_KEY = "—"  # the key of the "no practice area" row
_MONEY = FixedDecimalField(places=2)
_ZERO = Value(0, output_field=_MONEY)
ZERO = Decimal("0.00")


def _month_key(month: Period) -> str:
    return f"m{month.start:%Y_%m}"


def _allocations(request: ReportRequest) -> QuerySet[PaymentAllocation]:
    p = request.period
    return PaymentAllocation.objects.filter(
        matter_q(request.filters, "invoice__matter"), applied_on__gte=p.start, applied_on__lte=p.end
    ).order_by()


def collected_by(request: ReportRequest, key_path_from_invoice: str = "") -> dict[Any, Decimal]:
    """Collected in the period (see the module's docstring), per ``(key, currency)`` where key
    is the value at ``key_path_from_invoice`` (e.g. ``matter__client__number``), or per currency
    alone when no path is given. The timekeeper filter is not applied (an allocation is on an
    invoice, not on a line)."""
    paths = [f"invoice__{key_path_from_invoice}"] if key_path_from_invoice else []
    out: dict[Any, Decimal] = {}
    for r in (
        _allocations(request)
        .values(*paths, "invoice__currency")
        .annotate(s=Coalesce(Sum("amount"), _ZERO))
    ):
        currency = r["invoice__currency"]
        key = (r[paths[0]], currency) if paths else currency
        out[key] = out.get(key, ZERO) + r["s"]
    return out


def _aging_filters(filters: ReportFilters) -> AgingFilters:
    return AgingFilters(
        clients=filters.clients,
        matters=filters.matters,
        attorneys=filters.attorneys,
        practice_areas=filters.practice_areas,
    )


def _aging_table(aging: AgingReport, title: str) -> Table:
    rows = []
    for row in aging.rows:
        amounts = row.totals.amounts
        rows.append(
            {
                "key": row.key or NO_KEY,
                "name": row.label,
                "currency": row.currency,
                **amounts,
                "total": row.totals.total,
            }
        )
    totals = [
        {"key": "", "name": "", "currency": currency, **t.amounts, "total": t.total}
        for currency, t in aging.totals.items()
    ]
    return Table(
        key="aging",
        title=f"AR aging by {title.lower()} as of {aging.as_of.isoformat()}",
        columns=[
            Column("key", title),
            Column("name", "Name"),
            Column("currency", "Currency"),
            *[Column(b.key, b.label, T.MONEY) for b in BUCKETS],
            Column("total", "Total", T.MONEY),
        ],
        rows=rows,
        totals=totals,
    )


def _cash_table(request: ReportRequest, title: str) -> Table:
    """Collected per group and currency, one column per month of the period: conditional sums
    on ``applied_on`` (no date function in SQL, so both databases agree and no per-row call)."""
    months = list(request.period.months())
    key_path, label_paths = prefixed(MATTER_GROUPINGS[request.group_by], "invoice__matter")
    sums = {
        _month_key(m): Coalesce(
            Sum("amount", filter=Q(applied_on__gte=m.start, applied_on__lte=m.end)), _ZERO
        )
        for m in months
    }
    rows: dict[tuple[Any, str], dict[str, Any]] = {}
    for r in (
        _allocations(request)
        .values(key_path, *label_paths, "invoice__currency")
        .annotate(collected=Coalesce(Sum("amount"), _ZERO), **sums)
    ):
        currency = r["invoice__currency"]
        key = r[key_path] or NO_KEY
        label = label_of(tuple(r[p] for p in label_paths))
        if request.group_by == "practice_area":  # as the aging table labels it
            label = "no practice area" if key == NO_KEY else key
        elif request.group_by == "matter":  # as the aging table labels it
            label = f"{r[label_paths[0]]} ({r[label_paths[1]]})"
        row = rows.setdefault(
            (key, currency),
            {"key": key, "name": label, "currency": currency, "collected": ZERO}
            | dict.fromkeys(sums, ZERO),
        )
        for k in (*sums, "collected"):
            row[k] += r[k]
    ordered = sorted(rows.values(), key=lambda r: (r["currency"], -r["collected"], str(r["key"])))
    return Table(
        key="collected",
        title=f"Collected by {title.lower()} and month",
        columns=[
            Column("key", title),
            Column("name", "Name"),
            Column("currency", "Currency"),
            *[Column(_month_key(m), f"{m.start:%b %Y}", T.MONEY) for m in months],
            Column("collected", "Collected", T.MONEY),
        ],
        rows=ordered,
        totals=totals_by_currency(ordered, (*sums, "collected")),
    )


def _unapplied_table(request: ReportRequest) -> Table:
    p, on = request.period, request.on
    receipts = Payment.objects.filter(
        kind=PaymentKind.RECEIPT, received_on__gte=p.start, received_on__lte=p.end
    ).order_by()
    if request.filters.clients:
        receipts = receipts.filter(client__number__in=request.filters.clients)
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def add(grouped: QuerySet[Any], client: str, name: str, field: str) -> None:
        for r in grouped:
            row = rows.setdefault(
                (r[client], r["currency_"]),
                {
                    "key": r[client],
                    "name": r[name],
                    "currency": r["currency_"],
                    **dict.fromkeys(("received", "corrected", "applied", "unapplied"), ZERO),
                },
            )
            row[field] += r["s"]

    add(
        receipts.values("client__number", "client__name", currency_=F("currency")).annotate(
            s=Sum("amount")
        ),
        "client__number",
        "client__name",
        "received",
    )
    add(
        Payment.objects.filter(corrects__in=receipts.values("pk"), received_on__lte=on)
        .order_by()
        .values(
            "corrects__client__number",
            "corrects__client__name",
            currency_=F("corrects__currency"),
        )
        .annotate(s=Sum("amount")),
        "corrects__client__number",
        "corrects__client__name",
        "corrected",
    )
    add(
        PaymentAllocation.objects.filter(payment__in=receipts.values("pk"), applied_on__lte=on)
        .order_by()
        .values(
            "payment__client__number",
            "payment__client__name",
            currency_=F("payment__currency"),
        )
        .annotate(s=Sum("amount")),
        "payment__client__number",
        "payment__client__name",
        "applied",
    )
    money = ("received", "corrected", "applied", "unapplied")
    for row in rows.values():
        row["unapplied"] = row["received"] + row["corrected"] - row["applied"]
    ordered = sorted(rows.values(), key=lambda r: (r["currency"], -r["unapplied"], r["key"]))
    return Table(
        key="unapplied",
        title=f"Receipts of the period still unapplied as of {on.isoformat()}",
        columns=[
            Column("key", "Client"),
            Column("name", "Name"),
            Column("currency", "Currency"),
            Column("received", "Received", T.MONEY),
            Column("corrected", "Reversed / refunded", T.MONEY),
            Column("applied", "Applied", T.MONEY),
            Column("unapplied", "Unapplied", T.MONEY),
        ],
        rows=ordered,
        totals=totals_by_currency(ordered, money),
    )


def billed_in(request: ReportRequest) -> dict[str, Decimal]:
    """Σ invoice totals issued in the period per currency, before credits (DSO's billed)."""
    p = request.period
    return {
        r["currency"]: r["s"]
        for r in Invoice.objects.filter(
            matter_q(request.filters), issued_on__gte=p.start, issued_on__lte=p.end
        )
        .order_by()
        .values("currency")
        .annotate(s=Coalesce(Sum("total"), _ZERO))
    }


def build(request: ReportRequest) -> Report:
    if not request.group_by:
        request = replace(request, group_by=GROUPINGS[0][0])
    if request.filters.timekeepers:
        raise LexbillError(
            "collections are per invoice, not per timekeeper: filter by responsible attorney",
            field="timekeeper",
        )
    by = request.group_by
    title = dict(GROUPINGS)[by]
    aging_filters = _aging_filters(request.filters)
    aging = ar_aging(request.on, by, aging_filters)
    at_end = (
        aging
        if request.on == request.period.end
        else ar_aging(request.period.end, "client", aging_filters)
    )
    tables = [_aging_table(aging, title), _cash_table(request, title)]
    f = request.filters
    notes = [
        f"Aging: balances as of {request.on.isoformat()} (total less credit notes, payments "
        "applied and write-offs dated by then), by days past due.",
        "Collected: payments applied to the invoices in the period (reversals count negative).",
        "DSO = AR at the period's end ÷ billed in the period (invoice totals before credits) × "
        f"{request.period.days} days.",
    ]
    if f.matters or f.attorneys or f.practice_areas:
        notes.append("Unapplied receipts are per client: not shown when narrowed to matters.")
    else:
        tables.append(_unapplied_table(request))
    collected = {t["currency"]: t["collected"] for t in tables[1].totals}
    billed = billed_in(request)
    ar_now = {c: t.total for c, t in aging.totals.items()}
    ar_end = {c: t.total for c, t in at_end.totals.items()}
    figures: list[Figure] = []
    for currency in sorted(set(ar_now) | set(ar_end) | set(collected) | set(billed)):
        zero = ZERO
        figures += [
            Figure(
                "ar",
                f"AR as of {request.on.isoformat()} ({currency})",
                ar_now.get(currency, zero),
                T.MONEY,
                currency,
            ),
            Figure(
                "collected",
                f"Collected ({currency})",
                collected.get(currency, zero),
                T.MONEY,
                currency,
            ),
            Figure("billed", f"Billed ({currency})", billed.get(currency, zero), T.MONEY, currency),
            Figure(
                "dso",
                f"DSO, days ({currency})",
                days_sales_outstanding(
                    ar_end.get(currency, zero), billed.get(currency, zero), request.period.days
                ),
                T.DECIMAL,
                currency,
                note="AR at the period's end ÷ billed × days",
            ),
        ]
    return Report(
        name=NAME,
        title=TITLE,
        request=request,
        tables=tables,
        figures=figures,
        charts=_charts(tables[0], tables[1], list(request.period.months())),
        notes=notes,
    )


def _charts(aging: Table, cash: Table, months: Sequence[Period]) -> list[Chart]:
    charts = []
    for t in aging.totals:
        charts.append(
            Chart(
                key=f"aging-{t['currency'].lower()}",
                title=f"AR aging ({t['currency']})",
                kind="bar",
                labels=[b.label for b in BUCKETS],
                datasets=[Dataset("Balance", [t[b.key] for b in BUCKETS])],
                unit=t["currency"],
            )
        )
    for t in cash.totals:
        charts.append(
            Chart(
                key=f"collected-{t['currency'].lower()}",
                title=f"Collected by month ({t['currency']})",
                kind="bar",
                labels=[f"{m.start:%Y-%m}" for m in months],
                datasets=[Dataset("Collected", [t[_month_key(m)] for m in months])],
                unit=t["currency"],
            )
        )
    return charts


SPEC = register(
    ReportSpec(
        name=NAME,
        title=TITLE,
        description="AR aging as of a date by client, matter, attorney or practice area; "
        "payments applied by month; unapplied receipts; DSO.",
        build=build,
        groupings=GROUPINGS,
        point_in_time=True,
    )
)
