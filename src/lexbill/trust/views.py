"""Trust pages: accounts, client ledgers, deposits and payments, reversals and retainers.

Thin on purpose: the forms type the input, trust.services (and trust.retainers) check the
client-money rules, post and log every refusal. A refused operation re-renders the page with
the service's words next to the field it names, says the attempt was logged, and changes
nothing; a success redirects back to the page with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from lexbill.banking.models import BankAccount
from lexbill.banking.services import create_bank_account
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Matter
from lexbill.core.errors import LexbillError, PermissionDenied
from lexbill.firm.permissions import Action
from lexbill.trust import retainers, services
from lexbill.trust.forms import (
    NEW_BANK_ACCOUNT,
    AccountForm,
    ApplyTrustForm,
    BankChargeForm,
    BufferForm,
    DepositForm,
    DisburseForm,
    InterestForm,
    LedgerSearchForm,
    MatterDepositForm,
    PolicyForm,
    RefundForm,
    RetainerForm,
    ReverseForm,
    TransferForm,
    open_invoices,
    today,
)
from lexbill.trust.models import (
    LedgerKind,
    RefusedAttempt,
    Retainer,
    RetainerKind,
    TrustAccount,
    TrustLedger,
    TrustTransaction,
)
from lexbill.trust.selectors import (
    buffer_ledger,
    cleared_balance,
    foundation_interest_held,
    journal_balance,
    ledger_balance,
    ledgers_with_balances,
    trust_policy,
)
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error

LOGGED = "The refused attempt was logged with who tried it and why."


def _refused(form: forms.BaseForm, exc: LexbillError) -> int:
    """Put the service's refusal on the form; the HTTP status the page answers with."""
    add_service_error(form, exc)
    return 403 if isinstance(exc, PermissionDenied) else 400


def _dec(value: Any) -> Decimal:
    return Decimal(value)


# --- the trust home --------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    account: TrustAccount
    journal: Decimal
    ledgers: int
    buffer: Decimal
    cap: Decimal


@dataclass(frozen=True)
class LedgerRow:
    ledger: TrustLedger
    balance: Decimal
    cleared: Decimal


def _ledger_rows(ledgers: Any) -> list[LedgerRow]:
    day = today()
    return [LedgerRow(ledger, ledger.balance, cleared_balance(ledger, day)) for ledger in ledgers]


@require_action(Action.VIEW_TRUST)
def home(request: HttpRequest) -> HttpResponse:
    """Every trust account with its balances, and the client ledgers (searchable)."""
    cap = trust_policy().buffer_cap
    accounts = TrustAccount.objects.select_related("bank_account", "client").annotate(
        client_ledgers=Count("ledgers", filter=Q(ledgers__kind=LedgerKind.CLIENT))
    )
    rows = [
        AccountRow(
            a,
            journal_balance(a),
            a.client_ledgers,
            ledger_balance(buffer_ledger(a)),
            cap,
        )
        for a in accounts
    ]
    search = LedgerSearchForm(request.GET or None)
    ledgers = ledgers_with_balances().filter(kind=LedgerKind.CLIENT)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    if q:
        ledgers = ledgers.filter(
            Q(client__name__icontains=q)
            | Q(client__number__icontains=q)
            | Q(matter__number__icontains=q)
            | Q(matter__name__icontains=q)
        )
    ledgers = ledgers.order_by("client__name", "matter__number", "account__name")
    return render(
        request,
        "trust/home.html",
        {"accounts": rows, "ledgers": _ledger_rows(ledgers), "search": search, "q": q},
    )


# --- accounts and the policy -----------------------------------------------------------------


