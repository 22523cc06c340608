"""Payment-plan pages: the list, one plan's instalments, and making or ending a plan.

Every change goes through lexbill.plans.services; the pages only read through the selectors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lexbill.billing.models import Invoice
from lexbill.billing.selectors import client_currencies, open_invoices, with_balances
from lexbill.clients.models import Client
from lexbill.core.errors import LexbillError, PermissionDenied
from lexbill.firm.permissions import Action
from lexbill.plans.forms import PlanForm
from lexbill.plans.models import PaymentPlan, PlanStatus
from lexbill.plans.selectors import active_plan_of_invoices, plan_view, plan_views, plans_list
from lexbill.plans.services import cancel_plan, complete_paid_plans, create_plan, declare_defaulted
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error
from lexbill.web.paging import page_of
from lexbill.web.templatetags.lexbill import may


@require_action(Action.VIEW_RECEIVABLES)
def plan_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", PlanStatus.ACTIVE)
    today = timezone.localdate()
    plans = plans_list(status=None if status == "all" else status)
    page, shown = page_of(
        plans.values_list("pk", flat=True),
        request.GET.get("page"),
        lambda ids: {
            v.plan.pk: v for v in plan_views(list(plans_list().filter(pk__in=ids)), today)
        },
    )
    return render(
        request,
        "plans/plan_list.html",
        {
            "views": shown,
            "page": page,
            "status": status,
            "statuses": [("all", "All"), *PlanStatus.choices],
            "query": f"status={status}",
            "today": today,
            "can_manage": may(acting_user(request), Action.MANAGE_PAYMENT_PLANS),
        },
    )


@require_action(Action.VIEW_RECEIVABLES)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(PaymentPlan.objects.select_related("client", "created_by"), pk=pk)
    return render(request, "plans/plan_detail.html", _detail_context(request, plan))


def _detail_context(request: HttpRequest, plan: PaymentPlan, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    view = plan_view(plan, today)
    invoices = with_balances(Invoice.objects.filter(pk__in=view.invoice_ids)).order_by(
        "issued_on", "number"
    )
    entries = {e.invoice_id: e.balance_at_start for e in plan.plan_invoices.all()}
    return {
        "plan": plan,
        "view": view,
        "invoices": [(inv, entries[inv.pk]) for inv in invoices],
        "today": today,
        "can_manage": may(acting_user(request), Action.MANAGE_PAYMENT_PLANS),
        "is_active": plan.status == PlanStatus.ACTIVE,
        **extra,
    }


@require_action(Action.MANAGE_PAYMENT_PLANS)
def plan_new(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("client") or request.POST.get("client", "")
    client = get_object_or_404(Client, number=number) if number else None
    if client is None:
        return render(
            request,
            "plans/plan_new.html",
            {"clients": Client.objects.order_by("number"), "client": None},
        )
    open_ = [
        inv for currency in client_currencies(client) for inv in open_invoices(client, currency)
    ]
    on_plan = active_plan_of_invoices(inv.pk for inv in open_)
    candidates = [inv for inv in open_ if inv.pk not in on_plan]
    if request.method != "POST":
        form = PlanForm(
            open_invoices=candidates,
            initial={"invoices": [inv.number for inv in candidates], "every": "month"},
        )
        return _new_page(request, client, form, candidates)
    form = PlanForm(request.POST, open_invoices=candidates)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            plan = create_plan(
                acting_user(request),
                client,
                data["invoices"],
                first_due=data["first_due"],
                count=data["count"] if not data["amounts"] else None,
                every=data["every"],
                amounts=data["amounts"],
                grace_days=data["grace_days"],
                note=data["note"],
            )
        except LexbillError as exc:
            add_service_error(
                form, exc, {"instalments": "count", "amount": "amounts", "balance": "invoices"}
            )
            status = 403 if isinstance(exc, PermissionDenied) else 400
        else:
            messages.success(
                request,
                f"Payment plan {plan.pk} made: {plan.total} {plan.currency} "
                f"in {plan.instalments.count()} instalments.",
            )
            return redirect("plans:plan-detail", pk=plan.pk)
    return _new_page(request, client, form, candidates, status=status)


def _new_page(
    request: HttpRequest,
    client: Client,
    form: PlanForm,
    candidates: list[Invoice],
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "plans/plan_new.html",
        {"client": client, "form": form, "has_open": bool(candidates)},
        status=status,
    )


def _end(request: HttpRequest, pk: int, end: Any, done: str) -> HttpResponse:
    plan = get_object_or_404(PaymentPlan.objects.select_related("client"), pk=pk)
    try:
        end(acting_user(request), plan, reason=request.POST.get("reason", ""))
    except LexbillError as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return render(
            request,
            "plans/plan_detail.html",
            _detail_context(request, plan, error=exc.message),
            status=status,
        )
    messages.success(request, f"Payment plan {plan.pk} {done}.")
    return redirect("plans:plan-detail", pk=plan.pk)


@require_action(Action.MANAGE_PAYMENT_PLANS)
@require_POST
def plan_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _end(request, pk, cancel_plan, "cancelled")


@require_action(Action.MANAGE_PAYMENT_PLANS)
@require_POST
def plan_default(request: HttpRequest, pk: int) -> HttpResponse:
    return _end(request, pk, declare_defaulted, "declared defaulted")


@require_action(Action.MANAGE_PAYMENT_PLANS)
@require_POST
def plan_refresh(request: HttpRequest) -> HttpResponse:
    done = complete_paid_plans(acting_user(request))
    if done:
        messages.success(
            request, f"Completed: plan {', '.join(str(p.pk) for p in done)} (all paid)."
        )
    else:
        messages.info(request, "No active plan is fully paid.")
    return redirect("plans:plan-list")
