"""The facts some guideline rules need, recorded in Lexbill and fed to the engine: matter and
phase budgets, the client's approved timekeepers, notices of rate increases, and an expense's
receipt, people covered and fare class. Each rule fires on a pre-bill in the app (through
``prebill_findings``) and its compliant twin is quiet; the services behind the facts check the
role, refuse bad input by field with nothing changed, and are audited."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from typer.testing import CliRunner

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill, issue_credit_note
from lexbill.billing.models import Invoice, Prebill
from lexbill.billing.prebills import approve_prebill
from lexbill.billing.rates import set_rate
from lexbill.clients.models import ApprovedTimekeeper, MatterBudget, RateNotice
from lexbill.clients.selectors import billed_to_date, matter_budget_status
from lexbill.clients.services import (
    approve_timekeeper,
    record_rate_notice,
    remove_matter_budget,
    remove_rate_notice,
    set_matter_budget,
    withdraw_timekeeper_approval,
)
from lexbill.compliance import facts
from lexbill.compliance.services import import_guidelines, prebill_findings
from lexbill.core.errors import InvalidEntry, NotFound, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import Expense
from lexbill.entries.services import (
    ExpenseDraft,
    TimeDraft,
    correct_expense,
    record_expense,
    record_time,
)
from lexbill.guidelines import Finding

# ---- helpers ----------------------------------------------------------------------------------


def _guidelines(f: Any, rules: str, version: int = 1) -> None:
    import_guidelines(
        None,
        f.acme,
        f"""\
format: lexbill-guidelines/1
name: Acme guidelines
client: C001
version: {version}
effective_from: 2026-01-01
currency: USD
rules:
{rules}""",
    )


def _time(
    f: Any,
    day: date,
    hours: str,
    timekeeper: Any = None,
    task: str = "L240",
    matter: Any = None,
) -> None:
    record_time(
        None,
        TimeDraft(
            matter=matter or f.acme_hourly,
            timekeeper=timekeeper or f.partner,
            work_date=day,
            duration_seconds=hours_to_seconds(hours),
            narrative="Draft motion to dismiss the amended complaint",
            task_code=task,
            activity_code="A103",
        ),
    )


def _expense(f: Any, code: str, cost: str, description: str, **more: Any) -> Expense:
    return record_expense(
        None,
        ExpenseDraft(
            matter=f.acme_hourly,
            date=date(2026, 3, 3),
            expense_code=code,
            quantity="1",
            unit_cost=cost,
            description=description,
            **more,
        ),
    )


def _prebill(f: Any, through: date = date(2026, 3, 31)) -> Prebill:
    run = run_bill_run(None, through)
    return Prebill.objects.get(run=run, matter=f.acme_hourly)


def _invoice(f: Any, through: date) -> Invoice:
    prebill = _prebill(f, through)
    approve_prebill(None, prebill)
    return finalize_prebill(None, prebill, issued_on=through)


def _findings(prebill: Prebill, rule: str) -> list[Finding]:
    result = prebill_findings(prebill)
    assert result is not None
    return [finding for finding in result.findings if finding.rule_id == rule]


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


# ---- budgets ----------------------------------------------------------------------------------

BUDGET_RULES = """\
  - id: budget
    type: matter_budget
  - id: phase-budget
    type: phase_budget
