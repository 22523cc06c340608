"""AR aging as of any date, in SQL: the report rows, and the invoices behind one cell.

Balance of an invoice as of D = total − credit notes issued on or before D − allocations applied
on or before D (reversals are negative allocations, so they add back) − write-offs and discounts
dated on or before D; only invoices issued on or before D count.

The report sums each component (invoice totals, credit notes, allocations, write-offs) grouped by
(row key, currency, bucket) with plain joins, four grouped scans instead of three correlated
subqueries per invoice: the sum of the components of a cell is the sum of its invoices'
balances. Buckets come from ``core.aging.bucket_ranges`` as ``due_on`` date ranges, so no date
arithmetic runs in the database and SQLite and PostgreSQL bucket identically. Currencies are
never added together: every row and total is per currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from lexbill.billing.models import CreditNote, Invoice
from lexbill.billing.selectors import sum_per_invoice
from lexbill.clients.models import Client, Matter
from lexbill.core.aging import (
    BUCKETS,
    AgingRow,
    AgingTotals,
    DueRange,
    bucket,
    bucket_for,
    bucket_ranges,
    days_past_due,
    totals_by_currency,
)
from lexbill.core.errors import LexbillError
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import Timekeeper
from lexbill.receivables.models import PaymentAllocation, WriteOff

_ZERO = Value(0, output_field=FixedDecimalField(places=2))


class GroupBy(StrEnum):
    CLIENT = "client"
    MATTER = "matter"
    ATTORNEY = "attorney"
    PRACTICE_AREA = "practice_area"  # for the standard collections report


# The key and label fields of a row, as paths from an invoice.
_GROUP_FIELDS: dict[GroupBy, tuple[str, tuple[str, ...]]] = {
    GroupBy.CLIENT: ("client__number", ("client__name",)),
    GroupBy.MATTER: ("matter__number", ("matter__name", "client__name")),
    GroupBy.ATTORNEY: (
        "matter__responsible_attorney__code",
        ("matter__responsible_attorney__first_name", "matter__responsible_attorney__last_name"),
    ),
    GroupBy.PRACTICE_AREA: ("matter__practice_area", ()),
}


def group_by(value: str) -> GroupBy:
    try:
        return GroupBy(value)
    except ValueError:
        raise LexbillError(
            f"cannot group aging by {value!r}; one of {', '.join(GroupBy)}", field="by"
        ) from None


@dataclass(frozen=True)
class AgingFilters:
    """Narrow the report: a client number, a responsible attorney's code, a currency.

    The tuples (empty = all) narrow it to several clients, matters, responsible attorneys or
    practice areas at once: the standard reports' filters (lexbill.reports.collections)."""

    client: str = ""
    attorney: str = ""
    currency: str = ""
    clients: tuple[str, ...] = ()
    matters: tuple[str, ...] = ()
    attorneys: tuple[str, ...] = ()
    practice_areas: tuple[str, ...] = ()

    def q(self, prefix: str = "") -> Q:
        q = Q()
        if self.client:
            q &= Q(**{f"{prefix}client__number": self.client})
        if self.attorney:
            q &= Q(**{f"{prefix}matter__responsible_attorney__code": self.attorney})
        if self.currency:
            q &= Q(**{f"{prefix}currency": self.currency.upper()})
        if self.clients:
            q &= Q(**{f"{prefix}client__number__in": self.clients})
        if self.matters:
            q &= Q(**{f"{prefix}matter__number__in": self.matters})
        if self.attorneys:
            q &= Q(**{f"{prefix}matter__responsible_attorney__code__in": self.attorneys})
        if self.practice_areas:
            q &= Q(**{f"{prefix}matter__practice_area__in": self.practice_areas})
        return q


@dataclass
class AgingReport:
    as_of: date
    by: GroupBy
    rows: list[AgingRow]
    totals: dict[str, AgingTotals] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "by": str(self.by),
            "buckets": [{"key": b.key, "label": b.label} for b in BUCKETS],
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    "currency": row.currency,
                    **row.totals.as_strings(),
                }
                for row in self.rows
            ],
            "totals": {cur: t.as_strings() for cur, t in self.totals.items()},
        }


def _bucket_number(as_of: date, due_on: str) -> Case:
    """SQL CASE giving the bucket's index in BUCKETS for ``due_on`` as of the date, by plain date
    comparison (newest first, so each WHEN needs only the lower end of its range)."""
    ranges = bucket_ranges(as_of)
    whens = [
        When(**{f"{due_on}__gte": rng.due_from}, then=Value(index))
        for index, rng in enumerate(ranges)
        if rng.due_from is not None
    ]
    return Case(*whens, default=Value(len(ranges) - 1), output_field=IntegerField())


