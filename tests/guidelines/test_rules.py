"""Every rule type fires on a violating case and stays quiet on its compliant twin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from lexbill.guidelines import (
    CheckContext,
    Line,
    MatterFacts,
    RateIncrease,
    RuleType,
    Severity,
    check_lines,
)
from tests.guidelines.conftest import DAY, document, expense_line, time_line

MARCH = CheckContext(
    period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), invoice_date=date(2026, 4, 10)
)


@dataclass
class Case:
    name: str
    rule: dict[str, Any]
    bad: list[Line]
    good: list[Line]
    context: CheckContext = field(default_factory=CheckContext)
    good_context: CheckContext | None = None

    @property
    def type(self) -> RuleType:
        return RuleType(self.rule["type"])


def _travel(line_id: str, minutes: int, **fields: Any) -> Line:
    return time_line(
        line_id, minutes=minutes, narrative="Travel to Chicago for deposition", **fields
    )


def _increase(notice: date | None) -> CheckContext:
    rise = RateIncrease("TK1", Decimal("180.00"), Decimal("200.00"), date(2026, 1, 1), notice)
    return CheckContext(rate_increases=(rise,))


def _budget(budget: str, billed: str = "900.00") -> CheckContext:
    facts = MatterFacts(budget=Decimal(budget), billed_to_date=Decimal(billed))
    return CheckContext(matters={"M1": facts})


def _phase(budget: str) -> CheckContext:
    facts = MatterFacts(phase_budgets={"L100": Decimal(budget)})
    return CheckContext(matters={"M1": facts})


def _late_invoice(days: int) -> CheckContext:
    end = date(2026, 3, 31)
    return CheckContext(period_end=end, invoice_date=end + timedelta(days=days))


CASES = [
    Case(
        "time off the increment",
        {"type": "billing_increment", "minutes": 6},
        [time_line(minutes=15)],
        [time_line(minutes=18)],
    ),
    Case(
        "an entry longer than allowed",
        {"type": "entry_hours", "max_hours": "4"},
        [time_line(minutes=300)],
        [time_line(minutes=240)],
    ),
    Case(
        "an entry shorter than the minimum",
        {"type": "entry_hours", "min_hours": "0.2", "max_hours": None},
        [time_line(minutes=6)],
        [time_line(minutes=12)],
    ),
    Case(
        "a long day across two matters",
        {"type": "daily_hours", "max_hours": "8"},
        [time_line("1", minutes=300), time_line("2", matter_id="M2", minutes=240)],
        [time_line("1", minutes=300), time_line("2", matter_id="M2", minutes=180)],
    ),
    Case(
        "three tasks under one time",
        {"type": "block_billing"},
        [
            time_line(
                minutes=120,
                narrative="Review deposition transcript; draft summary for client; call "
                "adjuster regarding settlement",
            )
        ],
        [
            time_line(
                minutes=120,
                narrative="Review and revise deposition summary of plaintiff's expert on causation",
            )
        ],
    ),
    Case(
        "a narrative with no subject",
        {"type": "vague_narrative"},
        [time_line(narrative="Attention to file and various emails")],
        [time_line(narrative="Emails with adjuster regarding settlement authority for mediation")],
    ),
    Case(
        "a narrative too short",
        {"type": "vague_narrative", "min_length": 20},
        [time_line(narrative="Draft brief")],
        [time_line(narrative="Draft opposition brief")],
    ),
    Case(
        "a rate above the classification's cap",
        {"type": "rate_cap", "caps": [{"classification": "Associate", "max_rate": "180.00"}]},
        [time_line(rate=Decimal("200.00"))],
        [time_line(rate=Decimal("180.00"))],
    ),
    Case(
        "a rate rise without the notice",
        {"type": "rate_increase", "notice_days": 60},
        [time_line(rate=Decimal("200.00"))],
        [time_line(rate=Decimal("200.00"))],
        context=_increase(date(2026, 1, 15)),
        good_context=_increase(date(2025, 12, 15)),
    ),
    Case(
        "an unapproved timekeeper",
        {"type": "approved_timekeepers", "timekeepers": ["TK1"]},
        [time_line(timekeeper_id="TK2")],
        [time_line(timekeeper_id="TK1")],
    ),
    Case(
        "a summer associate",
        {"type": "non_billable_classification"},
        [time_line(classification="Summer Associate")],
        [time_line(classification="associate")],
    ),
    Case(
        "clerical work by a paralegal",
        {"type": "clerical_work"},
        [time_line(classification="paralegal", narrative="Organize and index documents produced")],
        [
            time_line(
                classification="paralegal", narrative="Analyze documents produced for privilege"
            )
        ],
    ),
    Case(
        "an internal conference",
        {"type": "internal_conference"},
        [time_line(narrative="Conference with partner regarding discovery strategy")],
        [time_line(narrative="Conference with opposing counsel regarding discovery schedule")],
    ),
    Case(
        "two lawyers at one deposition",
        {"type": "attendance"},
        [
            time_line("1", narrative="Attend deposition of plaintiff", timekeeper_id="TK1"),
            time_line("2", narrative="Attend deposition of plaintiff", timekeeper_id="TK2"),
        ],
        [
            time_line("1", narrative="Attend deposition of plaintiff", timekeeper_id="TK1"),
            time_line(
                "2", narrative="Prepare outline for deposition of plaintiff", timekeeper_id="TK2"
            ),
        ],
    ),
    Case(
        "research without approval",
        {"type": "restricted_work", "phrases": ["legal research"], "label": "needs approval"},
        [time_line(narrative="Legal research regarding spoliation sanctions")],
        [time_line(narrative="Draft letter regarding spoliation of evidence")],
    ),
    Case(
        "travel billed in full",
        {"type": "travel_time", "billable_percent": "50"},
        [_travel("1", 120)],
        [_travel("1", 120, amount=Decimal("200.00"))],
    ),
    Case(
        "too much travel in a day",
        {"type": "travel_daily_cap", "max_hours": "4"},
        [_travel("1", 180), _travel("2", 120)],
        [_travel("1", 180), _travel("2", 60)],
    ),
    Case(
        "postage",
        {"type": "non_reimbursable_expense"},
        [expense_line(expense_code="E108", narrative="Postage", unit_cost=Decimal("4.50"))],
        [expense_line()],
    ),
    Case(
        "copies above the per-page cap",
        {"type": "expense_cap"},
        [expense_line(expense_code="E101", quantity=Decimal(100), unit_cost=Decimal("0.15"))],
        [expense_line(expense_code="E101", quantity=Decimal(100), unit_cost=Decimal("0.10"))],
    ),
    Case(
        "a meal above the cap per person",
        {"type": "expense_cap", "caps": [{"code": "E111", "max_amount": "60", "per": "person"}]},
        [expense_line(expense_code="E111", unit_cost=Decimal("250.00"), persons=4)],
        [expense_line(expense_code="E111", unit_cost=Decimal("240.00"), persons=4)],
    ),
    Case(
        "a first-class fare",
        {"type": "first_class_travel"},
        [expense_line(expense_code="E110", narrative="Airfare to Denver", travel_class="First")],
        [expense_line(expense_code="E110", narrative="Airfare to Denver", travel_class="economy")],
    ),
    Case(
        "an expense without its receipt",
        {"type": "receipt_required", "over_amount": "25"},
        [expense_line(receipt=False)],
        [expense_line(receipt=False, unit_cost=Decimal("25.00"))],
    ),
    Case(
        "a task code from another code set",
        {"type": "utbms_codes", "code_sets": ["litigation"]},
        [time_line(task_code="C300")],
        [time_line(task_code="L120")],
    ),
    Case(
        "appeal work not authorized",
        {"type": "restricted_codes", "codes": ["L5*"]},
        [time_line(task_code="L510")],
        [time_line(task_code="L450")],
    ),
    Case(
        "time recorded late",
        {"type": "late_entry", "max_days": 30},
        [time_line(entered_on=DAY + timedelta(days=31))],
        [time_line(entered_on=DAY + timedelta(days=30))],
    ),
    Case(
        "an invoice sent late",
        {"type": "late_invoice", "max_days": 30, "penalty_percent_per_month": "5"},
        [time_line()],
        [time_line()],
        context=_late_invoice(31),
        good_context=_late_invoice(30),
    ),
    Case(
        "work from before the period",
        {"type": "billing_period"},
        [time_line(work_date=date(2026, 2, 27))],
        [time_line(work_date=date(2026, 3, 1))],
        context=MARCH,
    ),
    Case(
        "the same entry twice",
        {"type": "duplicate_entry"},
        [
            time_line("1"),
            time_line(
                "2",
                narrative="draft MOTION to compel production of the claim file, from defendant.",
            ),
        ],
        [time_line("1"), time_line("2", narrative="Draft reply in support of motion to compel")],
    ),
    Case(
        "the matter over budget",
        {"type": "matter_budget"},
        [time_line()],
        [time_line()],
        context=_budget("1000.00"),
        good_context=_budget("1100.00"),
    ),
    Case(
        "a phase over budget",
        {"type": "phase_budget"},
        [time_line(task_code="L110")],
        [time_line(task_code="L110")],
        context=_phase("150.00"),
        good_context=_phase("200.00"),
    ),
]


def test_every_rule_type_has_a_case() -> None:
    assert {case.type for case in CASES} == set(RuleType)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_rule_fires_on_the_violation_and_not_on_its_compliant_twin(case: Case) -> None:
    doc = document(case.rule)
    bad = check_lines(doc, case.bad, case.context)
    good = check_lines(doc, case.good, case.good_context or case.context)
    assert [f.rule_type for f in bad.findings] and {f.rule_type for f in bad.findings} == {
        case.type.value
    }
    assert good.findings == (), [f.message for f in good.findings]
    for finding in bad.findings:
        assert finding.message
        assert finding.severity in (Severity.BLOCK, Severity.WARN)
        assert Decimal(0) <= finding.amount_at_risk
        assert set(finding.line_ids) <= {line.id for line in case.bad}
