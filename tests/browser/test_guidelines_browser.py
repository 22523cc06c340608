"""Billing guidelines in a real browser: a warning appears while a vague narrative is typed, and a
pre-bill over the client's rate cap is approved only once the one-click fix is applied."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.models import Prebill, PrebillStatus
from lexbill.compliance.services import import_guidelines
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from tests.app.test_compliance import CAP, GUIDELINES
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_a_vague_narrative_is_flagged_as_it_is_typed(page: Any, small_firm: Any) -> None:
    import_guidelines(None, small_firm.acme, GUIDELINES)
    log_in(page, "clara")
    page.goto("/time/new/")
    page.get_by_label("Matter").fill("C001-001")
    page.get_by_label("Timekeeper").select_option(str(small_firm.partner.pk))
    page.get_by_label("Hours").fill("1")
    page.get_by_label("Narrative").fill("Review file")
    warnings = page.locator("#entry-warnings")
    expect(warnings).to_contain_text("vague")
    screenshot(page, "guidelines-entry-warning")
    page.get_by_label("Narrative").fill("Draft the reply brief on the motion to compel")
    expect(warnings).not_to_contain_text("vague")


def test_a_rate_over_the_cap_is_approved_only_after_the_fix(page: Any, small_firm: Any) -> None:
    f = small_firm
    import_guidelines(None, f.acme, GUIDELINES)
    record_time(
        None,
        TimeDraft(
            f.acme_hourly,
            f.partner,
            date(2026, 3, 2),
            hours_to_seconds("2"),
            "Draft motion to dismiss the complaint",
            task_code="L240",
            activity_code="A103",
        ),
    )
    run_bill_run(None, date(2026, 3, 31))
    prebill = Prebill.objects.get()
    log_in(page, "carol")
    page.goto(f"/prebills/{prebill.pk}/")
    expect(page.get_by_test_id("findings-summary")).to_contain_text("1 blocking approval")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("breaks Acme Corp's billing guidelines")).to_be_visible()
    assert Prebill.objects.get().status == PrebillStatus.DRAFT
    screenshot(page, "guidelines-findings")

    page.get_by_role("button", name="Fix rates").click()
    expect(page.get_by_test_id("findings-summary")).to_contain_text("No finding")
    total = page.locator('#prebill-totals [data-figure="total"]')
    expect(total).to_have_text(f"${CAP * 2:,}")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("prebill-status")).to_have_text("Approved")
