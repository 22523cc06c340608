"""The dashboard's figures: a handful of set-based queries, whatever the size of the firm.

Nothing here loops over entries, invoices or payments in Python; each figure is one aggregate
query (grouped by matter or currency), so the page costs the same on a million entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from lexbill.billing.models import Invoice, LineKind, LineTreatment, Prebill, PrebillStatus
from lexbill.billing.selectors import with_balances
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
    """Pre-bills waiting for ``user``; an attorney sees only the matters they're responsible for."""
    prebills = Prebill.objects.filter(status__in=waiting_statuses(user.role))
    if user.role == Role.ATTORNEY:
        tk = Timekeeper.objects.filter(user=user).values("pk")
        prebills = prebills.filter(matter__responsible_attorney__in=tk)
    return (
        prebills.select_related("matter__client")
        .annotate(
            line_count=Count("lines"),
            time_minutes=Coalesce(Sum("lines__minutes", filter=Q(lines__kind=LineKind.TIME)), 0),
            # Work as it stands on the lines (units × rate ± write-downs), before a flat-fee or
            # cap adjustment and tax; held and no-charge lines count nothing.
            amount=Coalesce(
                Sum(
                    F("lines__amount") + F("lines__adjustment"),
                    filter=Q(lines__treatment=LineTreatment.BILL),
                    output_field=FixedDecimalField(places=2),
                ),
                _ZERO,
            ),
        )
        .order_by("created_at", "pk")
    )


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
    """Unbilled billable time per matter, in age buckets from the work date (largest first)."""
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
    figures = {"entries": Count("pk"), "minutes": Coalesce(Sum("billed_minutes"), 0), **buckets}
    totals = unbilled.aggregate(**figures)
    # The grouped rows are plain dicts whose keys come from ``figures``: typed as such.
    grouped: Any = unbilled.values(
        "matter_id", "matter__number", "matter__name", "matter__client__name"
    )
    rows: list[dict[str, Any]] = list(
        grouped.annotate(**figures, oldest_date=Min("work_date")).order_by(
            "-minutes", "matter__number"
        )[:limit]
    )
    result = [
        WipRow(
            matter_id=r["matter_id"],
            number=r["matter__number"],
            name=r["matter__name"],
            client=r["matter__client__name"],
            entries=r["entries"],
            minutes=r["minutes"],
            bucket_minutes=tuple(r[f"b{i}"] for i in range(len(AGE_BUCKETS))),
            oldest=r["oldest_date"],
        )
        for r in rows
    ]
    summary = {
        "entries": totals["entries"],
        "minutes": totals["minutes"],
        "bucket_minutes": tuple(totals[f"b{i}"] for i in range(len(AGE_BUCKETS))),
    }
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
