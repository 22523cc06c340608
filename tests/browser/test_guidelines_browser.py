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


def test_guidelines_are_edited_rule_by_rule_as_a_new_version(page: Any, small_firm: Any) -> None:
    import_guidelines(None, small_firm.acme, GUIDELINES)
    log_in(page, "sam")
    page.goto(f"/clients/{small_firm.acme.pk}/guidelines/")
    page.get_by_role("link", name="Edit as a new version").click()
    expect(page.get_by_label("Version")).to_have_value("2")
    vague = page.locator("fieldset[data-rule-type=vague_narrative]")
    vague.get_by_label("Min length").fill("thirty")
    page.get_by_label("Type of rule").select_option("travel_time")
    page.get_by_role("button", name="Add the rule").click()
    travel = page.locator("fieldset[data-rule-type=travel_time]")
    expect(travel.get_by_label("Billable percent")).to_have_value("50")
    travel.get_by_label("Billable percent").fill("40")
    page.get_by_role("button", name="Save as version 2").first.click()
    # refused whole: the problem is shown on its rule and what was typed is kept
    expect(vague.locator(".form-errors")).to_contain_text("min_length")
    expect(travel.get_by_label("Billable percent")).to_have_value("40")
    screenshot(page, "guidelines-editor")
    vague.get_by_label("Min length").fill("30")
    page.get_by_role("button", name="Save as version 2").first.click()
    expect(page.get_by_text("Guidelines v2 of Acme Corp saved.")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(2)
