"""The utilization report against the time entries, and the billable-hour target through the
services, the settings page and the audit trail.

Expected figures are recomputed in plain Python over the entries created (hours from billed
minutes, target × days ÷ 365), never by calling the report's code.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client as HttpClient

from lexbill.audit.models import AuditRecord
from lexbill.clients.services import open_matter
from lexbill.core.errors import LexbillError
from lexbill.core.increments import hours_to_seconds
from lexbill.core.periods import Period, month, quarter, year
from lexbill.entries.models import TimeEntry
from lexbill.entries.services import TimeDraft, record_time
from lexbill.firm.models import Timekeeper
from lexbill.firm.services import create_timekeeper, set_billable_target
from lexbill.reports.framework import ReportFilters, ReportRequest
from lexbill.reports.utilization import SPEC, build

NO_FILTERS = ReportFilters()
CENT = Decimal("0.01")


@pytest.fixture
def firm(small_firm: Any) -> Any:
    f = small_firm
    set_billable_target(None, f.partner, 1700)
    set_billable_target(None, f.associate, 1900)
    f.other = open_matter(
        None, f.globex, "C002-009", "Globex other", f.associate, opened_on=date(2026, 1, 1)
    )
    plan = [
        (f.acme_hourly, f.partner, date(2026, 1, 5), "2.5", "billable"),
        (f.acme_hourly, f.partner, date(2026, 2, 5), "1.3", "no_charge"),
        (f.acme_hourly, f.associate, date(2026, 1, 6), "6", "billable"),
        (f.other, f.associate, date(2026, 3, 31), "4.2", "billable"),
        (f.other, f.associate, date(2026, 4, 1), "3", "billable"),
        (f.acme_capped, f.associate, date(2026, 2, 7), "1", "non_billable"),
        (f.acme_hourly, f.paralegal, date(2026, 1, 8), "5", "billable"),
    ]
    for matter, tk, day, hours, kind in plan:
        record_time(
            f.clara,
            TimeDraft(matter, tk, day, hours_to_seconds(hours), "Work", "L120", "A103", kind),
        )
    return f


def _expected(period: Period, filters: ReportFilters = NO_FILTERS) -> dict[str, dict[str, Any]]:
    days = (period.end - period.start).days + 1
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for e in TimeEntry.objects.select_related("timekeeper", "matter__client"):
        if e.work_date not in period:
            continue
        if filters.clients and e.matter.client.number not in filters.clients:
            continue
        if filters.timekeepers and e.timekeeper.code not in filters.timekeepers:
            continue
        rows[e.timekeeper.code][e.billable] += e.billed_minutes
    out = {}
    for tk in Timekeeper.objects.all():
        if tk.code not in rows and not (tk.billable_target_hours and filters.empty):
            continue
        got = rows.get(tk.code, {})
        billable = got.get("billable", 0)
        target = tk.billable_target_hours
        util = None
        if target:
            exact = Fraction(billable, 60) / (Fraction(target * days, 365)) * 100
            util = Decimal(exact.numerator) / Decimal(exact.denominator)
            util = util.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        out[tk.code] = {
            "billable": (Decimal(billable) / 60).quantize(CENT, ROUND_HALF_UP),
            "no_charge": (Decimal(got.get("no_charge", 0)) / 60).quantize(CENT, ROUND_HALF_UP),
            "non_billable": (Decimal(got.get("non_billable", 0)) / 60).quantize(
                CENT, ROUND_HALF_UP
            ),
            "target": (Decimal(target * days) / 365).quantize(CENT, ROUND_HALF_UP)
            if target
            else None,
            "utilization": util,
        }
    return out


def _run(period: Period, filters: ReportFilters = NO_FILTERS, by: str = "") -> Any:
    return build(ReportRequest(period, filters, SPEC.grouping(by)))


@pytest.mark.parametrize("period", [year(2026), quarter(2026, 1), month(2026, 1), month(2026, 4)])
def test_figures_by_timekeeper(firm: Any, period: Period) -> None:
    table = _run(period).table("utilization")
    got = {
        r["key"]: {
            k: r[k] for k in ("billable", "no_charge", "non_billable", "target", "utilization")
        }
        for r in table.rows
    }
    assert got == _expected(period)


def test_filters_by_client_and_timekeeper(firm: Any) -> None:
    filters = ReportFilters(clients=("C002",))
    got = {r["key"]: r["billable"] for r in _run(year(2026), filters).table("utilization").rows}
    assert got == {k: v["billable"] for k, v in _expected(year(2026), filters).items()}
    filters = ReportFilters(timekeepers=(firm.partner.code,))
    rows = _run(year(2026), filters).table("utilization").rows
    assert [r["key"] for r in rows] == [firm.partner.code]


def test_by_classification_and_totals(firm: Any) -> None:
    report = _run(quarter(2026, 1), by="classification")
    rows = {r["key"]: r for r in report.table("utilization").rows}
    expected = _expected(quarter(2026, 1))
    assert rows["associate"]["billable"] == expected[firm.associate.code]["billable"]
    total = report.table("utilization").totals[0]
    assert total["billable"] == sum(v["billable"] for v in expected.values())
    assert [c.key for c in report.charts] == ["target", "utilization"]


def test_the_target_is_set_through_the_services_and_audited(firm: Any) -> None:
    tk = create_timekeeper(None, "NT", "Nia", "Tan", "associate", billable_target_hours=1850)
    assert Timekeeper.objects.get(code="NT").billable_target_hours == 1850
    set_billable_target(None, tk, None)
    assert Timekeeper.objects.get(code="NT").billable_target_hours is None
    records = AuditRecord.objects.filter(model__icontains="timekeeper", object_id=str(tk.pk))
    assert any("billable_target_hours" in str(r.after) for r in records)
    with pytest.raises(LexbillError):
        set_billable_target(None, tk, 0)
    with pytest.raises(LexbillError):
        create_timekeeper(None, "NX", "N", "X", "associate", billable_target_hours=100000)
    with pytest.raises(LexbillError):
        set_billable_target(firm.clara, tk, 1000)  # a clerk may not manage the firm


def test_the_settings_page_sets_a_target(firm: Any, client: HttpClient) -> None:
    client.force_login(firm.alice)
    response = client.post(
        "/settings/timekeepers/",
        {"action": "target", "target-timekeeper": firm.paralegal.pk, "target-target_hours": "1400"},
    )
    assert response.status_code == 302
    assert Timekeeper.objects.get(pk=firm.paralegal.pk).billable_target_hours == 1400
    page = client.get("/settings/timekeepers/")
    assert b"1400" in page.content
    response = client.post(
        "/settings/timekeepers/",
        {
            "code": "NB",
            "first_name": "New",
            "last_name": "Body",
            "classification": "associate",
            "billable_target_hours": "1900",
        },
    )
    assert response.status_code == 302
    assert Timekeeper.objects.get(code="NB").billable_target_hours == 1900
