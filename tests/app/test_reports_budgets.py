"""The budgets report and the budget alerts against budgets, invoices and credits the services
created; the expected figures are recomputed in plain Python (phase of L210 = L200)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.utils import timezone
from tests.app.reports_billed_firm import invoice

from lexbill.billing.invoicing import issue_credit_note
from lexbill.billing.models import CreditNote, CreditNoteLine, InvoiceLine
from lexbill.clients.models import MatterBudget
from lexbill.clients.services import set_matter_budget
from lexbill.core.increments import hours_to_seconds
from lexbill.core.periods import Period
from lexbill.entries.models import TimeEntry
from lexbill.entries.services import TimeDraft, record_time
from lexbill.firm.models import Firm
from lexbill.reports.budgets import budget_alerts, build
from lexbill.reports.framework import ReportFilters, ReportRequest

ZERO = Decimal("0.00")


def _time(f: Any, matter: Any, tk: Any, day: date, hours: str, task: str) -> TimeEntry:
    return record_time(
        f.clara,
        TimeDraft(
            matter, tk, day, hours_to_seconds(hours), "Work", task_code=task, activity_code="A103"
        ),
    )


@pytest.fixture
def budget_firm(small_firm: Any) -> Any:
    f = small_firm
    hourly, capped = f.acme_hourly, f.acme_capped
    set_matter_budget(f.alice, hourly, "", "2000.00")
    set_matter_budget(f.alice, hourly, "L100", "1000.00")  # billed 1000: 100 %
    set_matter_budget(f.alice, hourly, "L200", "5000.00")  # far below
    set_matter_budget(f.alice, capped, "", "1200.00")  # billed 1000 (capped): 83.3 %
    _time(f, hourly, f.partner, date(2026, 1, 5), "2", "L120")
    _time(f, hourly, f.associate, date(2026, 1, 6), "1.5", "L210")
    jan = invoice(f, hourly, date(2026, 1, 20))
    _time(f, capped, f.partner, date(2026, 2, 2), "3", "L110")
    invoice(f, capped, date(2026, 2, 15))
    assoc = next(ln for ln in jan.lines.all() if ln.timekeeper_code == f.associate.code)
    issue_credit_note(
        f.carol, jan, None, "billing error", date(2026, 3, 1), lines={assoc.pk: Decimal("50.00")}
    )
    _time(f, hourly, f.associate, date(2026, 3, 2), "1", "L230")  # unbilled WIP
    _time(f, hourly, f.partner, date(2027, 1, 2), "1", "L120")  # after the report's day
    return f


def _phase(task: str) -> str:
    return task[:2] + "00" if len(task) == 4 and task[1:].isdigit() else task


def _expected(on: date) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for b in MatterBudget.objects.select_related("matter"):
        m = b.matter
        lines = [
            ln
            for ln in InvoiceLine.objects.filter(invoice__matter=m)
            if ln.invoice.issued_on <= on and not ln.no_charge
        ]
        if b.phase:
            billed = sum((ln.total for ln in lines if _phase(ln.task_code) == b.phase), ZERO)
            billed -= sum(
                (
                    cl.amount
                    for cl in CreditNoteLine.objects.filter(credit_note__invoice__matter=m)
                    if cl.credit_note.issued_on <= on
                    and _phase(cl.invoice_line.task_code) == b.phase
                ),
                ZERO,
            )
        else:
            billed = sum((ln.total for ln in lines), ZERO) - sum(
                (
                    n.amount
                    for n in CreditNote.objects.filter(invoice__matter=m)
                    if n.issued_on <= on
                ),
                ZERO,
            )
        minutes = sum(
            e.billed_minutes
            for e in TimeEntry.objects.filter(matter=m, state="unbilled", billable="billable")
            if e.work_date <= on and (not b.phase or _phase(e.task_code) == b.phase)
        )
        used = (billed * 100 / b.amount).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        crossed = [t for t in (Decimal(80), Decimal(100)) if used >= t]
        out[(m.number, b.phase or "Whole matter")] = {
            "budget": b.amount,
            "actual": billed,
            "used": used,
            "wip_hours": (Decimal(minutes) / 60).quantize(Decimal("0.01")),
            "threshold": f"{max(crossed)} %" if crossed else "",
        }
    return out


def _got(report: Any) -> dict[tuple[str, str], dict[str, Any]]:
    keys = ("budget", "actual", "used", "wip_hours", "threshold")
    return {
        (r["matter"], r["phase"]): {k: r[k] for k in keys} for r in report.table("budgets").rows
    }


@pytest.mark.parametrize("on", [date(2026, 1, 31), date(2026, 2, 28), date(2026, 12, 31)])
def test_figures_match_the_records(budget_firm: Any, on: date) -> None:
    report = build(ReportRequest(Period(date(2026, 1, 1), on)))
    assert _got(report) == _expected(on)


def test_thresholds_and_filters(budget_firm: Any) -> None:
    f = budget_firm
    on = date(2026, 12, 31)
    got = _got(build(ReportRequest(Period(date(2026, 1, 1), on))))
    assert got[(f.acme_hourly.number, "L100")]["threshold"] == "100 %"
    assert got[(f.acme_capped.number, "Whole matter")]["threshold"] == "80 %"
    assert got[(f.acme_hourly.number, "L200")]["threshold"] == ""
    only = build(
        ReportRequest(Period(date(2026, 1, 1), on), ReportFilters(matters=(f.acme_capped.number,)))
    )
    assert {r["matter"] for r in only.table("budgets").rows} == {f.acme_capped.number}
    Firm.objects.update(budget_alert_percents="50")
    got = _got(build(ReportRequest(Period(date(2026, 1, 1), on))))
    assert got[(f.acme_hourly.number, "L100")]["threshold"] == "50 %"


def test_alerts_on_matter_page_and_dashboard(budget_firm: Any, client: Any) -> None:
    f = budget_firm
    alerts = budget_alerts()
    assert {(a.matter, a.phase) for a in alerts} == {
        (f.acme_hourly.number, "L100"),
        (f.acme_capped.number, ""),
    }
    assert [a.matter for a in budget_alerts([f.acme_capped])] == [f.acme_capped.number]
    client.force_login(f.sam)
    page = client.get(f"/matters/{f.acme_hourly.pk}/").content.decode()
    assert f'data-testid="budget-alert-{f.acme_hourly.number}-L100"' in page
    assert f"budget-alert-{f.acme_capped.number}-matter" not in page
    home = client.get("/").content.decode()
    assert f'data-testid="budget-alert-{f.acme_hourly.number}-L100"' in home
    assert f'data-testid="budget-alert-{f.acme_capped.number}-matter"' in home
    assert client.get("/reports/standard/budgets/", {"period": "2026"}).status_code == 200
    from lexbill.clients.services import update_matter

    update_matter(f.alice, f.acme_capped, responsible_attorney=f.associate)
    client.force_login(f.pat)  # an attorney: the matters they are responsible for
    home = client.get("/").content.decode()
    assert f"budget-alert-{f.acme_hourly.number}-L100" in home
    assert f"budget-alert-{f.acme_capped.number}-matter" not in home
    assert timezone.localdate() >= date(2026, 2, 15)  # alerts are "so far": today is later


def test_firm_form_validates_thresholds(budget_firm: Any) -> None:
    from lexbill.firm.forms import FirmPolicyForm

    firm = Firm.objects.get()
    base = {k: getattr(firm, k) for k in FirmPolicyForm.Meta.fields}
    base["address"] = base["address"] or "x"
    bad = FirmPolicyForm({**base, "budget_alert_percents": "80,abc"}, instance=firm)
    assert not bad.is_valid() and "budget_alert_percents" in bad.errors
    good = FirmPolicyForm({**base, "budget_alert_percents": " 100, 75 "}, instance=firm)
    assert good.is_valid(), good.errors
    assert good.cleaned_data["budget_alert_percents"] == "75,100"


def test_practice_area_through_services_form_and_page(small_firm: Any, client: Any) -> None:
    from lexbill.clients.services import open_matter, update_matter

    f = small_firm
    matter = open_matter(
        f.alice,
        f.acme,
        "C001-009",
        "Acme hire",
        f.partner,
        opened_on=date(2026, 1, 1),
        practice_area="  Employment   law ",
    )
    assert matter.practice_area == "Employment law"
    matter = update_matter(f.alice, matter, practice_area="Corporate")
    assert matter.practice_area == "Corporate"
    client.force_login(f.alice)
    page = client.get(f"/matters/{matter.pk}/").content.decode()
    assert 'data-col="practice-area">Corporate<' in page
    edit = client.get(f"/matters/{matter.pk}/edit/").content.decode()
    assert 'name="practice_area"' in edit and 'value="Corporate"' in edit
    new = client.get(f"/clients/{f.acme.pk}/matters/new/").content.decode()
    assert 'name="practice_area"' in new


def test_firm_settings_page_saves_and_refuses_thresholds(small_firm: Any, client: Any) -> None:
    from lexbill.firm.forms import FirmPolicyForm

    firm = Firm.objects.get()
    data = {k: getattr(firm, k) for k in FirmPolicyForm.Meta.fields}
    client.force_login(small_firm.alice)
    bad = client.post("/settings/", {**data, "budget_alert_percents": "eighty"})
    assert bad.status_code in (200, 400) and "is not a percentage" in bad.content.decode()
    assert Firm.objects.get().budget_alert_percents == "80,100"
    good = client.post("/settings/", {**data, "budget_alert_percents": "90, 50"})
    assert good.status_code == 302
    assert Firm.objects.get().budget_alert_percents == "50,90"
