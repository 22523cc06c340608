"""The late-charges page: what would be charged as of a date, assessing it, and the charges
recorded. Every change goes through latecharges.services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lexbill.billing.models import Prebill
from lexbill.billing.prebills import EDITABLE
from lexbill.clients.models import Matter
from lexbill.core.errors import LexbillError
from lexbill.firm.permissions import Action
from lexbill.latecharges.forms import AssessForm, ChargeFilterForm
from lexbill.latecharges.selectors import charges, late_charge_policy, pending_charges
from lexbill.latecharges.services import (
    add_late_charges_to_prebill,
    assess_late_charges,
    bill_late_charges,
    matters_with_pending_charges,
)
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error
from lexbill.web.paging import page_of


def _page(request: HttpRequest, form: AssessForm, status: int = 200) -> HttpResponse:
    preview = None
    if form.is_bound and form.is_valid():
        try:
            preview = assess_late_charges(
                acting_user(request), form.cleaned_data["as_of"], dry_run=True
            )
        except LexbillError as exc:
            add_service_error(form, exc)
    filters = ChargeFilterForm(request.GET or None)
    wanted = filters.cleaned_data["status"] if filters.is_valid() else ""
    listed = charges(wanted)
    page, shown = page_of(
        listed.values_list("pk", flat=True), request.GET.get("page"), listed.in_bulk
    )
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "form": form,
        "preview": preview,
        "filters": filters,
        "page": page,
        "charges": shown,
        "query": query.urlencode(),
        "waiting": matters_with_pending_charges(),
        "policy": late_charge_policy(),
    }
    return render(request, "latecharges/late_charges.html", context, status=status)


@require_action(Action.ASSESS_LATE_CHARGES)
def late_charges(request: HttpRequest) -> HttpResponse:
    """GET with ``as_of`` previews (a dry run); without it the form offers today."""
    if "as_of" in request.GET:
        form = AssessForm(request.GET)
    else:
        form = AssessForm(initial={"as_of": timezone.localdate()})
    return _page(request, form)


@require_action(Action.ASSESS_LATE_CHARGES)
@require_POST
def assess(request: HttpRequest) -> HttpResponse:
    form = AssessForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    as_of: date = form.cleaned_data["as_of"]
    try:
        result = assess_late_charges(acting_user(request), as_of)
    except LexbillError as exc:
        add_service_error(form, exc)
        return _page(request, form, status=400)
    totals = ", ".join(
        f"{amount} {cur}" for cur, amount in sorted(result.total_by_currency.items())
    )
    if result.invoices:
        messages.success(
            request,
            f"Late charges assessed as of {as_of}: {len(result.invoices)} invoice"
            f"{'s' if len(result.invoices) != 1 else ''}, {totals}.",
        )
    else:
        messages.info(request, f"Nothing to charge as of {as_of}.")
    return redirect("latecharges:late-charges")


@require_action(Action.ASSESS_LATE_CHARGES)
@require_POST
def bill_matter(request: HttpRequest, number: str) -> HttpResponse:
    """Put a matter's pending charges on its open pre-bill, or on a new one, now."""
    matter = get_object_or_404(Matter, number=number)
    try:
        prebill = bill_late_charges(acting_user(request), matter)
    except LexbillError as exc:
        messages.error(request, exc.message)
        return redirect("latecharges:late-charges")
    if prebill is None:
        messages.info(request, f"Matter {matter.number} has no late charges waiting.")
        return redirect("latecharges:late-charges")
    messages.success(
        request, f"Late charges of matter {matter.number} put on pre-bill {prebill.pk}."
    )
    return redirect("billing:prebill-detail", pk=prebill.pk)


@require_action(Action.ASSESS_LATE_CHARGES)
def prebill_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The pre-bill page's late-charges panel (loaded by htmx): the matter's charges waiting
    for a bill and, while the pre-bill can change, a button to add them; empty when none wait."""
    prebill = get_object_or_404(Prebill.objects.select_related("matter"), pk=pk)
    waiting = list(pending_charges([prebill.matter_id]))
    if not waiting:
        return HttpResponse("")
    return render(
        request,
        "latecharges/_prebill_panel.html",
        {"prebill": prebill, "waiting": waiting, "editable": prebill.status in EDITABLE},
    )


@require_action(Action.ASSESS_LATE_CHARGES)
@require_POST
def prebill_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The pre-bill page's "Add late charges": one line per charge waiting for the matter."""
    prebill = get_object_or_404(Prebill, pk=pk)
    try:
        added = add_late_charges_to_prebill(acting_user(request), prebill)
    except LexbillError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{added} late charge{'s' if added != 1 else ''} added.")
    return redirect("billing:prebill-detail", pk=prebill.pk)
