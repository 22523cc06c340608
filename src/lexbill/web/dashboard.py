"""The dashboard's figures: a handful of set-based queries, whatever the size of the firm.

Nothing here loops over entries, invoices or payments in Python; each figure is one aggregate
query (grouped by matter or currency), so the page costs the same on a million entries.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from lexbill.billing.models import Invoice, Prebill, PrebillStatus
from lexbill.billing.selectors import with_balances, with_prebill_figures
from lexbill.clients.models import Matter
from lexbill.entries.models import Billable, BillingState, TimeEntry
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import Role, Timekeeper, User

_ZERO = Value(0, output_field=FixedDecimalField(places=2))
WAITING_LIMIT = 50
WIP_LIMIT = 50
OVERDUE_LIMIT = 50

# (label, lowest age in days, highest age in days or None): ages are days since the work date.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0–30 days", 0, 30),
    ("31–60 days", 31, 60),
    ("61–90 days", 61, 90),
    ("Over 90 days", 91, None),
)


def waiting_statuses(role: str) -> list[str]:
    """Which pre-bill statuses wait for someone in ``role``."""
    if role in (Role.COORDINATOR, Role.ADMINISTRATOR):
        return [PrebillStatus.DRAFT, PrebillStatus.RETURNED, PrebillStatus.APPROVED]
    return [PrebillStatus.DRAFT, PrebillStatus.RETURNED]


def prebills_waiting_for(user: User) -> QuerySet[Prebill]:
    """Pre-bills waiting for ``user``, oldest first; an attorney sees only the matters they're
    responsible for. Plain rows: count them, or annotate a page of them with ``with_figures``."""
    prebills = Prebill.objects.filter(status__in=waiting_statuses(user.role))
    if user.role == Role.ATTORNEY:
        tk = Timekeeper.objects.filter(user=user).values("pk")
        prebills = prebills.filter(matter__responsible_attorney__in=tk)
    return prebills.order_by("created_at", "pk")


def with_figures(prebills: QuerySet[Prebill], limit: int = WAITING_LIMIT) -> list[Prebill]:
    """The first ``limit`` pre-bills, with their line count, hours and billed work."""
    return with_prebill_figures(list(prebills.select_related("matter__client")[:limit]))


@dataclass(frozen=True)
class WipRow:
    matter_id: int
    number: str
    name: str
    client: str
    entries: int
    minutes: int
    bucket_minutes: tuple[int, ...]
    oldest: date


def wip_by_matter(today: date, limit: int = WIP_LIMIT) -> tuple[list[WipRow], dict[str, Any]]:
    """Unbilled billable time per matter, in age buckets from the work date (largest first).

    One grouped scan of the covering ``time_wip_idx`` (grouped by the matter id alone, so no
    join stops the index from being read in order); the firm-wide totals are the sum of the
    groups in Python, rather than a second scan of the same rows.
    """
    unbilled = TimeEntry.objects.filter(state=BillingState.UNBILLED).exclude(
        billable=Billable.NON_BILLABLE
    )
    buckets: dict[str, Any] = {}
    for i, (_label, low, high) in enumerate(AGE_BUCKETS):
        # The youngest bucket has no lower age, so work dated ahead of today is counted in it.
        cond = Q(work_date__lte=today - timedelta(days=low)) if low else Q()
        if high is not None:
            cond &= Q(work_date__gte=today - timedelta(days=high))
        buckets[f"b{i}"] = Coalesce(Sum("billed_minutes", filter=cond), 0)
    bucket_keys = list(buckets)
    # One row per matter with work in progress: tens of thousands on a big firm. They are read
    # as plain tuples, without the ORM's per-value converters (half the page's time otherwise);
    # only the rows shown are turned into objects.
    grouped = (
        unbilled.values("matter_id")
        .order_by("matter_id")
        .annotate(
            entries=Count("pk"),
            minutes=Coalesce(Sum("billed_minutes"), 0),
            oldest=Min("work_date"),
            **buckets,
        )
        .values_list("matter_id", "entries", "minutes", "oldest", *bucket_keys)
    )
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    summary = {
        "entries": sum(r[1] for r in rows),
        "minutes": sum(r[2] for r in rows),
        "bucket_minutes": tuple(sum(r[4 + i] for r in rows) for i in range(len(bucket_keys))),
    }
    # the busiest matters, ties by matter number: every row tied with the last place is a
    # candidate, so a tie at the cut is decided by the number, not by the id
    ranked = heapq.nlargest(limit, rows, key=lambda r: r[2])
    cut = ranked[-1][2] if len(ranked) >= limit else 0
    candidates = [r for r in rows if r[2] >= cut]
    matters = Matter.objects.select_related("client").in_bulk([r[0] for r in candidates])
    top = sorted(candidates, key=lambda r: (-r[2], matters[r[0]].number))[:limit]
    result = [
        WipRow(
            matter_id=r[0],
            number=matters[r[0]].number,
            name=matters[r[0]].name,
            client=matters[r[0]].client.name,
            entries=r[1],
            minutes=r[2],
            bucket_minutes=tuple(r[4:]),
            oldest=r[3] if isinstance(r[3], date) else date.fromisoformat(r[3]),
        )
        for r in top
    ]
    return result, summary


def overdue_page(today: date, limit: int = OVERDUE_LIMIT) -> tuple[list[Invoice], int]:
    """The ``limit`` most overdue invoices with their balances, and how many are overdue.

    The balances of all invoices past due are computed once, for the ids alone; only the
    invoices shown are loaded with their client and matter.
    """
    due: list[int] = list(overdue_invoices(today).values_list("pk", flat=True))
    shown = overdue_invoices(today).filter(pk__in=due[:limit]).in_bulk()
    return [shown[pk] for pk in due[:limit]], len(due)


def overdue_invoices(today: date) -> QuerySet[Invoice]:
    """Invoices past their due date with money still owed, oldest due first."""
    balanced: Any = with_balances(
        Invoice.objects.filter(due_on__lt=today).select_related("client", "matter")
    )
    overdue: QuerySet[Invoice] = balanced.filter(balance__gt=0).order_by("due_on", "number")
    return overdue


@dataclass
class MonthFigures:
    currency: str
    billed_this: Decimal = Decimal("0.00")
    billed_last: Decimal = Decimal("0.00")
    collected_this: Decimal = Decimal("0.00")
    collected_last: Decimal = Decimal("0.00")


@dataclass
class Months:
    this_start: date
    last_start: date
    by_currency: list[MonthFigures] = field(default_factory=list)


def month_start(day: date) -> date:
    return day.replace(day=1)


def billed_and_collected(today: date) -> Months:
    """Invoice totals issued and money received, this month against last, per currency.

    Collected is the payments received in the month: what was allocated to invoices plus what
    was left unapplied on the client, i.e. the payment's whole amount.
    """
    from lexbill.receivables.models import Payment

    this_start = month_start(today)
    last_start = month_start(this_start - timedelta(days=1))
    this_q = Q(issued_on__gte=this_start)
    billed = (
        Invoice.objects.filter(issued_on__gte=last_start, issued_on__lte=today)
        .values("currency")
        .order_by("currency")
        .annotate(
            this=Coalesce(Sum("total", filter=this_q), _ZERO),
            last=Coalesce(Sum("total", filter=~this_q), _ZERO),
        )
    )
    got_q = Q(received_on__gte=this_start)
    collected = (
        Payment.objects.filter(received_on__gte=last_start, received_on__lte=today)
        .values("currency")
        .order_by("currency")
        .annotate(
            this=Coalesce(Sum("amount", filter=got_q), _ZERO),
            last=Coalesce(Sum("amount", filter=~got_q), _ZERO),
        )
    )
    figures: dict[str, MonthFigures] = {}
    for row in billed:
        f = figures.setdefault(row["currency"], MonthFigures(row["currency"]))
        f.billed_this, f.billed_last = Decimal(row["this"]), Decimal(row["last"])
    for row in collected:
        f = figures.setdefault(row["currency"], MonthFigures(row["currency"]))
        f.collected_this, f.collected_last = Decimal(row["this"]), Decimal(row["last"])
    return Months(this_start, last_start, [figures[c] for c in sorted(figures)])


TRUST_REMINDER_LIMIT = 6


def trust_months_to_reconcile(user: User, today: date) -> list[tuple[Any, date]]:
    """Trust accounts' past months not yet signed off, for the people who see trust money.

    The rules want a three-way reconciliation every month; a month left unsigned is the one
    thing on this page a bar auditor would ask about first.
    """
    from lexbill.firm.permissions import Action, allowed

    if not allowed(user, Action.VIEW_TRUST):
        return []
    from lexbill.trust.reconciliation import unreconciled_months

    return unreconciled_months(today)
