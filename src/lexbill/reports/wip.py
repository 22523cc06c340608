"""Work in progress: time and expenses done on or before a date and not yet on an invoice.

An entry is in WIP on the as-of date if its work date is on or before it and it was not on an
invoice then: it is unbilled or on a pre-bill now, or it was billed on an invoice issued after
the date. Ages are days from the work date to the as-of date, in the buckets of ``AGE_BUCKETS``.

Time is valued at the rate a bill run would use (every level, core.rates precedence), rounded
per entry; no-charge work counts its hours at no value. Like the dashboard, the work is summed
in SQL grouped by matter (and timekeeper); the rates are cut into (matter, timekeeper) intervals
in Python from the rate rows, written to a temporary table and joined in the one grouped query
that prices each entry in integer arithmetic.

Performance (bench/reports.py, a million entries, a third of them in WIP): the entries still
open and those billed later are read as two parts of a ``UNION ALL``, so "billed later" is a
top-level ``IN`` each engine turns into a semi-join (inside an ``OR`` PostgreSQL would probe a
subplan per row, and a later-invoice set larger than ``work_mem`` is not hashed). The rate table
is ``ANALYZE``d once filled: PostgreSQL never analyzes a temporary table by itself and, guessing
it at one row, joined it by nested loop (33 s instead of 0.7 s). On SQLite the unfiltered read is
a plain table scan (``NOT INDEXED``): grouped by matter, the planner otherwise walks the
(matter, work date) index and fetches a third of the table's rows in random order (2–4 s instead
of 0.5 s); a report narrowed by a filter keeps the planner's index.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.db import connection
from django.db.models import F, Q, QuerySet

from lexbill.billing.models import Invoice, InvoiceLine
from lexbill.billing.rates import rate_rows
from lexbill.clients.models import Matter
from lexbill.core.money import minor_unit_places
from lexbill.core.rates import RateLevel
from lexbill.core.standard_rates import WorkKey, agreed_intervals, standard_intervals
from lexbill.entries.models import Billable, BillingState, Expense, TimeEntry
from lexbill.firm.models import Timekeeper
from lexbill.formats.spreadsheet import Column
from lexbill.reports import temp_tables
from lexbill.reports.filters import MATTER_GROUPINGS, label_of, matter_q, timekeeper_q
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

NAME = "wip"
NONE = "—"
GROUPINGS: tuple[tuple[str, str], ...] = (
    ("client", "Client"),
    ("matter", "Matter"),
    ("attorney", "Responsible attorney"),
    ("timekeeper", "Timekeeper"),
    ("practice_area", "Practice area"),
)
# (key, label, lowest age, highest age or None): days from the work date to the as-of date
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("a0", "0–30 days", 0, 30),
    ("a31", "31–60 days", 31, 60),
    ("a61", "61–90 days", 61, 90),
    ("a91", "91–180 days", 91, 180),
    ("a181", "Over 180 days", 181, None),
)
_TEMP = "lexbill_wip_rate"
_AGREED = "lexbill_wip_agreed"  # the matters priced by (matter, timekeeper) intervals
_HUNDREDTH = Decimal("0.01")
_OPEN = (BillingState.UNBILLED, BillingState.PREBILLED)
M = TypeVar("M", TimeEntry, Expense)


def _wip_parts(request: ReportRequest, model: type[M], day: str) -> list[QuerySet[M]]:
    """The entries (or expenses) in WIP on the as-of date, as disjoint parts: those still open
    (unbilled or on a pre-bill), and, when there are invoices issued after the date, those
    billed on one of them. Each part's conditions are all top-level (see the module's note)."""
    on = request.on
    base = (
        model._default_manager.filter(
            matter_q(request.filters, "matter"),
            timekeeper_q(request.filters, "timekeeper__code"),
            **{f"{day}__lte": on},
        )
        .exclude(billable=Billable.NON_BILLABLE)
        .order_by()
    )
    parts = [base.filter(state__in=_OPEN)]
    if Invoice.objects.filter(issued_on__gt=on).exists():
        column = "time_entry_id" if model is TimeEntry else "expense_id"
        later = (
            InvoiceLine.objects.filter(invoice__issued_on__gt=on, **{f"{column}__isnull": False})
            .order_by()
            .values(column)
        )
        parts.append(base.filter(state=BillingState.BILLED, pk__in=later))
    return parts


def _union_sql(parts: list[QuerySet[Any]], scan: bool = False) -> tuple[str, list[Any]]:
    """The parts' SQL as one ``UNION ALL`` (they are disjoint by state). ``scan``: on SQLite, read
    the first part's table start to end (``NOT INDEXED``) rather than through an index."""
    sqls: list[str] = []
    params: list[Any] = []
    for i, part in enumerate(parts):
        sql, part_params = part.query.sql_with_params()
        if scan and i == 0 and connection.vendor == "sqlite":
            table = f'FROM "{part.model._meta.db_table}"'
            sql = sql.replace(table, f"{table} NOT INDEXED", 1)
        sqls.append(sql)
        params += part_params
    return " UNION ALL ".join(sqls), params


