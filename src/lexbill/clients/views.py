"""Pages for clients and matters. Every change goes through a service (clients.services,
billing.rates); a refusal is shown next to the field it names, or above the form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lexbill.billing.models import Invoice, Rate
from lexbill.billing.rates import set_rate
from lexbill.billing.selectors import (
    client_balance,
    client_currencies,
    invoice_status,
    matter_balance,
    with_balances,
)
from lexbill.clients.forms import (
    ApprovedTimekeeperForm,
    ClientForm,
    ClientSearchForm,
    MatterBudgetForm,
    MatterEditForm,
    MatterForm,
    MatterRateForm,
    RateNoticeForm,
)
from lexbill.clients.models import Client, Matter, RateNotice
from lexbill.clients.selectors import matter_budget_status
from lexbill.clients.services import (
    approve_timekeeper,
    close_matter,
    create_client,
    open_matter,
    record_rate_notice,
    remove_matter_budget,
    remove_rate_notice,
    set_matter_budget,
    update_client,
    update_matter,
    withdraw_timekeeper_approval,
)
from lexbill.core.errors import LexbillError, PermissionDenied
from lexbill.entries.models import BillingState
from lexbill.firm.permissions import Action, allowed
from lexbill.reports.budgets import budget_alerts
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error


def _status(exc: LexbillError) -> int:
    return 403 if isinstance(exc, PermissionDenied) else 400


def _percent(value: Decimal) -> str:
    """``8.2500`` → ``8.25``, ``20.0000`` → ``20``."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- clients ---------------------------------------------------------------------------------


def client_list(request: HttpRequest) -> HttpResponse:
    form = ClientSearchForm(request.GET or None)
    clients = Client.objects.annotate(
        open_matters=Count("matters", filter=Q(matters__status=Matter.Status.OPEN))
    )
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if q:
        clients = clients.filter(Q(number__icontains=q) | Q(name__icontains=q))
    page = Paginator(clients.order_by("name", "number"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "clients/client_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_manage": allowed(acting_user(request), Action.MANAGE_CLIENTS),
        },
    )


@require_action(Action.MANAGE_CLIENTS)
def client_new(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = create_client(acting_user(request), **form.cleaned_data)
        except LexbillError as exc:
            add_service_error(form, exc)
            return render(request, "clients/client_form.html", {"form": form}, status=_status(exc))
        messages.success(request, f"Client {client.number} created.")
        return redirect("clients:client-detail", pk=client.pk)
    status = 400 if form.errors else 200
    return render(request, "clients/client_form.html", {"form": form}, status=status)


def _client_context(request: HttpRequest, client: Client, **extra: Any) -> dict[str, Any]:
    actor = acting_user(request)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "client": client,
        "tax_percent": _percent(client.tax_rate_percent),
        "matters": client.matters.select_related("responsible_attorney").order_by("number"),
        "balances": [(c, client_balance(client, c)) for c in client_currencies(client)],
        "approvals": client.approved_timekeepers.select_related("timekeeper"),
        "approve_form": ApprovedTimekeeperForm(initial={"approved_on": today}),
        "rate_notices": client.rate_notices.select_related("timekeeper"),
        "notice_form": RateNoticeForm(initial={"given_on": today}),
        "can_manage": allowed(actor, Action.MANAGE_CLIENTS),
        "can_rate": allowed(actor, Action.MANAGE_RATES),
    }
    context.update(extra)
    return context


def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    return render(request, "clients/client_detail.html", _client_context(request, client))


@require_action(Action.MANAGE_CLIENTS)
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    initial = {name: getattr(client, name) for name in ClientForm.base_fields}
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != initial[k]}
        try:
            client = update_client(acting_user(request), client, **changes)
        except LexbillError as exc:
            add_service_error(form, exc)
            return render(
                request,
                "clients/client_form.html",
                {"form": form, "client": client},
                status=_status(exc),
            )
        messages.success(request, f"Client {client.number} saved.")
        return redirect("clients:client-detail", pk=client.pk)
    return render(
        request,
        "clients/client_form.html",
        {"form": form, "client": client},
        status=400 if form.errors else 200,
    )


