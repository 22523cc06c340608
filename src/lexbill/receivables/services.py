"""Posting payments and allocating them to invoices; balances are never stored, only summed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
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
from lexbill.core.errors import AllocationError, InvalidEntry
from lexbill.core.money import minor_unit_places, round_money, to_decimal
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.receivables.models import Payment, PaymentAllocation, PaymentKind


def _open(client: Client, currency: str) -> tuple[list[OpenInvoice], dict[str, int]]:
    invoices = open_invoices(client, currency)
    return (
        [
            OpenInvoice(
                invoice_id=inv.pk,
                number=inv.number,
                issued_on=inv.issued_on,
                balance=inv.balance,  # type: ignore[attr-defined]
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
) -> AllocationPlan:
    items, id_of = _open(client, currency)
    if allocations is None:
        return allocate_oldest_first(amount, items) if items else AllocationPlan((), amount)
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
) -> Payment:
    """Post a payment; allocate it oldest-first unless told how; the rest is unapplied credit.

    ``allocations=None`` means oldest first; an empty list keeps the whole payment unapplied.

    The client row is locked first, so two clerks posting at once can't both spend one balance.
    """
    require(actor, Action.POST_PAYMENT)
    value = to_decimal(amount)
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        currency = client_currency(locked, currency)
        if value <= 0:
            raise InvalidEntry("a payment must be more than zero", field="amount")
        if value != round_money(value, currency):
            places = minor_unit_places(currency)
            unit = "decimal place" if places == 1 else "decimal places"
            raise InvalidEntry(
                f"{currency} amounts have {places or 'no'} {unit}; {value} has more",
                field="amount",
            )
        plan = _plan(locked, currency, value, allocations)
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
    return payment


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