def _time(request: ReportRequest) -> list[QuerySet[TimeEntry]]:
    return _wip_parts(request, TimeEntry, "work_date")


def _expenses(request: ReportRequest) -> list[QuerySet[Expense]]:
    return _wip_parts(request, Expense, "date")


def _load_rates(time: list[QuerySet[TimeEntry]], scan: bool) -> None:
    """Rate intervals into a temporary table: per timekeeper and currency (matter_id 0) for
    the standard levels, which price most work, and per (matter, timekeeper) only on matters
    with a matter or client agreement, where every level has to be weighed; those matters are
    listed in a second temporary table, which tells the pricing join which key to use."""
    rows_in = rate_rows()
    classes = dict(Timekeeper.objects.values_list("pk", "classification"))
    agreed_matters = {r.matter_id for r in rows_in if r.level == RateLevel.MATTER}
    agreed_clients = {r.client_id for r in rows_in if r.level == RateLevel.CLIENT}
    special = {
        pk: (client_id, currency)
        for pk, client_id, currency in Matter.objects.filter(
            Q(pk__in=agreed_matters) | Q(client_id__in=agreed_clients)
        ).values_list("pk", "client_id", "currency")
    }
    pairs: set[tuple[int, int]] = set()
    if special:
        sql, params = _union_sql(
            [
                part.filter(matter_id__in=list(special))
                .values_list("matter_id", "timekeeper_id")
                .distinct()
                for part in time
            ],
            scan=scan,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            pairs = set(cursor.fetchall())
    keys = [WorkKey(m, special[m][0], tk, classes[tk], special[m][1]) for m, tk in pairs]
    sqlite = connection.vendor == "sqlite"
    rows = []
    intervals = [(0, iv) for iv in standard_intervals(rows_in, classes)]
    intervals += [(key.matter_id, iv) for key, iv in agreed_intervals(rows_in, keys)]
    for matter_id, iv in intervals:
        places = minor_unit_places(iv.currency)
        start, end = (iv.start.isoformat(), iv.end.isoformat()) if sqlite else (iv.start, iv.end)
        rows.append(
            (
                matter_id,
                iv.timekeeper_id,
                iv.currency,
                start,
                end,
                int(iv.amount.scaleb(2)),
                10**places,
                10 ** (2 - places),
            )
        )
    temp_tables.fill(
        _TEMP,
        (
            ("matter_id", "BIGINT"),
            ("tk_id", "BIGINT"),
            ("currency", "VARCHAR(3)"),
            ("valid_from", "DATE"),
            ("valid_to", "DATE"),
            ("rate2", "BIGINT"),
            ("scale", "BIGINT"),
            ("back", "BIGINT"),
        ),
        ("matter_id", "tk_id", "currency", "valid_from"),
        rows,
    )
    temp_tables.fill(
        _AGREED, (("matter_id", "BIGINT"),), ("matter_id",), sorted({(m,) for m, _ in pairs})
    )


def _bucket_case(day: str, on: date, params: list[Any]) -> str:
    """The age bucket's index of the date in column ``day`` (all on or before ``on``)."""
    whens = []
    for i, (_key, _label, _low, high) in enumerate(AGE_BUCKETS):
        if high is None:
            break
        whens.append(f"WHEN {day} >= %s THEN {i}")
        limit = on - timedelta(days=high)
        params.append(limit.isoformat() if connection.vendor == "sqlite" else limit)
    return f"CASE {' '.join(whens)} ELSE {len(AGE_BUCKETS) - 1} END"


def _grouped_time(request: ReportRequest, by_tk: bool) -> list[tuple[Any, ...]]:
    """(matter id, timekeeper id or 0, bucket, unpriced entries, minutes, cents)."""
    time = _time(request)
    _load_rates(time, scan=request.filters.empty)
    sql, params = _union_sql(
        [
            part.annotate(
                m_=F("matter_id"),
                t_=F("timekeeper_id"),
                d_=F("work_date"),
                mi_=F("billed_minutes"),
                b_=F("billable"),
                cur_=F("matter__currency"),
            ).values_list("m_", "t_", "d_", "mi_", "b_", "cur_")
            for part in time
        ],
        scan=request.filters.empty,
    )
    outer: list[Any] = []
    bucket = _bucket_case("x.d_", request.on, outer)
    priced = "(2 * x.mi_ * x.r2 * x.sc + 6000) / 12000 * x.bk"
    value = f"CASE WHEN x.r2 IS NULL OR x.b_ <> 'billable' THEN 0 ELSE {priced} END"
    tk = "x.t_" if by_tk else "0"
    priced, reads = _priced_sql(sql)
    query = (
        f"SELECT x.m_, {tk}, {bucket} AS ab, "
        "SUM(CASE WHEN x.r2 IS NULL AND x.b_ = 'billable' THEN 1 ELSE 0 END), "
        f"SUM(x.mi_), SUM({value}) FROM ({priced}) x "
        f"GROUP BY x.m_, {'x.t_, ' if by_tk else ''}ab"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*outer, *params * reads])
        return list(cursor.fetchall())


