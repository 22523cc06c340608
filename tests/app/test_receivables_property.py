"""No sequence of payments (partial, exact, over), NSF reversals, refunds, credit notes (whole or
partial), write-offs and prompt-payment discounts makes any client's balance wrong.

After every step, for every client, figures summed here in Python from the raw rows must agree
with what the selectors compute in SQL: balance due = invoiced − paid − credited − written off,
no invoice has paid + credited + written off above its total, unapplied credit is never negative
and equals what the receipts have free; and the AR aging buckets, as of today and as of days
between the events, add up to each client's balance on that day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.app.receivables_aging_firm import bill

from lexbill.billing.models import CreditNote, Invoice
from lexbill.billing.selectors import client_balance, unapplied_credit, with_balances
from lexbill.clients.models import Client
from lexbill.core.errors import LexbillError
from lexbill.receivables.adjustments import (
    request_credit_note,
    request_write_off,
    update_collections_policy,
)
from lexbill.receivables.aging import ar_aging
from lexbill.receivables.models import Payment, PaymentAllocation, PaymentKind, WriteOff
from lexbill.receivables.selectors import free_amount
from lexbill.receivables.services import (
    apply_unapplied_credit,
    post_payment,
    refund_credit,
    reverse_payment,
)

RECEIVED = date(2026, 4, 1)
CORRECTED = date(2026, 4, 15)


@pytest.fixture
def billed_firm(small_firm: Any) -> Any:
    """Acme: three invoices on two matters; Globex: one taxed invoice. A 2% discount is offered
    for payment within 45 days, so the March invoices can earn it."""
    f = small_firm
    bill(f, f.acme_hourly, date(2026, 1, 28), "2.5")
    bill(f, f.acme_capped, date(2026, 2, 27), "1.3")
    bill(f, f.acme_hourly, date(2026, 3, 28), "4")
    bill(f, f.globex_flat, date(2026, 3, 20), "1")
    update_collections_policy(None, prompt_discount_percent=Decimal("2"), prompt_discount_days=45)
    return f


cents = st.integers(min_value=1, max_value=300_000)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.sampled_from(["C001", "C002"]), cents, st.booleans()),
        st.tuples(st.just("reverse"), st.integers(0, 5), st.just(0), st.just(False)),
        st.tuples(st.just("refund"), st.integers(0, 5), cents, st.just(False)),
        st.tuples(st.just("credit"), st.integers(0, 3), cents, st.booleans()),
        st.tuples(st.just("write_off"), st.integers(0, 3), cents, st.booleans()),
        st.tuples(st.just("apply"), st.sampled_from(["C001", "C002"]), st.just(0), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


def _step(f: Any, kind: str, which: Any, amount_cents: int, flag: bool) -> None:
    amount = Decimal(amount_cents).scaleb(-2)
    invoices = list(Invoice.objects.order_by("issued_on", "pk"))
    receipts = list(Payment.objects.filter(kind=PaymentKind.RECEIPT).order_by("pk"))
    if kind == "pay":
        client = Client.objects.get(number=which)
        # flag: keep it all unapplied, for credit applied (or refunded) later
        post_payment(f.clara, client, amount, RECEIVED, allocations=[] if flag else None)
    elif kind == "reverse" and receipts:
        reverse_payment(f.sam, receipts[which % len(receipts)], CORRECTED, "NSF")
    elif kind == "refund" and receipts:
        refund_credit(f.sam, receipts[which % len(receipts)], amount, CORRECTED)
    elif kind == "credit":
        target = invoices[which % len(invoices)]
        request_credit_note(f.carol, target, None if flag else amount, "BILLING_ERROR")
    elif kind == "write_off":
        target = invoices[which % len(invoices)]
        request_write_off(f.carol, target, None if flag else amount, "SMALL_BALANCE", CORRECTED)
    elif kind == "apply":
        apply_unapplied_credit(f.clara, Client.objects.get(number=which))


def _check_aging_adds_up() -> None:
    """Each client's buckets add up to its balance as of the day, summed here from dated rows."""
    today = timezone.localdate()
    for as_of in (date(2026, 3, 31), RECEIVED, CORRECTED, max(today, CORRECTED)):
        expected: dict[str, Decimal] = defaultdict(Decimal)
        for inv in Invoice.objects.filter(issued_on__lte=as_of).select_related("client"):
            expected[inv.client.number] += inv.total
        taken = [
            (PaymentAllocation.objects.filter(applied_on__lte=as_of), "amount"),
            (CreditNote.objects.filter(issued_on__lte=as_of), "total"),
            (WriteOff.objects.filter(written_off_on__lte=as_of), "amount"),
        ]
        for rows, field in taken:
            for row in rows.filter(invoice__issued_on__lte=as_of).select_related("invoice__client"):
                expected[row.invoice.client.number] -= getattr(row, field)
        report = ar_aging(as_of, "client")
        aged = {row.key: row.totals for row in report.rows}
        for number, balance in expected.items():
            if balance == 0:
                assert number not in aged, (as_of, number)
                continue
            totals = aged[number]
            assert totals.total == balance, (as_of, number)
            assert sum(totals.amounts.values(), Decimal(0)) == balance


