"""Posting payments, allocating them to invoices, and correcting them (NSF reversal, refund).

Balances are never stored, only summed. Every service here locks the client row first, the way
``post_payment`` does, so two people working one client's account cannot both spend the same
money; corrections are new rows (a negative payment pointing at the receipt, negative
allocations), never edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lexbill.billing.models import Invoice
from lexbill.billing.selectors import (
    client_currencies,
    client_currency,
    open_invoices,
    unapplied_credit,
)
from lexbill.clients.models import Client
from lexbill.core.allocation import (
    Allocation,
    AllocationPlan,
    OpenInvoice,
    allocate_oldest_first,
    check_allocations,
)
from lexbill.core.discounts import cash_to_settle, discount_to_post, earned_discount
from lexbill.core.errors import AllocationError, InvalidEntry, InvalidTransition
from lexbill.core.money import minor_unit_places, round_money, to_decimal
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.receivables.models import (
    AdjustmentKind,
    AdjustmentReason,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    WriteOff,
)
from lexbill.receivables.selectors import (
    DEFAULT_REASONS,
    PROMPT_PAYMENT,
    free_amount,
    net_allocations,
    prompt_payment_terms,
    reversal_of,
)


def _open(
    client: Client, currency: str, discounts: dict[int, Decimal] | None = None
) -> tuple[list[OpenInvoice], dict[str, int]]:
    """Open invoices as the allocator sees them; with ``discounts``, each eligible invoice asks
    only for the cash that settles it (its balance less the prompt-payment discount)."""
    invoices = open_invoices(client, currency)
    discounts = discounts or {}
    return (
        [
            OpenInvoice(
                invoice_id=inv.pk,
                number=inv.number,
                issued_on=inv.issued_on,
                balance=cash_to_settle(inv.balance, discounts.get(inv.pk, Decimal(0))),  # type: ignore[attr-defined]
            )
            for inv in invoices
        ],
        {inv.number: inv.pk for inv in invoices},
    )


def _plan(
    client: Client,
    currency: str,
    amount: Decimal,
    allocations: Sequence[tuple[str, Decimal | str]] | None,
    discounts: dict[int, Decimal] | None = None,
) -> AllocationPlan:
    if allocations is None:
        items, _ = _open(client, currency, discounts)
        return allocate_oldest_first(amount, items) if items else AllocationPlan((), amount)
    items, id_of = _open(client, currency)
    wanted = []
    for number, value in allocations:
        if number not in id_of:
            known = Invoice.objects.filter(number=number, client=client).exists()
            why = f"paid, or not in {currency}" if known else "not an invoice of this client"
            raise AllocationError(
                f"invoice {number} is {why}",
                field="allocation",
            )
        wanted.append(Allocation(invoice_id=id_of[number], amount=to_decimal(value)))
    return check_allocations(amount, wanted, items)


def prompt_discounts(client: Client, currency: str, received_on: date) -> dict[int, Decimal]:
    """Open invoice id → the prompt-payment discount money received on that day would earn."""
    terms = prompt_payment_terms()
    if not terms.offered:
        return {}
    earned = {
        inv.pk: earned_discount(terms, inv.total, inv.issued_on, received_on, currency)
        for inv in open_invoices(client, currency)
    }
    return {pk: value for pk, value in earned.items() if value > 0}


def suggested_allocations(
    client: Client, currency: str, amount: Decimal, received_on: date
) -> AllocationPlan:
    """The oldest-first plan ``post_payment`` would make (discounts included), for the page."""
    return _plan(client, currency, amount, None, prompt_discounts(client, currency, received_on))


def _check_amount(value: Decimal, currency: str, what: str) -> None:
    if value <= 0:
        raise InvalidEntry(f"a {what} must be more than zero", field="amount")
    if value != round_money(value, currency):
        places = minor_unit_places(currency)
        unit = "decimal place" if places == 1 else "decimal places"
        raise InvalidEntry(
            f"{currency} amounts have {places or 'no'} {unit}; {value} has more",
            field="amount",
        )


def _check_method(method: str) -> None:
    if method not in PaymentMethod.values:
        raise InvalidEntry(
            f"{method!r} is not a payment method ({', '.join(PaymentMethod.values)})",
            field="method",
        )


def post_payment(
    actor: User | None,
    client: Client,
    amount: Decimal | str,
    received_on: date,
    *,
    allocations: Sequence[tuple[str, Decimal | str]] | None = None,
    method: str = "check",
    reference: str = "",
    currency: str | None = None,
    payer_name: str = "",
    from_trust: bool = False,
) -> Payment:
    """Post a payment; allocate it oldest-first unless told how; the rest is unapplied credit.

    A payment out of trust (method ``trust``) is only ever half of a trust fee transfer, which
    ``trust.services`` posts with ``from_trust=True`` in the same transaction; anyone else naming
    that method is refused, so the receivables books can't show trust money the trust journal
    never released.

    ``allocations=None`` means oldest first; an empty list keeps the whole payment unapplied.

    When the collections policy offers a prompt-payment discount, an invoice this payment
    settles within the discount days gets its discount written off in the same transaction
    (see ``core.discounts`` for the rule); oldest-first allocation then asks only for the cash
    that settles each eligible invoice.

    The client row is locked first, so two clerks posting at once can't both spend one balance.
    """
    require(actor, Action.POST_PAYMENT)
    value = to_decimal(amount)
    _check_method(method)
    if (method == PaymentMethod.TRUST) != from_trust:
        raise InvalidEntry(
            "a payment from trust is made by applying trust funds to the invoice (Trust)",
            field="method",
        )
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        currency = client_currency(locked, currency)
        _check_amount(value, currency, "payment")
        discounts = prompt_discounts(locked, currency, received_on)
        balances = {inv.pk: inv.balance for inv in open_invoices(locked, currency)}  # type: ignore[attr-defined]
        plan = _plan(locked, currency, value, allocations, discounts)
        payment = Payment.objects.create(
            client=locked,
            received_on=received_on,
            amount=value,
            currency=currency,
            method=method,
            reference=reference,
            payer_name=payer_name,
            posted_at=timezone.now(),
            posted_by=actor,
        )
        _allocate(payment, plan.allocations, received_on)
        for allocation in plan.allocations:
            discount = discount_to_post(
                balances[allocation.invoice_id],
                discounts.get(allocation.invoice_id, Decimal(0)),
                allocation.amount,
            )
            if discount:
                WriteOff.objects.create(
                    invoice_id=allocation.invoice_id,
                    kind=AdjustmentKind.DISCOUNT,
                    written_off_on=received_on,
                    amount=discount,
                    reason=_prompt_payment_reason(),
                    note=f"prompt payment, payment {payment.pk}",
                    payment=payment,
                    created_at=payment.posted_at,
                    created_by=actor,
                )
    return payment


def _prompt_payment_reason() -> AdjustmentReason:
    """The PROMPT_PAYMENT reason, even if the firm retired it from the pick lists."""
    code, label, applies = next(r for r in DEFAULT_REASONS if r[0] == PROMPT_PAYMENT)
    reason, _ = AdjustmentReason.objects.get_or_create(
        code=code, defaults={"label": label, "applies_to": applies}
    )
    return reason


def _allocate(payment: Payment, allocations: Sequence[Allocation], applied_on: date) -> None:
    now = timezone.now()
    for allocation in allocations:
        PaymentAllocation.objects.create(
            payment=payment,
            invoice_id=allocation.invoice_id,
            amount=allocation.amount,
            applied_on=applied_on,
            allocated_at=now,
        )


def apply_unapplied_credit(actor: User | None, client: Client) -> Decimal:
    """Spend the client's unapplied credit on open invoices, oldest payment and invoice first.

    Credit in one currency only ever pays invoices in that currency. Returns the amount applied
    (summed over currencies only when there is one, which is the common case).
    """
    require(actor, Action.POST_PAYMENT)
    applied = Decimal(0)
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        for currency in client_currencies(locked):
            applied += _apply_credit_in(locked, currency)
    return applied


def _apply_credit_in(client: Client, currency: str) -> Decimal:
    credit = unapplied_credit(client, currency)
    items, _ = _open(client, currency)
    if credit <= 0 or not items:
        return Decimal(0)
    pending = list(allocate_oldest_first(credit, items).allocations)
    applied = Decimal(0)
    payments = Payment.objects.filter(
        client=client, currency=currency, kind=PaymentKind.RECEIPT
    ).order_by("received_on", "id")
    today = timezone.localdate()
    for payment in payments.prefetch_related("allocations", "corrections"):
        free = (
            payment.amount
            - sum((a.amount for a in payment.allocations.all()), Decimal(0))
            + sum((c.amount for c in payment.corrections.all()), Decimal(0))
        )
        while free > 0 and pending:
            head = pending[0]
            take = min(free, head.amount)
            _allocate(payment, [Allocation(head.invoice_id, take)], max(today, payment.received_on))
            applied += take
            free -= take
            if take == head.amount:
                pending.pop(0)
            else:
                pending[0] = Allocation(head.invoice_id, head.amount - take)
    return applied


def reverse_payment(
    actor: User | None, payment: Payment, reversed_on: date, reason: str
) -> Payment:
    """Reverse a bounced (NSF) or recalled receipt, restoring every balance it touched.

    For each invoice the receipt still stands paid on (its allocations, including credit applied
    later, netted per invoice) a negative allocation on the receipt dated ``reversed_on`` takes
    the money back; a reversal payment of the receipt's amount less anything already refunded
    cancels what was left unapplied. A refund already paid out stays: that money did leave the
    firm, and recovering it from the client is a separate matter (see the user guide). So the
    client's unapplied credit never goes below zero.

    Refused for a refund or a reversal, a receipt reversed before, a receipt refunded in full,
    and a date before the receipt was received.
    """
    require(actor, Action.CORRECT_PAYMENT)
    if not reason.strip():
        raise InvalidEntry("a reversal needs a reason, e.g. NSF", field="reason")
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=payment.client_id)
        original = _receipt(payment, "reversed")
        earlier = reversal_of(original)
        if earlier is not None:
            raise InvalidTransition(
                f"payment {original.pk} was already reversed on {earlier.received_on}",
                field="payment",
            )
        _not_before(reversed_on, original, "reversed_on")
        refunded = -sum(
            (c.amount for c in original.corrections.filter(kind=PaymentKind.REFUND)), Decimal(0)
        )
        restorable = original.amount - refunded
        if restorable <= 0:
            raise InvalidTransition(
                f"payment {original.pk} was refunded in full; there is nothing to reverse",
                field="payment",
            )
        now = timezone.now()
        for invoice_id, standing in sorted(net_allocations(original).items()):
            PaymentAllocation.objects.create(
                payment=original,
                invoice_id=invoice_id,
                amount=-standing,
                applied_on=reversed_on,
                allocated_at=now,
            )
        _take_back_discounts(original, reversed_on, actor, now)
        return Payment.objects.create(
            client_id=original.client_id,
            received_on=reversed_on,
            amount=-restorable,
            currency=original.currency,
            method=original.method,
            reference=original.reference,
            payer_name=original.payer_name,
            kind=PaymentKind.REVERSAL,
            corrects=original,
            reason=reason.strip(),
            posted_at=now,
            posted_by=actor,
        )


def _take_back_discounts(
    payment: Payment, reversed_on: date, actor: User | None, now: datetime
) -> None:
    """A prompt-payment discount was earned by paying; when the payment bounces, it goes too."""
    for discount in payment.discounts.filter(corrects__isnull=True, corrections__isnull=True):
        WriteOff.objects.create(
            invoice_id=discount.invoice_id,
            kind=discount.kind,
            written_off_on=reversed_on,
            amount=-discount.amount,
            reason=discount.reason,
            note=f"payment {payment.pk} reversed: discount taken back",
            corrects=discount,
            created_at=now,
            created_by=actor,
        )


def refund_credit(
    actor: User | None,
    payment: Payment,
    amount: Decimal | str,
    refunded_on: date,
    method: str = "check",
    reference: str = "",
    reason: str = "",
) -> Payment:
    """Pay back unapplied credit of one receipt: at most what of it is neither allocated nor
    refunded or reversed before (its free amount), checked under the client's row lock."""
    require(actor, Action.CORRECT_PAYMENT)
    value = to_decimal(amount)
    _check_method(method)
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=payment.client_id)
        original = _receipt(payment, "refunded")
        _check_amount(value, original.currency, "refund")
        _not_before(refunded_on, original, "refunded_on")
        free = free_amount(original)
        if value > free:
            raise InvalidEntry(
                f"payment {original.pk} has {free} {original.currency} of unapplied credit "
                f"to refund, not {value}",
                field="amount",
            )
        return Payment.objects.create(
            client_id=original.client_id,
            received_on=refunded_on,
            amount=-value,
            currency=original.currency,
            method=method,
            reference=reference,
            payer_name=original.payer_name,
            kind=PaymentKind.REFUND,
            corrects=original,
            reason=reason.strip(),
            posted_at=timezone.now(),
            posted_by=actor,
        )


def _receipt(payment: Payment, done: str) -> Payment:
    found = Payment.objects.get(pk=payment.pk)
    if found.kind != PaymentKind.RECEIPT:
        raise InvalidTransition(
            f"payment {found.pk} is a {found.get_kind_display().lower()}; only a receipt can be "
            f"{done}",
            field="payment",
        )
    return found


def _not_before(day: date, receipt: Payment, field: str) -> None:
    if day < receipt.received_on:
        raise InvalidEntry(
            f"{day} is before payment {receipt.pk} was received ({receipt.received_on})",
            field=field,
        )