def _priced_sql(entries: str) -> tuple[str, int]:
    """Each entry with its rate, and how many times the entries' SQL (and parameters) is in it.

    On a matter with an agreement (listed in ``_AGREED``) the rate is the (matter, timekeeper)
    interval's, elsewhere the standard one (matter_id 0). A pair's intervals include the
    standard levels, so where a pair has no interval no level has a rate, and no standard
    interval exists either. The two engines want the join written differently (EXPLAIN on the
    bench's million entries):

    * SQLite joins by index probes anyway, so one read of the entries with a probe for the pair
      and one for the standard rate is cheapest (two reads cost a second table scan).
    * PostgreSQL, given the pair join with a standard fallback, sorted the third of a million
      entries for a merge join and spilled to disk; given one join on a computed key
      (``COALESCE(agreed, 0)``) it misjudged the standard key's rows and probed by nested loop
      (35 s). So it gets two disjoint parts by matter, each a plain join it hashes: 1.1 s.
    """
    on = "r.tk_id = e.t_ AND r.currency = e.cur_ AND r.valid_from <= e.d_ AND e.d_ < r.valid_to"
    if connection.vendor == "sqlite":
        return (
            "SELECT e.*, COALESCE(p.rate2, r.rate2) AS r2, COALESCE(p.scale, r.scale) AS sc, "
            f"COALESCE(p.back, r.back) AS bk FROM ({entries}) e "
            f"LEFT JOIN {_TEMP} p ON p.matter_id = e.m_ AND {on.replace('r.', 'p.')} "
            f"LEFT JOIN {_TEMP} r ON r.matter_id = 0 AND {on}"
        ), 1
    return (
        f"SELECT e.*, r.rate2 AS r2, r.scale AS sc, r.back AS bk FROM ({entries}) e "
        f"LEFT JOIN {_AGREED} a ON a.matter_id = e.m_ "
        f"LEFT JOIN {_TEMP} r ON r.matter_id = 0 AND {on} WHERE a.matter_id IS NULL "
        "UNION ALL "
        f"SELECT e.*, r.rate2 AS r2, r.scale AS sc, r.back AS bk FROM ({entries}) e "
        f"JOIN {_AGREED} a ON a.matter_id = e.m_ "
        f"LEFT JOIN {_TEMP} r ON r.matter_id = e.m_ AND {on}"
    ), 2