@require_action(Action.MANAGE_TRUST_ACCOUNTS)
def account_new(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            actor = acting_user(request)
            try:
                with transaction.atomic():  # a refused account leaves no new bank account behind
                    if data["bank_account"] == NEW_BANK_ACCOUNT:
                        bank = create_bank_account(
                            actor,
                            data["new_bank_name"],
                            currency=data["new_bank_currency"],
                            number=data["new_bank_number"],
                        )
                    else:
                        bank = get_object_or_404(BankAccount, pk=data["bank_account"])
                    account = services.open_trust_account(
                        actor,
                        data["name"],
                        data["kind"],
                        bank,
                        data["opened_on"],
                        client=data["client"],
                    )
            except LexbillError as exc:
                aliases = {"currency": "new_bank_currency"}
                if data["bank_account"] == NEW_BANK_ACCOUNT and exc.field == "name":
                    # the bank account's name clashed, not the trust account's
                    aliases["name"] = "new_bank_name" if "bank account" in exc.message else "name"
                add_service_error(form, exc, aliases)
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, f"Trust account {account.name} opened.")
                return redirect("trust:account", pk=account.pk)
    return render(request, "trust/account_new.html", {"form": form}, status=status)


@require_action(Action.MANAGE_TRUST_ACCOUNTS)
def policy(request: HttpRequest) -> HttpResponse:
    """The firm's trust policy; the form types the input, ``save_trust_policy`` decides."""
    form = PolicyForm(request.POST or None, instance=trust_policy())
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save_trust_policy(
                    acting_user(request),
                    **{name: form.cleaned_data[name] for name in services.POLICY_FIELDS},
                )
            except LexbillError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, "Trust policy saved.")
                return redirect("trust:policy")
        else:
            status = 400
        return render(request, "trust/policy.html", {"form": form}, status=status)
    return render(request, "trust/policy.html", {"form": form})


def _account_context(account: TrustAccount, **forms_: Any) -> dict[str, Any]:
    buffer = buffer_ledger(account)
    ledgers = ledgers_with_balances(account).filter(kind=LedgerKind.CLIENT)
    return {
        "account": account,
        "ledgers": _ledger_rows(ledgers.order_by("matter__number")),
        "buffer": buffer,
        "buffer_balance": ledger_balance(buffer),
        "cap": trust_policy().buffer_cap,
        "journal": journal_balance(account),
        "interest_held": foundation_interest_held(account),
        "buffer_form": forms_.get("buffer_form") or BufferForm(),
        "charge_form": forms_.get("charge_form") or BankChargeForm(),
        "interest_form": forms_.get("interest_form") or InterestForm(account=account),
        "refusal": forms_.get("refusal", False),
    }


def _account(pk: int) -> TrustAccount:
    return get_object_or_404(TrustAccount.objects.select_related("bank_account", "client"), pk=pk)


@require_action(Action.VIEW_TRUST)
def account(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "trust/account.html", _account_context(_account(pk)))


@require_action(Action.MANAGE_TRUST_ACCOUNTS)
@require_POST
def buffer(request: HttpRequest, pk: int) -> HttpResponse:
    """Firm funds into the buffer (never above the cap) or back out of it."""
    trust_account = _account(pk)
    form = BufferForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["direction"] == "deposit":
                services.deposit_firm_funds(
                    acting_user(request),
                    trust_account,
                    data["amount"],
                    data["on"],
                    reference=data["reference"],
                )
            else:
                services.withdraw_firm_funds(
                    acting_user(request), trust_account, data["amount"], data["on"]
                )
        except LexbillError as exc:
            status = _refused(form, exc)
            context = _account_context(trust_account, buffer_form=form, refusal=True)
            return render(request, "trust/account.html", context, status=status)
        verb = "deposited to" if data["direction"] == "deposit" else "withdrawn from"
        messages.success(request, f"{data['amount']} of firm funds {verb} the buffer.")
        return redirect("trust:account", pk=pk)
    context = _account_context(trust_account, buffer_form=form)
    return render(request, "trust/account.html", context, status=status)


