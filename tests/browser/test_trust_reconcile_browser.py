"""A month's trust reconciliation in a real browser: the coordinator imports last month's bank
statement, matches it, sees the three sides agree, signs the month off and gets the signed record.

The live server runs on the real clock (a frozen one would expire the log-in cookie), so the
account is opened on the first of last month, whatever today is: that month is the one due.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lexbill.banking.services import create_bank_account
from lexbill.trust.models import SignedReconciliation, TrustClearing
from lexbill.trust.services import open_trust_account
from tests.app.test_trust_reconcile_pages import month_activity, month_statement
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_a_coordinator_reconciles_last_month_and_signs_it_off(
    page: Any, small_firm: Any, tmp_path: Any
) -> None:
    f = small_firm
    start = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    bank = create_bank_account(None, "First Bank IOLTA", number="111000111")
    iolta = open_trust_account(None, "IOLTA", "pooled", bank, start)
    month_activity(f, iolta, start)
    statement = tmp_path / "statement.ofx"
    statement.write_bytes(month_statement(start))
    month = f"{start:%B %Y}"
    log_in(page, "carol")

    # the dashboard says the month is due and leads to it
    reminder = page.get_by_test_id("trust-reminder")
    expect(reminder).to_contain_text(f"IOLTA, {month}")
    reminder.get_by_role("link", name=f"IOLTA, {month}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"IOLTA: reconciliation for {month}"
    )
    expect(page.get_by_test_id("verdict")).to_contain_text("Does not reconcile")

    # import the statement: what is certain is matched as it comes in
    page.get_by_label("File").set_input_files(str(statement))
    page.get_by_label("Format").select_option("ofx")
    page.get_by_role("button", name="Import statement").click()
    expect(page.locator(".messages")).to_contain_text("2 new bank lines")
    expect(page.get_by_test_id("verdict")).to_contain_text("Reconciled")
    assert (
        TrustClearing.objects.filter(bank_transaction__bank_account=iolta.bank_account).count() == 2
    )

    # undo the check's match, then let the machine find it again
    check_match = page.get_by_test_id("matches").locator("tr", has_text="Court clerk")
    check_match.get_by_role("button", name="Undo").click()
    expect(page.get_by_test_id("verdict")).to_contain_text("Does not reconcile")
    expect(page.get_by_test_id("unmatched-bank")).to_contain_text("COURT CLERK")
    expect(page.get_by_test_id("differences")).to_contain_text("bank and journal")
    screenshot(page, "trust-reconciliation-open-items")
    page.get_by_role("button", name="Match automatically").click()
    expect(page.locator(".messages")).to_contain_text("1 match made automatically")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("Reconciled")
    expect(page.get_by_test_id("adjusted-bank")).to_have_text("$800.00")
    expect(page.get_by_test_id("journal")).to_have_text("$800.00")
    expect(page.get_by_test_id("ledgers-total")).to_have_text("$800.00")
    screenshot(page, "trust-reconciliation-month")

    page.get_by_label("Note").fill("Statement checked against the journal")
    page.get_by_role("button", name=f"Sign off {month}").click()
    expect(page.get_by_test_id("signed")).to_contain_text("signed off by carol")
    expect(page.locator("main")).to_contain_text("Statement checked against the journal")
    expect(page.get_by_test_id("pdf")).to_be_visible()
    screenshot(page, "trust-reconciliation-signed")

    signed = SignedReconciliation.objects.get(account=iolta)
    assert signed.signed_by == f.carol
    assert page.url.endswith(f"/trust/reconciliations/{signed.pk}/")
    page.goto("/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(f"IOLTA, {month}")