def _grouped_expenses(request: ReportRequest, by_tk: bool) -> list[tuple[Any, ...]]:
    """(matter id, timekeeper id or 0, bucket, cents)."""
    sql, params = _union_sql(
        [
            part.annotate(
                m_=F("matter_id"),
                t_=F("timekeeper_id"),
                d_=F("date"),
                q_=F("quantity"),
                u_=F("unit_cost"),
                b_=F("billable"),
                cur_=F("matter__currency"),
            ).values_list("m_", "t_", "d_", "q_", "u_", "b_", "cur_")
            for part in _expenses(request)
        ]
    )
    outer: list[Any] = []
    bucket = _bucket_case("x.d_", request.on, outer)
    scale = " ".join(
        f"WHEN '{c}' THEN {10 ** minor_unit_places(c)}"
        for c in Matter.objects.order_by().values_list("currency", flat=True).distinct()
        if minor_unit_places(c) != 2
    )
    factor = f"(CASE x.cur_ {scale} ELSE 100 END)" if scale else "100"
    back = f"(100 / {factor})"
    # quantity and unit cost are scaled by 10^4 each: q·u·10^p / 10^8, half-up
    value = (
        f"CASE WHEN x.b_ <> 'billable' THEN 0 ELSE "
        f"(2 * x.q_ * x.u_ * {factor} + 100000000) / 200000000 * {back} END"
    )
    tk = "COALESCE(x.t_, 0)" if by_tk else "0"
    query = (
        f"SELECT x.m_, {tk} AS tk, {bucket} AS ab, SUM({value}) FROM ({sql}) x "
        f"GROUP BY x.m_, {'tk, ' if by_tk else ''}ab"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*outer, *params])
        return list(cursor.fetchall())


def _blank(key: str, name: str, currency: str) -> dict[str, Any]:
    row: dict[str, Any] = {"key": key, "name": name, "currency": currency, "unpriced": 0}
    for b, *_ in AGE_BUCKETS:
        row[f"{b}_m"] = 0
        row[f"{b}_c"] = 0
        row[f"{b}_e"] = 0
    return row


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    minutes = 0
    cents = 0
    for b, *_ in AGE_BUCKETS:
        minutes += row[f"{b}_m"]
        value = row[f"{b}_c"] + row[f"{b}_e"]
        cents += value
        row[b] = Decimal(value).scaleb(-2)
    row["hours"] = (Decimal(minutes) / 60).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    row["time"] = Decimal(sum(row[f"{b}_c"] for b, *_ in AGE_BUCKETS)).scaleb(-2)
    row["expenses"] = Decimal(sum(row[f"{b}_e"] for b, *_ in AGE_BUCKETS)).scaleb(-2)
    row["total"] = Decimal(cents).scaleb(-2)
    return row


