"""Read queries shared by pages, the CLI and reports: balances are sums, computed in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from lexbill.billing.models import (
    CreditNote,
    Invoice,
    InvoiceDelivery,
    LineKind,
    LineTreatment,
    Prebill,
)
from lexbill.clients.models import Client, Matter
from lexbill.core.balances import AccountBalance
from lexbill.core.errors import LexbillError
from lexbill.fields import FixedDecimalField

_ZERO = Value(0, output_field=FixedDecimalField(places=2))


def sum_per_invoice(model: type[Model], amount_field: str, **filters: object) -> Coalesce:
    """A correlated sum of ``model`` rows of the annotated invoice (0 when it has none); the
    filters narrow the rows, e.g. to those dated on or before a day for a balance as of then."""
    total = (
        model._default_manager.filter(invoice=OuterRef("pk"), **filters)
        .order_by()
        .values("invoice")
        .annotate(s=Sum(amount_field))
        .values("s")
    )
    return Coalesce(Subquery(total, output_field=FixedDecimalField(places=2)), _ZERO)


def with_balances(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Annotate credited, paid, written_off, was_sent and balance; one query for any number."""
    from lexbill.receivables.models import PaymentAllocation, WriteOff

    return invoices.annotate(
        credited=sum_per_invoice(CreditNote, "total"),
        paid=sum_per_invoice(PaymentAllocation, "amount"),
        written_off=sum_per_invoice(WriteOff, "amount"),
        was_sent=Exists(InvoiceDelivery.objects.filter(invoice=OuterRef("pk"))),
    ).annotate(
        balance=ExpressionWrapper(
            F("total") - F("credited") - F("paid") - F("written_off"),
            output_field=FixedDecimalField(places=2),
        )
    )


def invoice_status(invoice: Invoice) -> str:
    """Final, sent, partly paid, paid or credited, from stored facts (needs with_balances)."""
    credited: Decimal = invoice.credited  # type: ignore[attr-defined]
    paid: Decimal = invoice.paid  # type: ignore[attr-defined]
    balance: Decimal = invoice.balance  # type: ignore[attr-defined]
    if credited > 0 and credited >= invoice.total:
        return "credited"
    if balance <= 0:
        return "paid"
    if paid > 0 or credited > 0:
        return "partly paid"
    if invoice.was_sent:  # type: ignore[attr-defined]
        return "sent"
    return "final"


def _account(invoices: QuerySet[Invoice], unapplied: Decimal) -> AccountBalance:
    """The four sums in one query, over the same per-invoice figures the invoice list shows."""
    sums = with_balances(invoices).aggregate(
        invoiced=Coalesce(Sum("total"), _ZERO),
        credited_sum=Coalesce(Sum("credited"), _ZERO),
        paid_sum=Coalesce(Sum("paid"), _ZERO),
        written_off_sum=Coalesce(Sum("written_off"), _ZERO),
    )
    return AccountBalance(
        invoiced=sums["invoiced"],
        credited=sums["credited_sum"],
        paid=sums["paid_sum"],
        unapplied=unapplied,
        written_off=sums["written_off_sum"],
    )


def client_currencies(client: Client) -> list[str]:
    """The currencies a client is billed or pays in: balances are kept apart per currency."""
    from lexbill.receivables.models import Payment

    billed = set(client.matters.values_list("currency", flat=True))
    paid = set(Payment.objects.filter(client=client).values_list("currency", flat=True))
    return sorted(billed | paid)


def client_currency(client: Client, currency: str | None = None) -> str:
    """``currency`` if given, else the client's only currency; never a guess between several."""
    if currency:
        return currency
    currencies = client_currencies(client)
    if len(currencies) > 1:
        raise LexbillError(
            f"client {client.number} is billed in {' and '.join(currencies)}; name the currency",
            field="currency",
        )
    return currencies[0] if currencies else "USD"


def unapplied_credit(client: Client, currency: str | None = None) -> Decimal:
    """Payments received in the currency and not yet allocated to any invoice."""
    from lexbill.receivables.models import Payment, PaymentAllocation

    currency = client_currency(client, currency)
    received = Payment.objects.filter(client=client, currency=currency).aggregate(
        s=Coalesce(Sum("amount"), _ZERO)
    )["s"]
    allocated = PaymentAllocation.objects.filter(
        payment__client=client, payment__currency=currency
    ).aggregate(s=Coalesce(Sum("amount"), _ZERO))["s"]
    return Decimal(received - allocated)


def client_balance(client: Client, currency: str | None = None) -> AccountBalance:
    currency = client_currency(client, currency)
    return _account(
        Invoice.objects.filter(client=client, currency=currency),
        unapplied_credit(client, currency),
    )


def matter_balance(matter: Matter) -> AccountBalance:
    return _account(Invoice.objects.filter(matter=matter), Decimal(0))


def previously_billed_fees(matter: Matter) -> Decimal:
    """Fees (time lines and fee adjustments, after write-downs) on the matter's final invoices."""
    from lexbill.billing.models import InvoiceLine

    total = InvoiceLine.objects.filter(
        invoice__matter=matter, kind__in=[LineKind.TIME, LineKind.FEE_ADJUSTMENT]
    ).aggregate(s=Coalesce(Sum("total"), _ZERO))["s"]
    return Decimal(total)


def open_invoices(client: Client, currency: str) -> list[Invoice]:
    """The client's invoices in a currency with money owing, oldest first (the payment order)."""
    return list(
        with_balances(Invoice.objects.filter(client=client, currency=currency))
        .filter(balance__gt=0)  # type: ignore[misc]
        .order_by("issued_on", "number")
    )


def with_prebill_figures(prebills: Sequence[Prebill]) -> list[Prebill]:
    """These pre-bills (a page of a list), each with ``line_count``, ``time_minutes`` and
    ``billed``: the work as it stands on its lines (units × rate ± write-downs) before a flat fee,
    cap or tax, with held and no-charge lines counting nothing.

    Summed for the given pre-bills only, after the list is cut into pages: a month-end run leaves
    tens of thousands of pre-bills, and summing every line of them to show fifty costs seconds.
    """
    figures = (
        Prebill.objects.filter(pk__in=[p.pk for p in prebills])
        .values("pk")
        .annotate(
            line_count=Count("lines"),
            time_minutes=Coalesce(Sum("lines__minutes", filter=Q(lines__kind=LineKind.TIME)), 0),
            billed=Coalesce(
                Sum(
                    F("lines__amount") + F("lines__adjustment"),
                    filter=Q(lines__treatment=LineTreatment.BILL),
                    output_field=FixedDecimalField(places=2),
                ),
                _ZERO,
            ),
        )
    )
    by_pk = {row["pk"]: row for row in figures}
    for prebill in prebills:
        row = by_pk[prebill.pk]
        prebill.line_count = row["line_count"]  # type: ignore[attr-defined]
        prebill.time_minutes = row["time_minutes"]  # type: ignore[attr-defined]
        prebill.billed = row["billed"]  # type: ignore[attr-defined]
    return list(prebills)
