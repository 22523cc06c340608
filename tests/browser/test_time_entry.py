"""A clerk records time in a real browser: by keyboard alone, and with the running timer."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lexbill.entries.models import TimeEntry
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def _tab_to(page: Any, element_id: str, limit: int = 8) -> None:
    """Press Tab until ``element_id`` has the focus (a date input has a stop per part)."""
    for _ in range(limit):
        if _focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    assert _focused(page) == element_id, f"Tab never reached {element_id}"


def test_a_clerk_records_time_with_the_keyboard_only(page: Any, small_firm: Any) -> None:
    log_in(page, "clara")
    page.goto("/time/new/")
    assert _focused(page) == "id_matter"  # the form starts where the typing starts
    page.keyboard.type("C001-001")
    page.keyboard.press("Tab")
    assert _focused(page) == "id_timekeeper"
    page.keyboard.type("AL")  # type-ahead in the timekeeper list
    assert page.locator("#id_timekeeper").input_value() == str(small_firm.associate.pk)
    page.keyboard.press("Tab")
    assert _focused(page) == "id_work_date"
    page.locator("#id_work_date").evaluate("el => { el.value = '2026-03-02'; }")
    _tab_to(page, "id_hours")
    page.keyboard.type("1.5")
    _tab_to(page, "id_narrative")  # past the timer's Start button
    page.keyboard.type("Draft motion to compel discovery")
    page.keyboard.press("Tab")
    assert _focused(page) == "id_task_code"
    page.keyboard.type("L250")
    page.keyboard.press("Tab")
    assert _focused(page) == "id_activity_code"
    page.keyboard.type("A103")
    page.keyboard.press("Tab")
    assert _focused(page) == "id_billable"
    screenshot(page, "time-entry-form")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Save time entry"
    page.keyboard.press("Enter")
    page.get_by_text("Recorded 1.50 h on C001-001").wait_for()

    entry = TimeEntry.objects.get()
    assert entry.duration_seconds == 5400
    assert (entry.timekeeper_id, entry.task_code, entry.activity_code) == (
        small_firm.associate.pk,
        "L250",
        "A103",
    )
    assert entry.created_by_id == small_firm.clara.pk

    page.goto("/time/")
    row = page.locator(f"#entry-{entry.pk}")
    assert "Draft motion to compel discovery" in row.inner_text()
    assert row.locator("td.num").inner_text().strip() == "1.50"
    screenshot(page, "time-list")


def test_a_clerk_records_time_with_the_timer(page: Any, small_firm: Any) -> None:
    log_in(page, "clara")
    page.goto("/time/new/")
    page.get_by_label("Matter").fill("C001-001")
    page.get_by_label("Timekeeper").select_option(str(small_firm.partner.pk))
    page.get_by_label("Date").fill("2026-03-02")
    timer = page.get_by_role("timer")
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_timeout(1200)
    page.get_by_role("button", name="Pause").click()
    assert re.fullmatch(r"00:00:0[12]", timer.inner_text())
    assert page.get_by_role("button", name="Start", exact=True).is_disabled()
    page.get_by_role("button", name="Resume").click()
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Stop").click()
    seconds = int(page.locator("#id_duration_seconds").input_value())
    assert seconds >= 1
    assert page.get_by_label("Hours").input_value() == f"{seconds / 3600:.2f}"
    page.get_by_label("Narrative").fill("Telephone conference with client")
    screenshot(page, "time-entry-timer")
    page.get_by_role("button", name="Save time entry").click()
    page.get_by_text("Recorded 0.10 h on C001-001").wait_for()

    entry = TimeEntry.objects.get()
    assert entry.duration_seconds == seconds >= 1
    assert entry.billed_minutes == 6

    page.goto("/time/")
    assert "Telephone conference with client" in page.locator(f"#entry-{entry.pk}").inner_text()


def _clock_seconds(text: str) -> int:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def test_the_timer_survives_a_reload_and_saving_clears_it(page: Any, small_firm: Any) -> None:
    log_in(page, "clara")
    page.goto("/time/new/")
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_timeout(1200)
    page.reload()
    timer = page.get_by_role("timer")
    # still running after the reload: Pause is live and the clock keeps counting from the start
    page.get_by_role("button", name="Pause").wait_for()
    assert page.get_by_role("button", name="Pause").is_enabled()
    assert page.get_by_role("button", name="Start", exact=True).is_disabled()
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Pause").click()
    paused_at = _clock_seconds(timer.inner_text())
    assert paused_at >= 2

    page.reload()  # a paused timer comes back paused, at the same time
    assert page.get_by_role("button", name="Resume").is_enabled()
    page.wait_for_timeout(600)
    assert _clock_seconds(timer.inner_text()) == paused_at

    page.get_by_label("Matter").fill("C001-001")
    page.get_by_label("Timekeeper").select_option(str(small_firm.partner.pk))
    page.get_by_label("Date").fill("2026-03-02")
    page.get_by_label("Narrative").fill("Call with opposing counsel")
    # saving with the timer paused stops it and saves what it timed
    page.get_by_role("button", name="Save time entry").click()
    page.get_by_text("Recorded 0.10 h on C001-001").wait_for()
    assert TimeEntry.objects.get().duration_seconds == paused_at

    page.goto("/time/new/")  # the saved timer is gone: a fresh one
    assert page.get_by_role("timer").inner_text() == "00:00:00"
    assert page.get_by_role("button", name="Start", exact=True).is_enabled()


def test_a_row_is_edited_inline_in_the_list(page: Any, small_firm: Any) -> None:
    from datetime import date

    from lexbill.entries.services import TimeDraft, record_time

    entry = record_time(
        None,
        TimeDraft(
            matter=small_firm.acme_hourly,
            timekeeper=small_firm.partner,
            work_date=date(2026, 3, 2),
            duration_seconds=3600,
            narrative="Review file",
            task_code="L110",
        ),
    )
    log_in(page, "clara")
    page.goto("/time/")
    row = page.locator(f"#entry-{entry.pk}")
    row.get_by_role("button", name="Edit").click()
    row.get_by_label("Hours").fill("2")
    row.get_by_label("Task code").fill("BAD")
    row.get_by_role("button", name="Save").click()
    row.get_by_text("unknown UTBMS task code").wait_for()
    row.get_by_label("Task code").fill("L120")
    row.get_by_role("button", name="Save").click()
    row.get_by_role("button", name="Edit").wait_for()
    assert row.locator("td.num").inner_text().strip() == "2.00"
    entry.refresh_from_db()
    assert (entry.duration_seconds, entry.task_code) == (7200, "L120")


def test_select_all_then_a_bulk_change_and_its_undo(page: Any, small_firm: Any) -> None:
    from datetime import date

    from lexbill.entries.models import BillingState
    from lexbill.entries.services import TimeDraft, record_time

    entries = [
        record_time(
            None,
            TimeDraft(
                matter=small_firm.acme_hourly,
                timekeeper=small_firm.associate,
                work_date=date(2026, 3, day),
                duration_seconds=1800,
                narrative=f"Research question {day}",
                task_code="L110",
            ),
        )
        for day in (2, 3, 4)
    ]
    billed = entries[2]
    TimeEntry.objects.filter(pk=billed.pk).update(state=BillingState.BILLED)
    log_in(page, "clara")
    page.goto("/time/?state=")
    select_all = page.get_by_label("Select all entries on this page")
    select_all.check()
    editable = [e for e in entries if e is not billed]
    for entry in editable:
        assert page.get_by_label(f"Select entry {entry.pk}").is_checked()
    page.get_by_label(f"Select entry {editable[0].pk}").uncheck()
    assert select_all.evaluate("box => box.indeterminate") is True
    select_all.check()
    page.get_by_label("Set task code").fill("L120")
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("2 time entries changed").wait_for()
    codes = dict(TimeEntry.objects.values_list("pk", "task_code"))
    assert [codes[e.pk] for e in entries] == ["L120", "L120", "L110"]  # the billed one untouched
    screenshot(page, "time-list-bulk")

    page.get_by_role("button", name="Undo last bulk change").click()
    page.get_by_text("Undone").wait_for()
    codes = dict(TimeEntry.objects.values_list("pk", "task_code"))
    assert [codes[e.pk] for e in entries] == ["L110", "L110", "L110"]
