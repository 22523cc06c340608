"""The pages for payments in detail and adjustments: the payment page with its NSF reversal and
refund forms, the payment history, the invoice's credit and write-off panel, the approvals
queue and the collections policy page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from tests.app.receivables_aging_firm import bill

from lexbill.billing.models import CreditNote, Invoice
from lexbill.receivables.adjustments import request_write_off
from lexbill.receivables.models import (
    AdjustmentReason,
    AdjustmentRequest,
    Payment,
    PaymentKind,
    RequestStatus,
    WriteOff,
)
from lexbill.receivables.selectors import collections_policy, invoice_balance
from lexbill.receivables.services import post_payment

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def invoice(small_firm: Any) -> Invoice:
    """1,500.00 on Acme's hourly matter, issued March 2."""
    return bill(small_firm, small_firm.acme_hourly, date(2026, 3, 2), "3")


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def test_a_payment_page_shows_allocations_and_reverses_an_nsf_check(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    before = invoice_balance(invoice)
    payment = post_payment(
        f.clara, f.acme, "1600.00", date(2026, 3, 20), reference="CHK-1001", payer_name="Acme"
    )
    client = _as(f.sam)
    url = reverse("receivables:payment-detail", args=[payment.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "CHK-1001" in page.text and invoice.number in page.text
    assert 'data-testid="free">$100.00' in page.text
    assert "Reverse payment" in page.text

    early = client.post(
        reverse("receivables:payment-reverse", args=[payment.pk]),
        {"reversed_on": "2026-03-01", "reason": "NSF"},
    )
    assert early.status_code == 400
    assert "before payment" in early.text
    done = client.post(
        reverse("receivables:payment-reverse", args=[payment.pk]),
        {"reversed_on": "2026-03-25", "reason": "NSF"},
    )
    assert done.status_code == 302
    assert invoice_balance(invoice) == before
    page = client.get(url)
    assert "Reversed on" in page.text and "Reverse payment" not in page.text


def test_a_refund_from_the_payment_page_is_limited_to_the_free_credit(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    payment = post_payment(f.clara, f.acme, "1600.00", date(2026, 3, 20))
    client = _as(f.sam)
    url = reverse("receivables:payment-refund", args=[payment.pk])
    form = {"refunded_on": "2026-03-21", "method": "wire", "reference": "R-1", "reason": ""}
    too_much = client.post(url, {**form, "amount": "100.01"})
    assert too_much.status_code == 400
    assert "100.00 USD of unapplied credit" in too_much.text
    assert client.post(url, {**form, "amount": "60.00"}).status_code == 302
    refund = Payment.objects.get(kind=PaymentKind.REFUND)
    assert (refund.amount, refund.method, refund.reference) == (Decimal("-60.00"), "wire", "R-1")


def test_a_clerk_sees_the_payment_but_may_not_correct_it(small_firm: Any, invoice: Invoice) -> None:
    f = small_firm
    payment = post_payment(f.clara, f.acme, "100.00", date(2026, 3, 20))
    client = _as(f.clara)
    page = client.get(reverse("receivables:payment-detail", args=[payment.pk]))
    assert page.status_code == 200
    assert "Reverse payment" not in page.text
    refused = client.post(
        reverse("receivables:payment-reverse", args=[payment.pk]),
        {"reversed_on": "2026-03-25", "reason": "NSF"},
    )
    assert refused.status_code == 403
    assert not Payment.objects.filter(kind=PaymentKind.REVERSAL).exists()


def test_the_history_page_for_the_client_and_for_one_matter(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    other = bill(f, f.acme_capped, date(2026, 3, 3), "1")
    post_payment(
        f.clara,
        f.acme,
        "700.00",
        date(2026, 3, 20),
        allocations=[(invoice.number, "200.00"), (other.number, "300.00")],
        reference="CHK-7",
    )
    client = _as(f.clara)
    url = reverse("receivables:client-history", args=["C001"])
    page = client.get(url)
    assert page.status_code == 200
    assert page.text.count('data-event="applied"') == 2
    assert page.text.count('data-event="receipt"') == 1
    matter = client.get(url, {"matter": f.acme_capped.number})
    assert matter.text.count('data-event="applied"') == 1
    assert 'data-event="receipt"' not in matter.text
    assert other.number in matter.text
    balance = client.get(reverse("receivables:client-balance", args=["C001"]))
    assert url in balance.text
    matter_page = client.get(reverse("clients:matter-detail", args=[f.acme_capped.pk]))
    assert f"{url}?matter={f.acme_capped.number}" in matter_page.text


def test_the_invoice_page_loads_the_adjustment_panel(small_firm: Any, invoice: Invoice) -> None:
    client = _as(small_firm.sam)
    detail = client.get(reverse("billing:invoice-detail", args=[invoice.number]))
    panel_url = reverse("receivables:invoice-adjustments", args=[invoice.number])
    assert panel_url in detail.text
    panel = client.get(panel_url, **HX)
    assert panel.status_code == 200
    assert 'id="invoice-adjustments"' in panel.text and "<html" not in panel.text
    line = invoice.lines.get()
    assert f'name="line-{line.pk}"' in panel.text
    assert "UNCOLLECTIBLE" in panel.text  # the write-off reasons
    full = client.get(panel_url)
    assert "<html" in full.text
    attorney = _as(small_firm.pat).get(panel_url, **HX)
    assert "may not credit or write off" in attorney.text


def test_a_small_write_off_posts_and_a_large_one_waits_for_approval(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    client = _as(f.sam)
    url = reverse("receivables:invoice-write-off", args=[invoice.number])
    form = {"reason": "SMALL_BALANCE", "written_off_on": "2026-05-01", "note": ""}
    small = client.post(url, {**form, "amount": "25.00"})
    assert small.status_code == 302
    assert WriteOff.objects.get().amount == Decimal("25.00")
    threshold = collections_policy().approval_threshold
    large = client.post(url, {**form, "amount": str(threshold + 1)}, **HX)
    assert large.status_code == 204
    assert large["HX-Redirect"] == reverse("billing:invoice-detail", args=[invoice.number])
    assert WriteOff.objects.count() == 1
    pending = AdjustmentRequest.objects.get()
    panel = client.get(reverse("receivables:invoice-adjustments", args=[invoice.number]), **HX)
    assert 'data-testid="pending-request"' in panel.text
    bad = client.post(url, {**form, "reason": "BILLING_ERROR", "amount": "5"}, **HX)
    assert bad.status_code == 200  # htmx swaps only successful answers
    assert "Select a valid choice" in bad.text
    assert pending.status == RequestStatus.PENDING


def test_a_credit_per_line_from_the_panel(small_firm: Any, invoice: Invoice) -> None:
    f = small_firm
    client = _as(f.carol)
    line = invoice.lines.get()
    url = reverse("receivables:invoice-credit-request", args=[invoice.number])
    nothing = client.post(url, {"reason": "BILLING_ERROR"})
    assert nothing.status_code == 400
    assert "fill in line amounts" in nothing.text
    too_much = client.post(url, {"reason": "BILLING_ERROR", f"line-{line.pk}": str(line.total + 1)})
    assert too_much.status_code == 400
    assert "left to credit" in too_much.text
    done = client.post(url, {"reason": "BILLING_ERROR", f"line-{line.pk}": "250.00"})
    assert done.status_code == 302
    note = CreditNote.objects.get()
    assert list(note.lines.values_list("invoice_line_id", "amount")) == [
        (line.pk, Decimal("250.00"))
    ]


def test_the_approvals_queue_approves_and_rejects(small_firm: Any, invoice: Invoice) -> None:
    f = small_firm
    first = request_write_off(f.sam, invoice, "600.00", "UNCOLLECTIBLE")
    second = request_write_off(f.sam, invoice, "700.00", "UNCOLLECTIBLE")
    assert isinstance(first, AdjustmentRequest) and isinstance(second, AdjustmentRequest)
    sam_page = _as(f.sam).get(reverse("receivables:approvals"))
    assert f'data-testid="request-{first.pk}"' in sam_page.text
    assert "Approve</button>" not in sam_page.text
    refused = _as(f.sam).post(reverse("receivables:approval-approve", args=[first.pk]))
    assert refused.status_code == 403

    carol = _as(f.carol)
    assert "Approve</button>" in carol.get(reverse("receivables:approvals")).text
    approved = carol.post(
        reverse("receivables:approval-approve", args=[first.pk]), {"note": "agreed"}
    )
    assert approved.status_code == 302
    rejected = carol.post(reverse("receivables:approval-reject", args=[second.pk]), {})
    assert rejected.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (RequestStatus.APPROVED, RequestStatus.REJECTED)
    assert WriteOff.objects.get().amount == Decimal("600.00")
    again = carol.post(reverse("receivables:approval-approve", args=[second.pk]))
    assert again.status_code == 400
    assert "rejected" in again.text


def test_the_policy_page_saves_settings_and_reasons(db: Any, small_firm: Any) -> None:
    client = _as(small_firm.carol)
    url = reverse("receivables:policy")
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="reason-PROMPT_PAYMENT"' in page.text
    settings = {
        "approval_threshold": "250.00",
        "prompt_discount_percent": "2",
        "prompt_discount_days": "10",
        "late_charge_annual_percent": "12",
        "late_charge_flat_fee": "25.00",
        "late_charge_grace_days": "15",
        "late_charge_minimum_balance": "50.00",
    }
    assert client.post(url, settings).status_code == 302
    policy = collections_policy()
    assert (policy.approval_threshold, policy.prompt_discount_days) == (Decimal("250.00"), 10)
    assert policy.late_charge_annual_percent == Decimal("12")
    bad = client.post(url, {**settings, "prompt_discount_percent": "150"})
    assert bad.status_code == 400
    added = client.post(
        reverse("receivables:policy-reason"),
        {"code": "courtesy", "label": "Courtesy", "applies_to": "any", "active": "on"},
    )
    assert added.status_code == 302
    assert AdjustmentReason.objects.get(code="COURTESY").active
