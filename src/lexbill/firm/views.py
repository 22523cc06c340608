"""Settings pages: firm policy, users, timekeepers, rates.

Thin views: a form types the input, a service (configure_firm, create_user, create_timekeeper,
set_rate) checks the role, changes the data and is audited; the service's refusal is shown next to
the field it names. The decorators refuse other roles early with a 403 page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from lexbill.billing.models import Rate
from lexbill.billing.rates import set_rate
from lexbill.core.errors import LexbillError, NotFound
from lexbill.core.rates import RateLevel
from lexbill.firm import services
from lexbill.firm.forms import (
    FirmPolicyForm,
    RateForm,
    TimekeeperCreateForm,
    TimekeeperTargetForm,
    UserCreateForm,
)
from lexbill.firm.models import Firm, Timekeeper, User
from lexbill.firm.permissions import Action
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error


def _render(request: HttpRequest, template: str, tab: str, **context: Any) -> HttpResponse:
    return render(request, template, {"tab": tab, **context})


@require_action(Action.MANAGE_FIRM)
def firm_policy(request: HttpRequest) -> HttpResponse:
    try:
        firm: Firm | None = services.get_firm()
    except NotFound:
        firm = None
    form = FirmPolicyForm(request.POST or None, instance=firm)
    if request.method == "POST" and form.is_valid():
        try:
            services.configure_firm(acting_user(request), **form.cleaned_data)
        except (LexbillError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Firm policy saved.")
            return redirect("firm:settings")
    return _render(request, "firm/policy.html", "policy", form=form)


@require_action(Action.MANAGE_FIRM)
def users(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                acting_user(request),
                data["username"],
                data["password"],
                data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"User {user.username} created ({user.get_role_display()}).")
            return redirect("firm:users")
    people = User.objects.select_related("timekeeper").order_by("username")
    return _render(request, "firm/users.html", "users", form=form, people=people)


@require_action(Action.MANAGE_FIRM)
def timekeepers(request: HttpRequest) -> HttpResponse:
    setting_target = request.POST.get("action") == "target"
    target_form = TimekeeperTargetForm(request.POST if setting_target else None, prefix="target")
    form = TimekeeperCreateForm(None if setting_target else request.POST or None)
    if setting_target and target_form.is_valid():
        data = target_form.cleaned_data
        try:
            tk = services.set_billable_target(
                acting_user(request), data["timekeeper"], data["target_hours"]
            )
        except LexbillError as exc:
            add_service_error(target_form, exc)
        else:
            messages.success(request, f"Billable-hour target of {tk} saved.")
            return redirect("firm:timekeepers")
    if request.method == "POST" and not setting_target and form.is_valid():
        data = form.cleaned_data
        try:
            tk = services.create_timekeeper(
                acting_user(request),
                data["code"].strip(),
                data["first_name"],
                data["last_name"],
                data["classification"],
                user=data["user"],
                billable_target_hours=data["billable_target_hours"],
            )
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Timekeeper {tk} created.")
            return redirect("firm:timekeepers")
    rows = Timekeeper.objects.select_related("user").order_by("code")
    return _render(
        request,
        "firm/timekeepers.html",
        "timekeepers",
        form=form,
        target_form=target_form,
        rows=rows,
    )


@require_action(Action.MANAGE_RATES)
def rates(request: HttpRequest) -> HttpResponse:
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rate = set_rate(
                acting_user(request),
                data["level"],
                data["amount"],
                data["effective_from"],
                currency=data["currency"],
                matter=data["matter"],
                client=data["client"],
                timekeeper=data["timekeeper"],
                classification=data["classification"],
            )
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Rate added: {rate.level} {rate.amount} {rate.currency}.")
            return redirect("firm:rates")
    level = request.GET.get("level", "")
    rows = Rate.objects.order_by("level", "currency", "effective_from", "pk")
    if level:
        rows = rows.filter(level=level)
    search = request.GET.get("q", "").strip()
    if search:
        rows = rows.filter(
            Q(matter__number__istartswith=search) | Q(client__number__istartswith=search)
        )
    page = Paginator(rows.values_list("pk", flat=True), 50).get_page(request.GET.get("page"))
    shown = Rate.objects.select_related("matter", "client", "timekeeper").in_bulk(page)
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "firm/rates.html",
        "rates",
        form=form,
        page=page,
        rates=[shown[pk] for pk in page],
        level=level,
        search=search,
        levels=[lv.value for lv in RateLevel],
        query=query.urlencode(),
    )
