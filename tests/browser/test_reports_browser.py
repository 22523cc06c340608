"""Reports and the dashboard in a real browser: Chart.js draws every chart (no blank canvas),
the pages are photographed for review, and the Excel download agrees with the page's totals."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from lexbill.billing.models import Invoice
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from lexbill.receivables.services import post_payment
from tests.app.test_receivables_views import _invoice
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

MONTHS_BACK = 5
# A canvas Chart.js drew on has thousands of painted pixels; a blank one has none.
MIN_PAINTED_PIXELS = 500

# Runs in the page: per canvas, whether charts.js marked it drawn, whether Chart.js holds a chart
# on it with data points, and how many of its pixels are painted (alpha > 0).
_CANVAS_STATE = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(c => {
  const chart = window.Chart ? window.Chart.getChart(c) : null;
  const points = chart ? chart.data.datasets.reduce(
      (n, d) => n + d.data.filter(v => v !== null).length, 0) : 0;
  const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
  return {id: c.dataset.chart, drawn: c.dataset.drawn || '', points, painted};
})"""


def _month_day(today: date, back: int, day: int) -> date:
    first = today.replace(day=1)
    for _ in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first.replace(day=day)


@pytest.fixture
def billing_history(small_firm: Any) -> Any:
    """An invoice in each of the last five months, payments in three of them, and unbilled
    work of several ages: dated relative to today, since the live server runs on the real
    clock and the dashboard looks back twelve months from it."""
    f = small_firm
    today = timezone.localdate()
    f.invoices = [
        _invoice(f, _month_day(today, back, 3), str(back)) for back in range(MONTHS_BACK, 0, -1)
    ]
    f.payments = []
    for back, amount in ((4, "250.00"), (3, "400.00"), (1, "1000.00")):
        day = _month_day(today, back, 20)
        post_payment(f.sam, f.acme, amount, day)
        f.payments.append((day, Decimal(amount)))
    # Recorded after the last bill run, so it stays unbilled whatever its work date.
    for back, hours in ((5, "1.5"), (2, "2"), (1, "0.5")):
        record_time(
            f.clara,
            TimeDraft(
                f.acme_hourly,
                f.associate,
                _month_day(today, back, 20),
                hours_to_seconds(hours),
                "Prepare deposition outline",
                task_code="L310",
                activity_code="A104",
            ),
        )
    f.first_day = _month_day(today, MONTHS_BACK, 1)
    f.today = today
    return f


def _wait_for_charts(page: Any, at_least: int, points: bool = True) -> list[dict[str, Any]]:
    canvases = page.locator("canvas[data-chart]")
    expect(canvases.first).to_be_visible()
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('canvas[data-chart]');"
        " return c.length > 0 && Array.from(c).every(x => x.dataset.drawn === '1'); }"
    )
    states: list[dict[str, Any]] = page.evaluate(_CANVAS_STATE)
    assert len(states) >= at_least, states
    for state in states:
        assert state["drawn"] == "1", state
        assert state["points"] > 0 or not points, state
        assert state["painted"] > MIN_PAINTED_PIXELS, state
    return states


def _amount(text: str) -> Decimal:
    """ "$12,345.67" (or "(1.00)" / "-$1.00") as a Decimal."""
    negative = "(" in text or "-" in text or "−" in text
    digits = re.sub(r"[^0-9.]", "", text)
    return -Decimal(digits) if negative else Decimal(digits)


def _page_total(page: Any, table_key: str, column_title: str) -> Decimal:
    table = page.get_by_test_id(f"table-{table_key}")
    titles = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    cells = table.get_by_test_id(f"totals-{table_key}").first.locator("td").all_inner_texts()
    return _amount(cells[titles.index(column_title)])


def _xlsx_total(content: bytes, column_title: str) -> Decimal:
    book = load_workbook(io.BytesIO(content), data_only=True)
    sheet = book.worksheets[-1]  # the summary sheet first, then the table
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if column_title in r)
    total = next(r for r in rows if r and r[0] == "Total")
    return Decimal(str(total[header.index(column_title)])).quantize(Decimal("0.01"))


def test_dashboard_and_report_charts_are_drawn_and_the_excel_totals_match(
    page: Any, billing_history: Any
) -> None:
    f = billing_history
    billed = sum((inv.total for inv in f.invoices), Decimal(0))
    assert billed > 0 and Invoice.objects.count() == MONTHS_BACK
    log_in(page, "carol")  # a coordinator: sees reports and receivables

    page.goto("/")
    expect(page.get_by_test_id("dashboard-charts")).to_be_visible()
    states = _wait_for_charts(page, at_least=3)
    ids = {s["id"] for s in states}
    assert {"chart-data-billed-collected-usd", "chart-data-aging-usd"} <= ids
    assert "chart-data-wip-age" in ids
    # the billed-vs-collected chart holds exactly the invoices and payments of the window
    series = page.evaluate(
        "() => Chart.getChart(document.querySelector("
        "'canvas[data-chart=\"chart-data-billed-collected-usd\"]')).data.datasets"
        ".map(d => d.data.reduce((a, v) => a + (v || 0), 0))"
    )
    collected = sum((amount for _day, amount in f.payments), Decimal(0))
    assert [round(Decimal(str(v)), 2) for v in series] == [billed, collected]
    screenshot(page, "reports-dashboard")

    query = f"start={f.first_day.isoformat()}&end={f.today.isoformat()}"
    for by, shot in (("month", "reports-billed"), ("client", "reports-billed-by-client")):
        page.goto(f"/reports/standard/billed/?{query}&by={by}")
        expect(page.get_by_test_id("table-billed")).to_be_visible()
        _wait_for_charts(page, at_least=1)
        page_total = _page_total(page, "billed", "Billed")
        assert page_total == billed
        href = (
            page.get_by_test_id("downloads").get_by_role("link", name="Excel").get_attribute("href")
        )
        response = page.request.get(f"/reports/standard/billed/{href}")
        assert response.ok
        assert "spreadsheetml" in response.headers["content-type"]
        assert _xlsx_total(response.body(), "Billed") == page_total
        screenshot(page, shot)


def _other_reports() -> list[str]:
    import lexbill.reports.catalog  # noqa: F401  (registers every report)
    from lexbill.reports.registry import all_reports

    return [spec.name for spec in all_reports() if spec.name != "billed"]


@pytest.mark.parametrize("name", _other_reports())
def test_every_other_report_page_draws_its_charts(
    page: Any, billing_history: Any, name: str
) -> None:
    f = billing_history
    log_in(page, "carol")
    page.goto(
        f"/reports/standard/{name}/?start={f.first_day.isoformat()}&end={f.today.isoformat()}"
    )
    expect(page.get_by_test_id("report-filters")).to_be_visible()
    expect(page.locator(".form-errors")).to_have_count(0)
    if page.locator("canvas[data-chart]").count():
        # drawn, not blank; this history may leave a report's chart with no data points
        _wait_for_charts(page, at_least=1, points=False)
    screenshot(page, f"reports-{name}")
