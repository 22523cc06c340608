"""The web app's own pages: the role-aware dashboard and the invoice PDF."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from lexbill.billing.models import Invoice
from lexbill.clients.models import Matter
from lexbill.firm.models import Role, User
from lexbill.reports.budgets import BudgetUse, budget_alerts
from lexbill.reports.views import chart_scripts
from lexbill.web import dashboard
from lexbill.web.dashboard_charts import dashboard_charts, may_see_charts

BUDGET_ALERT_LIMIT = 10


def _budget_alerts_for(user: User) -> list[BudgetUse]:
    """Who sees firm-wide money (the billing office, as for the charts) sees every matter's
    alerts; an attorney those of the matters they are responsible for."""
    if may_see_charts(user):
        return budget_alerts()
    if user.role == Role.ATTORNEY:
        return budget_alerts(Matter.objects.filter(responsible_attorney__user=user))
    return []


def home(request: HttpRequest) -> HttpResponse:
    """Every role's landing page: what waits for them, WIP by age, overdue and this month."""
    user: User = request.user  # type: ignore[assignment]
    today = timezone.localdate()
    waiting = dashboard.prebills_waiting_for(user)
    wip_rows, wip_total = dashboard.wip_by_matter(today)
    overdue, overdue_count = dashboard.overdue_page(today)
    trust_due = dashboard.trust_months_to_reconcile(user, today)
    charts = dashboard_charts(user, today, wip_total)  # only for who sees firm-wide money
    alerts = _budget_alerts_for(user)  # issue 8: budgets past a firm threshold
    return render(
        request,
        "web/home.html",
        {
            "today": today,
            "waiting": dashboard.with_figures(waiting),
            "waiting_count": waiting.count(),
            "waiting_statuses": dashboard.waiting_statuses(user.role),
            "is_attorney": user.role == Role.ATTORNEY,
            "wip_rows": wip_rows,
            "wip_total": wip_total,
            "age_buckets": [label for label, _low, _high in dashboard.AGE_BUCKETS],
            "overdue": overdue,
            "overdue_count": overdue_count,
            "months": dashboard.billed_and_collected(today),
            "trust_due": trust_due[: dashboard.TRUST_REMINDER_LIMIT],
            "trust_due_count": len(trust_due),
            "charts": [chart.as_json() for chart in charts],
            "chart_scripts": chart_scripts(charts),
            "budget_alerts": alerts[:BUDGET_ALERT_LIMIT],
            "budget_alerts_more": max(len(alerts) - BUDGET_ALERT_LIMIT, 0),
        },
    )


def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    from lexbill.billing.pdf import render_invoice_pdf

    invoice = Invoice.objects.filter(number=number).first()
    if invoice is None:
        raise Http404("no such invoice")
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    return response
