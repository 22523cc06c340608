"""Realization: what the work was worth at standard rates, what was billed, what was collected.

Scope is the invoice lines on invoices issued in the period. A time line's standard value is its
minutes at the timekeeper's standard rate on the line's date (core.standard_rates), rounded
half-up per line. The rates are cut into intervals in Python, written to a temporary table and
joined to the lines in one grouped query that prices each line in integer arithmetic, so a
million lines are never resolved one by one. Lines with no standard rate in force are counted
and left out of the standard value (never guessed).

Net billed is the billed report's "net" column, taken from that report so the two always agree.
Collected is the cash applied in the period (allocations by ``applied_on``, reversals negative)
to invoices matching the filters. By timekeeper an invoice's collected amount is shared over its
timekeepers in proportion to their line totals on it, to the cent (core.shares).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, F, QuerySet, Sum

from lexbill.billing.models import Invoice, InvoiceLine, LineKind
from lexbill.billing.rates import rate_rows
from lexbill.clients.models import Matter
from lexbill.core.money import minor_unit_places
from lexbill.core.shares import largest_remainder
from lexbill.core.standard_rates import standard_intervals
from lexbill.firm.models import Timekeeper
from lexbill.formats.spreadsheet import Column
from lexbill.receivables.models import PaymentAllocation
from lexbill.reports import billed, temp_tables
from lexbill.reports.collections import collected_by
from lexbill.reports.filters import (
    MATTER_GROUPINGS,
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
    percent,
    totals_by_currency,
)
from lexbill.reports.registry import register

NAME = "realization"
NONE = NO_TIMEKEEPER
GROUPINGS: tuple[tuple[str, str], ...] = (
    ("timekeeper", "Timekeeper"),
    ("client", "Client"),
    ("matter", "Matter"),
    ("attorney", "Responsible attorney"),
    ("practice_area", "Practice area"),
)
_TEMP = "lexbill_std_rate"
_CENT = Decimal("0.01")


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _load_standard_rates() -> None:
    """The standard-rate intervals into a temporary table keyed by timekeeper code."""
    tks = list(Timekeeper.objects.values_list("pk", "code", "classification"))
    codes = {pk: code for pk, code, _ in tks}
    intervals = standard_intervals(rate_rows(), {pk: cls for pk, _, cls in tks})
    sqlite = connection.vendor == "sqlite"
    rows = []
    for iv in intervals:
        places = minor_unit_places(iv.currency)
        start, end = (iv.start.isoformat(), iv.end.isoformat()) if sqlite else (iv.start, iv.end)
        rows.append(
            (
                codes[iv.timekeeper_id],
                iv.currency,
                start,
                end,
                _cents(iv.amount),
                10**places,
                10 ** (2 - places),
            )
        )
    temp_tables.fill(
        _TEMP,
        (
            ("tk_code", "VARCHAR(20)"),
            ("currency", "VARCHAR(3)"),
            ("valid_from", "DATE"),
            ("valid_to", "DATE"),
            ("rate2", "BIGINT"),
            ("scale", "BIGINT"),
            ("back", "BIGINT"),
        ),
        ("tk_code", "currency", "valid_from"),
        rows,
    )


def _time_lines(request: ReportRequest) -> QuerySet[Any]:
    p, filters = request.period, request.filters
    return InvoiceLine.objects.filter(
        matter_q(filters, "invoice__matter"),
        timekeeper_q(filters, "timekeeper_code"),
        invoice__issued_on__gte=p.start,
        invoice__issued_on__lte=p.end,
        kind=LineKind.TIME,
    ).order_by()


def _worked(request: ReportRequest, by_tk: bool) -> list[tuple[Any, ...]]:
    """(matter id or 0, timekeeper code or "", currency, minutes, billed time, standard cents,
    unpriced lines, unpriced minutes): one grouped scan of the period's time lines, grouped by
    timekeeper or by matter, not both (by both, a year is ~170,000 groups to fetch and fold in
    Python; by either, at most 20,000)."""
    _load_standard_rates()
    inner = (
        _time_lines(request)
        .annotate(
            mi_=F("minutes"),
            tk_=F("timekeeper_code"),
            d_=F("date"),
            t_=F("total"),
            m_=F("invoice__matter_id"),
            c_=F("invoice__currency"),
        )
        .values_list("mi_", "tk_", "d_", "t_", "m_", "c_")
    )
    sql, params = inner.query.sql_with_params()
    # minutes × rate (scaled by 100) / 60 in the currency's minor unit, half-up per line:
    # floor((2·min·rate2·10^p + 6000) / 12000), then back to hundredths.
    priced = "(2 * x.mi_ * s.rate2 * s.scale + 6000) / 12000 * s.back"
    key = "0, x.tk_" if by_tk else "x.m_, ''"
    query = (
        f"SELECT {key}, x.c_, SUM(x.mi_), SUM(x.t_), "
        f"SUM(CASE WHEN s.tk_code IS NULL THEN 0 ELSE {priced} END), "
        "SUM(CASE WHEN s.tk_code IS NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN s.tk_code IS NULL THEN x.mi_ ELSE 0 END) "
        f"FROM ({sql}) x LEFT JOIN {_TEMP} s ON s.tk_code = x.tk_ AND s.currency = x.c_ "
        "AND s.valid_from <= x.d_ AND x.d_ < s.valid_to "
        f"GROUP BY {'x.tk_' if by_tk else 'x.m_'}, x.c_"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def _collected_by_matter(request: ReportRequest) -> dict[tuple[int, str], int]:
    return {key: _cents(v) for key, v in collected_by(request, "matter_id").items()}


def _collected_by_timekeeper(request: ReportRequest) -> dict[tuple[int, str, str], int]:
    """(matter id, timekeeper code, currency) → cents: each invoice's collected amount shared
    over its timekeepers by their line totals (the "no timekeeper" row for lines with none)."""
    per_invoice = collected_by(request, "id")
    weights: dict[int, dict[str, int]] = defaultdict(dict)
    p = request.period
    paid = PaymentAllocation.objects.filter(applied_on__gte=p.start, applied_on__lte=p.end).values(
        "invoice_id"
    )
    matter_of = dict(Invoice.objects.filter(pk__in=paid).order_by().values_list("pk", "matter_id"))
    # The weights as whole cents straight from the column (a FixedDecimalField of two places
    # holds hundredths as an integer): a year is ~90,000 (invoice, timekeeper) sums, and
    # neither the invoice join nor a Decimal per sum is needed to share by them.
    for invoice_id, code, cents in (
        InvoiceLine.objects.filter(invoice_id__in=paid)
        .order_by()
        .values_list("invoice_id", "timekeeper_code")
        .annotate(w=Sum("total", output_field=BigIntegerField()))
    ):
        weights[invoice_id][code or NONE] = int(cents)
    wanted = set(request.filters.timekeepers)
    result: dict[tuple[int, str, str], int] = defaultdict(int)
    for (invoice_id, currency), amount in per_invoice.items():
        shares = largest_remainder(_cents(amount), weights.get(invoice_id, {}), NONE)
        for code, cents in shares.items():
            if wanted and code not in wanted:
                continue
            result[(matter_of[invoice_id], code, currency)] += cents
    return result


def _matter_keys(by: str, matter_ids: set[int]) -> dict[int, tuple[str, str]]:
    grouping = MATTER_GROUPINGS[by]
    return {
        r["pk"]: (
            r[grouping.key_path] or NONE,
            label_of(tuple(r[path] for path in grouping.label_paths)),
        )
        # most matters when unfiltered: read them all rather than bind 20,000 ids
        for r in (
            Matter.objects.filter(pk__in=matter_ids) if len(matter_ids) < 1000 else Matter.objects
        ).values("pk", grouping.key_path, *grouping.label_paths)
    }


def _blank(key: str, name: str, currency: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "currency": currency,
        "minutes": 0,
        "standard_c": 0,
        "fees_c": 0,
        "collected_c": 0,
        "unpriced": 0,
        "unpriced_minutes": 0,
        "net": Decimal("0.00"),
    }


def _rate(cents: int, minutes: int) -> Decimal | None:
    if not minutes:
        return None
    return (Decimal(cents) * 60 / minutes / 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    priced = row["minutes"] - row["unpriced_minutes"]
    row["hours"] = (Decimal(row["minutes"]) / 60).quantize(_CENT, rounding=ROUND_HALF_UP)
    row["standard"] = _money(row["standard_c"])
    row["fees"] = _money(row["fees_c"])
    row["collected"] = _money(row["collected_c"])
    row["standard_rate"] = _rate(row["standard_c"], priced)
    row["billed_rate"] = _rate(row["fees_c"], row["minutes"])
    row["billing_realization"] = percent(row["fees_c"], row["standard_c"])
    row["collection_realization"] = percent(row["collected"], row["net"])
    return row


def build(request: ReportRequest) -> Report:
    if not request.group_by:
        request = replace(request, group_by=GROUPINGS[0][0])
    by = request.group_by
    by_tk = by == "timekeeper"
    worked = _worked(request, by_tk)
    if by_tk or request.filters.timekeepers:
        collected_tk = _collected_by_timekeeper(request)
        collected = [(m, code, c, v) for (m, code, c), v in collected_tk.items()]
    else:
        collected = [(m, "", c, v) for (m, c), v in _collected_by_matter(request).items()]
    matter_keys: dict[int, tuple[str, str]] = {}
    if not by_tk:
        ids = {r[0] for r in worked} | {r[0] for r in collected}
        matter_keys = _matter_keys(by, ids)

    def key_of(matter_id: int, code: str) -> tuple[str, str]:
        if by_tk:
            return code or NONE, ""
        return matter_keys[matter_id]

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for m, code, currency, minutes, fees, standard, unpriced, unpriced_min in worked:
        key, name = key_of(m, code)
        row = rows.get((key, currency)) or rows.setdefault(
            (key, currency), _blank(key, name, currency)
        )
        row["minutes"] += minutes or 0
        row["fees_c"] += int(fees or 0)
        row["standard_c"] += int(standard or 0)
        row["unpriced"] += int(unpriced or 0)
        row["unpriced_minutes"] += int(unpriced_min or 0)
    for m, code, currency, cents in collected:
        key, name = key_of(m, code)
        row = rows.get((key, currency)) or rows.setdefault(
            (key, currency), _blank(key, name, currency)
        )
        row["collected_c"] += cents
    billed_report = billed.build(replace(request, as_of=None))
    for b in billed_report.table("billed").rows:
        key = str(b["key"] or NONE)
        row = rows.setdefault((key, b["currency"]), _blank(key, b["name"], b["currency"]))
        row["net"] += b["net"]
        row["name"] = row["name"] or b["name"]
    if by_tk:
        fill_timekeeper_names(rows.values())
    ordered = sorted(
        (_finish(r) for r in rows.values()),
        key=lambda r: (r["currency"], -r["standard_c"], -r["net"], r["key"]),
    )
    summed = ("minutes", "standard_c", "fees_c", "collected_c", "unpriced", "unpriced_minutes")
    totals = {t["currency"]: _finish(t) for t in totals_by_currency(ordered, (*summed, "net"))}
    title = dict(GROUPINGS)[by]
    table = Table(
        key="realization",
        title=f"Realization by {title.lower()}",
        columns=[
            Column("key", title),
            Column("name", "Name"),
            Column("currency", "Currency"),
            Column("hours", "Hours billed", T.DECIMAL),
            Column("standard", "Standard value", T.MONEY),
            Column("fees", "Fees billed", T.MONEY),
            Column("billing_realization", "Billing realization %", T.PERCENT),
            Column("net", "Net billed", T.MONEY),
            Column("collected", "Collected", T.MONEY),
            Column("collection_realization", "Collection realization %", T.PERCENT),
            Column("standard_rate", "Avg standard rate", T.MONEY),
            Column("billed_rate", "Avg billed rate", T.MONEY),
            Column("unpriced", "Lines without standard rate", T.INTEGER),
        ],
        rows=ordered,
        totals=list(totals.values()),
    )
    figures: list[Figure] = []
    notes = [
        "Standard value: minutes of each time line on invoices issued in the period at the "
        "timekeeper's standard rate on the line's date (the timekeeper's own rate, else the "
        "firm's rate for the classification), rounded per line. Fees billed: the time lines' "
        "totals after write-ups and write-downs. Net billed: as in the billed report (invoices "
        "less credit notes issued in the period). Collected: payments applied in the period "
        "(reversals negative); by timekeeper each invoice's collections are shared by line totals.",
    ]
    for currency, t in totals.items():
        figures += [
            Figure("standard", f"Standard value ({currency})", t["standard"], T.MONEY, currency),
            Figure("fees", f"Fees billed ({currency})", t["fees"], T.MONEY, currency),
            Figure(
                "billing_realization",
                f"Billing realization ({currency})",
                t["billing_realization"],
                T.PERCENT,
                currency,
            ),
            Figure("net", f"Net billed ({currency})", t["net"], T.MONEY, currency),
            Figure("collected", f"Collected ({currency})", t["collected"], T.MONEY, currency),
            Figure(
                "collection_realization",
                f"Collection realization ({currency})",
                t["collection_realization"],
                T.PERCENT,
                currency,
            ),
        ]
        if t["unpriced"]:
            notes.append(
                f"{t['unpriced']} {currency} time lines ({t['unpriced_minutes'] / 60:.2f} h) "
                "had no standard rate in force on their date; they are left out of the "
                "standard value and the average standard rate."
            )
    return Report(
        name=NAME,
        title="Realization",
        request=request,
        tables=[table],
        figures=figures,
        charts=_charts(ordered),
        notes=notes,
    )


def _charts(rows: list[dict[str, Any]]) -> list[Chart]:
    if not rows:
        return []
    currency = max(
        {r["currency"] for r in rows},
        key=lambda c: sum(r["standard_c"] + r["fees_c"] for r in rows if r["currency"] == c),
    )
    top = [r for r in rows if r["currency"] == currency][:15]
    labels = [str(r["key"]) for r in top]
    return [
        Chart(
            key="values",
            title=f"Standard, billed and collected ({currency})",
            kind="bar",
            labels=labels,
            datasets=[
                Dataset("Standard value", [r["standard"] for r in top]),
                Dataset("Fees billed", [r["fees"] for r in top]),
                Dataset("Collected", [r["collected"] for r in top]),
            ],
            unit=currency,
        ),
        Chart(
            key="percent",
            title=f"Realization % ({currency})",
            kind="bar",
            labels=labels,
            datasets=[
                Dataset("Billing realization", [r["billing_realization"] for r in top]),
                Dataset("Collection realization", [r["collection_realization"] for r in top]),
            ],
            unit="%",
        ),
    ]


SPEC = register(
    ReportSpec(
        name=NAME,
        title="Realization",
        description="Worked value at standard rates, billed and collected, with realization "
        "rates, by timekeeper, client, matter, attorney or practice area.",
        build=build,
        groupings=GROUPINGS,
    )
)