"""


def test_a_bill_that_takes_the_matter_over_its_budget_is_flagged(small_firm: Any) -> None:
    f = small_firm
    _time(f, date(2026, 2, 2), "2")  # 1,000.00 billed in February
    _invoice(f, date(2026, 2, 28))
    _guidelines(f, BUDGET_RULES)
    set_matter_budget(None, f.acme_hourly, "", "1500.00")
    _time(f, date(2026, 3, 2), "2")  # 1,000.00 more
    prebill = _prebill(f)

    [finding] = _findings(prebill, "budget")
    assert finding.amount_at_risk == Decimal("500.00")
    assert "billed before USD 1,000.00" in finding.message

    set_matter_budget(None, f.acme_hourly, "", "2500.00")  # the compliant twin
    assert _findings(prebill, "budget") == []


def test_a_credit_note_lowers_what_counts_against_the_budget(small_firm: Any) -> None:
    f = small_firm
    _time(f, date(2026, 2, 2), "2")
    invoice = _invoice(f, date(2026, 2, 28))
    _guidelines(f, BUDGET_RULES)
    set_matter_budget(None, f.acme_hourly, "", "1500.00")
    _time(f, date(2026, 3, 2), "2")
    prebill = _prebill(f)
    assert _findings(prebill, "budget")
    issue_credit_note(None, invoice, Decimal("600.00"), "Partner time written down")
    assert billed_to_date(f.acme_hourly).total == Decimal("400.00")
    assert _findings(prebill, "budget") == []  # 400 + 1,000 is within 1,500


def test_a_phase_budget_counts_the_tasks_of_its_phase(small_firm: Any) -> None:
    f = small_firm
    _time(f, date(2026, 2, 2), "1.2", task="L210")  # 600.00 to phase L200
    _time(f, date(2026, 2, 3), "1", task="L110")  # 500.00 to phase L100
    _invoice(f, date(2026, 2, 28))
    _guidelines(f, BUDGET_RULES)
    set_matter_budget(None, f.acme_hourly, "L200", "1200.00")
    set_matter_budget(None, f.acme_hourly, "l100", "5000.00")  # stored upper-case
    _time(f, date(2026, 3, 2), "2", task="L240")  # 1,000.00 more in L200
    _time(f, date(2026, 3, 3), "1", task="L120")  # 500.00 in L100
    prebill = _prebill(f)

    [finding] = _findings(prebill, "phase-budget")
    assert "phase L200" in finding.message
    assert finding.amount_at_risk == Decimal("400.00")
    l240 = prebill.lines.get(task_code="L240")
    assert finding.line_ids == (str(l240.pk),)

    status = {line.phase: line for line in matter_budget_status(f.acme_hourly).lines}
    assert (status["L200"].billed, status["L200"].remaining) == (Decimal("600.00"), 600)
    assert status["L100"].billed == Decimal("500.00")

    set_matter_budget(None, f.acme_hourly, "L200", "2000.00")
    assert _findings(prebill, "phase-budget") == []


def test_a_budget_on_a_task_code_takes_that_task_out_of_its_phase(small_firm: Any) -> None:
    f = small_firm
    _time(f, date(2026, 2, 2), "1.2", task="L210")
    _time(f, date(2026, 2, 3), "1", task="L240")
    _invoice(f, date(2026, 2, 28))
    billed = billed_to_date(f.acme_hourly, {"L200", "L210"})
    assert billed.by_phase == {"L210": Decimal("600.00"), "L200": Decimal("500.00")}
    assert billed.total == Decimal("1100.00")


def test_the_matter_facts_leave_a_matter_without_budget_unchecked(small_firm: Any) -> None:
    f = small_firm
    _time(f, date(2026, 3, 2), "2")
    matter_facts = facts.matter_facts(f.acme_hourly, _prebill(f))
    assert (matter_facts.budget, dict(matter_facts.phase_budgets)) == (None, {})


def test_budget_changes_need_the_role_refuse_bad_input_and_are_audited(small_firm: Any) -> None:
    f = small_firm
    with pytest.raises(PermissionDenied):
        set_matter_budget(f.clara, f.acme_hourly, "", "1000")
    with pytest.raises(PermissionDenied):
        set_matter_budget(f.pat, f.acme_hourly, "", "1000")
    for phase, amount, field in [
        ("", "0", "amount"),
        ("", "-5", "amount"),
        ("", "10.005", "amount"),
        ("", "lots", "amount"),
        ("X999", "100", "phase"),
        ("A103", "100", "phase"),  # an activity code, not a phase
    ]:
        with pytest.raises(InvalidEntry) as refused:
            set_matter_budget(f.sam, f.acme_hourly, phase, amount)
        assert refused.value.field == field, (phase, amount)
    f.acme_hourly.task_code_set = "litigation"
    with pytest.raises(InvalidEntry, match="is a project code") as refused:
        set_matter_budget(f.sam, f.acme_hourly, "P200", "100")
    assert refused.value.field == "phase"
    assert not MatterBudget.objects.exists()

    with acting_as(f.sam, "web"):
        set_matter_budget(f.sam, f.acme_hourly, "L200", "100.50")
        set_matter_budget(f.sam, f.acme_hourly, "L200", "200")
    budget = MatterBudget.objects.get()
    assert (budget.phase, budget.amount) == ("L200", Decimal("200.00"))
    actions = list(
        AuditRecord.objects.filter(model="clients.MatterBudget", actor=f.sam)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update"]
    with pytest.raises(NotFound):
        remove_matter_budget(f.sam, f.acme_hourly, "L300")
    remove_matter_budget(f.sam, f.acme_hourly, "l200")
    assert not MatterBudget.objects.exists()


# ---- approved timekeepers ---------------------------------------------------------------------

APPROVED_RULES = """\
  - id: approved
    type: approved_timekeepers
