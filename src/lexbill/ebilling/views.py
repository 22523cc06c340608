"""LEDES from the web: a final invoice's file, a client's e-billing profile, and a validator for
files made anywhere."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lexbill import ledes
from lexbill.billing.models import Invoice
from lexbill.clients.models import Client
from lexbill.core.errors import LexbillError
from lexbill.ebilling.export import export_invoices, profile_for
from lexbill.ebilling.forms import LedesUploadForm, ProfileForm
from lexbill.ebilling.services import save_profile
from lexbill.firm.models import User
from lexbill.firm.permissions import Action
from lexbill.web.access import require_action
from lexbill.web.errors import add_service_error


@require_GET
def invoice_ledes(request: HttpRequest, number: str) -> HttpResponse:
    """The invoice as a LEDES file, or the page explaining every reason it cannot be one."""
    invoice = get_object_or_404(Invoice.objects.select_related("client"), number=number)
    fmt = request.GET.get("format") or None
    try:
        result = export_invoices([invoice], fmt)
    except ledes.ExportRefused as exc:
        problems = [str(p) for p in exc.problems]
        return _refused(request, invoice, problems)
    except LexbillError as exc:
        return _refused(request, invoice, [exc.message])
    response = HttpResponse(result.text, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = (
        f'attachment; filename="invoice-{invoice.number}-ledes{result.summary.format}.txt"'
    )
    response["X-Lexbill-Text-Changes"] = str(len(result.changes))
    return response


@require_GET
def invoice_ledes_check(request: HttpRequest, number: str) -> HttpResponse:
    """What the LEDES file of this invoice would be: its format and size and every change made
    to the text, or every reason it cannot be written (loaded into the invoice page by htmx)."""
    invoice = get_object_or_404(Invoice.objects.select_related("client"), number=number)
    context: dict[str, object] = {"invoice": invoice}
    try:
        result = export_invoices([invoice], request.GET.get("format") or None)
    except ledes.ExportRefused as exc:
        context["problems"] = [str(p) for p in exc.problems]
    except LexbillError as exc:
        context["problems"] = [exc.message]
    else:
        context["summary"] = result.summary
        context["changes"] = [str(change) for change in result.changes]
    return render(request, "ebilling/_check.html", context)


def _refused(request: HttpRequest, invoice: Invoice, problems: list[str]) -> HttpResponse:
    return render(
        request,
        "ebilling/refused.html",
        {"invoice": invoice, "problems": problems},
        status=400,
    )


@require_action(Action.MANAGE_CLIENTS)
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    profile = profile_for(client)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        actor: User = request.user  # type: ignore[assignment]
        try:
            save_profile(actor, client, **form.values())
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"E-billing profile of {client.name} saved.")
            return redirect("clients:client-detail", pk=client.pk)
    return render(
        request,
        "ebilling/profile.html",
        {"client": client, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def validate_upload(request: HttpRequest) -> HttpResponse:
    form = LedesUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = ledes.validate_ledes(form.cleaned_data["file"].read())
    return render(
        request,
        "ebilling/validate.html",
        {"form": form, "report": report, "name": request.FILES.get("file")},
        status=400 if form.errors else 200,
    )
