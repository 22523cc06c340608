"""Work, pre-bills and invoices for the billing and receivables API tests, made through the
services (as the system itself, ``actor=None``), so the API is what the tests exercise."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import CreditNote, Invoice, Prebill
from lexbill.billing.prebills import approve_prebill
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.receivables.models import PaymentAllocation, WriteOff

PROBLEM = "application/problem+json"
WORKED = date(2026, 3, 2)
THROUGH = date(2026, 3, 31)


def work(
    f: Any, matter: Any, hours: str = "1.3", *, keeper: Any = None, day: date = WORKED
) -> None:
    """An hour or so of billable time and a copying expense on ``matter``."""
    record_time(
        None,
        TimeDraft(
            matter=matter,
            timekeeper=keeper or f.partner,
            work_date=day,
            duration_seconds=hours_to_seconds(hours),
            narrative="Draft motion to compel",
            task_code="L250",
            activity_code="A103",
        ),
    )
    record_expense(
        None,
        ExpenseDraft(
            matter=matter,
            date=day,
            expense_code="E101",
            quantity="137",
            unit_cost="0.15",
            description="Copies of exhibits",
        ),
    )


def prebill_of(f: Any, matter: Any, hours: str = "1.3", **kwargs: Any) -> Prebill:
    """A draft pre-bill of fresh work on ``matter``."""
    work(f, matter, hours, **kwargs)
    run = run_bill_run(None, THROUGH)
    return Prebill.objects.get(run=run, matter=matter)


def invoice_of(
    f: Any, matter: Any, hours: str = "1.3", issued_on: date | None = None, **kwargs: Any
) -> Invoice:
    """A final invoice of fresh work on ``matter``."""
    prebill = prebill_of(f, matter, hours, **kwargs)
    approve_prebill(None, prebill)
    return finalize_prebill(None, prebill, issued_on=issued_on)


def expected_balance(invoice: Invoice) -> Decimal:
    """total − allocations − credit notes − write-offs, summed here independently of the
    selectors the API uses."""

    def total(rows: Any, field: str) -> Decimal:
        return Decimal(rows.aggregate(s=Sum(field))["s"] or 0)

    return (
        Invoice.objects.get(pk=invoice.pk).total
        - total(PaymentAllocation.objects.filter(invoice=invoice), "amount")
        - total(CreditNote.objects.filter(invoice=invoice), "total")
        - total(WriteOff.objects.filter(invoice=invoice), "amount")
    )


def audit_channels_since(last_id: int) -> set[str]:
    """The channels of the audit records written after record ``last_id``, leaving out the
    tokens the test itself creates to call the API (set-up, not the action under test)."""
    records = AuditRecord.objects.filter(pk__gt=last_id).exclude(model="api.ApiToken")
    return set(records.values_list("channel", flat=True))


def last_audit_id() -> int:
    return AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
