"""The payment pages: allocation oldest first by default, edited by hand, credit applied later."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import Invoice, Prebill
from lexbill.billing.prebills import approve_prebill
from lexbill.billing.selectors import client_balance, with_balances
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from lexbill.receivables.models import Payment, PaymentAllocation
from lexbill.receivables.services import post_payment

HX = {"HTTP_HX_REQUEST": "true"}


def _invoice(f: Any, day: date, hours: str) -> Invoice:
    record_time(
        f.clara,
        TimeDraft(
            f.acme_hourly,
            f.partner,
            day,
            hours_to_seconds(hours),
            "Draft brief",
            task_code="L120",
            activity_code="A103",
        ),
    )
    run = run_bill_run(f.sam, day)
    prebill = Prebill.objects.get(run=run)
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill, issued_on=day)


@pytest.fixture
def two_invoices(small_firm: Any) -> tuple[Invoice, Invoice]:
    # 500.00 issued in March, 1,000.00 issued in April
    return (
        _invoice(small_firm, date(2026, 3, 2), "1"),
        _invoice(small_firm, date(2026, 4, 2), "2"),
    )


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def _balance(invoice: Invoice) -> Decimal:
    return Decimal(with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance)  # type: ignore[attr-defined]


def test_the_allocation_table_is_prefilled_oldest_first(
    small_firm: Any, two_invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = two_invoices
    client = _as(small_firm.clara)
    page = client.get(reverse("receivables:payment-new"))
    assert page.status_code == 200
    table = client.get(
        reverse("receivables:payment-allocations"), {"client": "C001", "amount": "700"}, **HX
    )
    assert f'name="alloc-{older.number}" value="500.00"' in table.text
    assert f'name="alloc-{newer.number}" value="200.00"' in table.text
    assert 'data-testid="total-allocated">$700.00' in table.text
    assert 'data-testid="unapplied">$0.00' in table.text


def test_the_totals_follow_the_allocations_as_typed(
    small_firm: Any, two_invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = two_invoices
    client = _as(small_firm.clara)
    url = reverse("receivables:allocation-totals")
    totals = client.get(
        url,
        {
            "client": "C001",
            "amount": "700",
            f"alloc-{older.number}": "",
            f"alloc-{newer.number}": "600",
        },
        **HX,
    )
    assert 'data-testid="total-allocated">$600.00' in totals.text
    assert 'data-testid="unapplied">$100.00' in totals.text
    over = client.get(url, {"client": "C001", "amount": "100", f"alloc-{older.number}": "200"})
    assert "more is allocated than the payment" in over.text


def test_a_payment_posted_with_edited_allocations(
    small_firm: Any, two_invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = two_invoices
    client = _as(small_firm.clara)
    posted = client.post(
        reverse("receivables:payment-new"),
        {
            "client": "C001",
            "amount": "700.00",
            "received_on": "2026-04-20",
            "method": "wire",
            "reference": "W-1",
            "allocations_shown": "1",
            f"alloc-{older.number}": "100.00",
            f"alloc-{newer.number}": "500.00",
        },
    )
    assert posted.status_code == 302
    assert posted["Location"] == reverse("receivables:client-balance", args=["C001"])
    assert (_balance(older), _balance(newer)) == (Decimal("400.00"), Decimal("500.00"))
    page = client.get(posted["Location"])
    assert "100.00 unapplied" in page.text
    assert 'data-testid="balance-due-USD">$900.00' in page.text
    assert 'data-testid="unapplied-USD">$100.00' in page.text
    listing = client.get(reverse("receivables:payment-list"))
    assert "W-1" in listing.text and "$600.00" in listing.text


def test_without_the_allocation_table_the_payment_goes_oldest_first(
    small_firm: Any, two_invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = two_invoices
    client = _as(small_firm.clara)
    client.post(
        reverse("receivables:payment-new"),
        {"client": "C001", "amount": "600", "received_on": "2026-04-20", "method": "check"},
    )
    assert (_balance(older), _balance(newer)) == (Decimal("0.00"), Decimal("900.00"))


def test_an_over_allocation_is_refused_and_the_form_keeps_what_was_typed(
    small_firm: Any, two_invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = two_invoices
    client = _as(small_firm.clara)
    refused = client.post(
        reverse("receivables:payment-new"),
        {
            "client": "C001",
            "amount": "100",
            "received_on": "2026-04-20",
            "method": "check",
            "allocations_shown": "1",
            f"alloc-{older.number}": "300",
        },
    )
    assert refused.status_code == 400
    assert f'name="alloc-{older.number}" value="300"' in refused.text
    assert "allocations total 300 but the payment is only 100" in refused.text
    assert not Payment.objects.exists()


def test_an_allocation_above_the_open_balance_is_refused_by_the_service(
    small_firm: Any, two_invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = two_invoices
    client = _as(small_firm.clara)
    refused = client.post(
        reverse("receivables:payment-new"),
        {
            "client": "C001",
            "amount": "900",
            "received_on": "2026-04-20",
            "method": "check",
            "allocations_shown": "1",
            f"alloc-{older.number}": "900",
        },
    )
    assert refused.status_code == 400
    assert older.number in refused.text
    assert not Payment.objects.exists()


def test_unapplied_credit_is_applied_later_from_the_balance_page(
    small_firm: Any, two_invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = two_invoices
    client = _as(f.clara)
    kept = client.post(
        reverse("receivables:payment-new"),
        {
            "client": "C001",
            "amount": "1500",
            "received_on": "2026-04-20",
            "method": "check",
            "allocations_shown": "1",
            f"alloc-{older.number}": "",
            f"alloc-{newer.number}": "0",
        },
    )
    assert kept.status_code == 302
    assert not PaymentAllocation.objects.exists()
    page = client.get(reverse("receivables:client-balance", args=["C001"]))
    assert "Apply unapplied credit" in page.text
    assert 'data-testid="unapplied-USD">$1,500.00' in page.text
    applied = client.post(reverse("receivables:client-apply-credit", args=["C001"]))
    assert applied.status_code == 302
    assert client_balance(f.acme).net == 0
    page = client.get(applied["Location"])
    assert 'data-testid="balance-due-USD">$0.00' in page.text
    assert "Apply unapplied credit" not in page.text


def test_an_attorney_may_not_post_payments_or_apply_credit(
    small_firm: Any, two_invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    post_payment(f.clara, f.acme, "100", date(2026, 4, 20), allocations=[])
    client = _as(f.pat)
    refused = client.post(
        reverse("receivables:payment-new"),
        {"client": "C001", "amount": "10", "received_on": "2026-04-20", "method": "check"},
    )
    assert refused.status_code == 403
    assert "may not post a payment" in refused.text
    applied = client.post(reverse("receivables:client-apply-credit", args=["C001"]))
    assert applied.status_code == 403
    assert "may not post a payment" in applied.text
    assert Payment.objects.count() == 1
    assert not PaymentAllocation.objects.exists()
