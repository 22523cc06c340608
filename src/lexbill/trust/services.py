"""Every movement of trust money, each checked against the client-money rules before it posts.

Each service locks the ledger row it moves money on (``select_for_update``) and checks the
balance inside the same transaction as the posting, so two people paying out of one ledger at
once are served one after the other and the second sees the first's payment. A refusal changes
nothing and is itself recorded (``RefusedAttempt``) with who tried, what and why, after the
refused transaction has rolled back.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Matter
from lexbill.core.errors import (
    InvalidEntry,
    InvalidTransition,
    LexbillError,
    TrustRuleViolation,
)
from lexbill.core.money import round_money, to_decimal
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.firm.services import get_firm
from lexbill.trust.models import (
    AccountKind,
    FoundationInterest,
    InterestKind,
    LedgerKind,
    RefusedAttempt,
    TransactionKind,
    TrustAccount,
    TrustLedger,
    TrustMethod,
    TrustPolicy,
    TrustTransaction,
)
from lexbill.trust.selectors import (
    buffer_ledger,
    cleared_balance,
    foundation_interest_held,
    ledger_balance,
    matter_ledger,
    signed_through,
    trust_policy,
)

P = ParamSpec("P")
R = TypeVar("R")

CHECKS = (TrustMethod.CHECK, TrustMethod.CERTIFIED_CHECK, TrustMethod.CASHIERS_CHECK)


# --- refusals are logged ---------------------------------------------------------------------


def _subject(
    service: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The account, ledger and amount a refused call was about, for the refused-attempts log.

    The amount is found by its parameter's name: its position differs between services (a
    deposit names the matter before it, a fee transfer the invoice).
    """
    try:
        named = inspect.signature(service).bind_partial(*args, **kwargs).arguments
    except TypeError:
        named = dict(kwargs)
    values = [*args, *kwargs.values()]
    ledger = next((v for v in values if isinstance(v, TrustLedger)), None)
    account = next((v for v in values if isinstance(v, TrustAccount)), None)
    if ledger is not None and account is None:
        account = ledger.account
    posting = next((v for v in values if isinstance(v, TrustTransaction)), None)
    if posting is not None:
        ledger = ledger or posting.ledger
        account = account or posting.account
    amount = named.get("amount")
    try:
        value = to_decimal(amount) if isinstance(amount, (str, Decimal, int)) else None
    except (TypeError, ArithmeticError, LexbillError):
        value = None
    return {"account": account, "ledger": ledger, "amount": value}


