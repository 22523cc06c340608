"""The dashboard's figures: a handful of set-based queries, whatever the size of the firm.

Nothing here loops over entries, invoices or payments in Python; each figure is one aggregate
query (grouped by matter or currency), so the page costs the same on a million entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

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
    # The grouped rows are plain dicts whose keys come from the annotations: typed as such.
    grouped: Any = unbilled.values("matter_id").order_by("matter_id")
    rows: list[dict[str, Any]] = list(
        grouped.annotate(
            entries=Count("pk"),
            minutes=Coalesce(Sum("billed_minutes"), 0),
            oldest=Min("work_date"),
            **buckets,
        )
    )
    summary = {
        "entries": sum(r["entries"] for r in rows),
        "minutes": sum(r["minutes"] for r in rows),
        "bucket_minutes": tuple(sum(r[k] for r in rows) for k in bucket_keys),
    }
    # the busiest matters, ties by matter number: every row tied with the last place is a
    # candidate, so a tie at the cut is decided by the number, not by the id
    ranked = sorted(rows, key=lambda r: -r["minutes"])
    cut = ranked[limit - 1]["minutes"] if len(ranked) >= limit else 0
    candidates = [r for r in ranked if r["minutes"] >= cut]
    matters = Matter.objects.select_related("client").in_bulk([r["matter_id"] for r in candidates])
    top = sorted(candidates, key=lambda r: (-r["minutes"], matters[r["matter_id"]].number))[:limit]
    result = [
        WipRow(
            matter_id=r["matter_id"],
            number=matters[r["matter_id"]].number,
            name=matters[r["matter_id"]].name,
            client=matters[r["matter_id"]].client.name,
            entries=r["entries"],
            minutes=r["minutes"],
            bucket_minutes=tuple(r[k] for k in bucket_keys),
            oldest=r["oldest"],
        )
        for r in top
    ]
    return result, summary


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
