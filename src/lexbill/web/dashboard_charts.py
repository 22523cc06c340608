"""The dashboard's charts, for the people who see firm-wide money (reports or receivables).

They are ``lexbill.reports.framework.Chart`` objects, so the dashboard draws them with the same
JSON blocks and the same charts.js as the report pages. Each figure is one grouped query (or
reuses a figure the dashboard already computed): the page's cost stays flat however large the
firm, which is what the dashboard's 200 ms budget asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from lexbill.billing.models import Invoice
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, allowed
from lexbill.reports.framework import Chart, Dataset
from lexbill.web.dashboard import AGE_BUCKETS

CHART_MONTHS = 12


def may_see_charts(user: User) -> bool:
    return allowed(user, Action.VIEW_REPORTS) or allowed(user, Action.VIEW_RECEIVABLES)


def chart_months(today: date, count: int = CHART_MONTHS) -> list[date]:
    """The first days of the last ``count`` months, the current one last."""
    year, month = today.year, today.month
    firsts = []
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def _as_date(value: Any) -> date:
    """TruncMonth gives a date on PostgreSQL and may give a datetime or text elsewhere."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if hasattr(value, "date") and callable(value.date):
        return value.date()  # type: ignore[no-any-return]
    return value  # type: ignore[no-any-return]


def monthly_billed_and_collected(
    today: date, months: Sequence[date]
) -> dict[str, tuple[list[Decimal], list[Decimal]]]:
    """Per currency: invoice totals issued and payments received in each of ``months``.

    Two grouped queries (month × currency), whatever the number of invoices and payments.
    Collected is the payments' whole amounts, as on the dashboard's "this month" cards.
    """
    from lexbill.receivables.models import Payment

    index = {m: i for i, m in enumerate(months)}
    out: dict[str, tuple[list[Decimal], list[Decimal]]] = {}

    def slot(currency: str) -> tuple[list[Decimal], list[Decimal]]:
        zeros = [Decimal("0.00")] * len(months)
        return out.setdefault(currency, (list(zeros), list(zeros)))

    billed = (
        Invoice.objects.filter(issued_on__gte=months[0], issued_on__lte=today)
        .annotate(month=TruncMonth("issued_on"))
        .values("month", "currency")
        .order_by()
        .annotate(amount=Sum("total"))
    )
    for row in billed:
        i = index.get(_as_date(row["month"]))
        if i is not None:
            slot(row["currency"])[0][i] += Decimal(row["amount"])
    collected = (
        Payment.objects.filter(received_on__gte=months[0], received_on__lte=today)
        .annotate(month=TruncMonth("received_on"))
        .values("month", "currency")
        .order_by()
        .annotate(amount=Sum("amount"))
    )
    for row in collected:
        i = index.get(_as_date(row["month"]))
        if i is not None:
            slot(row["currency"])[1][i] += Decimal(row["amount"])
    return dict(sorted(out.items()))


def billed_collected_charts(today: date) -> list[Chart]:
    months = chart_months(today)
    labels = [m.strftime("%b %Y") for m in months]
    return [
        Chart(
            key=f"billed-collected-{currency.lower()}",
            title=f"Billed and collected, last {len(months)} months ({currency})",
            kind="bar",
            labels=labels,
            datasets=[
                Dataset("Billed", billed),
                Dataset("Collected", collected, kind="line"),
            ],
            unit=currency,
        )
        for currency, (billed, collected) in monthly_billed_and_collected(today, months).items()
    ]


def aging_charts(today: date) -> list[Chart]:
    """Open receivables by days past due today, one chart per currency (the aging report's
    totals row, so the chart and /aging/ can never disagree)."""
    from lexbill.core.aging import BUCKETS
    from lexbill.receivables.aging import ar_aging

    return [
        Chart(
            key=f"aging-{currency.lower()}",
            title=f"Receivables by days past due ({currency})",
            kind="bar",
            labels=[b.label for b in BUCKETS],
            datasets=[Dataset("Open balance", [totals.amounts[b.key] for b in BUCKETS])],
            unit=currency,
        )
        for currency, totals in ar_aging(today).totals.items()
        if totals.total
    ]


def wip_chart(wip_total: dict[str, Any]) -> list[Chart]:
    """Unbilled hours by age: the totals row of the WIP table, no query of its own."""
    minutes = wip_total.get("bucket_minutes", ())
    if not any(minutes):
        return []
    return [
        Chart(
            key="wip-age",
            title="Unbilled time by age (hours)",
            kind="bar",
            labels=[label for label, _low, _high in AGE_BUCKETS],
            datasets=[
                Dataset("Hours", [(Decimal(m) / 60).quantize(Decimal("0.01")) for m in minutes])
            ],
            unit="hours",
        )
    ]


def dashboard_charts(user: User, today: date, wip_total: dict[str, Any]) -> list[Chart]:
    if not may_see_charts(user):
        return []
    return billed_collected_charts(today) + aging_charts(today) + wip_chart(wip_total)