"""


def test_time_by_a_timekeeper_the_client_did_not_approve_is_flagged(small_firm: Any) -> None:
    f = small_firm
    _guidelines(f, APPROVED_RULES)
    _time(f, date(2026, 3, 2), "1")
    _time(f, date(2026, 3, 2), "1", timekeeper=f.associate)
    prebill = _prebill(f)
    assert facts.approved_timekeepers(f.acme) is None
    assert _findings(prebill, "approved") == []  # no list kept: nobody is flagged

    approve_timekeeper(None, f.acme, f.partner, date(2026, 1, 5))
    [finding] = _findings(prebill, "approved")
    associate_line = prebill.lines.get(timekeeper=f.associate)
    assert finding.line_ids == (str(associate_line.pk),)
    assert "AL is not approved" in finding.message

    approve_timekeeper(None, f.acme, f.associate, date(2026, 1, 5))
    assert facts.approved_timekeepers(f.acme) == {"PW", "AL"}
    assert _findings(prebill, "approved") == []


def test_approvals_need_the_role_refuse_duplicates_and_are_audited(small_firm: Any) -> None:
    f = small_firm
    with pytest.raises(PermissionDenied):
        approve_timekeeper(f.clara, f.acme, f.partner, date(2026, 1, 5))
    with pytest.raises(InvalidEntry) as refused:
        approve_timekeeper(f.sam, f.acme, f.partner, date(2026, 1, 5), "x" * 201)
    assert refused.value.field == "note"
    assert not ApprovedTimekeeper.objects.exists()
    with acting_as(f.sam, "cli"):
        approve_timekeeper(f.sam, f.acme, f.partner, date(2026, 1, 5), "Engagement letter")
        with pytest.raises(InvalidEntry, match="already approved") as refused:
            approve_timekeeper(f.sam, f.acme, f.partner, date(2026, 2, 5))
        assert refused.value.field == "timekeeper"
        with pytest.raises(PermissionDenied):
            withdraw_timekeeper_approval(f.clara, f.acme, f.partner)
        withdraw_timekeeper_approval(f.sam, f.acme, f.partner)
    assert not ApprovedTimekeeper.objects.exists()
    records = AuditRecord.objects.filter(model="clients.ApprovedTimekeeper", actor=f.sam)
    assert sorted(records.values_list("action", flat=True)) == ["create", "delete"]
    with pytest.raises(NotFound):
        withdraw_timekeeper_approval(f.sam, f.acme, f.partner)


# ---- rate increases ---------------------------------------------------------------------------

RATE_RULES = """\
  - id: rate-increase
    type: rate_increase
    notice_days: 60