@require_action(Action.RECONCILE_TRUST)
@require_POST
def bank_charge(request: HttpRequest, pk: int) -> HttpResponse:
    trust_account = _account(pk)
    form = BankChargeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.bank_charge(
                acting_user(request),
                trust_account,
                data["amount"],
                data["on"],
                purpose=data["purpose"],
                reference=data["reference"],
            )
        except LexbillError as exc:
            status = _refused(form, exc)
            context = _account_context(trust_account, charge_form=form, refusal=True)
            return render(request, "trust/account.html", context, status=status)
        messages.success(request, f"Bank charge of {data['amount']} paid from the buffer.")
        return redirect("trust:account", pk=pk)
    context = _account_context(trust_account, charge_form=form)
    return render(request, "trust/account.html", context, status=400)


@require_action(Action.RECONCILE_TRUST)
@require_POST
def interest(request: HttpRequest, pk: int) -> HttpResponse:
    trust_account = _account(pk)
    form = InterestForm(request.POST, account=trust_account)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_interest(
                acting_user(request),
                trust_account,
                data["amount"],
                data["on"],
                matter=data.get("matter"),
                reference=data["reference"],
            )
        except LexbillError as exc:
            status = _refused(form, exc)
            context = _account_context(trust_account, interest_form=form, refusal=True)
            return render(request, "trust/account.html", context, status=status)
        whose = "held for the bar foundation" if "matter" not in form.fields else "for the client"
        messages.success(request, f"Interest of {data['amount']} recorded, {whose}.")
        return redirect("trust:account", pk=pk)
    context = _account_context(trust_account, interest_form=form)
    return render(request, "trust/account.html", context, status=400)


# --- a ledger --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostingRow:
    posting: TrustTransaction
    running: Decimal
    on_hold: bool
    reverse_form: ReverseForm


def _reverse_form(posting: TrustTransaction, data: Any = None) -> ReverseForm:
    return ReverseForm(data, prefix=f"reverse-{posting.pk}")


def _postings(ledger: TrustLedger, reverse_form: ReverseForm | None) -> list[PostingRow]:
    """The ledger's postings in journal order with the balance after each.

    Each row has its own reversal form (prefixed by the posting, so the ids differ); a
    refused reversal's form comes back as it was typed.
    """
    day = today()
    running = Decimal(0)
    rows = []
    postings = TrustTransaction.objects.filter(ledger=ledger).select_related(
        "posted_by", "reverses", "reversal", "invoice"
    )
    for posting in postings:
        running += _dec(posting.amount)
        on_hold = posting.available_on is not None and posting.available_on > day
        form = (
            reverse_form
            if reverse_form and reverse_form.prefix == f"reverse-{posting.pk}"
            else None
        )
        rows.append(PostingRow(posting, running, on_hold, form or _reverse_form(posting)))
    return rows


def _ledger_context(ledger: TrustLedger, **forms_: Any) -> dict[str, Any]:
    day = today()
    balance = ledger_balance(ledger)
    retainer = (
        Retainer.objects.filter(matter_id=ledger.matter_id).select_related("account").first()
        if ledger.matter_id
        else None
    )
    gap = _retainer_gap(retainer, balance)
    cleared = cleared_balance(ledger, day)
    return {
        "ledger": ledger,
        "account": ledger.account,
        "is_client": ledger.kind == LedgerKind.CLIENT,
        "rows": _postings(ledger, forms_.get("reverse_form")),
        "balance": balance,
        "cleared": cleared,
        "on_hold": balance - cleared,
        "today": day,
        "retainer": retainer,
        "retainer_gap": gap,
        "retainer_short": -gap if gap is not None and gap < 0 else None,
        "refused": RefusedAttempt.objects.filter(ledger=ledger).select_related("user")[:10],
        "deposit_form": forms_.get("deposit_form") or DepositForm(),
        "disburse_form": forms_.get("disburse_form") or DisburseForm(),
        "refund_form": forms_.get("refund_form") or RefundForm(),
        "transfer_form": forms_.get("transfer_form") or _transfer_form(ledger, cleared),
        "reverse_posting": forms_.get("reverse_posting"),
        "refusal": forms_.get("refusal", False),
    }


