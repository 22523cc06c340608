"""Pages for payments and client balances. Every change goes through receivables.services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.db.models import ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lexbill.billing.selectors import (
    client_balance,
    client_currencies,
    client_currency,
    open_invoices,
)
from lexbill.clients.models import Client
from lexbill.core.allocation import OpenInvoice, allocate_oldest_first
from lexbill.core.errors import LexbillError, PermissionDenied
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.receivables.forms import (
    ALLOCATION_PREFIX,
    PaymentFilterForm,
    PaymentForm,
    posted_allocations,
)
from lexbill.receivables.models import Payment
from lexbill.receivables.services import apply_unapplied_credit, post_payment
from lexbill.web.errors import add_service_error
from lexbill.web.paging import page_of


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # LoginRequiredMiddleware keeps anonymous visitors out
    return user


def _may(actor: User, action: Action) -> bool:
    try:
        require(actor, action)
    except PermissionDenied:
        return False
    return True


def payment_list(request: HttpRequest) -> HttpResponse:
    form = PaymentFilterForm(request.GET or None)
    payments = Payment.objects.all()
    if form.is_valid() and form.cleaned_data["client"]:
        payments = payments.filter(client=form.cleaned_data["client"])
    with_unapplied = (
        Payment.objects.select_related("client", "posted_by")
        .annotate(
            allocated=Coalesce(
                Sum("allocations__amount"), 0, output_field=FixedDecimalField(places=2)
            )
        )
        .annotate(
            unapplied=ExpressionWrapper(
                F("amount") - F("allocated"), output_field=FixedDecimalField(places=2)
            )
        )
    )
    page, shown = page_of(
        payments.order_by("-received_on", "-id").values_list("pk", flat=True),
        request.GET.get("page"),
        with_unapplied.in_bulk,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "receivables/payment_list.html",
        {
            "form": form,
            "page": page,
            "payments": shown,
            "query": query.urlencode(),
            "can_post": _may(_actor(request), Action.POST_PAYMENT),
        },
    )


def _amount(value: str | None) -> Decimal | None:
    try:
        amount = Decimal((value or "").replace(",", "").strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount > 0 else None


def _allocation_context(data: QueryDict, *, keep_typed: bool) -> dict[str, Any]:
    """The client's open invoices with an allocation each: oldest first, or as typed."""
    number = data.get("client", "")
    client = Client.objects.filter(number=number).first() if number else None
    if client is None:
        return {"client": None}
    try:
        currency = client_currency(client, data.get("currency", "").strip().upper() or None)
    except LexbillError as exc:
        return {"client": client, "error": exc.message}
    invoices = open_invoices(client, currency)
    amount = _amount(data.get("amount"))
    default: dict[int, Decimal] = {}
    if amount is not None and invoices:
        plan = allocate_oldest_first(
            amount,
            [
                OpenInvoice(inv.pk, inv.number, inv.issued_on, inv.balance)  # type: ignore[attr-defined]
                for inv in invoices
            ],
        )
        default = {a.invoice_id: a.amount for a in plan.allocations}
    typed, _, _ = posted_allocations(data) if keep_typed else ({}, [], "")
    rows = [
        {
            "invoice": inv,
            "name": f"{ALLOCATION_PREFIX}{inv.number}",
            "value": typed[inv.number] if inv.number in typed else default.get(inv.pk, ""),
        }
        for inv in invoices
    ]
    return {
        **_totals(data if keep_typed else _with_defaults(data, rows)),
        "client": client,
        "currency": currency,
        "rows": rows,
        "amount": amount,
    }


def _with_defaults(data: QueryDict, rows: list[dict[str, Any]]) -> QueryDict:
    merged = data.copy()
    for row in rows:
        merged[row["name"]] = str(row["value"])
    return merged


def _totals(data: QueryDict) -> dict[str, Any]:
    amount = _amount(data.get("amount")) or Decimal(0)
    _, parsed, error = posted_allocations(data)
    allocated = sum((value for _, value in parsed), Decimal(0))
    unapplied = amount - allocated
    if not error and unapplied < 0:
        error = "more is allocated than the payment brings in"
    return {
        "total_allocated": allocated,
        "unapplied": unapplied,
        "allocation_error": error,
        "currency": data.get("currency", "").strip().upper() or _currency_of(data),
    }