def refusals_logged(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record every refusal of ``operation`` (rule or role) before passing it on to the caller."""

    def wrap(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def logged(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return service(*args, **kwargs)
            except LexbillError as error:
                actor = args[0] if args and isinstance(args[0], User) else None
                subject = _subject(service, args, kwargs)
                RefusedAttempt.objects.create(
                    attempted_at=timezone.now(),
                    user=actor,
                    operation=operation,
                    account=subject["account"],
                    ledger=subject["ledger"],
                    amount=subject["amount"],
                    reason=error.message,
                    details={"error": type(error).__name__, "field": error.field},
                )
                raise

        return logged

    return wrap


# --- shared checks ---------------------------------------------------------------------------


def _amount(value: Decimal | str, currency: str, field: str = "amount") -> Decimal:
    try:
        amount = to_decimal(value)
    except (TypeError, ArithmeticError) as error:
        raise InvalidEntry(f"{value!r} is not an amount", field=field) from error
    if amount <= 0:
        raise InvalidEntry(f"the amount must be positive, not {amount}", field=field)
    if round_money(amount, currency) != amount:
        raise InvalidEntry(f"{amount} has more decimals than {currency} allows", field=field)
    return amount


def _open_day(account: TrustAccount, on: date) -> None:
    """Postings may not land in a month already signed off: that reconciliation is kept as is.

    Locks the account row first, as ``reconciliation.sign_off`` does, so a posting and the
    sign-off of its month can't pass each other; every posting takes the account lock before
    its ledger's, always in that order.
    """
    TrustAccount.objects.select_for_update().get(pk=account.pk)
    closed = signed_through(account)
    if closed is not None and on <= closed:
        raise TrustRuleViolation(
            f"{account.name} is reconciled and signed off through {closed}; "
            f"post on a later date (a correction is a new entry in the open month)",
            field="entered_on",
        )
    if on < account.opened_on:
        raise InvalidEntry(
            f"{account.name} was opened on {account.opened_on}, after {on}", field="entered_on"
        )


def _locked(ledger: TrustLedger) -> TrustLedger:
    # lock the ledger row alone (PostgreSQL refuses FOR UPDATE across the nullable matter join)
    return (
        TrustLedger.objects.select_for_update(of=("self",))
        .select_related("account", "matter__client", "client")
        .get(pk=ledger.pk)
    )


def _pay_out_check(ledger: TrustLedger, amount: Decimal, on: date, what: str) -> None:
    """No ledger below zero, and nothing paid against funds that have not cleared."""
    balance = ledger_balance(ledger)
    if amount > balance:
        raise TrustRuleViolation(
            f"{what} of {amount} would take {ledger} below zero (balance {balance})",
            field="amount",
        )
    cleared = cleared_balance(ledger, on)
    if amount > cleared:
        raise TrustRuleViolation(
            f"{what} of {amount} is more than the cleared funds of {ledger} on {on} "
            f"({cleared} cleared of {balance}; deposits still on hold can't be paid out)",
            field="amount",
        )


def _balances_from(ledger: TrustLedger, day: date) -> list[Decimal]:
    """The ledger's balance at the end of ``day`` and of each later day that has a posting.

    An entry dated ``day`` moves every one of them, so a backdated entry is checked against the
    lowest (or highest) of these and not only today's balance: a bounce entered late must not
    leave the ledger below zero on the days between its date and the deposit that covers it.
    """
    running = ledger_balance(ledger, day)
    balances = [running]
    later = (
        TrustTransaction.objects.filter(ledger=ledger, entered_on__gt=day)
        .order_by()
        .values("entered_on")
        .annotate(moved=Sum("amount"))
        .order_by("entered_on")
    )
    for row in later:
        running += row["moved"]
        balances.append(running)
    return balances


def available_on(method: str, received_on: date, policy: TrustPolicy) -> date:
    """When a deposit's funds may be paid out, by the firm's hold policy for its method."""
    hold = {
        TrustMethod.CHECK: policy.check_hold_days,
        TrustMethod.CERTIFIED_CHECK: policy.certified_hold_days,
        TrustMethod.CASHIERS_CHECK: policy.certified_hold_days,
        TrustMethod.ACH: policy.ach_hold_days,
    }.get(TrustMethod(method), 0)
    return received_on + timedelta(days=hold)


def _post(
    actor: User | None, ledger: TrustLedger, kind: str, amount: Decimal, on: date, **fields: Any
) -> TrustTransaction:
    posting = TrustTransaction.objects.create(
        account=ledger.account,
        ledger=ledger,
        kind=kind,
        entered_on=on,
        amount=amount,
        currency=ledger.account.currency,
        posted_at=timezone.now(),
        posted_by=actor,
        **fields,
    )
    return posting


def _check_method(method: str) -> None:
    if method not in TrustMethod.values:
        raise InvalidEntry(
            f"{method!r} is not a method ({', '.join(TrustMethod.values)})", field="method"
        )


# --- money in --------------------------------------------------------------------------------


@refusals_logged("deposit")
def deposit(
    actor: User | None,
    account: TrustAccount,
    matter: Matter,
    amount: Decimal | str,
    received_on: date,
    *,
    payor: str,
    method: str = TrustMethod.CHECK,
    reference: str = "",
    purpose: str = "",
) -> TrustTransaction:
    """Client money received for a matter; available to pay out after the policy's hold."""
    require(actor, Action.RECORD_TRUST_DEPOSIT)
    value = _amount(amount, account.currency)
    _check_method(method)
    if not payor.strip():
        raise InvalidEntry("name the payor of the deposit", field="payor")
    if payor.strip().casefold() == get_firm().name.strip().casefold():
        raise TrustRuleViolation(
            "the firm's own money may not go into a client ledger (commingling); "
            "firm funds for bank charges go to the buffer",
            field="payor",
        )
    if matter.currency != account.currency:
        raise InvalidEntry(
            f"{matter.number} is billed in {matter.currency}, {account.name} holds "
            f"{account.currency}",
            field="matter",
        )
    if account.kind == AccountKind.SEPARATE and matter.client_id != account.client_id:
        raise TrustRuleViolation(
            f"{account.name} is held for one client only, not for {matter.client}",
            field="matter",
        )
    with transaction.atomic():
        _open_day(account, received_on)
        ledger = _locked(matter_ledger(account, matter, received_on))
        posting = _post(
            actor,
            ledger,
            TransactionKind.DEPOSIT,
            value,
            received_on,
            available_on=available_on(method, received_on, trust_policy()),
            method=method,
            counterparty=payor.strip()[:200],
            reference=reference[:100],
            purpose=purpose[:300],
        )
    return posting


@refusals_logged("buffer deposit")
def deposit_firm_funds(
    actor: User | None,
    account: TrustAccount,
    amount: Decimal | str,
    on: date,
    *,
    reference: str = "",
) -> TrustTransaction:
    """The firm's own money for bank charges: only into the buffer, and never above the cap."""
    require(actor, Action.MANAGE_TRUST_ACCOUNTS)
    value = _amount(amount, account.currency)
    with transaction.atomic():
        _open_day(account, on)
        ledger = _locked(buffer_ledger(account))
        cap = trust_policy().buffer_cap
        held = max(_balances_from(ledger, on))  # on that day or a later one
        if held + value > cap:
            raise TrustRuleViolation(
                f"the buffer would hold {held + value}, above the policy's cap of {cap}: "
                "firm money in trust only in the amount needed for bank charges",
                field="amount",
            )
        posting = _post(
            actor,
            ledger,
            TransactionKind.BUFFER_DEPOSIT,
            value,
            on,
            available_on=on,
            method=TrustMethod.TRANSFER,
            counterparty=get_firm().name[:200],
            reference=reference[:100],
            purpose="firm funds for bank charges",
        )
    return posting


@refusals_logged("interest")
def record_interest(
    actor: User | None,
    account: TrustAccount,
    amount: Decimal | str,
    on: date,
    *,
    matter: Matter | None = None,
    reference: str = "",
) -> TrustTransaction | FoundationInterest:
    """Interest the bank credited: the bar foundation's on IOLTA, the client's on a separate one.

    IOLTA interest never enters a ledger; it is held for the foundation until remitted and is a
    reconciling item on the bank side. A separate account's interest is the client's money and
    goes to the matter's ledger (the account's only one when ``matter`` is not given).
    """
    require(actor, Action.RECONCILE_TRUST)
    value = _amount(amount, account.currency)
    with transaction.atomic():
        _open_day(account, on)
        if account.kind == AccountKind.POOLED:
            if matter is not None:
                raise TrustRuleViolation(
                    "IOLTA interest belongs to the bar foundation, never to a client ledger",
                    field="matter",
                )
            return FoundationInterest.objects.create(
                account=account,
                kind=InterestKind.CREDITED,
                entered_on=on,
                amount=value,
                reference=reference[:100],
                posted_at=timezone.now(),
                posted_by=actor,
            )
        ledger = _interest_ledger(account, matter, on)
        return _post(
            actor,
            _locked(ledger),
            TransactionKind.INTEREST,
            value,
            on,
            available_on=on,
            method=TrustMethod.BANK,
            counterparty=account.bank_account.name[:200],
            reference=reference[:100],
            purpose="interest earned for the client",
        )


def _interest_ledger(account: TrustAccount, matter: Matter | None, on: date) -> TrustLedger:
    if matter is not None:
        if matter.client_id != account.client_id:
            raise TrustRuleViolation(
                f"{account.name} is held for {account.client}, not {matter.client}",
                field="matter",
            )
        return matter_ledger(account, matter, on)
    ledgers = list(TrustLedger.objects.filter(account=account, kind=LedgerKind.CLIENT)[:2])
    if len(ledgers) != 1:
        raise InvalidEntry(f"name the matter {account.name}'s interest is for", field="matter")
    return ledgers[0]


@refusals_logged("remit interest")
def remit_foundation_interest(
    actor: User | None, account: TrustAccount, amount: Decimal | str, on: date, reference: str = ""
) -> FoundationInterest:
    """The bank paid the held IOLTA interest over to the bar foundation."""
    require(actor, Action.RECONCILE_TRUST)
    value = _amount(amount, account.currency)
    with transaction.atomic():
        _open_day(account, on)
        later = (
            FoundationInterest.objects.filter(account=account, entered_on__gt=on)
            .order_by("entered_on")
            .values_list("entered_on", flat=True)
            .distinct()
        )
        # held on that day and on every later day with an entry: a backdated remittance may not
        # leave the foundation's interest below zero in between
        held = min(foundation_interest_held(account, day) for day in [on, *later])
        if value > held:
            raise TrustRuleViolation(
                f"only {held} of interest is held for the bar foundation, not {value}; "
                "fees above the interest may not come from client money",
                field="amount",
            )
        return FoundationInterest.objects.create(
            account=account,
            kind=InterestKind.REMITTED,
            entered_on=on,
            amount=value,
            reference=reference[:100],
            posted_at=timezone.now(),
            posted_by=actor,
        )


# --- money out -------------------------------------------------------------------------------


def _client_ledger(ledger: TrustLedger, what: str) -> None:
    if ledger.kind != LedgerKind.CLIENT:
        raise TrustRuleViolation(f"a {what} is paid from a client ledger", field="ledger")


@refusals_logged("disbursement")
def disburse(
    actor: User | None,
    ledger: TrustLedger,
    amount: Decimal | str,
    paid_on: date,
    *,
    payee: str,
    purpose: str,
    method: str = TrustMethod.CHECK,
    reference: str = "",
) -> TrustTransaction:
    """Pay a third party on the client's behalf: payee, purpose and check number or wire memo."""
    require(actor, Action.DISBURSE_TRUST)
    value = _amount(amount, ledger.account.currency)
    _check_method(method)
    if not payee.strip():
        raise InvalidEntry("name the payee", field="payee")
    if not purpose.strip():
        raise InvalidEntry("say what the payment is for", field="purpose")
    if method in CHECKS and not reference.strip():
        raise InvalidEntry("give the check number", field="reference")
    if method == TrustMethod.WIRE and not reference.strip():
        raise InvalidEntry("give the wire memo", field="reference")
    with transaction.atomic():
        _open_day(ledger.account, paid_on)
        locked = _locked(ledger)
        _client_ledger(locked, "disbursement")
        _pay_out_check(locked, value, paid_on, "a disbursement")
        return _post(
            actor,
            locked,
            TransactionKind.DISBURSEMENT,
            -value,
            paid_on,
            method=method,
            counterparty=payee.strip()[:200],
            purpose=purpose.strip()[:300],
            reference=reference.strip()[:100],
        )


@refusals_logged("refund")
def refund(
    actor: User | None,
    ledger: TrustLedger,
    amount: Decimal | str,
    paid_on: date,
    *,
    method: str = TrustMethod.CHECK,
    reference: str = "",
    purpose: str = "refund of unearned funds",
) -> TrustTransaction:
    """Return unearned money to the client (Rule 1.16(d) when the representation ends)."""
    require(actor, Action.DISBURSE_TRUST)
    value = _amount(amount, ledger.account.currency)
    _check_method(method)
    if method in CHECKS and not reference.strip():
        raise InvalidEntry("give the check number", field="reference")
    with transaction.atomic():
        _open_day(ledger.account, paid_on)
        locked = _locked(ledger)
        _client_ledger(locked, "refund")
        _pay_out_check(locked, value, paid_on, "a refund")
        assert locked.client is not None
        return _post(
            actor,
            locked,
            TransactionKind.REFUND,
            -value,
            paid_on,
            method=method,
            counterparty=locked.client.name[:200],
            purpose=purpose.strip()[:300] or "refund of unearned funds",
            reference=reference.strip()[:100],
        )


@refusals_logged("fee transfer")
def transfer_earned_fees(
    actor: User | None,
    ledger: TrustLedger,
    invoice: Invoice,
    amount: Decimal | str,
    transferred_on: date,
    *,
    notice_sent_on: date,
    notice_method: str = "e-mail",
    reference: str = "",
) -> TrustTransaction:
    """Earned fees to the operating account, paying the matter's final invoice, in one step.

    The trust posting and the receivables payment are made in one transaction, so trust money
    never leaves without the invoice showing it paid, nor the other way round. The client must
    have been told (date, amount and purpose) no later than the transfer, or the policy's notice
    days before it.
    """
    require(actor, Action.DISBURSE_TRUST)
    from lexbill.receivables.services import post_payment

    value = _amount(amount, ledger.account.currency)
    if not notice_method.strip():
        raise InvalidEntry("say how the client was told", field="notice_method")
    with transaction.atomic():
        # inside the transaction: the first call makes the policy row, which a refusal undoes
        policy = trust_policy()
        latest_notice = transferred_on - timedelta(days=policy.fee_notice_days)
        if notice_sent_on > latest_notice:
            raise TrustRuleViolation(
                f"the client must be told of the withdrawal by {latest_notice} "
                f"({policy.fee_notice_days} days' notice), not {notice_sent_on}",
                field="notice_sent_on",
            )
        _open_day(ledger.account, transferred_on)
        locked = _locked(ledger)
        _client_ledger(locked, "fee transfer")
        if invoice.matter_id != locked.matter_id:
            raise TrustRuleViolation(
                f"invoice {invoice.number} is for {invoice.matter}, not {locked.matter}: fees "
                "come out of trust only against a final invoice of the same matter",
                field="invoice",
            )
        if invoice.issued_on > transferred_on:
            raise TrustRuleViolation(
                f"invoice {invoice.number} is issued on {invoice.issued_on}: fees are withdrawn "
                "only once billed",
                field="transferred_on",
            )
        open_balance: Decimal = (
            with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance  # type: ignore[attr-defined]
        )
        if value > open_balance:
            raise TrustRuleViolation(
                f"invoice {invoice.number} has {open_balance} open; "
                f"{value} would take unearned money out of trust",
                field="amount",
            )
        _pay_out_check(locked, value, transferred_on, "a fee transfer")
        assert locked.client is not None
        payment = post_payment(
            actor,
            locked.client,
            value,
            transferred_on,
            allocations=[(invoice.number, value)],
            method="trust",
            reference=f"trust {locked.account.name}"[:100],
            currency=locked.account.currency,
            payer_name=locked.client.name,
            from_trust=True,
        )
        return _post(
            actor,
            locked,
            TransactionKind.FEE_TRANSFER,
            -value,
            transferred_on,
            method=TrustMethod.TRANSFER,
            counterparty=get_firm().name[:200],
            purpose=f"fees earned, invoice {invoice.number}"[:300],
            reference=reference.strip()[:100],
            invoice=invoice,
            payment=payment,
            notice_sent_on=notice_sent_on,
            notice_method=notice_method.strip()[:40],
        )


@refusals_logged("bank charge")
def bank_charge(
    actor: User | None,
    account: TrustAccount,
    amount: Decimal | str,
    on: date,
    *,
    purpose: str = "bank service charge",
    reference: str = "",
) -> TrustTransaction:
    """A bank fee, paid from the firm's buffer: never from client money."""
    require(actor, Action.RECONCILE_TRUST)
    value = _amount(amount, account.currency)
    with transaction.atomic():
        _open_day(account, on)
        ledger = _locked(buffer_ledger(account))
        # what the buffer held by that day: firm money deposited later did not pay it
        held = min(ledger_balance(ledger), cleared_balance(ledger, on))
        if value > held:
            raise TrustRuleViolation(
                f"the bank charge of {value} is more than the firm's buffer on {on} ({held}); "
                "deposit firm funds to the buffer first — client money may not pay it",
                field="amount",
            )
        return _post(
            actor,
            ledger,
            TransactionKind.BANK_CHARGE,
            -value,
            on,
            method=TrustMethod.BANK,
            counterparty=account.bank_account.name[:200],
            purpose=purpose.strip()[:300] or "bank service charge",
            reference=reference.strip()[:100],
        )


@refusals_logged("buffer withdrawal")
def withdraw_firm_funds(
    actor: User | None, account: TrustAccount, amount: Decimal | str, on: date
) -> TrustTransaction:
    """Take the firm's own money back out of the buffer (what bank charges no longer need)."""
    require(actor, Action.MANAGE_TRUST_ACCOUNTS)
    value = _amount(amount, account.currency)
    with transaction.atomic():
        _open_day(account, on)
        ledger = _locked(buffer_ledger(account))
        _pay_out_check(ledger, value, on, "a buffer withdrawal")
        return _post(
            actor,
            ledger,
            TransactionKind.BUFFER_WITHDRAWAL,
            -value,
            on,
            method=TrustMethod.TRANSFER,
            counterparty=get_firm().name[:200],
            purpose="firm funds returned to operating",
        )


# --- corrections -----------------------------------------------------------------------------


@refusals_logged("reversal")
def reverse(
    actor: User | None, posting: TrustTransaction, reversed_on: date, reason: str
) -> TrustTransaction:
    """Undo a posting with its opposite, e.g. a bounced deposit or a voided check.

    Reversing a deposit is refused when the money is already spent (the ledger would go below
    zero): the shortage has to be covered first. Reversing a fee transfer reverses its invoice
    payment in the same transaction.
    """
    require(actor, Action.REVERSE_TRUST)
    if not reason.strip():
        raise InvalidEntry("a reversal needs a reason", field="reason")
    with transaction.atomic():
        _open_day(posting.account, reversed_on)
        locked = _locked(posting.ledger)
        original = TrustTransaction.objects.get(pk=posting.pk)
        if original.kind == TransactionKind.REVERSAL:
            raise InvalidTransition("a reversal is not reversed; post the entry again", field="id")
        if TrustTransaction.objects.filter(reverses=original).exists():
            raise InvalidTransition(
                f"trust transaction {original.pk} was already reversed", field="id"
            )
        if reversed_on < original.entered_on:
            raise InvalidEntry(
                f"a reversal can't be dated before the entry it reverses ({original.entered_on})",
                field="reversed_on",
            )
        amount = -Decimal(original.amount)
        if amount < 0:
            # the lowest balance from the reversal's date on, not only today's
            balance = min(_balances_from(locked, reversed_on))
            if -amount > balance:
                raise TrustRuleViolation(
                    f"reversing {original.amount} on {reversed_on} would take {locked} below "
                    f"zero (balance {balance}): the money is already paid out; cover the "
                    "shortage first",
                    field="id",
                )
        elif locked.kind == LedgerKind.BUFFER:
            cap = trust_policy().buffer_cap
            if max(_balances_from(locked, reversed_on)) + amount > cap:
                raise TrustRuleViolation(
                    f"reversing {original.amount} would put the buffer above the policy's cap "
                    f"of {cap}; withdraw firm funds first",
                    field="id",
                )
        if original.payment is not None:
            from lexbill.receivables.services import reverse_payment

            reverse_payment(actor, original.payment, reversed_on, f"trust reversal: {reason}")
        reversal = _post(
            actor,
            locked,
            TransactionKind.REVERSAL,
            amount,
            reversed_on,
            # an inflow's reversal counts against cleared funds exactly when the inflow did;
            # money coming back (a voided check) is available at once
            available_on=original.available_on if amount < 0 else reversed_on,
            method=original.method,
            counterparty=original.counterparty,
            purpose=f"reversal of {original.pk}: {reason.strip()}"[:300],
            reference=original.reference,
            invoice=original.invoice,
            reverses=original,
        )
        record_event(
            "trust.TrustTransaction",
            original.pk,
            f"trust transaction {original.pk} reversed by {reversal.pk}: {reason.strip()}",
            reversal=reversal.pk,
        )
    return reversal


# --- accounts and policy ---------------------------------------------------------------------


def open_trust_account(
    actor: User | None,
    name: str,
    kind: str,
    bank_account: Any,
    opened_on: date,
    *,
    client: Any = None,
) -> TrustAccount:
    """A trust account over one of the firm's bank accounts (which then skips invoice matching)."""
    require(actor, Action.MANAGE_TRUST_ACCOUNTS)
    if kind not in AccountKind.values:
        raise InvalidEntry(f"{kind!r} is not a trust account kind", field="kind")
    if kind == AccountKind.SEPARATE and client is None:
        raise InvalidEntry("a separate trust account is held for one client", field="client")
    if kind == AccountKind.POOLED and client is not None:
        raise InvalidEntry("a pooled IOLTA account holds many clients' money", field="client")
    if not name.strip():
        raise InvalidEntry("name the account", field="name")
    if TrustAccount.objects.filter(bank_account=bank_account).exists():
        raise InvalidEntry(f"{bank_account} is already a trust account", field="bank_account")
    if TrustAccount.objects.filter(name=name.strip()).exists():
        raise InvalidEntry(f"there is already a trust account {name.strip()!r}", field="name")
    with transaction.atomic():
        account = TrustAccount.objects.create(
            name=name.strip(),
            kind=kind,
            bank_account=bank_account,
            currency=bank_account.currency,
            client=client,
            opened_on=opened_on,
        )
        buffer_ledger(account)
    return account


POLICY_FIELDS = (
    "check_hold_days",
    "certified_hold_days",
    "ach_hold_days",
    "buffer_cap",
    "fee_notice_days",
    "dormant_months",
)


def save_trust_policy(actor: User | None, **values: Any) -> TrustPolicy:
    """Change the firm's trust policy; holds and the cap apply to postings made from now on."""
    require(actor, Action.MANAGE_TRUST_ACCOUNTS)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise InvalidEntry(f"not a trust policy setting: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        if name == "buffer_cap":
            try:
                cap = to_decimal(value)
            except (TypeError, ArithmeticError) as error:
                raise InvalidEntry(f"{value!r} is not an amount", field=name) from error
            if cap < 0 or round_money(cap) != cap:
                raise InvalidEntry(f"{cap} is not a cap (0 or more, in cents)", field=name)
            values[name] = cap
        elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3650:
            raise InvalidEntry(f"{value!r} is not a whole number from 0 to 3650", field=name)
    if values.get("dormant_months") == 0:
        raise InvalidEntry("a balance is dormant after at least one month", field="dormant_months")
    with transaction.atomic():
        policy = TrustPolicy.objects.select_for_update().get(pk=trust_policy().pk)
        for name, value in values.items():
            setattr(policy, name, value)
        policy.save()
    return policy
