"""Certain fixes: applied as write-downs on new records, combined on one line, never raising
the bill, and leaving nothing for their rules to find again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lexbill.core.errors import LexbillError
from lexbill.core.invoice_math import time_amount
from lexbill.guidelines import (
    CheckContext,
    FixKind,
    Line,
    RateIncrease,
    apply_fixes,
    certain_fixes,
    check_lines,
    fix_all,
)
from tests.guidelines.conftest import DAY, document, expense_line, time_line

D = Decimal


def test_fixes_on_one_line_combine_and_never_undo_each_other() -> None:
    doc = document(
        {"type": "billing_increment", "minutes": 6},
        {"type": "rate_cap", "caps": [{"classification": "associate", "max_rate": "150"}]},
        {"type": "travel_time", "billable_percent": "50"},
    )
    line = time_line(minutes=65, narrative="Travel to Dallas for hearing")
    result = check_lines(doc, [line])
    assert {f.fixes[0].kind for f in result.findings} == {
        FixKind.ROUND_TO_INCREMENT,
        FixKind.CAP_RATE,
        FixKind.CUT_TRAVEL,
    }
    (fixed,) = apply_fixes([line], result.fixes)
    assert (fixed.minutes, fixed.rate) == (60, D(150))
    assert fixed.amount == D("75.00")  # half of 1 h at 150
    assert check_lines(doc, [fixed]).findings == ()
    assert line.amount == D("216.67") and line.minutes == 65  # the input is untouched


def test_removing_a_line_leaves_it_out_and_lines_without_fixes_are_the_same_objects() -> None:
    doc = document({"type": "non_reimbursable_expense"})
    keep = expense_line("E1")
    postage = expense_line("E2", expense_code="E108", narrative="Postage")
    result = check_lines(doc, [keep, postage])
    (fix,) = result.fixes
    assert (fix.kind, fix.new_amount, fix.adjustment) == (FixKind.REMOVE, D(0), D("-120.00"))
    fixed = apply_fixes([keep, postage], result.fixes)
    assert len(fixed) == 1 and fixed[0] is keep


def test_a_split_replaces_the_entry_with_its_parts_in_place() -> None:
    doc = document({"type": "block_billing"})
    lines = [
        time_line("1", narrative="Draft letter to adjuster regarding reserve"),
        time_line("2", minutes=90, narrative="Review file. Draft memo to client"),
        time_line("3", narrative="Revise motion to compel"),
    ]
    fixed = apply_fixes(lines, certain_fixes(check_lines(doc, lines).findings))
    assert [line.id for line in fixed] == ["1", "2/1", "2/2", "3"]
    assert [line.minutes for line in fixed[1:3]] == [48, 42]
    assert sum(line.amount for line in fixed) == sum(line.amount for line in lines)
    assert check_lines(doc, fixed).findings == ()


def test_a_fix_for_a_line_that_is_not_there_is_refused() -> None:
    doc = document({"type": "billing_increment"})
    result = check_lines(doc, [time_line("1", minutes=5)])
    with pytest.raises(LexbillError, match="not among the lines"):
        apply_fixes([time_line("2")], result.fixes)
    with pytest.raises(LexbillError, match="two lines have the id"):
        apply_fixes([time_line("1"), time_line("1")], [])


def test_a_fix_reports_as_a_dict_for_the_json_output() -> None:
    doc = document({"type": "block_billing"})
    line = time_line(minutes=60, narrative="Review file; draft letter to client")
    data = check_lines(doc, [line]).findings[0].as_dict()
    assert data["rule"] == "rule-1" and data["lines"] == ["1"]
    fixes = data["fixes"]
    assert isinstance(fixes, list) and len(fixes) == 1
    assert fixes[0]["kind"] == "split" and len(fixes[0]["proposed_lines"]) == 2


# --- the property ---------------------------------------------------------------------------------

NARRATIVES = (
    "Draft motion to compel discovery responses",
    "Travel to Chicago for deposition of plaintiff",
    "Review file; draft letter to adjuster; call client regarding settlement",
    "Travel to court, and attend hearing on motion",
    "Analyze expert report regarding causation",
    "Drive to Denver. Prepare witness for deposition",
)
CLASSES = ("partner", "associate", "paralegal", "summer associate")
FIXABLE = {
    "billing_increment",
    "rate_cap",
    "rate_increase",
    "travel_time",
    "travel_daily_cap",
    "non_billable_classification",
    "non_reimbursable_expense",
    "expense_cap",
    "block_billing",
}


@st.composite
def time_lines(draw: st.DrawFn, number: int) -> Line:
    minutes = draw(st.integers(0, 600))
    rate = Decimal(draw(st.integers(5000, 90000))).scaleb(-2)
    amount = time_amount(minutes, rate, "USD")
    if draw(st.booleans()):  # some lines already carry a write-down
        amount -= min(amount, Decimal(draw(st.integers(0, 5000))).scaleb(-2))
    return time_line(
        str(number),
        minutes=minutes,
        rate=rate,
        amount=amount,
        timekeeper_id=draw(st.sampled_from(("TK1", "TK2", "TK3"))),
        classification=draw(st.sampled_from(CLASSES)),
        narrative=draw(st.sampled_from(NARRATIVES)),
        work_date=DAY.replace(day=draw(st.integers(1, 3))),
        travel=draw(st.sampled_from((None, None, True, False))),
    )


@st.composite
def expense_lines(draw: st.DrawFn, number: int) -> Line:
    code = draw(st.sampled_from(("E101", "E108", "E111", "E112", "E106")))
    quantity = Decimal(draw(st.integers(1, 500)))
    cost = Decimal(draw(st.integers(1, 30000))).scaleb(-2)
    return expense_line(
        str(number),
        expense_code=code,
        quantity=quantity,
        unit_cost=cost,
        persons=draw(st.integers(1, 5)),
        amount=(quantity * cost).quantize(Decimal("0.01")),
    )


@st.composite
def batches(draw: st.DrawFn) -> list[Line]:
    count = draw(st.integers(1, 25))
    return [
        draw(st.one_of(time_lines(n), expense_lines(n)) if n % 3 else time_lines(n))
        for n in range(count)
    ]


@st.composite
def fixable_documents(draw: st.DrawFn) -> tuple[Any, CheckContext]:
    increment = draw(st.sampled_from((1, 6, 15)))
    rules: list[dict[str, Any]] = [
        {"type": "billing_increment", "minutes": increment},
        {
            "type": "rate_cap",
            "caps": [
                {"classification": "partner", "max_rate": str(draw(st.integers(100, 900)))},
                {"classification": "associate", "max_rate": "250.55"},
            ],
            "default_max_rate": draw(st.sampled_from((None, "400"))),
        },
        {
            "type": "rate_increase",
            "notice_days": 60,
            "max_increase_percent": draw(st.sampled_from((None, "3", "10"))),
        },
        {"type": "travel_time", "billable_percent": str(draw(st.integers(0, 100)))},
        {"type": "travel_daily_cap", "max_hours": str(draw(st.integers(1, 10)))},
        {"type": "non_billable_classification"},
        {"type": "non_reimbursable_expense"},
        {"type": "expense_cap"},
        {"type": "block_billing"},
    ]
    rises = (
        RateIncrease("TK1", Decimal("150.00"), Decimal("300.00"), date(2026, 1, 1), None),
        RateIncrease("TK2", Decimal("400.00"), Decimal("420.00"), date(2026, 3, 2), DAY),
    )
    return document(*rules), CheckContext(rate_increases=rises)


def _total(lines: tuple[Line, ...] | list[Line]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), fixable_documents())
def test_after_every_certain_fix_its_rule_finds_nothing_and_the_total_never_rises(
    lines: list[Line], doc_and_context: tuple[Any, CheckContext]
) -> None:
    doc, context = doc_and_context
    before = check_lines(doc, lines, context)
    for kind in sorted({fix.kind.value for fix in before.fixes}):
        event(f"fix {kind}")

    once = apply_fixes(lines, before.fixes)
    assert _total(once) <= _total(lines)
    again = {(f.rule_id, f.line_ids) for f in check_lines(doc, once, context).findings}
    assert not [f for f in before.findings if f.fixes and (f.rule_id, f.line_ids) in again]

    fixed, applied = fix_all(doc, lines, context)
    assert _total(fixed) <= _total(once)
    assert all(line.amount >= 0 for line in fixed)
    unfixable = {(f.rule_id, f.line_ids) for f in before.findings if not f.fixes}
    left = [
        (f.rule_type, f.line_ids, f.message)
        for f in check_lines(doc, fixed, context).findings
        if f.rule_type in FIXABLE and (f.rule_id, f.line_ids) not in unfixable
    ]
    assert left == []
    for fix in applied:
        assert fix.adjustment <= 0 and fix.new_amount == fix.old_amount + fix.adjustment
        assert fix.reason.endswith(")") and fix.rule_id in fix.reason


def test_every_kind_of_fix_is_made_by_the_rules_the_property_covers() -> None:
    lines = [
        time_line("1", minutes=65, narrative="Travel to Dallas for hearing", rate=D("500")),
        time_line("2", minutes=120, narrative="Review file; draft letter; call client today"),
        time_line("3", classification="summer associate"),
        time_line("4", minutes=300, narrative="Travel from Dallas", rate=D("180")),
        expense_line("5", expense_code="E108"),
        expense_line("6", expense_code="E101", quantity=D(10), unit_cost=D("0.50")),
    ]
    doc = document(
        {"type": "billing_increment"},
        {"type": "rate_cap", "default_max_rate": "400"},
        {"type": "travel_time"},
        {"type": "travel_daily_cap", "max_hours": "5"},
        {"type": "non_billable_classification"},
        {"type": "non_reimbursable_expense"},
        {"type": "expense_cap"},
        {"type": "block_billing"},
    )
    result = check_lines(doc, lines)
    assert {fix.kind for fix in result.fixes} == set(FixKind)
    assert {f.rule_type for f in result.findings} <= FIXABLE
