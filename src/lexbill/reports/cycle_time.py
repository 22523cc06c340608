"""Billing cycle time: how long work waits to be billed, and bills to be paid, in days.

For the final invoices issued in the period:

* Work → invoice: the mean over their time and expense lines (no-charge lines too: they were
  billed) of ``issued_on − the line's work date``. Each line counts once (line-weighted, not
  value-weighted): the figure answers "how old is work when it is billed", and a group's figure
  is Σ days ÷ Σ lines, so groups and months add up exactly.
* Invoice → paid: for each invoice settled as of the report's date, the days from ``issued_on``
  to the day of the last event that brought its balance to zero: the latest payment
  allocation, credit note, write-off or discount dated by then (an invoice whose balance is zero
  was brought to zero by its latest event; a bounced payment reopens it until paid again). Credits
  and write-offs settle like payments: the bill is no longer outstanding. The mean is over those
  invoices.
* Open: the invoices with a balance left as of the report's date, and their mean age
  (report date − ``issued_on``).

The report's date is its as-of date when that is later than the period's end, else the
period's end: invoices issued late in a period look open until a later as-of date is asked for.
All day counts are computed in SQL (``days_sql``) grouped by row key and issue date, then
folded into rows and months; averages are half-up to one place (``core.report_days``).
The timekeeper filter is refused: an invoice is paid as a whole, not per timekeeper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Model, Sum, Value

from lexbill.billing.models import CreditNote, Invoice, InvoiceLine, LineKind
from lexbill.clients.models import Client, Matter
from lexbill.core.errors import LexbillError
from lexbill.core.periods import Period
from lexbill.core.report_days import average_days
from lexbill.firm.models import Timekeeper
from lexbill.formats.spreadsheet import Column
from lexbill.receivables.models import PaymentAllocation, WriteOff
from lexbill.reports.days_sql import DaysBetween, days_between_sql
from lexbill.reports.filters import label_of, matter_q
from lexbill.reports.framework import (
    Chart,
    Dataset,
    Figure,
    Report,
    ReportRequest,
    ReportSpec,
    T,
    Table,
)
from lexbill.reports.registry import register

NAME = "cycle-time"
TITLE = "Billing cycle time"
GROUPINGS: tuple[tuple[str, str], ...] = (
    ("client", "Client"),
    ("matter", "Matter"),
    ("attorney", "Responsible attorney"),
    ("practice_area", "Practice area"),
    ("month", "Month"),
)
NO_KEY = "—"


@dataclass
class _Cell:
    invoices: int = 0
    lines: int = 0
    paid: int = 0
    open: int = 0
    line_days: int = 0
    paid_days: int = 0
    open_days: int = 0

    def add(self, other: _Cell) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def report_date(request: ReportRequest) -> date:
    return max(request.on, request.period.end)


# The row key as a column of the invoice, so the line scan joins nothing but the invoice:
# attorney and practice area are summed per matter and rolled up by the matter's attorney or
# area afterwards; numbers and names are looked up for the few keys found.
_KEY_PATHS = {
    "client": "client_id",
    "matter": "matter_id",
    "attorney": "matter_id",
    "practice_area": "matter_id",
    "month": "",
}
_ROLL_UP = {"attorney": "responsible_attorney_id", "practice_area": "practice_area"}


def _key_path(by: str) -> str:
    return _KEY_PATHS[by]


def _rolled_up(by: str, by_matter: dict[Any, _Cell]) -> dict[Any, _Cell]:
    if by not in _ROLL_UP:
        return by_matter
    owner = dict(_only(Matter.objects, set(by_matter)).values_list("pk", _ROLL_UP[by]))
    out: dict[Any, _Cell] = {}
    for matter, cell in by_matter.items():
        out.setdefault(owner[matter], _Cell()).add(cell)
    return out


def _line_cells(request: ReportRequest, key_path: str) -> Iterable[tuple[Any, date, _Cell]]:
    p = request.period
    paths = [f"invoice__{key_path}"] if key_path else []
    for r in (
        InvoiceLine.objects.filter(
            matter_q(request.filters, "invoice__matter"),
            invoice__issued_on__gte=p.start,
            invoice__issued_on__lte=p.end,
            kind__in=(LineKind.TIME, LineKind.EXPENSE),
        )
        .order_by()
        .values(*paths, "invoice__issued_on")
        .annotate(n=Count("pk"), days=Sum(DaysBetween(F("invoice__issued_on"), F("date"))))
    ):
        key = r[paths[0]] if paths else None
        yield key, r["invoice__issued_on"], _Cell(lines=r["n"], line_days=int(r["days"] or 0))


# The parts of a balance: (model, amount, its own business date, path to the invoice, sign).
_COMPONENTS: tuple[tuple[type[Model], str, str, str, int], ...] = (
    (Invoice, "total", "issued_on", "", 1),
    (CreditNote, "total", "issued_on", "invoice__", -1),
    (PaymentAllocation, "amount", "applied_on", "invoice__", -1),
    (WriteOff, "amount", "written_off_on", "invoice__", -1),
)


def _settlement_cells(request: ReportRequest, key_path: str) -> Iterable[tuple[Any, date, _Cell]]:
    """Per (key, issue date): invoices, how many are settled as of the report's date and their
    days to settle, how many are open and their days open. One statement: each invoice's
    balance and its latest event (its own issue date at the least, so an invoice of zero
    settles the day it is issued) from the four parts joined by UNION ALL, then grouped."""
    p, cut = request.period, report_date(request)
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    for n, (model, amount, own_date, prefix, sign) in enumerate(_COMPONENTS):
        rows = model._default_manager.order_by().filter(
            matter_q(request.filters, f"{prefix}matter"),
            **{f"{prefix}issued_on__gte": p.start, f"{prefix}issued_on__lte": p.end},
        )
        if prefix:
            rows = rows.filter(**{f"{own_date}__lte": cut})
        signed = F(amount) if sign > 0 else F(amount) * Value(-1)
        columns = {
            "ct_invoice": F(f"{prefix}id"),
            "ct_issued": F(f"{prefix}issued_on"),
            "ct_on": F(own_date),
            "ct_amount": ExpressionWrapper(signed, output_field=BigIntegerField()),
        }
        if key_path:
            columns["ct_key"] = F(f"{prefix}{key_path}")
        sql, branch_params = rows.annotate(**columns).values_list(*columns).query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) {quote(f'part{n}')}")
        params.extend(branch_params)
    union = " UNION ALL ".join(parts)
    key = "ct_key, " if key_path else ""
    settled = "v.balance <= 0"
    sql = (
        f"SELECT {'v.ct_key' if key_path else 'NULL'}, v.ct_issued, COUNT(*), "
        f"SUM(CASE WHEN {settled} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {settled} THEN {days_between_sql('v.last_on', 'v.ct_issued')} "
        "ELSE 0 END), "
        f"SUM(CASE WHEN {settled} THEN 0 ELSE {days_between_sql('%s', 'v.ct_issued')} END) "
        f"FROM (SELECT u.ct_invoice, {key.replace('ct_key', 'u.ct_key')}u.ct_issued, "
        "SUM(u.ct_amount) AS balance, MAX(u.ct_on) AS last_on "
        f"FROM ({union}) u GROUP BY u.ct_invoice, {key.replace('ct_key', 'u.ct_key')}u.ct_issued"
        f") v GROUP BY {key.replace('ct_key', 'v.ct_key')}v.ct_issued"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [cut.isoformat(), *params])
        found = cursor.fetchall()
    for key_value, issued, n, paid, paid_days, open_days in found:
        if isinstance(issued, str):
            issued = date.fromisoformat(issued)
        yield (
            key_value,
            issued,
            _Cell(
                invoices=int(n),
                paid=int(paid or 0),
                open=int(n) - int(paid or 0),
                paid_days=int(paid_days or 0),
                open_days=int(open_days or 0),
            ),
        )


def _only(manager: Any, keys: set[Any]) -> Any:
    # a long IN list costs more than reading a few columns of every row
    return manager.filter(pk__in=keys) if len(keys) <= 1000 else manager.all()


def _labels(by: str, keys: set[Any]) -> dict[Any, tuple[str, str]]:
    """Row key (an id, or a practice area) → (the key shown, its name)."""
    if by == "practice_area":
        return {k: (k or NO_KEY, k or "no practice area") for k in keys}
    found: dict[Any, tuple[str, str]] = {}
    if by == "client":
        for pk, number, name in _only(Client.objects, keys).values_list("pk", "number", "name"):
            found[pk] = (number, name)
    elif by == "matter":
        for pk, number, name, client in _only(Matter.objects, keys).values_list(
            "pk", "number", "name", "client__name"
        ):
            found[pk] = (number, f"{name} {client}")
    else:
        for pk, code, first, last in _only(Timekeeper.objects, keys).values_list(
            "pk", "code", "first_name", "last_name"
        ):
            found[pk] = (code, label_of((first, last)))
    return found


def _month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _row(key: Any, name: str, cell: _Cell) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "invoices": cell.invoices,
        "lines": cell.lines,
        "work_to_invoice": average_days(cell.line_days, cell.lines),
        "paid": cell.paid,
        "invoice_to_paid": average_days(cell.paid_days, cell.paid),
        "open": cell.open,
        "open_age": average_days(cell.open_days, cell.open),
        "_line_days": cell.line_days,
        "_paid_days": cell.paid_days,
        "_open_days": cell.open_days,
    }


def _table(key: str, title: str, first: str, rows: list[dict[str, Any]], total: _Cell) -> Table:
    return Table(
        key=key,
        title=title,
        columns=[
            Column("key", first),
            *([Column("name", "Name")] if key == "cycle" else []),
            Column("invoices", "Invoices", T.INTEGER),
            Column("lines", "Time and expense lines", T.INTEGER),
            Column("work_to_invoice", "Work → invoice, days", T.DECIMAL),
            Column("paid", "Paid", T.INTEGER),
            Column("invoice_to_paid", "Invoice → paid, days", T.DECIMAL),
            Column("open", "Open", T.INTEGER),
            Column("open_age", "Open: average age, days", T.DECIMAL),
        ],
        rows=rows,
        totals=[_row("Total", "", total)],
    )


def build(request: ReportRequest) -> Report:
    if not request.group_by:
        request = replace(request, group_by=GROUPINGS[0][0])
    if request.filters.timekeepers:
        raise LexbillError(
            "cycle time is per invoice, not per timekeeper: filter by responsible attorney",
            field="timekeeper",
        )
    by = request.group_by
    key_path = _key_path(by)
    by_key: dict[Any, _Cell] = {}
    by_month: dict[str, _Cell] = {m.start.strftime("%Y-%m"): _Cell() for m in _months(request)}
    for cells in (_line_cells(request, key_path), _settlement_cells(request, key_path)):
        for key, issued, cell in cells:
            by_month[_month_of(issued)].add(cell)
            if key_path:
                by_key.setdefault(key, _Cell()).add(cell)
    total = _Cell()
    for cell in by_month.values():
        total.add(cell)
    month_rows = [_row(m, "", c) for m, c in by_month.items()]
    title = dict(GROUPINGS)[by]
    tables = []
    if key_path:
        by_key = _rolled_up(by, by_key)
        labels = _labels(by, set(by_key))
        rows = [_row(*labels[k], c) for k, c in by_key.items()]
        rows.sort(key=lambda r: (-r["invoices"], str(r["key"])))
        tables.append(_table("cycle", f"Cycle time by {title.lower()}", title, rows, total))
    tables.append(_table("by-month", "Cycle time by month issued", "Month", month_rows, total))
    t = tables[0].totals[0]
    figures = [
        Figure("work_to_invoice", "Work → invoice, days", t["work_to_invoice"], T.DECIMAL),
        Figure("invoice_to_paid", "Invoice → paid, days", t["invoice_to_paid"], T.DECIMAL),
        Figure("open", "Invoices open", t["open"], T.INTEGER),
        Figure("open_age", "Open invoices: average age, days", t["open_age"], T.DECIMAL),
    ]
    on = report_date(request).isoformat()
    return Report(
        name=NAME,
        title=TITLE,
        request=request,
        tables=tables,
        figures=figures,
        charts=_charts(month_rows) if total.invoices else [],
        notes=[
            "Invoices issued in the period. Work → invoice: mean over their time and expense "
            "lines of the days from the work date to the invoice date.",
            f"Invoice → paid: invoices with nothing left to pay on {on}, days from the invoice "
            "to the last payment, credit or write-off that settled it. Open: the rest, aged to "
            f"{on}.",
        ],
    )


def _months(request: ReportRequest) -> list[Period]:
    return list(request.period.months())


def _charts(month_rows: list[dict[str, Any]]) -> list[Chart]:
    return [
        Chart(
            key="days-by-month",
            title="Average days by month issued",
            kind="bar",
            labels=[r["key"] for r in month_rows],
            datasets=[
                Dataset("Work → invoice", [r["work_to_invoice"] for r in month_rows]),
                Dataset("Invoice → paid", [r["invoice_to_paid"] for r in month_rows]),
            ],
            unit="days",
        )
    ]


SPEC = register(
    ReportSpec(
        name=NAME,
        title=TITLE,
        description="Days from work to invoice and from invoice to payment, and the invoices "
        "still open, by client, matter, attorney, practice area or month.",
        build=build,
        groupings=GROUPINGS,
        point_in_time=True,
    )
)
