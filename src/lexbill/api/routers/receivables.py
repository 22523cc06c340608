"""Payments and balances: list and read payments, post one (idempotent), client and matter
balances. Reading needs ``Action.VIEW_RECEIVABLES`` (the billing office), posting
``Action.POST_PAYMENT``; ``receivables.services.post_payment`` decides everything else.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.pagination import paginate

from lexbill.api.billing_access import MappedPage, actor_of, found
from lexbill.api.idempotency import run_idempotent
from lexbill.api.schemas_billing import (
    BalanceFilters,
    ClientBalanceOut,
    Id,
    MatterBalanceOut,
    PaymentDetailOut,
    PaymentFilters,
    PaymentIn,
    PaymentOut,
    from_account,
    from_payment,
    from_payment_detail,
)
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import client_balance, client_currencies, matter_balance
from lexbill.clients.models import Client, Matter
from lexbill.core.errors import AllocationError, InvalidEntry
from lexbill.firm.permissions import Action, require
from lexbill.receivables.models import Payment, PaymentAllocation
from lexbill.receivables.selectors import with_free_amounts
from lexbill.receivables.services import post_payment

router = Router()


def _payments() -> QuerySet[Payment]:
    return with_free_amounts(Payment.objects.select_related("client", "posted_by"))


def _payment_rows(payments: Sequence[Payment]) -> list[PaymentOut]:
    return [from_payment(payment) for payment in payments]


@router.get("/payments", response=list[PaymentOut], summary="List payments")
@paginate(MappedPage, build=_payment_rows)
def list_payments(request: HttpRequest, filters: Query[PaymentFilters]) -> Any:
    """Newest first: receipts, and the reversals and refunds that correct them."""
    require(actor_of(request), Action.VIEW_RECEIVABLES)
    payments = _payments()
    if filters.client is not None:
        payments = payments.filter(client_id=filters.client)
    if filters.kind is not None:
        payments = payments.filter(kind=filters.kind)
    if filters.method is not None:
        payments = payments.filter(method=filters.method)
    if filters.received_from is not None:
        payments = payments.filter(received_on__gte=filters.received_from)
    if filters.received_to is not None:
        payments = payments.filter(received_on__lte=filters.received_to)
    if filters.unapplied is not None:
        payments = (
            payments.filter(free__gt=0)  # type: ignore[misc]
            if filters.unapplied
            else payments.filter(free__lte=0)  # type: ignore[misc]
        )
    if filters.invoice is not None:
        paid_on = PaymentAllocation.objects.filter(invoice_id=filters.invoice)
        payments = payments.filter(pk__in=paid_on.values("payment_id"))
    return payments.order_by("-received_on", "-id")


@router.get(
    "/payments/{payment_id}",
    response=PaymentDetailOut,
    summary="Read a payment and its allocations",
)
def read_payment(request: HttpRequest, payment_id: Id) -> PaymentDetailOut:
    require(actor_of(request), Action.VIEW_RECEIVABLES)
    return from_payment_detail(found(_payments(), payment_id, "payment"))


def _allocations(client: Client, payload: PaymentIn) -> list[tuple[str, Decimal]] | None:
    """The body's ``invoice_id`` allocations as the service takes them (invoice numbers); an id
    that is not an invoice of this client is refused naming its place in the list."""
    if payload.allocations is None:
        return None
    ids = {a.invoice_id for a in payload.allocations}
    numbers = dict(Invoice.objects.filter(pk__in=ids, client=client).values_list("pk", "number"))
    wanted = []
    for index, allocation in enumerate(payload.allocations, start=1):
        number = numbers.get(allocation.invoice_id)
        if number is None:
            raise AllocationError(
                f"allocation {index}: invoice {allocation.invoice_id} is not an invoice of "
                f"client {client.number}",
                field=f"allocations.{index - 1}.invoice_id",
                line=index,
            )
        wanted.append((number, allocation.amount))
    return wanted


@router.post("/payments", response={201: PaymentDetailOut}, summary="Post a payment")
def create_payment(request: HttpRequest, payload: PaymentIn) -> HttpResponse:
    """Allocations as given, or oldest invoice first when ``allocations`` is omitted; what is
    not allocated stays as the client's unapplied credit. An allocation above what an invoice
    still owes, or more allocated than the payment brings in, is refused (422) and nothing is
    posted. Honours ``Idempotency-Key``: a retried request never posts the payment twice."""
    actor = actor_of(request)
    require(actor, Action.POST_PAYMENT)
    client = Client.objects.filter(pk=payload.client_id).first()
    if client is None:
        raise InvalidEntry(f"no client {payload.client_id}", field="client_id")

    def create() -> tuple[int, Any]:
        payment = post_payment(
            actor,
            client,
            payload.amount,
            payload.received_on,
            allocations=_allocations(client, payload),
            method=payload.method,
            reference=payload.reference,
            currency=payload.currency.upper() if payload.currency else None,
            payer_name=payload.payer_name,
        )
        return 201, from_payment_detail(found(_payments(), payment.pk, "payment"))

    return run_idempotent(request, create)


@router.get(
    "/clients/{client_id}/balance",
    response=ClientBalanceOut,
    summary="A client's balance, per currency",
)
def read_client_balance(
    request: HttpRequest, filters: Query[BalanceFilters], client_id: Id
) -> ClientBalanceOut:
    """One account per currency the client is billed or pays in (one for most clients):
    invoiced, credited, paid, written off, the balance due and unapplied credit."""
    require(actor_of(request), Action.VIEW_RECEIVABLES)
    client = found(Client.objects.all(), client_id, "client")
    currencies = (
        [filters.currency.upper()] if filters.currency else client_currencies(client) or ["USD"]
    )
    return ClientBalanceOut(
        client_id=client.pk,
        client_number=client.number,
        accounts=[
            from_account(currency, client_balance(client, currency)) for currency in currencies
        ],
    )


@router.get("/matters/{matter_id}/balance", response=MatterBalanceOut, summary="A matter's balance")
def read_matter_balance(request: HttpRequest, matter_id: Id) -> MatterBalanceOut:
    """The matter's invoices: invoiced, credited, paid, written off and the balance due.
    Unapplied credit belongs to the client, not to a matter, so it is 0 here."""
    require(actor_of(request), Action.VIEW_RECEIVABLES)
    matter = found(Matter.objects.all(), matter_id, "matter")
    return MatterBalanceOut(
        matter_id=matter.pk,
        matter_number=matter.number,
        account=from_account(matter.currency, matter_balance(matter)),
    )
