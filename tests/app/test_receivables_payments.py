"""Payments in full detail: methods and payers, NSF reversals that restore every balance they
touched, refunds of unapplied credit, prompt-payment discounts, and the payment history."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from tests.app.receivables_aging_firm import bill

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import client_balance, unapplied_credit
from lexbill.core.errors import ImmutableRecord, InvalidEntry, InvalidTransition, PermissionDenied
from lexbill.receivables.adjustments import update_collections_policy
from lexbill.receivables.models import Payment, PaymentKind, WriteOff
from lexbill.receivables.selectors import free_amount, invoice_balance, payment_history
from lexbill.receivables.services import (
    apply_unapplied_credit,
    post_payment,
    refund_credit,
    reverse_payment,
)


@pytest.fixture
def invoices(small_firm: Any) -> tuple[Invoice, Invoice]:
    """Acme's two invoices: 500.00 issued March 2, 1,000.00 issued April 2."""
    f = small_firm
    return (
        bill(f, f.acme_hourly, date(2026, 3, 2), "1"),
        bill(f, f.acme_hourly, date(2026, 4, 2), "2"),
    )


def _balances(*invoices: Invoice) -> list[Decimal]:
    return [invoice_balance(inv) for inv in invoices]


def test_a_payment_keeps_its_method_reference_and_payer(small_firm: Any, invoices: Any) -> None:
    f = small_firm
    payment = post_payment(
        f.clara,
        f.acme,
        "100.00",
        date(2026, 4, 10),
        method="ach",
        reference="ACH-778",
        payer_name="Acme Treasury",
    )
    stored = Payment.objects.get(pk=payment.pk)
    assert (stored.method, stored.reference, stored.payer_name) == (
        "ach",
        "ACH-778",
        "Acme Treasury",
    )
    with pytest.raises(InvalidEntry, match="not a payment method"):
        post_payment(f.clara, f.acme, "1.00", date(2026, 4, 10), method="barter")