def _transfer_form(ledger: TrustLedger, cleared: Decimal) -> TransferForm:
    """A blank transfer, filled in when the matter has exactly one open invoice."""
    form = TransferForm(matter_id=ledger.matter_id)
    open_ = list(open_invoices(ledger.matter_id)[:2])
    if len(open_) == 1:
        form.initial["invoice"] = open_[0].number
        open_balance: Decimal = open_[0].balance  # type: ignore[attr-defined]
        form.initial["amount"] = max(Decimal(0), min(open_balance, cleared))
    return form


def _retainer_gap(retainer: Retainer | None, balance: Decimal) -> Decimal | None:
    """For an evergreen retainer: how far the balance is above (+) or below (−) the minimum."""
    if retainer is None or retainer.kind != RetainerKind.EVERGREEN:
        return None
    return balance - _dec(retainer.minimum_balance)


def _ledger(pk: int) -> TrustLedger:
    return get_object_or_404(
        TrustLedger.objects.select_related("account", "matter", "client"), pk=pk
    )


@require_action(Action.VIEW_TRUST)
def ledger(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "trust/ledger.html", _ledger_context(_ledger(pk)))


def _ledger_again(
    request: HttpRequest,
    ledger_: TrustLedger,
    name: str,
    form: forms.BaseForm,
    status: int,
    refused: bool,
) -> HttpResponse:
    """The ledger page again with the form as typed, its errors beside the fields."""
    context = _ledger_context(ledger_, **{name: form, "refusal": refused})
    return render(request, "trust/ledger.html", context, status=status)


def _ledger_post(
    request: HttpRequest,
    pk: int,
    form_class: type[forms.Form],
    name: str,
    act: Any,
    done: str,
    **form_kwargs: Any,
) -> HttpResponse:
    """Validate, call the service, and either redirect with ``done`` or show the refusal."""
    ledger_ = _ledger(pk)
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            act(acting_user(request), ledger_, form.cleaned_data)
        except LexbillError as exc:
            status = _refused(form, exc)
            return _ledger_again(request, ledger_, name, form, status, refused=True)
        messages.success(request, done.format(**form.cleaned_data))
        return redirect("trust:ledger", pk=pk)
    return _ledger_again(request, ledger_, name, form, 400, refused=False)


@require_action(Action.RECORD_TRUST_DEPOSIT)
@require_POST
def ledger_deposit(request: HttpRequest, pk: int) -> HttpResponse:
    def act(actor: Any, ledger_: TrustLedger, d: dict[str, Any]) -> None:
        if ledger_.matter is None:
            raise LexbillError("client money is deposited to a client ledger", field="amount")
        services.deposit(
            actor,
            ledger_.account,
            ledger_.matter,
            d["amount"],
            d["received_on"],
            payor=d["payor"],
            method=d["method"],
            reference=d["reference"],
            purpose=d["purpose"],
        )

    return _ledger_post(
        request, pk, DepositForm, "deposit_form", act, "Deposit of {amount} from {payor} recorded."
    )


@require_action(Action.DISBURSE_TRUST)
@require_POST
def disburse(request: HttpRequest, pk: int) -> HttpResponse:
    def act(actor: Any, ledger_: TrustLedger, d: dict[str, Any]) -> None:
        services.disburse(
            actor,
            ledger_,
            d["amount"],
            d["paid_on"],
            payee=d["payee"],
            purpose=d["purpose"],
            method=d["method"],
            reference=d["reference"],
        )

    return _ledger_post(
        request, pk, DisburseForm, "disburse_form", act, "{amount} paid to {payee}."
    )


