"""Client money in a real browser, the issue's check: a billing specialist records a retainer and
deposits it by check (on hold), wires more money in (cleared at once), sees a disbursement larger
than the cleared balance refused and logged, then pays an invoice from trust in one step.

The live server runs on the real clock, so every date is today's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from lexbill.banking.services import create_bank_account
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.core.money import round_money
from lexbill.trust.models import RefusedAttempt, Retainer, TrustLedger, TrustTransaction
from lexbill.trust.selectors import cleared_balance, ledger_balance
from lexbill.trust.services import open_trust_account
from lexbill.web.templatetags.lexbill import money_text
from tests.app.receivables_aging_firm import bill
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_a_retainer_on_hold_cant_be_paid_out_but_cleared_trust_pays_an_invoice(
    page: Any, small_firm: Any
) -> None:
    f = small_firm
    today = timezone.localdate()
    bank = create_bank_account(None, "First Bank IOLTA", number="111000111")
    iolta = open_trust_account(None, "IOLTA", "pooled", bank, today)
    invoice = bill(f, f.acme_hourly, today, "1.0")
    log_in(page, "sam")

    # the matter's trust panel: record the retainer the engagement letter asks for
    page.goto(reverse("clients:matter-detail", args=[f.acme_hourly.pk]))
    panel = page.get_by_test_id("matter-trust")
    expect(panel).to_contain_text("No money held in trust")
    panel.get_by_role("link", name="Record a retainer").click()
    page.get_by_label("Trust account").select_option(label="IOLTA")
    page.get_by_label("Kind").select_option("standard")
    page.get_by_label("Retainer amount").fill("5000.00")
    page.get_by_role("button", name="Save retainer").click()
    expect(page.locator(".messages")).to_contain_text("Retainer recorded")
    assert Retainer.objects.get(matter=f.acme_hourly).account == iolta

    # deposit the retainer check: it is on hold, nothing of it is cleared yet
    page.get_by_test_id("matter-trust").get_by_role("link", name="Record a trust deposit").click()
    form = page.get_by_test_id("deposit-form")
    expect(form.get_by_label("Purpose")).to_have_value("retainer")
    form.get_by_label("Amount").fill("5000.00")
    form.get_by_label("Payor").fill("Acme Corp")
    form.get_by_label("Method").select_option("check")
    form.get_by_label("Check number or wire memo").fill("1042")
    form.get_by_role("button", name="Record deposit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Trust ledger: C001-001")
    expect(page.get_by_test_id("postings")).to_contain_text("on hold until")
    expect(page.get_by_test_id("cleared-balance")).to_have_text(money_text(Decimal(0), "USD"))
    expect(page.get_by_test_id("ledger-balance")).to_have_text(money_text(Decimal(5000), "USD"))

    # a wire is cleared at once
    form = page.get_by_test_id("deposit-form")
    form.get_by_label("Amount").fill("1000.00")
    form.get_by_label("Payor").fill("Acme Corp")
    form.get_by_label("Method").select_option("wire")
    form.get_by_label("Check number or wire memo").fill("WIRE 77")
    form.get_by_role("button", name="Record deposit").click()
    expect(page.get_by_test_id("cleared-balance")).to_have_text(money_text(Decimal(1000), "USD"))
    screenshot(page, "trust-ledger-retainer-on-hold")

    # paying out more than is cleared is refused, beside the amount, and logged
    ledger = TrustLedger.objects.get(account=iolta, matter=f.acme_hourly)
    postings = TrustTransaction.objects.filter(ledger=ledger).count()
    form = page.get_by_test_id("disburse-form")
    form.get_by_label("Amount").fill("2500.00")
    form.get_by_label("Payee").fill("Expert witness LLC")
    form.get_by_label("Purpose").fill("expert's advance")
    form.get_by_label("Method").select_option("check")
    form.get_by_label("Check number or wire memo").fill("2001")
    form.get_by_role("button", name="Disburse").click()
    form = page.get_by_test_id("disburse-form")
    expect(form.locator(".field-error")).to_contain_text("more than the cleared funds")
    expect(page.get_by_test_id("refusal-logged")).to_contain_text("logged")
    expect(page.get_by_test_id("refused-attempts")).to_contain_text("disbursement")
    screenshot(page, "trust-disbursement-refused")
    assert TrustTransaction.objects.filter(ledger=ledger).count() == postings
    assert RefusedAttempt.objects.filter(user=f.sam, operation="disbursement").count() == 1

    # the invoice page offers the matter's trust money; applying it pays the invoice at once
    page.goto(reverse("billing:invoice-detail", args=[invoice.number]))
    trust = page.get_by_test_id("invoice-trust")
    expect(trust).to_contain_text("Apply trust funds")
    expect(trust.get_by_label("Amount")).to_have_value(str(round_money(invoice.total, "USD")))
    screenshot(page, "trust-apply-to-invoice")
    trust.get_by_role("button", name="Apply trust funds").click()
    expect(page.locator(".messages")).to_contain_text(f"to invoice {invoice.number}")
    expect(page.get_by_test_id("invoice-status")).to_have_text("paid")
    expect(page.get_by_test_id("invoice-balance")).to_have_text(money_text(Decimal(0), "USD"))
    screenshot(page, "trust-invoice-paid")

    paid = with_balances(Invoice.objects.filter(pk=invoice.pk)).get()
    assert paid.balance == 0  # type: ignore[attr-defined]
    assert ledger_balance(ledger) == Decimal(6000) - invoice.total
    assert cleared_balance(ledger, today) == Decimal(1000) - invoice.total
