"""Pages for payments and client balances. Every change goes through receivables.services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lexbill.billing.models import Invoice
from lexbill.billing.selectors import (
    client_balance,
    client_currencies,
    client_currency,
    open_invoices,
    with_balances,
)
from lexbill.clients.models import Client, Matter
from lexbill.core.errors import LexbillError, PermissionDenied
from lexbill.firm.permissions import Action, allowed, require
from lexbill.receivables.adjustments import (
    POLICY_FIELDS,
    approve_adjustment,
    reject_adjustment,
    request_credit_note,
    request_write_off,
    save_adjustment_reason,
    update_collections_policy,
)
from lexbill.receivables.forms import (
    ALLOCATION_PREFIX,
    LINE_PREFIX,
    CreditRequestForm,
    DecisionForm,
    PaymentFilterForm,
    PaymentForm,
    PolicyForm,
    ReasonForm,
    RefundForm,
    ReverseForm,
    WriteOffForm,
    posted_allocations,
)
from lexbill.receivables.models import AdjustmentRequest, Payment, PaymentKind, RequestStatus
from lexbill.receivables.selectors import (
    ZERO_AMOUNT,
    adjustment_reasons,
    collections_policy,
    payment_history,
    pending_requests,
    reversal_of,
    with_free_amounts,
)
from lexbill.receivables.services import (
    apply_unapplied_credit,
    post_payment,
    refund_credit,
    reverse_payment,
    suggested_allocations,
)
from lexbill.web.access import acting_user, forbidden, require_action
from lexbill.web.errors import add_service_error
from lexbill.web.paging import page_of


@require_action(Action.VIEW_RECEIVABLES)
def payment_list(request: HttpRequest) -> HttpResponse:
    form = PaymentFilterForm(request.GET or None)
    payments = Payment.objects.all()
    if form.is_valid() and form.cleaned_data["client"]:
        payments = payments.filter(client=form.cleaned_data["client"])
    with_unapplied = with_free_amounts(Payment.objects.select_related("client", "posted_by"))
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
            "can_post": allowed(acting_user(request), Action.POST_PAYMENT),
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
        plan = suggested_allocations(client, currency, amount, _received_on(data))
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


def _received_on(data: QueryDict) -> date:
    """The typed receipt date (it decides prompt-payment discounts), else today."""
    try:
        return date.fromisoformat(str(data.get("received_on", "")).strip())
    except ValueError:
        return timezone.localdate()


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
@require_action(Action.POST_PAYMENT)
def payment_allocations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "receivables/_allocations.html",
        {"allocation": _allocation_context(request.GET, keep_typed=False)},
    )


@require_GET
@require_action(Action.POST_PAYMENT)
def allocation_totals(request: HttpRequest) -> HttpResponse:
    return render(request, "receivables/_allocation_totals.html", _totals(request.GET))


@require_action(Action.POST_PAYMENT)
def payment_new(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
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
            {
                "form": form,
                "allocation": allocation,
                "can_post": allowed(actor, Action.POST_PAYMENT),
            },
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
                payer_name=data["payer_name"],
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
        {"form": form, "allocation": allocation, "can_post": allowed(actor, Action.POST_PAYMENT)},
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
        "can_post": allowed(acting_user(request), Action.POST_PAYMENT),
        "payments": Payment.objects.filter(client=client).order_by("-received_on", "-id")[:20],
    }
    context.update(extra)
    return context


@require_action(Action.VIEW_RECEIVABLES)
def client_balance_page(request: HttpRequest, number: str) -> HttpResponse:
    client = get_object_or_404(Client, number=number)
    return render(request, "receivables/client_balance.html", _balance_context(request, client))


@require_POST
def apply_credit(request: HttpRequest, number: str) -> HttpResponse:
    client = get_object_or_404(Client, number=number)
    try:
        require(acting_user(request), Action.POST_PAYMENT)
        applied = apply_unapplied_credit(acting_user(request), client)
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


# One payment: its allocations and corrections, and the NSF reversal and refund forms.


def _payment_context(request: HttpRequest, payment: Payment, **extra: Any) -> dict[str, Any]:
    actor = acting_user(request)
    receipt = payment.corrects or payment
    context: dict[str, Any] = {
        "payment": payment,
        "receipt": receipt,
        "free": with_free_amounts(Payment.objects.filter(pk=receipt.pk)).get().free,  # type: ignore[attr-defined]
        "allocations": receipt.allocations.select_related("invoice__matter").order_by(
            "applied_on", "id"
        ),
        "corrections": receipt.corrections.select_related("posted_by").order_by(
            "received_on", "id"
        ),
        "reversal": reversal_of(receipt),
        "can_correct": allowed(actor, Action.CORRECT_PAYMENT)
        and payment.kind == PaymentKind.RECEIPT,
        "reverse_form": ReverseForm(initial={"reversed_on": timezone.localdate()}),
        "refund_form": RefundForm(
            initial={"refunded_on": timezone.localdate(), "method": payment.method}
        ),
    }
    context.update(extra)
    return context


@require_action(Action.VIEW_RECEIVABLES)
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("client", "posted_by"), pk=pk)
    return render(request, "receivables/payment_detail.html", _payment_context(request, payment))


def _refused(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    exc: LexbillError,
    form: forms.BaseForm | None = None,
) -> HttpResponse:
    if form is not None and not isinstance(exc, PermissionDenied):
        add_service_error(form, exc)
    else:
        context["error"] = exc.message
    status = 403 if isinstance(exc, PermissionDenied) else 400
    return render(request, template, context, status=status)


@require_POST
@require_action(Action.CORRECT_PAYMENT)
def payment_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment, pk=pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            reversal = reverse_payment(
                acting_user(request),
                payment,
                form.cleaned_data["reversed_on"],
                form.cleaned_data["reason"],
            )
        except LexbillError as exc:
            context = _payment_context(request, payment, reverse_form=form)
            return _refused(request, "receivables/payment_detail.html", context, exc, form)
        messages.success(
            request,
            f"Payment {payment.pk} reversed: {-reversal.amount} {reversal.currency} taken back "
            "and every invoice it paid is open again.",
        )
        return redirect("receivables:payment-detail", pk=payment.pk)
    return render(
        request,
        "receivables/payment_detail.html",
        _payment_context(request, payment, reverse_form=form),
        status=400,
    )


@require_POST
@require_action(Action.CORRECT_PAYMENT)
def payment_refund(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment, pk=pk)
    form = RefundForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            refund = refund_credit(
                acting_user(request),
                payment,
                data["amount"],
                data["refunded_on"],
                data["method"],
                data["reference"],
                data["reason"],
            )
        except LexbillError as exc:
            context = _payment_context(request, payment, refund_form=form)
            return _refused(request, "receivables/payment_detail.html", context, exc, form)
        messages.success(request, f"Refunded {-refund.amount} {refund.currency}.")
        return redirect("receivables:payment-detail", pk=payment.pk)
    return render(
        request,
        "receivables/payment_detail.html",
        _payment_context(request, payment, refund_form=form),
        status=400,
    )


@require_action(Action.VIEW_RECEIVABLES)
def client_history(request: HttpRequest, number: str) -> HttpResponse:
    client = get_object_or_404(Client, number=number)
    matter = None
    if request.GET.get("matter"):
        matter = get_object_or_404(Matter, number=request.GET["matter"], client=client)
    return render(
        request,
        "receivables/payment_history.html",
        {
            "client": client,
            "matter": matter,
            "matters": client.matters.order_by("number"),
            "rows": payment_history(client, matter),
        },
    )


# Adjustments on one invoice: a panel the invoice page loads, and the forms it posts.


def _get_invoice(number: str) -> Invoice:
    return get_object_or_404(with_balances(Invoice.objects.select_related("client")), number=number)


def _adjustment_context(request: HttpRequest, invoice: Invoice, **extra: Any) -> dict[str, Any]:
    actor = acting_user(request)
    credit_form = extra.pop("credit_form", None) or CreditRequestForm()
    typed = getattr(credit_form, "data", {})
    lines = invoice.lines.annotate(
        credited=Coalesce(Sum("credit_lines__amount"), ZERO_AMOUNT)
    ).order_by("position")
    context: dict[str, Any] = {
        "invoice": invoice,
        "line_rows": [
            {
                "line": line,
                "left": line.total - line.credited,
                "name": f"{LINE_PREFIX}{line.pk}",
                "value": typed.get(f"{LINE_PREFIX}{line.pk}", ""),
            }
            for line in lines
        ],
        "credit_form": credit_form,
        "write_off_form": extra.pop("write_off_form", None)
        or WriteOffForm(initial={"written_off_on": timezone.localdate()}),
        "pending": pending_requests(invoice),
        "write_offs": invoice.write_offs.select_related("reason").order_by("written_off_on", "id"),
        "can_adjust": allowed(actor, Action.REQUEST_ADJUSTMENT),
        "can_approve": allowed(actor, Action.APPROVE_ADJUSTMENT),
        "threshold": collections_policy().approval_threshold,
    }
    context.update(extra)
    return context


def _adjustments_page(
    request: HttpRequest, invoice: Invoice, status: int = 200, **extra: Any
) -> HttpResponse:
    htmx = request.headers.get("HX-Request") == "true"
    template = (
        "receivables/_invoice_adjustments.html" if htmx else "receivables/invoice_adjustments.html"
    )
    if htmx and status == 400:
        status = 200  # htmx swaps only successful answers; a plain form post gets 400
    return render(request, template, _adjustment_context(request, invoice, **extra), status=status)


def invoice_adjustments(request: HttpRequest, number: str) -> HttpResponse:
    """Credit and write-off forms and the pending requests; every signed-in role may look."""
    return _adjustments_page(request, _get_invoice(number))


def _adjusted(request: HttpRequest, invoice: Invoice, done: object) -> HttpResponse:
    if isinstance(done, AdjustmentRequest):
        messages.info(
            request,
            f"Above the approval threshold: request {done.pk} waits for a coordinator's approval.",
        )
    else:
        messages.success(request, f"{done} posted.")
    url = reverse("billing:invoice-detail", args=[invoice.number])
    if request.headers.get("HX-Request") == "true":
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


@require_POST
@require_action(Action.REQUEST_ADJUSTMENT)
def invoice_credit_request(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _get_invoice(number)
    form = CreditRequestForm(request.POST)
    if not form.is_valid():
        return _adjustments_page(request, invoice, 400, credit_form=form)
    data = form.cleaned_data
    try:
        done = request_credit_note(
            acting_user(request),
            invoice,
            None if data["all_open"] or form.line_amounts else data["amount"],
            data["reason"].code,
            data["note"],
            lines=form.line_amounts or None,
        )
    except LexbillError as exc:
        if not isinstance(exc, PermissionDenied):
            add_service_error(form, exc, {"lines": "amount"})
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _adjustments_page(request, invoice, status, credit_form=form, error=exc.message)
    return _adjusted(request, invoice, done)


@require_POST
@require_action(Action.REQUEST_ADJUSTMENT)
def invoice_write_off(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _get_invoice(number)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        return _adjustments_page(request, invoice, 400, write_off_form=form)
    data = form.cleaned_data
    try:
        done = request_write_off(
            acting_user(request),
            invoice,
            None if data["all_open"] else data["amount"],
            data["reason"].code,
            data["written_off_on"],
            data["note"],
        )
    except LexbillError as exc:
        if not isinstance(exc, PermissionDenied):
            add_service_error(form, exc)
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _adjustments_page(request, invoice, status, write_off_form=form, error=exc.message)
    return _adjusted(request, invoice, done)


# The approvals queue.


@require_action(Action.VIEW_RECEIVABLES)
def approvals(request: HttpRequest, **extra: Any) -> HttpResponse:
    decided = AdjustmentRequest.objects.exclude(status=RequestStatus.PENDING).select_related(
        "invoice", "reason", "requested_by", "decided_by"
    )
    waiting = with_balances(Invoice.objects.filter(pk__in=pending_requests().values("invoice")))
    balances = {inv.pk: inv.balance for inv in waiting}  # type: ignore[attr-defined]
    rows = list(pending_requests())
    for row in rows:
        row.open_balance = balances.get(row.invoice_id)  # type: ignore[attr-defined]
    return render(
        request,
        "receivables/approvals.html",
        {
            "pending": rows,
            "decided": decided.order_by("-decided_at")[:20],
            "can_approve": allowed(acting_user(request), Action.APPROVE_ADJUSTMENT),
            "threshold": collections_policy().approval_threshold,
            **extra,
        },
        status=400 if extra.get("error") else 200,
    )


def _decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    adjustment = get_object_or_404(AdjustmentRequest, pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    try:
        if decision == "approve":
            approve_adjustment(acting_user(request), adjustment, note)
        else:
            reject_adjustment(acting_user(request), adjustment, note)
    except LexbillError as exc:
        if isinstance(exc, PermissionDenied):
            return forbidden(request, exc.message)
        return approvals(request, error=f"Request {adjustment.pk}: {exc.message}")
    verb = "approved and posted" if decision == "approve" else "rejected"
    messages.success(request, f"Request {adjustment.pk} {verb}.")
    return redirect("receivables:approvals")


@require_POST
@require_action(Action.APPROVE_ADJUSTMENT)
def approval_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "approve")


@require_POST
@require_action(Action.APPROVE_ADJUSTMENT)
def approval_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "reject")


# The collections policy and the firm's reasons.


@require_action(Action.MANAGE_COLLECTIONS)
def policy(request: HttpRequest) -> HttpResponse:
    current = collections_policy()
    form = PolicyForm(request.POST or None, initial={f: getattr(current, f) for f in POLICY_FIELDS})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                update_collections_policy(acting_user(request), **form.cleaned_data)
            except LexbillError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Collections policy saved.")
                return redirect("receivables:policy")
        status = 400
    return _policy_page(request, form=form, status=status)


def _policy_page(
    request: HttpRequest,
    *,
    form: PolicyForm | None = None,
    reason_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None:
        current = collections_policy()
        form = PolicyForm(initial={f: getattr(current, f) for f in POLICY_FIELDS})
    return render(
        request,
        "receivables/policy.html",
        {
            "form": form,
            "reason_form": reason_form or ReasonForm(),
            "reasons": adjustment_reasons(active_only=False),
        },
        status=status,
    )


@require_POST
@require_action(Action.MANAGE_COLLECTIONS)
def policy_reason(request: HttpRequest) -> HttpResponse:
    form = ReasonForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reason = save_adjustment_reason(
                acting_user(request),
                data["code"],
                data["label"],
                data["applies_to"],
                data["active"],
            )
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Reason {reason.code} saved.")
            return redirect("receivables:policy")
    return _policy_page(request, reason_form=form, status=400)
