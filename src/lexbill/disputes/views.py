"""Pages for inquiries and disputes: the open list by age, recording one from an invoice or a line,
and the dispute's page with its notes, assignment and resolution.

Every change goes through lexbill.disputes.services; refusals are shown on the page they came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lexbill.billing.models import Invoice
from lexbill.core.errors import LexbillError, PermissionDenied
from lexbill.disputes import services
from lexbill.disputes.forms import (
    AssignForm,
    DisputeFilterForm,
    DisputeForm,
    NoteForm,
    ReopenForm,
    ResolveForm,
)
from lexbill.disputes.models import Dispute, DisputeStatus
from lexbill.disputes.selectors import age_in_days, disputes_list
from lexbill.firm.models import User
from lexbill.firm.permissions import Action
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error
from lexbill.web.paging import page_of
from lexbill.web.templatetags.lexbill import may


def _status(exc: LexbillError) -> int:
    return 403 if isinstance(exc, PermissionDenied) else 400


@require_action(Action.VIEW_RECEIVABLES)
def dispute_list(request: HttpRequest) -> HttpResponse:
    form = DisputeFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "unresolved_only": data["show"] != "all",
            "assigned_to_id": acting_user(request).pk if data["mine"] else None,
            "client_id": data["client"].pk if data["client"] else None,
            "kind": data["kind"] or None,
        }
    disputes = disputes_list(**filters)
    page, shown = page_of(
        disputes.values_list("pk", flat=True),
        request.GET.get("page"),
        disputes.in_bulk,
    )
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "disputes/dispute_list.html",
        {
            "form": form,
            "rows": [(d, age_in_days(d, today)) for d in shown],
            "page": page,
            "query": query.urlencode(),
        },
    )


def _new_context(invoice: Invoice, form: DisputeForm) -> dict[str, Any]:
    return {"invoice": invoice, "form": form}


@require_action(Action.HANDLE_DISPUTES)
def dispute_new(request: HttpRequest, number: str) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("client"), number=number)
    lines = list(invoice.lines.order_by("position"))
    if request.method != "POST":
        initial: dict[str, Any] = {
            "raised_on": timezone.localdate(),
            "raised_by": invoice.client.billing_contact,
            "line": request.GET.get("line", ""),
        }
        if request.GET.get("line"):
            initial["kind"] = "dispute"
        form = DisputeForm(initial=initial, lines=lines)
        return render(request, "disputes/dispute_new.html", _new_context(invoice, form))
    form = DisputeForm(request.POST, lines=lines)
    if form.is_valid():
        data = form.cleaned_data
        try:
            dispute = services.open_dispute(
                acting_user(request),
                invoice,
                kind=data["kind"],
                raised_by=data["raised_by"],
                raised_on=data["raised_on"],
                received_via=data["received_via"],
                amount_disputed=data["amount_disputed"],
                description=data["description"],
                line=services.line_of(invoice, data["line"]) if data["line"] else None,
                assigned_to=data["assigned_to"],
            )
        except LexbillError as exc:
            add_service_error(form, exc)
            status = _status(exc)
        else:
            messages.success(
                request, f"{dispute.get_kind_display()} {dispute.pk} recorded on {invoice.number}."
            )
            return redirect("disputes:dispute-detail", pk=dispute.pk)
    else:
        status = 400
    return render(request, "disputes/dispute_new.html", _new_context(invoice, form), status=status)


def _dispute(pk: int) -> Dispute:
    return get_object_or_404(
        Dispute.objects.select_related(
            "invoice__client", "line", "assigned_to", "created_by", "resolved_by", "credit_note"
        ),
        pk=pk,
    )


def _detail_context(request: HttpRequest, dispute: Dispute, **extra: Any) -> dict[str, Any]:
    actor = acting_user(request)
    context: dict[str, Any] = {
        "dispute": dispute,
        "notes": dispute.notes.select_related("author"),
        "age": age_in_days(dispute, timezone.localdate()),
        "is_unresolved": dispute.is_unresolved,
        "in_review": dispute.status == DisputeStatus.IN_REVIEW,
        "can_handle": may(actor, Action.HANDLE_DISPUTES),
        "can_resolve": may(actor, Action.RESOLVE_DISPUTE),
        "can_credit": may(actor, Action.ISSUE_CREDIT),
        "assign_form": AssignForm(initial={"assigned_to": dispute.assigned_to}),
        "note_form": NoteForm(),
        "resolve_form": ResolveForm(),
        "reopen_form": ReopenForm(),
    }
    context.update(extra)
    return context


@require_action(Action.VIEW_RECEIVABLES)
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "disputes/dispute_detail.html", _detail_context(request, _dispute(pk)))


def _refused(
    request: HttpRequest, dispute: Dispute, exc: LexbillError, **forms: Any
) -> HttpResponse:
    shown = False
    for form in forms.values():
        if exc.field and exc.field in form.fields:
            add_service_error(form, exc)
            shown = True
    context = _detail_context(request, dispute, error="" if shown else exc.message, **forms)
    return render(request, "disputes/dispute_detail.html", context, status=_status(exc))


def _on_dispute(
    request: HttpRequest,
    pk: int,
    form_name: str,
    form_class: type[forms.Form],
    act: Callable[[User, Dispute, dict[str, Any]], str],
) -> HttpResponse:
    """Run one service on a dispute with the posted form; a refusal shows the dispute page again
    with the message beside the field it names. ``act`` returns what was done, for the message."""
    dispute = _dispute(pk)
    form = form_class(request.POST)
    if not form.is_valid():
        context = _detail_context(request, dispute, **{form_name: form})
        return render(request, "disputes/dispute_detail.html", context, status=400)
    try:
        done = act(acting_user(request), dispute, form.cleaned_data)
    except LexbillError as exc:
        return _refused(request, dispute, exc, **{form_name: form})
    if done:
        messages.success(request, f"{dispute.get_kind_display()} {dispute.pk} {done}.")
    return redirect("disputes:dispute-detail", pk=pk)


@require_action(Action.HANDLE_DISPUTES)
@require_POST
def dispute_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def act(actor: User, dispute: Dispute, data: dict[str, Any]) -> str:
        services.assign(actor, dispute, data["assigned_to"])
        return ""

    return _on_dispute(request, pk, "assign_form", AssignForm, act)


@require_action(Action.HANDLE_DISPUTES)
@require_POST
def dispute_note(request: HttpRequest, pk: int) -> HttpResponse:
    def act(actor: User, dispute: Dispute, data: dict[str, Any]) -> str:
        services.add_note(actor, dispute, data["text"])
        return ""

    response = _on_dispute(request, pk, "note_form", NoteForm, act)
    if response.status_code == 302 and request.headers.get("HX-Request"):
        dispute = _dispute(pk)
        context = {
            "dispute": dispute,
            "notes": dispute.notes.select_related("author"),
            "note_form": NoteForm(),
            "can_handle": True,
        }
        return render(request, "disputes/_notes.html", context)
    return response


@require_action(Action.HANDLE_DISPUTES)
@require_POST
def dispute_review(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _dispute(pk)
    try:
        if dispute.status == DisputeStatus.IN_REVIEW:
            services.end_review(acting_user(request), dispute)
        else:
            services.start_review(acting_user(request), dispute)
    except LexbillError as exc:
        return _refused(request, dispute, exc)
    return redirect("disputes:dispute-detail", pk=pk)


@require_action(Action.RESOLVE_DISPUTE)
@require_POST
def dispute_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    def act(actor: User, dispute: Dispute, data: dict[str, Any]) -> str:
        if data["how"] == "credit":
            resolved = services.resolve_by_credit(actor, dispute, data["amount"], data["reason"])
            assert resolved.credit_note is not None
            return f"resolved by credit note {resolved.credit_note.number}"
        services.resolve_by_explanation(actor, dispute, data["explanation"])
        return "resolved by explanation"

    return _on_dispute(request, pk, "resolve_form", ResolveForm, act)


@require_action(Action.HANDLE_DISPUTES)
@require_POST
def dispute_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    def act(actor: User, dispute: Dispute, data: dict[str, Any]) -> str:
        services.reopen(actor, dispute, data["reason"])
        return "reopened"

    return _on_dispute(request, pk, "reopen_form", ReopenForm, act)
