"""The first pages: a dashboard and the invoice PDF. The full web application builds on these."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lexbill.billing.models import Invoice, Prebill, PrebillStatus
from lexbill.billing.selectors import with_balances
from lexbill.entries.models import BillingState, TimeEntry
from lexbill.firm.models import Firm


def home(request: HttpRequest) -> HttpResponse:
    waiting = (
        Prebill.objects.filter(status__in=[PrebillStatus.DRAFT, PrebillStatus.RETURNED])
        .select_related("matter__client")
        .order_by("matter__number")[:50]
    )
    wip = TimeEntry.objects.filter(state=BillingState.UNBILLED).aggregate(
        n=Count("pk"), minutes=Sum("billed_minutes")
    )
    invoices = with_balances(Invoice.objects.select_related("client", "matter")).order_by(
        "-issued_on", "-id"
    )[:20]
    return render(
        request,
        "web/home.html",
        {"firm": Firm.objects.first(), "waiting": waiting, "wip": wip, "invoices": invoices},
    )


def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    from lexbill.billing.pdf import render_invoice_pdf

    invoice = Invoice.objects.filter(number=number).first()
    if invoice is None:
        raise Http404("no such invoice")
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    return response