# The parts of a balance: (model, amount, its own business date, path to the invoice, sign).
_COMPONENTS: tuple[tuple[type[Model], str, str, str, int], ...] = (
    (Invoice, "total", "", "", 1),
    (CreditNote, "total", "issued_on", "invoice__", -1),
    (PaymentAllocation, "amount", "applied_on", "invoice__", -1),
    (WriteOff, "amount", "written_off_on", "invoice__", -1),
)
# The key each part is first summed by: an invoice's own column, so no join is needed.
_KEY_COLUMN = {
    GroupBy.CLIENT: "client_id",
    GroupBy.MATTER: "matter_id",
    GroupBy.ATTORNEY: "matter_id",
    GroupBy.PRACTICE_AREA: "matter_id",
}
# Groupings summed by a column of the matter, joined once around the union.
_MATTER_COLUMN = (GroupBy.ATTORNEY, GroupBy.PRACTICE_AREA)


def _branches(as_of: date, by: GroupBy, filters: AgingFilters) -> list[QuerySet[Any]]:
    """One (key, currency, bucket, signed amount) row per invoice, credit note, allocation and
    write-off that counts as of the date.

    When nothing was issued after the date the ``issued_on`` filter is left out: it selects every
    row then, and SQLite would otherwise walk the issued_on index and fetch rows one by one."""
    latest = Invoice.objects.aggregate(m=Max("issued_on"))["m"]
    all_issued = latest is None or latest <= as_of
    out = []
    for model, amount, own_date, prefix, sign in _COMPONENTS:
        rows = model._default_manager.order_by().filter(filters.q(prefix))
        if own_date:
            rows = rows.filter(**{f"{own_date}__lte": as_of})
        if not all_issued:
            # wrapped so that no index on issued_on is used: the filter keeps most rows, and
            # a scan beats fetching each row through the index
            rows = rows.alias(aging_issued=Coalesce(f"{prefix}issued_on", f"{prefix}issued_on"))
            rows = rows.filter(aging_issued__lte=as_of)
        signed = F(amount) if sign > 0 else F(amount) * Value(-1)
        out.append(
            rows.annotate(
                aging_key=F(f"{prefix}{_KEY_COLUMN[by]}"),
                aging_currency=F(f"{prefix}currency"),
                aging_bucket=_bucket_number(as_of, f"{prefix}due_on"),
                aging_amount=ExpressionWrapper(signed, output_field=BigIntegerField()),
            ).values_list("aging_key", "aging_currency", "aging_bucket", "aging_amount")
        )
    return out


