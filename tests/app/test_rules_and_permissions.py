"""Bad input is refused with a clear message and saves nothing; roles are enforced by services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill, issue_credit_note
from lexbill.billing.models import Invoice, Prebill, PrebillLine
from lexbill.billing.prebills import adjust_line, approve_prebill, edit_line, send_back_prebill
from lexbill.core.errors import InvalidEntry, InvalidTransition, NoRateInForce, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import Expense, TimeEntry
from lexbill.entries.services import (
    ExpenseDraft,
    TimeDraft,
    record_expense,
    record_time,
    record_time_batch,
)
from lexbill.firm.services import create_timekeeper

DAY = date(2026, 3, 2)


def _draft(f: Any, hours: str = "1", **kw: Any) -> TimeDraft:
    base: dict[str, Any] = {
        "matter": f.acme_hourly,
        "timekeeper": f.partner,
        "work_date": DAY,
        "duration_seconds": hours_to_seconds(hours),
        "narrative": "Review discovery responses",
        "task_code": "L310",
        "activity_code": "A104",
    }
    base.update(kw)
    return TimeDraft(**base)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration_seconds": 0}, "duration", "more than zero"),
        ({"duration_seconds": 25 * 3600}, "duration", "24 hours"),
        ({"task_code": "L999"}, "task_code", "unknown UTBMS task code"),
        ({"activity_code": "L110"}, "activity_code", "unknown UTBMS activity code"),
        ({"narrative": "   "}, "narrative", "narrative is required"),
    ],
)
def test_a_bad_time_entry_is_refused_naming_the_field(
    small_firm: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidEntry, match=message) as caught:
        record_time(small_firm.clara, _draft(small_firm, **changes))
    assert caught.value.field == field
    assert TimeEntry.objects.count() == 0


def test_more_than_24_hours_in_a_day_across_matters_is_refused(small_firm: Any) -> None:
    f = small_firm
    record_time(f.clara, _draft(f, "14"))
    with pytest.raises(InvalidEntry, match="more than 24 hours"):
        record_time(f.clara, _draft(f, "10.5", matter=f.acme_capped))
    assert TimeEntry.objects.count() == 1


def test_work_with_no_rate_in_force_is_refused(small_firm: Any) -> None:
    f = small_firm
    nobody = create_timekeeper(None, "XX", "No", "Rate", "associate")
    with pytest.raises(NoRateInForce) as caught:
        record_time(f.clara, _draft(f, timekeeper=nobody))
    assert caught.value.field == "rate"
    # the associate rate starts in 2026: work in 2025 has no rate either
    with pytest.raises(NoRateInForce):
        record_time(f.clara, _draft(f, timekeeper=f.associate, work_date=date(2025, 12, 31)))
    assert TimeEntry.objects.count() == 0


def test_a_batch_with_one_bad_entry_saves_nothing_and_names_its_line(small_firm: Any) -> None:
    f = small_firm
    drafts = [_draft(f, "1"), _draft(f, "2"), _draft(f, "1", task_code="ZZZ")]
    with pytest.raises(InvalidEntry) as caught:
        record_time_batch(f.clara, drafts)
    assert (caught.value.line, caught.value.field) == (3, "task_code")
    assert TimeEntry.objects.count() == 0


def test_an_expense_needs_a_known_code_and_a_positive_quantity(small_firm: Any) -> None:
    f = small_firm
    with pytest.raises(InvalidEntry, match="expense code"):
        record_expense(f.clara, ExpenseDraft(f.acme_hourly, DAY, "E999", "1", "5", "Taxi"))
    with pytest.raises(InvalidEntry) as caught:
        record_expense(f.clara, ExpenseDraft(f.acme_hourly, DAY, "E110", "-1", "5", "Taxi"))
    assert caught.value.field == "quantity"
    assert Expense.objects.count() == 0


def _approved_prebill(f: Any) -> Prebill:
    record_time(f.clara, _draft(f))
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))
    return approve_prebill(f.carol, prebill)


def test_a_clerk_may_not_run_bills_approve_or_finalize(small_firm: Any) -> None:
    f = small_firm
    record_time(f.clara, _draft(f))
    with pytest.raises(PermissionDenied):
        run_bill_run(f.clara, date(2026, 3, 31))
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))
    with pytest.raises(PermissionDenied):
        approve_prebill(f.clara, prebill)
    approve_prebill(f.carol, prebill)
    with pytest.raises(PermissionDenied):
        finalize_prebill(f.clara, prebill)
    assert Invoice.objects.count() == 0


def test_an_attorney_approves_only_the_matters_they_are_responsible_for(small_firm: Any) -> None:
    f = small_firm
    other_partner_user = f.sam.__class__.objects.create_user("olga", password="x", role="attorney")
    create_timekeeper(None, "OG", "Olga", "Green", "partner", user=other_partner_user)
    record_time(f.clara, _draft(f, timekeeper=f.associate))
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))
    with pytest.raises(PermissionDenied, match="responsible attorney"):
        approve_prebill(other_partner_user, prebill)
    assert approve_prebill(f.pat, prebill).status == "approved"


def test_an_approved_prebill_cannot_be_edited_until_sent_back(small_firm: Any) -> None:
    f = small_firm
    prebill = _approved_prebill(f)
    line = PrebillLine.objects.get(prebill=prebill)
    with pytest.raises(InvalidTransition):
        edit_line(f.sam, line, minutes=30)
    with pytest.raises(InvalidEntry, match="say what must change"):
        send_back_prebill(f.carol, prebill, "")
    send_back_prebill(f.carol, prebill, "Narrative is too vague")
    edited = edit_line(f.sam, line, minutes=30, narrative="Review and analyze discovery responses")
    assert edited.amount == edited.rate / 2
    assert prebill.comments.get().text == "Narrative is too vague"


def test_a_write_down_needs_a_reason_and_cannot_go_below_zero(small_firm: Any) -> None:
    f = small_firm
    record_time(f.clara, _draft(f))
    run_bill_run(f.sam, date(2026, 3, 31))
    line = PrebillLine.objects.get()
    with pytest.raises(InvalidEntry, match="reason"):
        adjust_line(f.sam, line, "-50.00", "")
    with pytest.raises(InvalidEntry, match="exceed"):
        adjust_line(f.sam, line, "-500.01", "too much")
    assert adjust_line(f.sam, line, "-50.00", "first-year associate time").adjustment == -50


def test_a_finalized_prebill_cannot_be_finalized_twice(small_firm: Any) -> None:
    f = small_firm
    prebill = _approved_prebill(f)
    finalize_prebill(f.sam, prebill)
    with pytest.raises(InvalidTransition):
        finalize_prebill(f.sam, prebill)
    assert Invoice.objects.count() == 1


def test_a_credit_note_cannot_exceed_what_is_left_to_credit(small_firm: Any) -> None:
    f = small_firm
    invoice = finalize_prebill(f.sam, _approved_prebill(f))
    issue_credit_note(f.carol, invoice, "400.00", "partial write-off")
    with pytest.raises(InvalidEntry, match="left to credit"):
        issue_credit_note(f.carol, invoice, "100.01", "too much")
    with pytest.raises(PermissionDenied):
        issue_credit_note(f.clara, invoice, "1.00", "clerk may not credit")