# ---- matters ---------------------------------------------------------------------------------


@require_action(Action.MANAGE_CLIENTS)
def matter_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    form = MatterForm(
        request.POST or None, initial={"opened_on": timezone.localdate(), "currency": "USD"}
    )
    context: dict[str, Any] = {"form": form, "client": client}
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            matter = open_matter(
                acting_user(request),
                client,
                data.pop("number"),
                data.pop("name"),
                data.pop("responsible_attorney"),
                **data,
            )
        except LexbillError as exc:
            add_service_error(form, exc)
            return render(request, "clients/matter_form.html", context, status=_status(exc))
        messages.success(request, f"Matter {matter.number} opened.")
        return redirect("clients:matter-detail", pk=matter.pk)
    return render(request, "clients/matter_form.html", context, status=400 if form.errors else 200)


def _get_matter(pk: int) -> Matter:
    return get_object_or_404(Matter.objects.select_related("client", "responsible_attorney"), pk=pk)


def _matter_context(request: HttpRequest, matter: Matter, **extra: Any) -> dict[str, Any]:
    from lexbill.receivables.models import PaymentAllocation

    actor = acting_user(request)
    wip = matter.time_entries.filter(state=BillingState.UNBILLED).aggregate(
        count=Count("pk"), minutes=Sum("billed_minutes")
    )
    invoices = with_balances(Invoice.objects.filter(matter=matter)).order_by("-issued_on", "-id")
    context: dict[str, Any] = {
        "matter": matter,
        "client": matter.client,
        "wip_count": wip["count"],
        "wip_minutes": wip["minutes"] or 0,
        "prebills": matter.prebills.order_by("-created_at", "-id"),
        "invoices": [{"invoice": inv, "status": invoice_status(inv)} for inv in invoices],
        "allocations": PaymentAllocation.objects.filter(invoice__matter=matter)
        .select_related("payment", "invoice")
        .order_by("-allocated_at", "-id"),
        "balance": matter_balance(matter),
        "rates": Rate.objects.filter(matter=matter)
        .select_related("timekeeper")
        .order_by("-effective_from", "id"),
        "rate_form": MatterRateForm(initial={"effective_from": timezone.localdate()}),
        "budget": matter_budget_status(matter),
        "budget_alerts": budget_alerts([matter]),  # issue 8: thresholds crossed
        "budget_form": MatterBudgetForm(),
        "can_manage": allowed(actor, Action.MANAGE_CLIENTS),
        "can_rate": allowed(actor, Action.MANAGE_RATES),
    }
    context.update(extra)
    return context


def matter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _get_matter(pk)
    return render(request, "clients/matter_detail.html", _matter_context(request, matter))


@require_action(Action.MANAGE_CLIENTS)
def matter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _get_matter(pk)
    initial = {name: getattr(matter, name) for name in MatterEditForm.base_fields}
    form = MatterEditForm(request.POST or None, initial=initial)
    context = {"form": form, "client": matter.client, "matter": matter}
    if request.method == "POST" and form.is_valid():
        try:
            matter = update_matter(acting_user(request), matter, **form.cleaned_data)
        except LexbillError as exc:
            add_service_error(form, exc)
            return render(request, "clients/matter_form.html", context, status=_status(exc))
        messages.success(request, f"Matter {matter.number} saved.")
        return redirect("clients:matter-detail", pk=matter.pk)
    return render(request, "clients/matter_form.html", context, status=400 if form.errors else 200)