@require_action(Action.DISBURSE_TRUST)
@require_POST
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    def act(actor: Any, ledger_: TrustLedger, d: dict[str, Any]) -> None:
        services.refund(
            actor,
            ledger_,
            d["amount"],
            d["paid_on"],
            method=d["method"],
            reference=d["reference"],
            purpose=d["purpose"],
        )

    return _ledger_post(
        request, pk, RefundForm, "refund_form", act, "{amount} refunded to the client."
    )


def _transfer(actor: Any, ledger_: TrustLedger, d: dict[str, Any]) -> TrustTransaction:
    return services.transfer_earned_fees(
        actor,
        ledger_,
        d["invoice"],
        d["amount"],
        d["transferred_on"],
        notice_sent_on=d["notice_sent_on"],
        notice_method=d["notice_method"],
        reference=d["reference"],
    )


@require_action(Action.DISBURSE_TRUST)
@require_POST
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Earned fees to operating, paying the chosen invoice in the same transaction."""
    ledger_ = _ledger(pk)
    return _ledger_post(
        request,
        pk,
        TransferForm,
        "transfer_form",
        _transfer,
        "{amount} of earned fees transferred; invoice {invoice.number} paid from trust.",
        matter_id=ledger_.matter_id,
    )


@require_action(Action.REVERSE_TRUST)
@require_POST
def reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a posting with its opposite (a bounced check, a voided payment)."""
    posting = get_object_or_404(TrustTransaction.objects.select_related("ledger"), pk=pk)
    ledger_ = _ledger(posting.ledger_id)
    form = _reverse_form(posting, request.POST)
    status = 400
    refused = False
    if form.is_valid():
        try:
            services.reverse(
                acting_user(request),
                posting,
                form.cleaned_data["reversed_on"],
                form.cleaned_data["reason"],
            )
        except LexbillError as exc:
            status = _refused(form, exc)
            refused = True
        else:
            messages.success(request, f"Posting {posting.pk} reversed.")
            return redirect("trust:ledger", pk=ledger_.pk)
    context = _ledger_context(ledger_, reverse_form=form, reverse_posting=posting, refusal=refused)
    return render(request, "trust/ledger.html", context, status=status)


# --- deposits from anywhere, retainers, paying an invoice from trust --------------------------


@require_action(Action.RECORD_TRUST_DEPOSIT)
def deposit(request: HttpRequest) -> HttpResponse:
    """A deposit with its trust account and matter chosen here (the matter's panel links here)."""
    initial: dict[str, Any] = {}
    matter_pk = request.GET.get("matter", "")
    if matter_pk.isdigit():
        initial["matter"] = matter_pk
        retainer = Retainer.objects.filter(matter_id=matter_pk).first()
        if retainer is not None:
            initial.update(account=retainer.account_id, purpose="retainer")
    accounts = TrustAccount.objects.filter(active=True)
    if "account" not in initial and accounts.count() == 1:
        initial["account"] = accounts.first()
    form = MatterDepositForm(request.POST or None, initial=initial)
    status = 200
    refused = False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                posting = services.deposit(
                    acting_user(request),
                    d["account"],
                    d["matter"],
                    d["amount"],
                    d["received_on"],
                    payor=d["payor"],
                    method=d["method"],
                    reference=d["reference"],
                    purpose=d["purpose"],
                )
            except LexbillError as exc:
                status = _refused(form, exc)
                refused = True
            else:
                messages.success(
                    request,
                    f"Deposit of {posting.amount} from {posting.counterparty} recorded; "
                    f"available on {posting.available_on:%Y-%m-%d}.",
                )
                return redirect("trust:ledger", pk=posting.ledger_id)
    policy_ = trust_policy()
    return render(
        request,
        "trust/transaction_deposit.html",
        {"form": form, "refusal": refused, "policy": policy_},
        status=status,
    )


