"""Reads for late charges: the policy, invoices overdue as of a date, their balance events, and
charges by status. Balances are sums of dated rows, so "as of" is a filter on business dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)

from lexbill.billing.models import CreditNote, Invoice, InvoiceLine, LineKind
from lexbill.core.late_charges import BalanceEvent, LateChargePolicy
from lexbill.fields import FixedDecimalField
from lexbill.latecharges.models import BILLED, PENDING, LateCharge
from lexbill.receivables.aging import with_balances_as_of
from lexbill.receivables.models import CollectionsPolicy, PaymentAllocation, WriteOff
from lexbill.receivables.selectors import collections_policy

_ZERO = Value(0, output_field=FixedDecimalField(places=2))


def late_charge_policy(policy: CollectionsPolicy | None = None) -> LateChargePolicy:
    policy = policy or collections_policy()
    return LateChargePolicy(
        annual_percent=Decimal(policy.late_charge_annual_percent),
        flat_fee=Decimal(policy.late_charge_flat_fee),
        grace_days=policy.late_charge_grace_days,
        minimum_balance=Decimal(policy.late_charge_minimum_balance),
    )


def overdue_candidates(as_of: date, grace_days: int) -> QuerySet[Invoice]:
    """Invoices that may owe a late charge as of ``as_of``, in one query: the client allows late
    charges, the grace period ended before ``as_of``, the balance as of that day is positive, and
    no earlier assessment already reached ``as_of``. Annotated with ``last_charged_to`` and
    ``balance_as_of``."""
    last_to = (
        LateCharge.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(m=Max("period_to"))
        .values("m")
    )
    # first chargeable day = due + grace + 1 <= as_of
    invoices = Invoice.objects.filter(
        client__late_charges_allowed=True,
        due_on__lt=as_of - timedelta(days=grace_days),
        issued_on__lte=as_of,
    ).annotate(last_charged_to=Subquery(last_to))
    invoices = invoices.filter(Q(last_charged_to__isnull=True) | Q(last_charged_to__lt=as_of))
    return (
        with_balances_as_of(invoices, as_of)
        .filter(balance_as_of__gt=0)  # type: ignore[misc]
        .select_related("client", "matter")
        .order_by("due_on", "number")
    )


def balance_events(invoice_ids: list[int], through: date) -> dict[int, list[BalanceEvent]]:
    """Every change to these invoices' balances on or before ``through``, by invoice: three
    queries for any number of invoices."""
    events: dict[int, list[BalanceEvent]] = {pk: [] for pk in invoice_ids}
    sources = (
        (CreditNote, "issued_on", "total"),
        (PaymentAllocation, "applied_on", "amount"),
        (WriteOff, "written_off_on", "amount"),
    )
    for model, date_field, amount in sources:
        rows = (
            model._default_manager.filter(
                invoice_id__in=invoice_ids, **{f"{date_field}__lte": through}
            )
            .values_list("invoice_id", date_field)
            .annotate(s=Sum(amount))
            .order_by()
        )
        for invoice_id, on, total in rows:
            events[invoice_id].append(BalanceEvent(on, Decimal(0) - Decimal(total)))
    return events


def late_charge_totals(invoice_ids: list[int]) -> dict[int, Decimal]:
    """What each invoice itself charges as late charges: interest is not charged on them."""
    rows = (
        InvoiceLine.objects.filter(invoice_id__in=invoice_ids, kind=LineKind.LATE_CHARGE)
        .values("invoice_id")
        .annotate(s=Sum("total"))
        .order_by()
    )
    return {row["invoice_id"]: Decimal(row["s"]) for row in rows}


def invoices_with_a_fee(invoice_ids: list[int]) -> set[int]:
    return set(
        LateCharge.objects.filter(invoice_id__in=invoice_ids, flat_fee__gt=0).values_list(
            "invoice_id", flat=True
        )
    )


def charges(status: str = "") -> QuerySet[LateCharge]:
    """Charges newest first, with what the list shows; ``status`` pending or billed filters."""
    found = LateCharge.objects.select_related("invoice", "client", "matter", "billed_line__prebill")
    if status == "pending":
        found = found.filter(PENDING)
    elif status == "billed":
        found = found.filter(BILLED)
    return found


def pending_charges(
    matter_ids: list[int] | QuerySet[Any] | None = None,
) -> QuerySet[LateCharge]:
    """Charges waiting for a bill (of these matters: ids, or a ``values("matter_id")`` query,
    which keeps a bill run's tens of thousands of matters out of the SQL parameters)."""
    found = LateCharge.objects.filter(PENDING).select_related("invoice")
    if matter_ids is not None:
        found = found.filter(matter_id__in=matter_ids)
    return found.order_by("invoice__number", "period_from")