@require_action(Action.MANAGE_CLIENTS)
@require_POST
def matter_close(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _get_matter(pk)
    try:
        matter = close_matter(acting_user(request), matter, timezone.localdate())
    except LexbillError as exc:
        return render(
            request,
            "clients/matter_detail.html",
            _matter_context(request, matter, error=exc.message),
            status=_status(exc),
        )
    messages.success(request, f"Matter {matter.number} closed; no new work can be recorded.")
    return redirect("clients:matter-detail", pk=matter.pk)


@require_action(Action.MANAGE_RATES)
@require_POST
def matter_rate_new(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _get_matter(pk)
    form = MatterRateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            rate = set_rate(
                acting_user(request),
                "matter",
                data["amount"],
                data["effective_from"],
                currency=matter.currency,
                matter=matter,
                timekeeper=data["timekeeper"],
                classification=data["classification"],
            )
        except LexbillError as exc:
            add_service_error(form, exc)
            return render(
                request,
                "clients/matter_detail.html",
                _matter_context(request, matter, rate_form=form),
                status=_status(exc),
            )
        messages.success(request, f"Matter rate {rate.amount} from {rate.effective_from} added.")
        return redirect("clients:matter-detail", pk=matter.pk)
    return render(
        request,
        "clients/matter_detail.html",
        _matter_context(request, matter, rate_form=form),
        status=400,
    )


# ---- facts the client's billing guidelines need -----------------------------------------------
# Small forms on the matter and client pages; a refusal shows the page again with the form's
# errors next to the field the service named.


@require_action(Action.MANAGE_CLIENTS)
@require_POST
def matter_budget_set(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _get_matter(pk)
    form = MatterBudgetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            budget = set_matter_budget(acting_user(request), matter, data["phase"], data["amount"])
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            what = f"phase {budget.phase}" if budget.phase else "the matter"
            messages.success(request, f"Budget for {what} set to {budget.amount}.")
            return redirect("clients:matter-detail", pk=matter.pk)
    context = _matter_context(request, matter, budget_form=form)
    return render(request, "clients/matter_detail.html", context, status=400)


@require_action(Action.MANAGE_CLIENTS)
@require_POST
def matter_budget_remove(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _get_matter(pk)
    phase = request.POST.get("phase", "")
    try:
        remove_matter_budget(acting_user(request), matter, phase)
    except LexbillError as exc:
        context = _matter_context(request, matter, error=exc.message)
        return render(request, "clients/matter_detail.html", context, status=_status(exc))
    messages.success(request, f"Budget for {f'phase {phase}' if phase else 'the matter'} removed.")
    return redirect("clients:matter-detail", pk=matter.pk)


@require_action(Action.MANAGE_CLIENTS)
@require_POST
def client_timekeeper_approve(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    form = ApprovedTimekeeperForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            approval = approve_timekeeper(
                acting_user(request), client, data["timekeeper"], data["approved_on"], data["note"]
            )
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{approval.timekeeper.code} approved by {client.number}.")
            return redirect("clients:client-detail", pk=client.pk)
    context = _client_context(request, client, approve_form=form)
    return render(request, "clients/client_detail.html", context, status=400)


@require_action(Action.MANAGE_CLIENTS)
@require_POST
def client_timekeeper_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    approval = get_object_or_404(
        client.approved_timekeepers.select_related("timekeeper"),
        timekeeper_id=request.POST.get("timekeeper") or 0,
    )
    try:
        withdraw_timekeeper_approval(acting_user(request), client, approval.timekeeper)
    except LexbillError as exc:
        context = _client_context(request, client, error=exc.message)
        return render(request, "clients/client_detail.html", context, status=_status(exc))
    messages.success(request, f"{approval.timekeeper.code} is no longer approved.")
    return redirect("clients:client-detail", pk=client.pk)


@require_action(Action.MANAGE_RATES)
@require_POST
def client_rate_notice_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    form = RateNoticeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_rate_notice(
                acting_user(request),
                client,
                data["effective_from"],
                data["given_on"],
                data["timekeeper"],
                data["note"],
            )
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Rate notice recorded.")
            return redirect("clients:client-detail", pk=client.pk)
    context = _client_context(request, client, notice_form=form)
    return render(request, "clients/client_detail.html", context, status=400)


@require_action(Action.MANAGE_RATES)
@require_POST
def client_rate_notice_remove(request: HttpRequest, pk: int, notice: int) -> HttpResponse:
    found = get_object_or_404(RateNotice.objects.select_related("client"), pk=notice, client_id=pk)
    try:
        remove_rate_notice(acting_user(request), found)
    except LexbillError as exc:
        context = _client_context(request, found.client, error=exc.message)
        return render(request, "clients/client_detail.html", context, status=_status(exc))
    messages.success(request, "Rate notice removed.")
    return redirect("clients:client-detail", pk=pk)
