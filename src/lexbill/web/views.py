"""The web app's own pages: the role-aware dashboard and the invoice PDF."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from lexbill.billing.models import Invoice
from lexbill.firm.models import Role, User
from lexbill.web import dashboard


def home(request: HttpRequest) -> HttpResponse:
    """Every role's landing page: what waits for them, WIP by age, overdue and this month."""
    user: User = request.user  # type: ignore[assignment]
    today = timezone.localdate()
    waiting = dashboard.prebills_waiting_for(user)
    wip_rows, wip_total = dashboard.wip_by_matter(today)
    overdue, overdue_count = dashboard.overdue_page(today)
    trust_due = dashboard.trust_months_to_reconcile(user, today)
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