@require_action(Action.MANAGE_RETAINERS)
def retainer(request: HttpRequest, pk: int) -> HttpResponse:
    """Record or change the retainer a matter's engagement asks the client to keep in trust."""
    matter = get_object_or_404(Matter.objects.select_related("client"), pk=pk)
    current = Retainer.objects.filter(matter=matter).first()
    initial: dict[str, Any] = {}
    if current is not None:
        initial = {
            "account": current.account_id,
            "kind": current.kind,
            "amount": current.amount,
            "minimum_balance": current.minimum_balance,
            "agreed_on": current.agreed_on,
            "note": current.note,
        }
    form = RetainerForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                saved = retainers.record_retainer(
                    acting_user(request),
                    matter,
                    d["account"],
                    d["kind"],
                    d["amount"],
                    d["agreed_on"],
                    minimum_balance=d["minimum_balance"] or Decimal(0),
                    note=d["note"],
                )
            except LexbillError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, f"{saved.get_kind_display()} recorded for {matter}.")
                ledger_ = TrustLedger.objects.filter(account=saved.account, matter=matter).first()
                if ledger_ is not None:
                    return redirect("trust:ledger", pk=ledger_.pk)
                return redirect("clients:matter-detail", pk=matter.pk)
    return render(
        request,
        "trust/retainer.html",
        {"form": form, "matter": matter, "current": current},
        status=status,
    )


@require_action(Action.DISBURSE_TRUST)
def apply_to_invoice(request: HttpRequest, number: str) -> HttpResponse:
    """Pay an invoice from its matter's trust ledger: the transfer and the payment in one go."""
    invoice = get_object_or_404(
        with_balances(Invoice.objects.select_related("matter", "client")), number=number
    )
    ledgers = TrustLedger.objects.filter(matter_id=invoice.matter_id)
    first = ledgers.first()
    open_balance: Decimal = invoice.balance  # type: ignore[attr-defined]
    initial: dict[str, Any] = {"ledger": first}
    if first is not None:
        initial["amount"] = max(Decimal(0), min(open_balance, cleared_balance(first, today())))
    form = ApplyTrustForm(request.POST or None, invoice=invoice, initial=initial)
    status = 200
    refused = False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = {**form.cleaned_data, "invoice": invoice}
            try:
                _transfer(acting_user(request), d["ledger"], d)
            except LexbillError as exc:
                status = _refused(form, exc)
                refused = True
            else:
                messages.success(
                    request,
                    f"{d['amount']} applied from trust ({d['ledger'].account.name}) to invoice "
                    f"{invoice.number}.",
                )
                return redirect("billing:invoice-detail", number=invoice.number)
    return render(
        request,
        "trust/transaction_apply.html",
        {
            "form": form,
            "invoice": invoice,
            "ledgers": _ledger_rows(ledgers_with_balances().filter(matter_id=invoice.matter_id)),
            "refusal": refused,
        },
        status=status,
    )


urls: list[URLPattern] = [
    path("trust/", home, name="home"),
    path("trust/accounts/new/", account_new, name="account-new"),
    path("trust/policy/", policy, name="policy"),
    path("trust/accounts/<int:pk>/", account, name="account"),
    path("trust/accounts/<int:pk>/buffer/", buffer, name="buffer"),
    path("trust/accounts/<int:pk>/bank-charge/", bank_charge, name="bank-charge"),
    path("trust/accounts/<int:pk>/interest/", interest, name="interest"),
    path("trust/ledgers/<int:pk>/", ledger, name="ledger"),
    path("trust/ledgers/<int:pk>/deposit/", ledger_deposit, name="ledger-deposit"),
    path("trust/ledgers/<int:pk>/disburse/", disburse, name="disburse"),
    path("trust/ledgers/<int:pk>/refund/", refund, name="refund"),
    path("trust/ledgers/<int:pk>/transfer/", transfer, name="transfer"),
    path("trust/postings/<int:pk>/reverse/", reverse, name="reverse"),
    path("trust/deposit/", deposit, name="deposit"),
    path("trust/matters/<int:pk>/retainer/", retainer, name="retainer"),
    path("trust/invoices/<str:number>/apply/", apply_to_invoice, name="apply"),
]