"""


def test_a_rate_increase_without_notice_is_billed_at_the_old_rate(small_firm: Any) -> None:
    f = small_firm
    _guidelines(f, RATE_RULES)
    set_rate(None, "timekeeper", "550.00", date(2026, 3, 1), timekeeper=f.partner)
    _time(f, date(2026, 3, 10), "2")
    prebill = _prebill(f)
    [increase] = facts.rate_increases(f.acme_hourly, [f.partner], prebill.through)
    assert (increase.timekeeper_id, increase.previous_rate, increase.new_rate) == (
        "PW",
        Decimal("500.00"),
        Decimal("550.00"),
    )
    assert (increase.effective_from, increase.notice_given_on) == (date(2026, 3, 1), None)

    [finding] = _findings(prebill, "rate-increase")
    assert finding.amount_at_risk == Decimal("100.00")  # 2 h at 550 instead of 500
    assert "not given the 60 days' notice" in finding.message
    assert finding.fixes[0].rate_at_most == Decimal("500.00")

    # notice given too late: the new rate is payable only from 60 days after it
    late = record_rate_notice(None, f.acme, date(2026, 3, 1), date(2026, 2, 1), f.partner)
    [finding] = _findings(prebill, "rate-increase")
    assert "payable from 2026-04-02" in finding.message

    # notice given in time, client-wide: the earliest notice for the date counts
    remove_rate_notice(None, late)
    record_rate_notice(None, f.acme, date(2026, 3, 1), date(2025, 12, 15))
    assert _findings(prebill, "rate-increase") == []


def test_a_rise_a_client_rate_overrides_is_no_rise_for_that_client(small_firm: Any) -> None:
    f = small_firm
    set_rate(None, "client", "450.00", date(2026, 1, 1), client=f.acme, timekeeper=f.partner)
    set_rate(None, "timekeeper", "550.00", date(2026, 3, 1), timekeeper=f.partner)
    assert facts.rate_increases(f.acme_hourly, [f.partner], date(2026, 3, 31)) == ()
    # the client's own rate going up is a rise; a rate cut is not
    set_rate(None, "client", "480.00", date(2026, 3, 15), client=f.acme, timekeeper=f.partner)
    set_rate(None, "classification", "140.00", date(2026, 3, 1), classification="paralegal")
    increases = facts.rate_increases(f.acme_hourly, [f.partner, f.paralegal], date(2026, 3, 31))
    assert [(i.timekeeper_id, i.previous_rate, i.new_rate) for i in increases] == [
        ("PW", Decimal("450.00"), Decimal("480.00"))
    ]
    # a rise more than a year before the bill is taken as accepted
    assert facts.rate_increases(f.acme_hourly, [f.partner], date(2027, 4, 1)) == ()


def test_rate_notices_need_the_rate_role_and_are_audited(small_firm: Any) -> None:
    f = small_firm
    with pytest.raises(PermissionDenied):
        record_rate_notice(f.sam, f.acme, date(2026, 3, 1), date(2026, 1, 1))
    with acting_as(f.carol, "web"):
        notice = record_rate_notice(f.carol, f.acme, date(2026, 3, 1), date(2026, 1, 1))
        with pytest.raises(InvalidEntry, match="already recorded") as refused:
            record_rate_notice(f.carol, f.acme, date(2026, 3, 1), date(2026, 1, 2))
        assert refused.value.field == "effective_from"
        # one for a timekeeper beside the client-wide one is a different notice
        record_rate_notice(f.carol, f.acme, date(2026, 3, 1), date(2026, 1, 2), f.partner)
        with pytest.raises(PermissionDenied):
            remove_rate_notice(f.sam, notice)
    assert RateNotice.objects.count() == 2
    record = AuditRecord.objects.filter(model="clients.RateNotice", action="create").first()
    assert record is not None and record.actor == f.carol


# ---- expenses ---------------------------------------------------------------------------------

EXPENSE_RULES = """\
  - id: receipts
    type: receipt_required
    over_amount: "25.00"
  - id: meals
    type: expense_cap
    caps:
      - code: E111
        max_amount: "60.00"
        per: person
  - id: airfare
    type: first_class_travel
