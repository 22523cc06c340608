"""An evergreen matter's invoice asks for the deposit that brings trust back to the minimum: the
amount is fixed when the invoice is issued and shown on the invoice page, printed on the PDF and
repeated in the reminder e-mail. A standard retainer asks for nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from pypdf import PdfReader
from tests.app.receivables_aging_firm import bill
from tests.app.reminders_firm import body_text, on, parsed
from tests.app.test_billing_views import smtp_server
from tests.app.trust_firm import TrustFirm, build_trust_firm

from lexbill.billing.formatting import format_money
from lexbill.billing.models import Invoice
from lexbill.billing.pdf import render_invoice_pdf
from lexbill.reminders.models import ReminderRule
from lexbill.reminders.services import save_rule, send_reminders
from lexbill.reminders.wording import preview_for_invoice
from lexbill.trust.models import Replenishment
from lexbill.trust.retainers import record_retainer
from lexbill.trust.services import deposit

ISSUED = date(2026, 3, 2)
DUE = ISSUED + timedelta(days=30)  # the small firm's payment terms
MINIMUM = Decimal("5000.00")
DEPOSITED = Decimal("6000.00")
HOURS = "4"


@pytest.fixture
def t(small_firm: Any) -> TrustFirm:
    return build_trust_firm(small_firm)


def _evergreen(t: TrustFirm, deposited: Decimal = DEPOSITED) -> Invoice:
    f = t.f
    with on(ISSUED):
        record_retainer(
            f.sam, f.acme_hourly, t.iolta, "evergreen", "10000.00", ISSUED, minimum_balance=MINIMUM
        )
        deposit(
            f.clara, t.iolta, f.acme_hourly, deposited, ISSUED, payor="Acme Corp", method="wire"
        )
        return bill(f, f.acme_hourly, ISSUED, HOURS)


def _pdf_text(invoice: Invoice) -> str:
    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _money(amount: Decimal) -> str:
    return format_money(amount, "USD")


def test_the_invoice_stores_the_deposit_that_restores_the_minimum(t: TrustFirm) -> None:
    invoice = _evergreen(t)
    # after paying this invoice from trust, the ledger would hold DEPOSITED - total
    expected = MINIMUM - (DEPOSITED - invoice.total)
    assert expected > 0, "the test needs an invoice that takes trust below the minimum"
    stored = Replenishment.objects.get(invoice=invoice)
    assert (stored.minimum_balance, stored.trust_balance, stored.invoice_due) == (
        MINIMUM,
        DEPOSITED,
        invoice.total,
    )
    assert stored.amount == expected


def test_the_invoice_page_and_the_pdf_show_the_replenishment(t: TrustFirm) -> None:
    invoice = _evergreen(t)
    amount = MINIMUM - (DEPOSITED - invoice.total)
    browser = HttpClient()
    browser.force_login(t.f.carol)
    page = browser.get(reverse("billing:invoice-detail", args=[invoice.number]))
    assert page.status_code == 200
    assert 'data-testid="trust-replenishment"' in page.text
    assert "Deposit requested" in page.text and f"{amount:,.2f}" in page.text

    text = _pdf_text(invoice)
    assert "trust replenishment requested" in text.lower()  # headings print in capitals
    assert f"Amount to deposit to trust {_money(amount)}" in text
    assert f"Minimum trust balance {_money(MINIMUM)}" in text
    assert f"Trust balance on the issue date {_money(DEPOSITED)}" in text


def test_a_trust_balance_that_covers_the_invoice_asks_for_nothing(t: TrustFirm) -> None:
    invoice = _evergreen(t, deposited=Decimal("20000.00"))
    stored = Replenishment.objects.get(invoice=invoice)
    assert stored.amount == 0 < Decimal("20000.00") - invoice.total - MINIMUM
    text = _pdf_text(invoice)
    assert "trust replenishment requested" not in text.lower()
    assert "no replenishment is needed" in text
    wording = preview_for_invoice("Invoice $invoice_numbers", "$items", invoice, DUE)
    assert "trust" not in wording.body


def test_the_reminder_e_mail_asks_for_the_replenishment_too(t: TrustFirm) -> None:
    invoice = _evergreen(t)
    amount = MINIMUM - (DEPOSITED - invoice.total)
    with smtp_server() as (inbox, _), on(DUE):
        run = send_reminders(t.f.clara)
    assert run.reminders_sent == 1
    [(recipients, raw)] = inbox.messages
    assert recipients == ["ap@acme.example"]
    text = body_text(parsed(raw))
    line = next(row for row in text.splitlines() if invoice.number in row)
    assert f"please also deposit {_money(amount)} to trust" in line

    # a firm's own wording can place it with $trust_replenishment
    rule = ReminderRule.objects.get(offset_days=30)
    save_rule(
        t.f.carol,
        rule,
        name=rule.name,
        offset_days=30,
        subject_template=rule.subject_template,
        body_template="Unpaid:\n$items\n\nTrust:\n$trust_replenishment\n",
    )
    with smtp_server() as (inbox, _), on(DUE + timedelta(days=30)):
        send_reminders(t.f.clara)
    text = body_text(parsed(inbox.messages[0][1]))
    assert f"- Invoice {invoice.number}: deposit {_money(amount)} to trust" in text


def test_a_standard_retainer_asks_for_no_replenishment(t: TrustFirm) -> None:
    f = t.f
    with on(ISSUED):
        record_retainer(f.sam, f.acme_hourly, t.iolta, "standard", "3000.00", ISSUED)
        deposit(
            f.clara, t.iolta, f.acme_hourly, "3000.00", ISSUED, payor="Acme Corp", method="wire"
        )
        invoice = bill(f, f.acme_hourly, ISSUED, HOURS)
    assert not Replenishment.objects.filter(invoice=invoice).exists()
    assert "replenishment" not in _pdf_text(invoice).lower()
    with smtp_server() as (inbox, _), on(DUE):
        send_reminders(f.clara)
    [(_, raw)] = inbox.messages
    text = body_text(parsed(raw))
    assert invoice.number in text and "trust" not in text
