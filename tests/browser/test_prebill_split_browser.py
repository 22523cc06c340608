"""Confirming a split in a real browser: the findings panel proposes one entry per task for a
block-billed line, the reviewer checks (and edits) the parts on the split page, confirms, and the
pre-bill shows the parts with the same total and no block-billing finding."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.models import LineKind, Prebill
from lexbill.compliance.services import import_guidelines
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import TimeEntry
from lexbill.entries.services import TimeDraft, record_time
from tests.app.test_prebill_split import BLOCK, GUIDELINES, PROPOSED
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_a_block_billed_line_is_split_from_the_findings_panel(page: Any, small_firm: Any) -> None:
    f = small_firm
    import_guidelines(None, f.acme, GUIDELINES)
    record_time(
        None,
        TimeDraft(
            f.acme_hourly,
            f.partner,
            date(2026, 3, 2),
            hours_to_seconds("2"),
            BLOCK,
            task_code="L240",
            activity_code="A103",
        ),
    )
    run_bill_run(None, date(2026, 3, 31))
    prebill = Prebill.objects.get()
    log_in(page, "clara")
    page.goto(f"/prebills/{prebill.pk}/")
    expect(page.get_by_test_id("findings-summary")).to_contain_text("1 finding")
    total = page.locator('#prebill-totals [data-figure="total"]')
    expect(total).to_have_text("$1,000.00")
    page.get_by_role("link", name="Review split").click()

    # the proposal, one row per task, editable
    expect(page.get_by_role("heading", name="Split a line of pre-bill")).to_be_visible()
    for number, (hours, narrative) in enumerate(
        zip(["0.7", "0.7", "0.6"], PROPOSED, strict=True), start=1
    ):
        expect(page.get_by_label(f"Part {number} hours")).to_have_value(hours)
        expect(page.get_by_label(f"Part {number} narrative")).to_have_value(narrative)
        expect(page.get_by_label(f"Part {number} task")).to_have_value("L240")
    shown = page.locator("[data-split-total]")
    expect(shown).to_have_text("2.00")
    expect(page.locator("#split-total")).to_contain_text("they add up")

    # rows are added and removed in the page, the total follows what is typed
    page.get_by_role("button", name="Add a part").click()
    expect(page.get_by_label("Part 4 hours")).to_be_focused()
    expect(page.get_by_label("Part 4 task")).to_have_value("L240")
    page.get_by_role("button", name="Remove part 4").click()
    expect(page.get_by_label("Part 4 hours")).to_have_count(0)
    page.get_by_label("Part 3 hours").fill("0.5")
    expect(shown).to_have_text("1.90")
    expect(page.locator("#split-total")).to_contain_text("0.10 h still to share out")
    page.get_by_label("Part 3 hours").fill("0.6")
    page.get_by_label("Part 1 narrative").fill("Review file of discovery responses")
    screenshot(page, "prebill-split-form")
    page.get_by_role("button", name="Split into these entries").click()

    page.wait_for_url(f"**/prebills/{prebill.pk}/")
    expect(page.get_by_text("split into 3 entries; each is now a line")).to_be_visible()
    lines = page.locator("#prebill-lines")
    expect(lines).to_contain_text("Review file of discovery responses")
    for narrative in PROPOSED[1:]:
        expect(lines).to_contain_text(narrative)
    expect(total).to_have_text("$1,000.00")
    expect(page.get_by_test_id("findings-summary")).to_contain_text("No finding")
    expect(page.locator("#guideline-findings")).not_to_contain_text("block billing")
    screenshot(page, "prebill-split-done")
    assert prebill.lines.filter(kind=LineKind.TIME).count() == 3
    assert TimeEntry.objects.count() == 3