def _check_every_client() -> None:
    paid: dict[int, Decimal] = defaultdict(Decimal)
    credited: dict[int, Decimal] = defaultdict(Decimal)
    written_off: dict[int, Decimal] = defaultdict(Decimal)
    for a in PaymentAllocation.objects.all():
        paid[a.invoice_id] += a.amount
    for c in CreditNote.objects.all():
        credited[c.invoice_id] += c.total
    for w in WriteOff.objects.all():
        written_off[w.invoice_id] += w.amount
    received: dict[int, Decimal] = defaultdict(Decimal)
    allocated: dict[int, Decimal] = defaultdict(Decimal)
    for p in Payment.objects.all():
        received[p.client_id] += p.amount
    for a in PaymentAllocation.objects.select_related("payment"):
        allocated[a.payment.client_id] += a.amount
    annotated = {inv.pk: inv for inv in with_balances(Invoice.objects.all())}
    for client in Client.objects.all():
        invoices = list(Invoice.objects.filter(client=client))
        for inv in invoices:
            taken = paid[inv.pk] + credited[inv.pk] + written_off[inv.pk]
            assert paid[inv.pk] >= 0, inv.number
            assert taken <= inv.total, f"{inv.number}: {taken} taken off {inv.total}"
            assert annotated[inv.pk].balance == inv.total - taken  # type: ignore[attr-defined]
        account = client_balance(client)
        invoiced = sum((inv.total for inv in invoices), Decimal(0))
        expected_due = invoiced - sum(
            (paid[i.pk] + credited[i.pk] + written_off[i.pk] for i in invoices), Decimal(0)
        )
        assert account.balance_due == expected_due, client.number
        unapplied = received[client.pk] - allocated[client.pk]
        assert unapplied >= 0, client.number
        assert unapplied_credit(client) == unapplied == account.unapplied
        receipts = Payment.objects.filter(client=client, kind=PaymentKind.RECEIPT)
        assert sum((free_amount(p) for p in receipts), Decimal(0)) == unapplied


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_no_sequence_of_receivables_work_makes_a_balance_wrong(
    billed_firm: Any, steps: Any
) -> None:
    f = billed_firm
    with transaction.atomic():
        for kind, which, amount_cents, flag in steps:
            try:
                with transaction.atomic():
                    _step(f, kind, which, amount_cents, flag)
            except LexbillError:
                # refused (too much, reversed twice, nothing open): changes nothing
                event(f"{kind} refused")
            else:
                event(f"{kind} done")
            _check_every_client()
            _check_aging_adds_up()
        transaction.set_rollback(True)