def test_reversing_a_payment_spread_over_two_invoices_restores_both_and_the_credit(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = invoices
    before = _balances(older, newer)
    credit_before = unapplied_credit(f.acme)
    # 500 to the older, 1,000 to the newer, 200 left unapplied
    payment = post_payment(f.clara, f.acme, "1700.00", date(2026, 4, 20), method="check")
    assert _balances(older, newer) == [Decimal(0), Decimal(0)]
    assert unapplied_credit(f.acme) == credit_before + Decimal("200.00")

    with acting_as(f.sam, "web"):
        reversal = reverse_payment(f.sam, payment, date(2026, 4, 25), "NSF: check returned")

    assert _balances(older, newer) == before
    assert unapplied_credit(f.acme) == credit_before
    assert reversal.kind == PaymentKind.REVERSAL
    assert reversal.amount == -payment.amount
    assert reversal.corrects_id == payment.pk
    taken_back = payment.allocations.filter(amount__lt=0)
    assert {a.applied_on for a in taken_back} == {date(2026, 4, 25)}
    assert AuditRecord.objects.filter(
        model="receivables.Payment", object_id=str(reversal.pk), actor=f.sam
    ).exists()


def test_reversal_takes_back_credit_that_was_applied_later(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = invoices
    before = _balances(older, newer)
    payment = post_payment(f.clara, f.acme, "800.00", date(2026, 3, 10), allocations=[])
    with time_machine.travel(date(2026, 4, 15), tick=False):
        applied = apply_unapplied_credit(f.clara, f.acme)
    assert applied == Decimal("800.00")
    assert _balances(older, newer) == [Decimal(0), before[1] - Decimal("300.00")]

    reverse_payment(f.sam, payment, date(2026, 4, 30), "NSF")

    assert _balances(older, newer) == before
    assert unapplied_credit(f.acme) == 0
    assert free_amount(payment) == 0


def test_a_reversal_is_refused_twice_and_for_corrections(small_firm: Any, invoices: Any) -> None:
    f = small_firm
    payment = post_payment(f.clara, f.acme, "100.00", date(2026, 4, 20))
    reversal = reverse_payment(f.sam, payment, date(2026, 4, 21), "NSF")
    with pytest.raises(InvalidTransition, match="already reversed"):
        reverse_payment(f.sam, payment, date(2026, 4, 22), "again")
    with pytest.raises(InvalidTransition, match="only a receipt"):
        reverse_payment(f.sam, reversal, date(2026, 4, 22), "reverse the reversal")
    other = post_payment(f.clara, f.acme, "50.00", date(2026, 4, 20), allocations=[])
    with pytest.raises(InvalidEntry, match="before payment"):
        reverse_payment(f.sam, other, date(2026, 4, 1), "NSF")
    with pytest.raises(InvalidEntry, match="needs a reason"):
        reverse_payment(f.sam, other, date(2026, 4, 21), " ")


def test_a_clerk_may_post_but_not_reverse_or_refund(small_firm: Any, invoices: Any) -> None:
    f = small_firm
    payment = post_payment(f.clara, f.acme, "100.00", date(2026, 4, 20), allocations=[])
    with pytest.raises(PermissionDenied):
        reverse_payment(f.clara, payment, date(2026, 4, 21), "NSF")
    with pytest.raises(PermissionDenied):
        refund_credit(f.clara, payment, "10.00", date(2026, 4, 21))
    assert Payment.objects.filter(corrects=payment).count() == 0


def test_refunds_are_limited_to_the_receipts_unapplied_credit(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, _ = invoices
    payment = post_payment(
        f.clara, f.acme, "700.00", date(2026, 4, 20), allocations=[(older.number, "500.00")]
    )
    free = payment.amount - Decimal("500.00")
    with pytest.raises(InvalidEntry, match=f"has {free} USD of unapplied credit"):
        refund_credit(f.sam, payment, free + Decimal("0.01"), date(2026, 4, 21))
    refund = refund_credit(f.sam, payment, "150.00", date(2026, 4, 21), "wire", "W-9", "asked")
    assert refund.amount == Decimal("-150.00")
    assert refund.kind == PaymentKind.REFUND
    assert unapplied_credit(f.acme) == free - Decimal("150.00")
    refund_credit(f.sam, payment, free - Decimal("150.00"), date(2026, 4, 22))
    assert unapplied_credit(f.acme) == 0
    with pytest.raises(InvalidEntry, match=re.escape("has 0.00 USD")):
        refund_credit(f.sam, payment, "0.01", date(2026, 4, 23))
    # credit applied later is no longer free to refund, and a refund is never refunded
    with pytest.raises(InvalidTransition, match="only a receipt"):
        refund_credit(f.sam, refund, "1.00", date(2026, 4, 23))


def test_reversing_a_partly_refunded_receipt_reverses_what_was_not_refunded(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = invoices
    before = _balances(older, newer)
    payment = post_payment(
        f.clara, f.acme, "600.00", date(2026, 4, 20), allocations=[(older.number, "500.00")]
    )
    refund_credit(f.sam, payment, "20.00", date(2026, 4, 21))
    reversal = reverse_payment(f.sam, payment, date(2026, 4, 22), "NSF")
    assert reversal.amount == -(payment.amount - Decimal("20.00"))
    assert _balances(older, newer) == before
    assert unapplied_credit(f.acme) == 0
    everything = post_payment(f.clara, f.acme, "30.00", date(2026, 4, 20), allocations=[])
    refund_credit(f.sam, everything, "30.00", date(2026, 4, 21))
    with pytest.raises(InvalidTransition, match="refunded in full"):
        reverse_payment(f.sam, everything, date(2026, 4, 22), "NSF")


def test_a_prompt_payment_earns_the_discount_on_the_invoices_it_settles(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = invoices
    update_collections_policy(
        f.carol, prompt_discount_percent=Decimal("2.5"), prompt_discount_days=10
    )
    newer_discount = (newer.total * Decimal("0.025")).quantize(Decimal("0.01"))
    # April 10 is 8 days after the newer invoice and 39 after the older one
    cash = older.total + newer.total - newer_discount
    post_payment(f.clara, f.acme, cash, date(2026, 4, 10))
    assert _balances(older, newer) == [Decimal(0), Decimal(0)]
    discount = WriteOff.objects.get(kind="discount")
    assert (discount.invoice_id, discount.amount) == (newer.pk, newer_discount)
    assert discount.reason.code == "PROMPT_PAYMENT"
    account = client_balance(f.acme)
    assert account.written_off == newer_discount
    assert account.unapplied == 0


def test_a_bounced_payment_takes_back_the_discount_it_earned(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = invoices
    before = _balances(older, newer)
    update_collections_policy(
        f.carol, prompt_discount_percent=Decimal("2.5"), prompt_discount_days=10
    )
    newer_discount = (newer.total * Decimal("0.025")).quantize(Decimal("0.01"))
    payment = post_payment(
        f.clara,
        f.acme,
        newer.total - newer_discount,
        date(2026, 4, 10),
        allocations=[(newer.number, newer.total - newer_discount)],
    )
    assert _balances(older, newer) == [before[0], Decimal(0)]
    reverse_payment(f.sam, payment, date(2026, 4, 20), "NSF")
    assert _balances(older, newer) == before
    earned, taken_back = WriteOff.objects.filter(invoice=newer).order_by("pk")
    assert (earned.amount, taken_back.amount) == (newer_discount, -newer_discount)
    assert taken_back.corrects == earned and taken_back.written_off_on == date(2026, 4, 20)
    assert client_balance(f.acme).written_off == 0
    with pytest.raises(ImmutableRecord):
        taken_back.delete()


def test_no_discount_when_late_or_when_the_payment_leaves_more_than_the_discount_open(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = invoices
    update_collections_policy(f.carol, prompt_discount_percent=Decimal("2"), prompt_discount_days=5)
    post_payment(f.clara, f.acme, "100.00", date(2026, 4, 3), allocations=[(newer.number, "100")])
    post_payment(
        f.clara, f.acme, older.total, date(2026, 4, 3), allocations=[(older.number, older.total)]
    )
    late = newer.total - Decimal("100.00") - Decimal("20.00")
    post_payment(f.clara, f.acme, late, date(2026, 4, 30))
    assert not WriteOff.objects.exists()
    assert invoice_balance(newer) == Decimal("20.00")


def test_the_history_lists_receipts_allocations_and_corrections_per_client_and_matter(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = invoices
    other = bill(f, f.acme_capped, date(2026, 4, 3), "1")
    payment = post_payment(
        f.clara,
        f.acme,
        "900.00",
        date(2026, 4, 20),
        allocations=[(older.number, "500.00"), (other.number, "300.00")],
    )
    refund_credit(f.sam, payment, "40.00", date(2026, 4, 21))
    reverse_payment(f.sam, payment, date(2026, 4, 22), "NSF")
    rows = payment_history(f.acme)
    events = [(r.on, r.event, r.invoice, r.amount) for r in rows]
    assert events == [
        (date(2026, 4, 20), "receipt", "", Decimal("900.00")),
        (date(2026, 4, 20), "applied", older.number, Decimal("500.00")),
        (date(2026, 4, 20), "applied", other.number, Decimal("300.00")),
        (date(2026, 4, 21), "refund", "", Decimal("-40.00")),
        (date(2026, 4, 22), "reversal", "", Decimal("-860.00")),
        (date(2026, 4, 22), "taken back", older.number, Decimal("-500.00")),
        (date(2026, 4, 22), "taken back", other.number, Decimal("-300.00")),
    ]
    matter_rows = payment_history(f.acme, f.acme_capped)
    assert {r.invoice for r in matter_rows} == {other.number}
    assert sum((r.amount for r in matter_rows), Decimal(0)) == 0
    assert newer.number not in {r.invoice for r in rows}
