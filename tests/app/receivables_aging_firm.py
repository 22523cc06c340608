"""A firm with invoices on three matters, two attorneys and two currencies, for the aging and
statement tests (imported by tests/app/test_receivables_aging.py and _statements.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import Invoice, Prebill
from lexbill.billing.prebills import approve_prebill
from lexbill.billing.rates import set_rate
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Matter
from lexbill.clients.services import open_matter
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from lexbill.receivables.models import AdjustmentReason, Payment, WriteOff
from lexbill.receivables.services import refund_credit, reverse_payment


def bill(f: Any, matter: Matter, day: date, hours: str) -> Invoice:
    """One invoice on ``matter`` issued on ``day`` for ``hours`` of its attorney's time."""
    record_time(
        f.clara,
        TimeDraft(
            matter,
            matter.responsible_attorney,
            day,
            hours_to_seconds(hours),
            "Work",
            task_code="L120",
            activity_code="A103",
        ),
    )
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, day), matter=matter)
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill, issued_on=day)


@dataclass
class AgingFirm:
    f: Any
    patents: Matter  # Acme's matter run by the associate
    euro: Matter  # Globex's matter billed in EUR
    invoices: list[Invoice]


def build_aging_firm(f: Any) -> AgingFirm:
    start = date(2026, 1, 1)
    patents = open_matter(None, f.acme, "C001-003", "Acme patents", f.associate, opened_on=start)
    set_rate(None, "timekeeper", "400.00", start, timekeeper=f.associate, currency="EUR")
    euro = open_matter(
        None, f.globex, "C002-002", "Globex EU", f.associate, opened_on=start, currency="EUR"
    )
    invoices = [
        bill(f, f.acme_hourly, date(2026, 1, 5), "2.5"),
        bill(f, patents, date(2026, 2, 10), "1.5"),
        bill(f, f.acme_hourly, date(2026, 3, 5), "1"),
        bill(f, euro, date(2026, 3, 20), "2"),
        bill(f, patents, date(2026, 5, 1), "3"),
    ]
    return AgingFirm(f, patents, euro, invoices)


def write_off(invoice: Invoice, amount: Decimal, on: date, kind: str = "write_off") -> WriteOff:
    """A WriteOff row as the adjustment service would post it (that service is not ours)."""
    reason, _ = AdjustmentReason.objects.get_or_create(
        code="UNCOLL", defaults={"label": "Bad debt"}
    )
    return WriteOff.objects.create(
        invoice=invoice,
        kind=kind,
        written_off_on=on,
        amount=amount,
        reason=reason,
        created_at=timezone.now(),
    )


def bounce(payment: Payment, on: date) -> Payment:
    """A bounced payment, through the receivables service."""
    return reverse_payment(None, payment, on, "NSF")


def refund(payment: Payment, amount: Decimal, on: date) -> Payment:
    return refund_credit(None, payment, amount, on, reason="credit refunded")


def balances_now(**filters: Any) -> list[Any]:
    return list(with_balances(Invoice.objects.filter(**filters)))