def _grouped_sums(as_of: date, by: GroupBy, filters: AgingFilters) -> list[tuple[Any, ...]]:
    """(key id, currency, bucket index, amount in cents) summed over every part of every
    balance: one statement, the four parts joined by UNION ALL and grouped once. The parts are
    compiled by the ORM for the database in use; only the union around them is written here."""
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    for n, branch in enumerate(_branches(as_of, by, filters)):
        sql, branch_params = branch.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) {quote(f'part{n}')}")
        params.extend(branch_params)
    union = " UNION ALL ".join(parts)
    if by in _MATTER_COLUMN:
        matter = Matter._meta
        attorney = quote(
            matter.get_field("responsible_attorney").column
            if by is GroupBy.ATTORNEY
            else str(matter.get_field("practice_area").column)
        )
        sql = (
            f"SELECT m.{attorney}, u.aging_currency, u.aging_bucket, SUM(u.aging_amount) "
            f"FROM ({union}) u INNER JOIN {quote(matter.db_table)} m ON m.{quote('id')} = "
            f"u.aging_key GROUP BY m.{attorney}, u.aging_currency, u.aging_bucket"
        )
    else:
        sql = (
            "SELECT u.aging_key, u.aging_currency, u.aging_bucket, SUM(u.aging_amount) "
            f"FROM ({union}) u GROUP BY u.aging_key, u.aging_currency, u.aging_bucket"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _labels(by: GroupBy, ids: set[Any]) -> dict[Any, tuple[str, str]]:
    """key id → (the row's key: client number, matter number or attorney code; its label)."""
    if by is GroupBy.CLIENT:
        rows: QuerySet[Any] = Client.objects.values_list("pk", "number", "name")
        found = {pk: (number, name) for pk, number, name in _only(rows, ids)}
    elif by is GroupBy.MATTER:
        rows = Matter.objects.values_list("pk", "number", "name", "client__name")
        found = {pk: (num, f"{name} ({client})") for pk, num, name, client in _only(rows, ids)}
    elif by is GroupBy.PRACTICE_AREA:
        found = {area: (area, area or "no practice area") for area in ids}
    else:
        rows = Timekeeper.objects.values_list("pk", "code", "first_name", "last_name")
        found = {pk: (code, f"{first} {last}") for pk, code, first, last in _only(rows, ids)}
    return found


def _only(rows: QuerySet[Any], ids: set[Any]) -> QuerySet[Any]:
    # a long IN list costs more than reading the few columns of every row
    return rows.filter(pk__in=ids) if len(ids) <= 1000 else rows


def ar_aging(
    as_of: date, by: GroupBy | str = GroupBy.CLIENT, filters: AgingFilters | None = None
) -> AgingReport:
    """The aging report as of ``as_of``: one row per (client | matter | attorney, currency)."""
    by = group_by(by) if isinstance(by, str) else by
    filters = filters or AgingFilters()
    cells: dict[tuple[Any, str], AgingTotals] = {}
    for key, currency, bucket_index, cents in _grouped_sums(as_of, by, filters):
        totals = cells.setdefault((key, currency), AgingTotals(currency))
        totals.add(BUCKETS[bucket_index].key, Decimal(int(cents)).scaleb(-2))
    labels = _labels(by, {key for key, _ in cells})
    rows = [
        AgingRow(*labels[key], totals)
        for (key, _), totals in cells.items()
        if any(totals.amounts.values())
    ]
    rows.sort(key=lambda r: (r.currency, r.label.lower(), r.key))
    return AgingReport(as_of, by, rows, totals_by_currency(rows))


def with_balances_as_of(invoices: QuerySet[Invoice], as_of: date) -> QuerySet[Invoice]:
    """The invoices issued by ``as_of``, each annotated with ``balance_as_of`` (and its parts):
    for a page of invoices or one client's, not for the whole ledger (see ``ar_aging``)."""
    return (
        invoices.filter(issued_on__lte=as_of)
        .annotate(
            credited_as_of=sum_per_invoice(CreditNote, "total", issued_on__lte=as_of),
            paid_as_of=sum_per_invoice(PaymentAllocation, "amount", applied_on__lte=as_of),
            written_off_as_of=sum_per_invoice(WriteOff, "amount", written_off_on__lte=as_of),
        )
        .annotate(
            balance_as_of=ExpressionWrapper(
                F("total") - F("credited_as_of") - F("paid_as_of") - F("written_off_as_of"),
                output_field=FixedDecimalField(places=2),
            )
        )
    )


@dataclass(frozen=True)
class AgedInvoice:
    """One invoice of a drill-down or a statement's open items."""

    number: str
    client_number: str
    client_name: str
    matter_number: str
    matter_name: str
    currency: str
    issued_on: date
    due_on: date
    days_past_due: int
    balance: Decimal
    bucket_key: str
    bucket_label: str

    def as_json(self) -> dict[str, str | int]:
        return {
            "number": self.number,
            "client": self.client_number,
            "matter": self.matter_number,
            "currency": self.currency,
            "issued_on": self.issued_on.isoformat(),
            "due_on": self.due_on.isoformat(),
            "days_past_due": self.days_past_due,
            "balance": str(self.balance),
            "bucket": self.bucket_key,
        }


def _due_range_q(rng: DueRange) -> Q:
    q = Q()
    if rng.due_from is not None:
        q &= Q(due_on__gte=rng.due_from)
    if rng.due_to is not None:
        q &= Q(due_on__lte=rng.due_to)
    return q


def aged_invoices(
    as_of: date,
    by: GroupBy | str = GroupBy.CLIENT,
    key: str = "",
    bucket_key: str = "",
    filters: AgingFilters | None = None,
) -> QuerySet[Invoice]:
    """The invoices behind a cell (row ``key``, ``bucket_key``; blank means all), with a
    non-zero balance as of the date, oldest due first; ``balance_as_of`` annotated."""
    by = group_by(by) if isinstance(by, str) else by
    filters = filters or AgingFilters()
    invoices = Invoice.objects.filter(filters.q())
    if key:
        invoices = invoices.filter(**{_GROUP_FIELDS[by][0]: key})
    if bucket_key:
        chosen = bucket(bucket_key)
        rng = next(r for r in bucket_ranges(as_of) if r.bucket == chosen)
        invoices = invoices.filter(_due_range_q(rng))
    return (
        with_balances_as_of(invoices, as_of)
        .exclude(balance_as_of=0)  # type: ignore[misc]
        .order_by("due_on", "number")
    )


def aged(invoices: Iterable[Invoice], as_of: date) -> list[AgedInvoice]:
    """Invoices from ``aged_invoices`` (loaded with client and matter) as report lines."""
    out = []
    for inv in invoices:
        days = days_past_due(inv.due_on, as_of)
        b = bucket_for(days)
        out.append(
            AgedInvoice(
                number=inv.number,
                client_number=inv.client.number,
                client_name=inv.client.name,
                matter_number=inv.matter.number,
                matter_name=inv.matter.name,
                currency=inv.currency,
                issued_on=inv.issued_on,
                due_on=inv.due_on,
                days_past_due=days,
                balance=inv.balance_as_of,  # type: ignore[attr-defined]
                bucket_key=b.key,
                bucket_label=b.label,
            )
        )
    return out
