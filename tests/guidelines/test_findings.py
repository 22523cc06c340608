"""What findings say: the lines, the amount at risk, the explanation and the certain fix."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from lexbill.guidelines import (
    CheckContext,
    FixKind,
    MatterFacts,
    RateIncrease,
    Severity,
    check_lines,
)
from lexbill.guidelines.engine import CHUNK_SIZE
from tests.guidelines.conftest import DAY, document, expense_line, time_line

D = Decimal


def test_the_increment_fix_rounds_down_and_names_its_rule() -> None:
    doc = document({"id": "tenths", "type": "billing_increment", "minutes": 6, "source": "§4"})
    (finding,) = check_lines(doc, [time_line(minutes=15)]).findings
    assert finding.amount_at_risk == D("10.00")
    assert "0.25 h is not in 0.1-hour increments" in finding.message
    (fix,) = finding.fixes
    assert (fix.kind, fix.old_amount, fix.new_amount, fix.adjustment) == (
        FixKind.ROUND_TO_INCREMENT,
        D("50.00"),
        D("40.00"),
        D("-10.00"),
    )
    assert "guideline rule 'tenths', §4" in fix.reason


def test_the_daily_cap_counts_hours_billed_on_other_bills() -> None:
    doc = document({"type": "daily_hours", "max_hours": "8"})
    lines = [time_line("1", minutes=240), time_line("2", minutes=120)]
    assert check_lines(doc, lines).findings == ()
    elsewhere = CheckContext(other_minutes_by_day={("TK1", DAY): 180})
    (finding,) = check_lines(doc, lines, elsewhere).findings
    assert finding.line_ids == ("1", "2")
    assert "9 h on 2026-03-02" in finding.message and "3 h on other bills" in finding.message
    assert finding.amount_at_risk == D("200.00")  # the last hour over, taken from line 2


def test_a_block_billed_entry_gets_a_split_into_one_entry_per_task() -> None:
    doc = document({"type": "block_billing", "at_risk_percent": "50"})
    narrative = "Review file; draft motion to compel, and call client regarding deposition"
    (finding,) = check_lines(doc, [time_line(minutes=120, narrative=narrative)]).findings
    assert finding.amount_at_risk == D("200.00")
    (fix,) = finding.fixes
    assert fix.kind is FixKind.SPLIT and fix.adjustment == 0
    parts = fix.proposed_lines
    assert [p.narrative for p in parts] == [
        "Review file",
        "Draft motion to compel",
        "Call client regarding deposition",
    ]
    assert [p.id for p in parts] == ["1/1", "1/2", "1/3"]
    assert [p.minutes for p in parts] == [42, 42, 36]
    assert sum(p.amount for p in parts) == D("400.00")


def test_no_split_is_offered_when_the_tasks_outnumber_the_increments() -> None:
    doc = document({"type": "block_billing"})
    line = time_line(minutes=12, narrative="Review letter; draft reply; call client about it")
    (finding,) = check_lines(doc, [line]).findings
    assert finding.fixes == ()


def test_a_pair_of_task_words_is_one_task_not_block_billing() -> None:
    doc = document({"type": "block_billing"})
    lines = [
        time_line("1", narrative="Review and analyze expert report of Dr. Jones on causation"),
        time_line("2", narrative="Telephone conference with adjuster regarding reserve"),
    ]
    assert check_lines(doc, lines).findings == ()


def test_a_timekeepers_own_cap_beats_the_cap_of_their_classification() -> None:
    doc = document(
        {
            "type": "rate_cap",
            "caps": [
                {"classification": "associate", "max_rate": "180"},
                {"timekeeper": "TK9", "max_rate": "250"},
            ],
        }
    )
    star = time_line("1", timekeeper_id="TK9", rate=D("240.00"))
    other = time_line("2", rate=D("190.00"), minutes=90)
    (finding,) = check_lines(doc, [star, other]).findings
    assert finding.line_ids == ("2",)
    assert finding.message == "rate 190.00 is above the approved 180 for an associate"
    (fix,) = finding.fixes
    assert (fix.rate_at_most, fix.new_amount, fix.adjustment) == (D(180), D("270.00"), D("-15.00"))


def test_a_rise_above_the_allowed_percentage_is_capped_there() -> None:
    doc = document({"type": "rate_increase", "notice_days": 30, "max_increase_percent": "5"})
    rise = RateIncrease("TK1", D("180.00"), D("200.00"), date(2026, 1, 1), date(2025, 11, 1))
    (finding,) = check_lines(doc, [time_line()], CheckContext(rate_increases=(rise,))).findings
    assert "caps a rise at 5%" in finding.message
    assert finding.fixes[0].rate_at_most == D("189.0000")
    # Work before the rise took effect is not this rule's business (a rate cap's, if any).
    before = time_line(work_date=date(2025, 12, 30), rate=D("200.00"))
    assert check_lines(doc, [before], CheckContext(rate_increases=(rise,))).findings == ()


def test_without_an_approved_list_the_rule_cannot_tell_and_says_nothing() -> None:
    doc = document({"type": "approved_timekeepers"})
    line = time_line(timekeeper_id="TK2")
    assert check_lines(doc, [line]).findings == ()
    approved = CheckContext(approved_timekeepers=frozenset({"TK1"}))
    assert len(check_lines(doc, [line], approved).findings) == 1


def test_with_one_biller_allowed_the_smaller_internal_conference_is_at_risk() -> None:
    doc = document({"type": "internal_conference", "max_billers": 1})
    lines = [
        time_line("1", narrative="Conference with associate regarding brief", minutes=30),
        time_line("2", narrative="Conference with partner regarding brief", timekeeper_id="TK2"),
    ]
    (finding,) = check_lines(doc, lines).findings
    assert finding.line_ids == ("1",) and finding.amount_at_risk == D("100.00")


def test_attendance_groups_by_event_id_and_keeps_the_biggest_billers() -> None:
    doc = document({"type": "attendance"})
    lines = [
        time_line("1", narrative="Meeting with client", event_id="EV1", minutes=60),
        time_line("2", narrative="Meeting with client", event_id="EV1", timekeeper_id="TK2"),
        time_line(
            "3", narrative="Meeting with client", event_id="EV1", timekeeper_id="TK3", minutes=30
        ),
    ]
    (finding,) = check_lines(doc, lines).findings
    assert finding.line_ids == ("3",)  # a meeting allows two: TK1 and TK2 billed more
    assert "3 timekeepers billed the meeting" in finding.message


def test_travel_is_recognised_by_flag_code_or_words() -> None:
    doc = document({"type": "travel_time", "activity_codes": ["A111"]})
    flagged = time_line("1", narrative="Deposition of plaintiff", travel=True)
    coded = time_line("2", narrative="Deposition of plaintiff", activity_code="A111")
    worded = time_line("3", narrative="Drive to Denver for hearing")
    not_travel = time_line("4", narrative="Travel to Denver for hearing", travel=False)
    result = check_lines(doc, [flagged, coded, worded, not_travel])
    assert [f.line_ids for f in result.findings] == [("1",), ("2",), ("3",)]
    fix = result.findings[0].fixes[0]
    assert (fix.kind, fix.value_share, fix.new_amount) == (
        FixKind.CUT_TRAVEL,
        D("0.5"),
        D("100.00"),
    )


def test_the_travel_day_cap_cuts_the_last_lines_of_the_day() -> None:
    doc = document({"type": "travel_daily_cap", "max_hours": "4"})
    lines = [
        time_line("1", minutes=180, narrative="Travel to Chicago"),
        time_line("2", minutes=120, narrative="Travel from Chicago"),
    ]
    (finding,) = check_lines(doc, lines).findings
    (fix,) = finding.fixes
    assert (fix.line_id, fix.minutes_at_most, fix.new_amount) == ("2", 60, D("200.00"))
    assert finding.amount_at_risk == D("200.00")


def test_expense_caps_write_down_to_the_cap() -> None:
    doc = document({"type": "expense_cap"})
    copies = expense_line("E1", expense_code="E101", quantity=D(300), unit_cost=D("0.25"))
    meal = expense_line("E2", expense_code="E111", unit_cost=D("200.00"), persons=2)
    result = check_lines(doc, [copies, meal])
    assert [f.fixes[0].new_amount for f in result.findings] == [D("30.00"), D("120.00")]
    assert "(2 people: USD 120.00)" in result.findings[1].message


def test_code_problems_say_what_is_wrong_with_the_code() -> None:
    doc = document({"type": "utbms_codes"})
    context = CheckContext(matters={"M2": MatterFacts(code_set="counseling")})
    lines = [
        time_line("1", task_code="L100"),
        time_line("2", task_code="l110"),
        time_line("3", task_code="A103"),
        time_line("4", task_code="", activity_code=""),
        time_line("5", matter_id="M2"),
        expense_line("6", expense_code="E999"),
        expense_line("7", expense_code=""),
    ]
    messages = [f.message for f in check_lines(doc, lines, context).findings]
    assert "L100 is a phase" in messages[0]
    assert "must be written 'L110'" in messages[1]
    assert "A103 is a UTBMS activity code, not a task code" in messages[2]
    assert "no UTBMS task code; no UTBMS activity code" in messages[3]
    assert "this matter uses the counseling code set" in messages[4]
    assert "'E999' is not a UTBMS expense code" in messages[5]
    assert "no UTBMS expense code" in messages[6]


def test_a_late_invoice_risks_the_penalty_or_else_the_whole_invoice() -> None:
    end = date(2026, 3, 31)
    late = CheckContext(period_end=end, invoice_date=end + timedelta(days=95))
    lines = [time_line("1"), time_line("2")]
    with_penalty = document({"type": "late_invoice", "penalty_percent_per_month": "5"})
    (finding,) = check_lines(with_penalty, lines, late).findings
    assert finding.line_ids == () and finding.amount_at_risk == D("60.00")  # 3 months: 15%
    (whole,) = check_lines(document({"type": "late_invoice"}), lines, late).findings
    assert whole.amount_at_risk == D("400.00")


def test_work_after_the_invoice_date_is_outside_the_period() -> None:
    doc = document({"type": "billing_period"})
    context = CheckContext(invoice_date=date(2026, 3, 1))
    (finding,) = check_lines(doc, [time_line()], context).findings
    assert "after the invoice date 2026-03-01" in finding.message


def test_duplicates_are_found_across_chunks_and_for_expenses() -> None:
    doc = document({"type": "duplicate_entry"})
    filler = [
        time_line(f"F{i}", narrative=f"Draft section {i} of the brief") for i in range(CHUNK_SIZE)
    ]
    lines = [time_line("A"), *filler, time_line("B"), expense_line("E1"), expense_line("E2")]
    result = check_lines(doc, lines)
    assert [f.line_ids for f in result.findings] == [("A", "B"), ("E1", "E2")]
    assert result.findings[0].amount_at_risk == D("200.00")


def test_near_duplicates_need_a_similarity_below_one() -> None:
    first = time_line("1", narrative="Draft letter to adjuster and review claim file")
    second = time_line("2", narrative="Review the claim file; draft letter to adjuster")
    assert check_lines(document({"type": "duplicate_entry"}), [first, second]).findings == ()
    near = document({"type": "duplicate_entry", "similarity": "0.9"})
    assert len(check_lines(near, [first, second]).findings) == 1


def test_a_budget_overrun_names_the_lines_from_the_one_that_crossed() -> None:
    doc = document({"type": "matter_budget", "tolerance_percent": "10"})
    facts = MatterFacts(budget=D("1000.00"), billed_to_date=D("700.00"))
    lines = [time_line("1"), time_line("2"), time_line("3")]
    (finding,) = check_lines(doc, lines, CheckContext(matters={"M1": facts})).findings
    assert finding.line_ids == ("3",)  # 700 + 200 + 200 = 1,100 is still within 10%
    assert finding.amount_at_risk == D("200.00")
    assert "USD 1,300.00, USD 200.00 over" in finding.message


def test_a_phase_budget_may_be_kept_per_task_code() -> None:
    doc = document({"type": "phase_budget"})
    facts = MatterFacts(phase_budgets={"L120": D("100.00")}, phase_billed_to_date={"L120": D(50)})
    lines = [time_line("1", task_code="L120"), time_line("2", task_code="L110")]
    (finding,) = check_lines(doc, lines, CheckContext(matters={"M1": facts})).findings
    assert finding.line_ids == ("1",) and finding.amount_at_risk == D("150.00")


def test_severity_comes_from_the_document_or_the_type_default() -> None:
    doc = document(
        {"type": "vague_narrative"},
        {"type": "vague_narrative", "id": "strict", "severity": "block"},
    )
    result = check_lines(doc, [time_line(narrative="Attention to file")])
    assert [f.severity for f in result.findings] == [Severity.WARN, Severity.BLOCK]
    assert result.blocking == (result.findings[1],)