"""


def _expense_findings(f: Any) -> dict[str, set[str]]:
    """Rule id → descriptions of the expenses it flagged."""
    prebill = _prebill(f)
    result = prebill_findings(prebill)
    assert result is not None
    by_id = {str(line.pk): line.narrative for line in prebill.lines.all()}
    found: dict[str, set[str]] = {}
    for finding in result.findings:
        found.setdefault(finding.rule_id, set()).update(by_id[i] for i in finding.line_ids)
    return found


def test_expense_receipts_people_and_fare_class_reach_the_rules(small_firm: Any) -> None:
    f = small_firm
    _guidelines(f, EXPENSE_RULES)
    _expense(f, "E110", "300.00", "Hotel, Chicago, one night")
    _expense(f, "E110", "310.00", "Hotel, Denver, one night", receipt=True)
    _expense(f, "E108", "12.00", "Certified mail")  # under the receipt threshold
    _expense(f, "E111", "150.00", "Working dinner, trial team", receipt=True)
    _expense(f, "E111", "150.00", "Working dinner, client team", receipt=True, persons=3)
    _expense(f, "E110", "820.00", "Airfare Boston-Chicago", receipt=True, travel_class="first")
    _expense(f, "E110", "410.00", "Airfare Boston-Denver", receipt=True, travel_class="Economy")
    found = _expense_findings(f)
    assert found == {
        "receipts": {"Hotel, Chicago, one night"},
        "meals": {"Working dinner, trial team"},  # 150 for one; 150 for three is within 180
        "airfare": {"Airfare Boston-Chicago"},
    }


def test_expense_facts_are_checked_and_corrected_like_the_rest(small_firm: Any) -> None:
    f = small_firm
    expense = _expense(f, "E111", "90.00", "Lunch", persons=2, travel_class=" ")
    assert (expense.receipt, expense.persons, expense.travel_class) == (False, 2, "")
    for changes, field in [
        ({"persons": 0}, "persons"),
        ({"persons": "3"}, "persons"),
        ({"travel_class": "steerage"}, "travel_class"),
        ({"receipt": "yes"}, "receipt"),
    ]:
        with pytest.raises(InvalidEntry) as refused:
            correct_expense(None, expense, **changes)
        assert refused.value.field == field
    expense.refresh_from_db()
    assert (expense.receipt, expense.persons, expense.travel_class) == (False, 2, "")
    correct_expense(None, expense, receipt=True, persons=4, travel_class="BUSINESS")
    expense.refresh_from_db()
    assert (expense.receipt, expense.persons, expense.travel_class) == (True, 4, "business")


# ---- pages ------------------------------------------------------------------------------------


def test_the_matter_page_shows_and_sets_the_budget(small_firm: Any) -> None:
    f = small_firm
    url = f"/matters/{f.acme_hourly.pk}/"
    page = _as(f.sam).get(url).content.decode()
    assert "No budget" in page and "Set budget" in page
    response = _as(f.sam).post(f"{url}budget/", {"phase": "L200", "amount": "5000"})
    assert response.status_code == 302
    _as(f.sam).post(f"{url}budget/", {"phase": "", "amount": "20000"})
    page = _as(f.sam).get(url).content.decode()
    assert 'id="budget-L200"' in page and "$5,000.00" in page and "$20,000.00" in page

    refused = _as(f.sam).post(f"{url}budget/", {"phase": "Q100", "amount": "5"})
    assert refused.status_code == 400
    assert "not a UTBMS phase or task code" in refused.content.decode()
    assert MatterBudget.objects.count() == 2

    assert _as(f.clara).post(f"{url}budget/", {"phase": "", "amount": "1"}).status_code == 403
    clerk_page = _as(f.clara).get(url).content.decode()
    assert "$20,000.00" in clerk_page and "Set budget" not in clerk_page

    assert _as(f.sam).post(f"{url}budget/remove/", {"phase": "L200"}).status_code == 302
    assert list(MatterBudget.objects.values_list("phase", flat=True)) == [""]
    missing = _as(f.sam).post(f"{url}budget/remove/", {"phase": "L200"})
    assert missing.status_code == 400 and "has no budget for phase L200" in missing.content.decode()


def test_the_client_page_approves_timekeepers_and_records_rate_notices(small_firm: Any) -> None:
    f = small_firm
    url = f"/clients/{f.acme.pk}/"
    sam, carol = _as(f.sam), _as(f.carol)
    assert "No list: every timekeeper may bill" in sam.get(url).content.decode()
    done = sam.post(
        f"{url}approved-timekeepers/",
        {"timekeeper": f.partner.pk, "approved_on": "2026-01-05", "note": "Engagement letter"},
    )
    assert done.status_code == 302
    twice = sam.post(
        f"{url}approved-timekeepers/", {"timekeeper": f.partner.pk, "approved_on": "2026-01-06"}
    )
    assert twice.status_code == 400 and "already approved" in twice.content.decode()
    page = sam.get(url).content.decode()
    assert 'id="approved-PW"' in page and "Engagement letter" in page
    # a specialist manages clients but not rates: no notice form for sam
    assert "Record notice" not in page
    assert (
        sam.post(
            f"{url}rate-notices/", {"effective_from": "2026-03-01", "given_on": "2026-01-01"}
        ).status_code
        == 403
    )
    assert (
        carol.post(
            f"{url}rate-notices/", {"effective_from": "2026-03-01", "given_on": "2026-01-01"}
        ).status_code
        == 302
    )
    bad = carol.post(f"{url}rate-notices/", {"effective_from": "2026-03-01", "given_on": ""})
    assert bad.status_code == 400 and RateNotice.objects.count() == 1
    page = carol.get(url).content.decode()
    assert "Every timekeeper" in page and "Mar 1, 2026" in page
    notice = RateNotice.objects.get()
    assert carol.post(f"{url}rate-notices/{notice.pk}/remove/").status_code == 302
    assert not RateNotice.objects.exists()

    assert _as(f.clara).post(f"{url}approved-timekeepers/withdraw/", {}).status_code == 403
    withdrawn = sam.post(f"{url}approved-timekeepers/withdraw/", {"timekeeper": f.partner.pk})
    assert withdrawn.status_code == 302 and not ApprovedTimekeeper.objects.exists()


def test_the_expense_form_records_the_guideline_facts(small_firm: Any) -> None:
    f = small_firm
    form = _as(f.clara).get("/expenses/new/").content.decode()
    assert "People covered" in form and "Travel class" in form and "Receipt" in form
    posted = {
        "matter": f.acme_hourly.number,
        "date": "2026-03-03",
        "expense_code": "E110",
        "quantity": "1",
        "unit_cost": "640.00",
        "description": "Airfare Boston-Chicago",
        "billable": "billable",
        "receipt": "on",
        "persons": "",
        "travel_class": "business",
    }
    assert _as(f.clara).post("/expenses/new/", posted).status_code == 302
    expense = Expense.objects.get()
    assert (expense.receipt, expense.persons, expense.travel_class) == (True, 1, "business")
    listing = _as(f.clara).get("/expenses/").content.decode()
    assert "receipt · business class" in listing


# ---- the command line -------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    from lexbill.cli import app

    return CliRunner().invoke(app, list(args))


def test_the_command_line_records_and_shows_the_facts(small_firm: Any) -> None:
    f = small_firm
    done = _cli("matter", "budget", "C001-001", "--amount", "50000")
    assert done.exit_code == 0, done.output
    phase = _cli("matter", "budget", "C001-001", "--amount", "8000", "--phase", "L200")
    assert phase.exit_code == 0, phase.output
    shown = _cli("matter", "budget", "C001-001", "--show", "--json")
    assert json.loads(shown.stdout) == {
        "matter": "C001-001",
        "currency": "USD",
        "budgets": [
            {"phase": "", "budget": "50000.00", "billed": "0.00", "remaining": "50000.00"},
            {"phase": "L200", "budget": "8000.00", "billed": "0.00", "remaining": "8000.00"},
        ],
    }
    refused = _cli("--user", "clara", "matter", "budget", "C001-001", "--amount", "1")
    assert refused.exit_code == 1

    assert _cli("client", "approve-timekeeper", "C001", "PW").exit_code == 0
    assert ApprovedTimekeeper.objects.filter(client=f.acme, timekeeper=f.partner).exists()
    assert _cli("client", "approve-timekeeper", "C001", "PW", "--withdraw").exit_code == 0
    assert not ApprovedTimekeeper.objects.exists()

    noted = _cli(
        "client", "rate-notice", "C001", "--effective", "2027-01-01", "--given", "2026-10-01",
        "--timekeeper", "PW",
    )  # fmt: skip
    assert noted.exit_code == 0, noted.output
    listed = json.loads(_cli("client", "rate-notice", "C001", "--json").stdout)
    assert listed["rate_notices"] == [
        {"timekeeper": "PW", "effective_from": "2027-01-01", "given_on": "2026-10-01", "note": ""}
    ]

    added = _cli(
        "expense", "add", "--matter", "C001-001", "--code", "E110", "--unit-cost", "900",
        "--description", "Airfare Boston-Denver", "--date", "2026-03-03", "--receipt",
        "--persons", "2", "--travel-class", "business", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    expense = Expense.objects.get(pk=json.loads(added.stdout)["expense"])
    assert (expense.receipt, expense.persons, expense.travel_class) == (True, 2, "business")
