"""The cycle-time report against the invoices, lines and settlements the services created:
days from work to invoice per line, from invoice to the event that settled it, and the open
invoices' age, by every grouping and filter; recomputed one invoice at a time in Python
(tests/app/reports_collections_firm.py)."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from openpyxl import load_workbook
from tests.app.reports_collections_firm import (
    NO_FILTERS,
    CollectionsFirm,
    Cycle,
    build_collections_firm,
    expected_cycle,
)

from lexbill.core.errors import LexbillError
from lexbill.core.periods import Period, month
from lexbill.reports.cycle_time import SPEC, build
from lexbill.reports.framework import Report, ReportFilters, ReportRequest

GROUPINGS = ("client", "matter", "attorney", "practice_area", "month")
H1 = Period(date(2026, 1, 1), date(2026, 6, 30))


@pytest.fixture
def firm(small_firm: Any) -> CollectionsFirm:
    return build_collections_firm(small_firm)


def _run(
    period: Period,
    by: str = "client",
    filters: ReportFilters = NO_FILTERS,
    as_of: date | None = None,
) -> Report:
    return build(ReportRequest(period, filters, SPEC.grouping(by), as_of))


def _avg(total: int, n: int) -> Decimal | None:
    if not n:
        return None
    return (Decimal(total) / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _figures(c: Cycle) -> dict[str, Any]:
    return {
        "invoices": c.invoices,
        "lines": c.lines,
        "work_to_invoice": _avg(c.line_days, c.lines),
        "paid": c.paid,
        "invoice_to_paid": _avg(c.paid_days, c.paid),
        "open": c.open,
        "open_age": _avg(c.open_days, c.open),
    }


def _got(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in _figures(Cycle())}


def _total(rows: dict[str, Cycle]) -> Cycle:
    out = Cycle()
    for c in rows.values():
        for name in out.__dataclass_fields__:
            setattr(out, name, getattr(out, name) + getattr(c, name))
    return out


def test_the_firm_settles_in_every_way(firm: CollectionsFirm) -> None:
    rows = expected_cycle(H1, "client", H1.end)
    assert sum(c.paid for c in rows.values()) >= 3  # by payment, by credit + payment, write-off
    assert sum(c.open for c in rows.values()) >= 2  # one of them reopened by a bounced payment
    assert any(c.line_days for c in rows.values())


@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize(
    ("period", "on"),
    [
        (H1, None),
        (Period(date(2026, 1, 1), date(2026, 3, 31)), None),
        (Period(date(2026, 1, 1), date(2026, 3, 31)), date(2026, 6, 30)),
        (month(2026, 2), date(2026, 4, 10)),
    ],
)
def test_every_grouping_matches_the_invoices(
    firm: CollectionsFirm, by: str, period: Period, on: date | None
) -> None:
    report = _run(period, by, as_of=on)
    cut = max(on or period.end, period.end)
    expected = expected_cycle(period, by, cut)
    main = report.tables[0]
    assert {r["key"]: _got(r) for r in main.rows if r["invoices"]} == {
        k: _figures(c) for k, c in expected.items()
    }
    assert _got(main.totals[0]) == _figures(_total(expected))
    months = report.table("by-month")
    by_month = expected_cycle(period, "month", cut)
    assert {r["key"]: _got(r) for r in months.rows if r["invoices"]} == {
        k: _figures(c) for k, c in by_month.items()
    }
    assert report.figure("open").value == _total(expected).open
    assert report.figure("work_to_invoice").value == _figures(_total(expected))["work_to_invoice"]


@pytest.mark.parametrize(
    "filters",
    [
        ReportFilters(clients=("C002",)),
        ReportFilters(matters=("C001-001",)),
        ReportFilters(attorneys=("AL",)),
        ReportFilters(practice_areas=("Litigation",)),
    ],
)
def test_filters(firm: CollectionsFirm, filters: ReportFilters) -> None:
    for by in GROUPINGS:
        report = _run(H1, by, filters)
        expected = expected_cycle(H1, by, H1.end, filters)
        assert {r["key"]: _got(r) for r in report.tables[0].rows if r["invoices"]} == {
            k: _figures(c) for k, c in expected.items()
        }


def test_a_bounced_payment_keeps_the_invoice_open(firm: CollectionsFirm) -> None:
    patents = _run(H1, "matter").tables[0]
    row = next(r for r in patents.rows if r["key"] == "C001-003")
    assert row["paid"] == 0 and row["open"] == 2


def test_timekeeper_filter_is_refused() -> None:
    with pytest.raises(LexbillError):
        build(ReportRequest(H1, ReportFilters(timekeepers=("PW",))))


def test_chart_is_the_month_table(firm: CollectionsFirm) -> None:
    report = _run(H1)
    chart = report.charts[0]
    months = report.table("by-month")
    assert list(chart.labels) == [r["key"] for r in months.rows]
    assert list(chart.datasets[0].values) == [r["work_to_invoice"] for r in months.rows]
    assert list(chart.datasets[1].values) == [r["invoice_to_paid"] for r in months.rows]
    assert len(chart.labels) == 6


def test_the_page_and_excel(firm: CollectionsFirm) -> None:
    client = HttpClient()
    client.force_login(firm.f.sam)
    url = reverse("reports:report", args=["cycle-time"])
    page = client.get(url, {"period": "2026-Q1", "by": "matter"})
    assert page.status_code == 200
    response = client.get(url, {"start": "2026-01-01", "end": "2026-06-30", "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    report = _run(H1)
    ws = book[report.tables[0].title[:31]]
    totals = [[c.value for c in r] for r in ws.iter_rows() if r[0].value == "Total"]
    assert totals[0][2] == report.tables[0].totals[0]["invoices"]


def test_the_command(firm: CollectionsFirm) -> None:
    from typer.testing import CliRunner

    from lexbill.cli import app

    args = ["report", "cycle-time", "--period", "2026-Q1", "--as-of", "2026-06-30", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    period = Period(date(2026, 1, 1), date(2026, 3, 31))
    want = _total(expected_cycle(period, "client", date(2026, 6, 30)))
    figures = {f["key"]: f["value"] for f in data["figures"]}
    assert figures["open"] == want.open
    assert figures["invoice_to_paid"] == str(_avg(want.paid_days, want.paid))