def build(request: ReportRequest) -> Report:
    if not request.group_by:
        request = replace(request, group_by=GROUPINGS[0][0])
    by = request.group_by
    by_tk = by == "timekeeper"
    time_rows = _grouped_time(request, by_tk)
    expense_rows = _grouped_expenses(request, by_tk)
    matter_ids = {r[0] for r in time_rows} | {r[0] for r in expense_rows}
    # most of the firm's matters have WIP: read them all rather than bind 20,000 ids
    wanted = Matter.objects.filter(pk__in=matter_ids) if len(matter_ids) < 1000 else Matter.objects
    matters = {
        m["pk"]: m
        for m in wanted.values(
            "pk",
            "currency",
            *(() if by_tk else (MATTER_GROUPINGS[by].key_path, *MATTER_GROUPINGS[by].label_paths)),
        )
    }
    people = (
        {tk.pk: tk for tk in Timekeeper.objects.only("code", "first_name", "last_name")}
        if by_tk
        else {}
    )

    def key_of(matter_id: int, tk_id: int) -> tuple[str, str]:
        if by_tk:
            tk = people.get(tk_id)
            return (tk.code, tk.name) if tk else (NONE, "no timekeeper")
        g = MATTER_GROUPINGS[by]
        m = matters[matter_id]
        return (m[g.key_path] or NONE, label_of(tuple(m[p] for p in g.label_paths)))

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in time_rows:
        key, name = key_of(r[0], r[1])
        currency = matters[r[0]]["currency"]
        row = rows.get((key, currency)) or rows.setdefault(
            (key, currency), _blank(key, name, currency)
        )
        b = AGE_BUCKETS[int(r[2])][0]
        row["unpriced"] += int(r[3] or 0)
        row[f"{b}_m"] += int(r[4] or 0)
        row[f"{b}_c"] += int(r[5] or 0)
    for r in expense_rows:
        key, name = key_of(r[0], r[1])
        currency = matters[r[0]]["currency"]
        row = rows.get((key, currency)) or rows.setdefault(
            (key, currency), _blank(key, name, currency)
        )
        row[f"{AGE_BUCKETS[int(r[2])][0]}_e"] += int(r[3] or 0)
    ordered = sorted(
        (_finish(r) for r in rows.values()), key=lambda r: (r["currency"], -r["total"], r["key"])
    )
    counters = ("unpriced", *(f"{b}_{part}" for b, *_ in AGE_BUCKETS for part in "mce"))
    totals = {t["currency"]: _finish(t) for t in totals_by_currency(ordered, counters)}
    title = dict(GROUPINGS)[by]
    table = Table(
        key="wip",
        title=f"Work in progress by {title.lower()}",
        columns=[
            Column("key", title),
            Column("name", "Name"),
            Column("currency", "Currency"),
            Column("hours", "Hours", T.DECIMAL),
            Column("time", "Time", T.MONEY),
            Column("expenses", "Expenses", T.MONEY),
            *(Column(b, label, T.MONEY) for b, label, *_ in AGE_BUCKETS),
            Column("total", "Total WIP", T.MONEY),
        ],
        rows=ordered,
        totals=list(totals.values()),
    )
    notes = [
        f"Work dated on or before {request.on.isoformat()} and not on an invoice issued by then "
        "(unbilled, on a pre-bill, or billed later), non-billable work left out, no-charge "
        "work at no value. Time is valued at the rates the bill run would use; ages are days "
        "from the work date.",
    ]
    figures: list[Figure] = []
    for currency, t in totals.items():
        figures.append(Figure("total", f"WIP ({currency})", t["total"], T.MONEY, currency))
        figures.append(
            Figure(
                "over90", f"WIP over 90 days ({currency})", t["a91"] + t["a181"], T.MONEY, currency
            )
        )
        if t["unpriced"]:
            notes.append(
                f"{t['unpriced']} {currency} time entries have no rate in force and are valued "
                "at zero (the bill run would refuse them)."
            )
    return Report(
        name=NAME,
        title="Work in progress",
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
        key=lambda c: sum(r["total"] for r in rows if r["currency"] == c),
    )
    top = [r for r in rows if r["currency"] == currency][:15]
    return [
        Chart(
            key="age",
            title=f"WIP by age ({currency})",
            kind="bar",
            labels=[str(r["key"]) for r in top],
            datasets=[Dataset(label, [r[b] for r in top]) for b, label, *_ in AGE_BUCKETS],
            stacked=True,
            horizontal=True,
            unit=currency,
        )
    ]


SPEC = register(
    ReportSpec(
        name=NAME,
        title="Work in progress",
        description="Unbilled time and expenses on a date, valued at the rates they will be "
        "billed at, by age, client, matter, attorney, timekeeper or practice area.",
        build=build,
        groupings=GROUPINGS,
        point_in_time=True,
    )
)