def _currency_of(data: QueryDict) -> str:
    client = Client.objects.filter(number=data.get("client", "")).first()
    if client is None:
        return "USD"
    try:
        return client_currency(client)
    except LexbillError:
        return "USD"


@require_GET
def payment_allocations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "receivables/_allocations.html",
        {"allocation": _allocation_context(request.GET, keep_typed=False)},
    )


@require_GET
def allocation_totals(request: HttpRequest) -> HttpResponse:
    return render(request, "receivables/_allocation_totals.html", _totals(request.GET))


def payment_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if request.method != "POST":
        initial: dict[str, Any] = {"received_on": timezone.localdate(), "method": "check"}
        if "client" in request.GET:
            initial["client"] = request.GET["client"]
        form = PaymentForm(initial=initial)
        allocation = (
            _allocation_context(request.GET, keep_typed=False) if "client" in request.GET else {}
        )
        return render(
            request,
            "receivables/payment_new.html",
            {"form": form, "allocation": allocation, "can_post": _may(actor, Action.POST_PAYMENT)},
        )
    form = PaymentForm(request.POST)
    _, parsed, allocation_error = posted_allocations(request.POST)
    if form.is_valid() and not allocation_error:
        data = form.cleaned_data
        # Without the allocation table (no JavaScript), the service allocates oldest first.
        allocations = parsed if "allocations_shown" in request.POST else None
        try:
            payment = post_payment(
                actor,
                data["client"],
                data["amount"],
                data["received_on"],
                allocations=allocations,
                method=data["method"],
                reference=data["reference"],
                currency=data["currency"].strip().upper() or None,
            )
        except LexbillError as exc:
            if exc.field == "allocation":
                allocation_error = exc.message
            else:
                add_service_error(form, exc)
            status = 403 if isinstance(exc, PermissionDenied) else 400
        else:
            applied = sum((a.amount for a in payment.allocations.all()), Decimal(0))
            messages.success(
                request,
                f"Payment of {payment.amount} {payment.currency} posted: {applied} applied, "
                f"{payment.amount - applied} unapplied.",
            )
            return redirect("receivables:client-balance", number=payment.client.number)
    else:
        status = 400
    allocation = _allocation_context(request.POST, keep_typed=True)
    if allocation_error:
        allocation["allocation_error"] = allocation_error
    return render(
        request,
        "receivables/payment_new.html",
        {"form": form, "allocation": allocation, "can_post": _may(actor, Action.POST_PAYMENT)},
        status=status,
    )


def _balance_context(request: HttpRequest, client: Client, **extra: Any) -> dict[str, Any]:
    currencies = client_currencies(client) or ["USD"]
    accounts: list[dict[str, Any]] = [
        {
            "currency": currency,
            "balance": client_balance(client, currency),
            "open": open_invoices(client, currency),
        }
        for currency in currencies
    ]
    context: dict[str, Any] = {
        "client": client,
        "accounts": accounts,
        "can_apply": any(a["balance"].unapplied > 0 and a["open"] for a in accounts),
        "can_post": _may(_actor(request), Action.POST_PAYMENT),
        "payments": Payment.objects.filter(client=client).order_by("-received_on", "-id")[:20],
    }
    context.update(extra)
    return context


def client_balance_page(request: HttpRequest, number: str) -> HttpResponse:
    client = get_object_or_404(Client, number=number)
    return render(request, "receivables/client_balance.html", _balance_context(request, client))


@require_POST
def apply_credit(request: HttpRequest, number: str) -> HttpResponse:
    client = get_object_or_404(Client, number=number)
    try:
        require(_actor(request), Action.POST_PAYMENT)
        applied = apply_unapplied_credit(_actor(request), client)
    except LexbillError as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return render(
            request,
            "receivables/client_balance.html",
            _balance_context(request, client, error=exc.message),
            status=status,
        )
    if applied:
        messages.success(request, f"Applied {applied} of unapplied credit to open invoices.")
    else:
        messages.warning(request, "Nothing to apply: no unapplied credit or no open invoice.")
    return redirect("receivables:client-balance", number=client.number)
