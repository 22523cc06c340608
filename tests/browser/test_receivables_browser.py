"""Receivables in a real browser: a clerk posts one payment that pays two invoices and leaves
credit, then records a dispute on the third invoice and sees it leave the reminder run."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from playwright.sync_api import expect

from lexbill.billing.models import Invoice
from lexbill.billing.selectors import unapplied_credit, with_balances
from lexbill.disputes.models import Dispute
from lexbill.receivables.models import Payment
from tests.app.test_receivables_views import _invoice
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

AS_OF = "2026-11-15"  # the third invoice (due Oct 31) is past due, so a reminder is due for it


def _default_reminder_schedule() -> None:
    """Browser tests run against a live server, so the database is emptied between them, and
    with it the schedule the reminders migration seeds; put it back the way the migration does."""
    migration = importlib.import_module("lexbill.reminders.migrations.0002_default_schedule")
    migration.seed(apps, None)


def _balances(*invoices: Invoice) -> list[Decimal]:
    by_pk = {
        inv.pk: Decimal(inv.balance)  # type: ignore[attr-defined]
        for inv in with_balances(Invoice.objects.filter(pk__in=[i.pk for i in invoices]))
    }
    return [by_pk[i.pk] for i in invoices]


def test_one_payment_pays_two_invoices_leaves_credit_and_a_dispute_stops_the_reminder(
    page: Any, small_firm: Any
) -> None:
    f = small_firm
    _default_reminder_schedule()
    first = _invoice(f, date(2026, 8, 3), "1")
    second = _invoice(f, date(2026, 9, 1), "2")
    third = _invoice(f, date(2026, 10, 1), "3")
    credit_left = Decimal("123.45")
    amount = first.total + second.total + credit_left
    log_in(page, "clara")

    # the third invoice is due for a reminder before anyone disputes it
    page.goto(f"/reminders/?as_of={AS_OF}")
    expect(page.get_by_test_id("reminders-due")).to_contain_text(third.number)

    page.goto("/payments/new/")
    page.get_by_label("Client").select_option(label="C001 Acme Corp")
    page.get_by_label("Amount").fill(str(amount))
    page.get_by_label("Amount").press("Tab")
    allocation = page.locator(f'input[name="alloc-{third.number}"]')
    expect(allocation).to_have_value(str(credit_left))  # oldest first would spend the rest on it
    # The client and amount changes each re-render the allocations (htmx): let every response
    # land before typing, or a late one can put the pre-filled amount back over the typed 0.
    page.wait_for_load_state("networkidle")
    allocation.fill("0")
    allocation.press("Tab")
    page.wait_for_load_state("networkidle")
    expect(allocation).to_have_value("0")
    expect(page.get_by_test_id("unapplied")).to_contain_text(f"{credit_left:,}")
    page.get_by_label("Method").select_option("wire")
    page.get_by_label("Reference").fill("WIRE 88121")
    screenshot(page, "payment-two-invoices-and-credit")
    page.get_by_role("button", name="Post payment").click()
    page.wait_for_url(lambda url: "/payments/new/" not in url)

    payment = Payment.objects.get(reference="WIRE 88121")
    assert payment.amount == amount and payment.method == "wire"
    assert _balances(first, second, third) == [Decimal(0), Decimal(0), third.total]
    assert unapplied_credit(f.acme) == credit_left
    page.goto("/balances/C001/")
    expect(page.locator("main")).to_contain_text(f"{credit_left:,}")

    page.goto(f"/invoices/{third.number}/")
    page.get_by_role("link", name="Record inquiry or dispute").click()
    page.get_by_role("radio", name="Dispute").check()
    page.get_by_label("Raised by").fill("Wile E. Coyote")
    page.get_by_label("Raised on").fill("2026-11-10")
    page.get_by_label("Amount disputed").fill("300.00")
    page.get_by_label("Description").fill("Three hours for a one-page letter")
    page.get_by_role("button", name="Record").click()
    page.wait_for_url(lambda url: "/new/" not in url)
    dispute = Dispute.objects.get(invoice=third)
    assert dispute.amount_disputed == Decimal("300.00")

    page.goto(f"/reminders/?as_of={AS_OF}")
    expect(page.get_by_test_id("reminders-due")).not_to_contain_text(third.number)
    held = page.locator(f'[data-testid="reminders-skipped"] tr[data-reference*="{third.number}"]')
    expect(held.locator('[data-col="reason"]')).to_contain_text("disput")
    screenshot(page, "reminders-dispute-held-back")
