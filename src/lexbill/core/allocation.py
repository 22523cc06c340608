"""Applying a client's payment to their open invoices.

An allocation that exceeds a balance or the payment would misstate what the client owes, so
every plan keeps allocated + unapplied equal to the payment and no balance below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lexbill.core.errors import AllocationError
from lexbill.core.money import require_decimal

_ZERO = Decimal(0)


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: int
    number: str
    issued_on: date
    balance: Decimal

    def __post_init__(self) -> None:
        require_decimal(self.balance, "balance")


@dataclass(frozen=True)
class Allocation:
    invoice_id: int
    amount: Decimal

    def __post_init__(self) -> None:
        require_decimal(self.amount, "amount")


@dataclass(frozen=True)
class AllocationPlan:
    """What a payment pays; ``unapplied`` stays on account as a credit for later allocation."""

    allocations: tuple[Allocation, ...]
    unapplied: Decimal


def _require_positive_payment(amount: Decimal) -> None:
    if require_decimal(amount, "amount") <= 0:
        raise AllocationError(f"a payment must be positive, not {amount}", field="amount")


def _by_id(open_invoices: Sequence[OpenInvoice]) -> dict[int, OpenInvoice]:
    invoices: dict[int, OpenInvoice] = {}
    for invoice in open_invoices:
        if invoice.invoice_id in invoices:
            raise AllocationError(
                f"invoice {invoice.number} is listed twice among the open invoices",
                field="allocation",
            )
        invoices[invoice.invoice_id] = invoice
    return invoices


def allocate_oldest_first(amount: Decimal, open_invoices: Sequence[OpenInvoice]) -> AllocationPlan:
    """The default when the client does not say what a payment is for: clear the oldest debt."""
    _require_positive_payment(amount)
    oldest_first = sorted(
        _by_id(open_invoices).values(),
        key=lambda invoice: (invoice.issued_on, invoice.number, invoice.invoice_id),
    )
    remaining = amount
    allocations: list[Allocation] = []
    for invoice in oldest_first:
        if remaining <= 0:
            break
        if invoice.balance <= 0:
            continue
        paid = min(remaining, invoice.balance)
        allocations.append(Allocation(invoice.invoice_id, paid))
        remaining -= paid
    return AllocationPlan(tuple(allocations), remaining)


def check_allocations(
    amount: Decimal, allocations: Sequence[Allocation], open_invoices: Sequence[OpenInvoice]
) -> AllocationPlan:
    """Validates allocations someone chose by hand, naming the invoice that breaks a rule."""
    _require_positive_payment(amount)
    invoices = _by_id(open_invoices)
    seen: set[int] = set()
    allocated = _ZERO
    for allocation in allocations:
        invoice = invoices.get(allocation.invoice_id)
        if invoice is None:
            raise AllocationError(
                f"invoice #{allocation.invoice_id} is not an open invoice of this client",
                field="allocation",
            )
        if allocation.invoice_id in seen:
            raise AllocationError(
                f"invoice {invoice.number} is allocated more than once", field="allocation"
            )
        seen.add(allocation.invoice_id)
        if allocation.amount <= 0:
            raise AllocationError(
                f"the allocation to invoice {invoice.number} must be positive, "
                f"not {allocation.amount}",
                field="allocation",
            )
        if allocation.amount > invoice.balance:
            raise AllocationError(
                f"allocating {allocation.amount} to invoice {invoice.number} exceeds its "
                f"balance of {invoice.balance}",
                field="allocation",
            )
        allocated += allocation.amount
    if allocated > amount:
        raise AllocationError(
            f"allocations total {allocated} but the payment is only {amount}",
            field="allocation",
        )
    return AllocationPlan(tuple(allocations), amount - allocated)
