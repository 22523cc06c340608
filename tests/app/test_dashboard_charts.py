"""The dashboard's charts: billed vs collected by month, receivables by age, WIP by age.

Expected figures are summed here in plain Python over the invoices, payments and entries the
test created, never taken from the code under test.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from tests.app.test_receivables_views import _invoice

from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import BillingState, TimeEntry
from lexbill.entries.services import TimeDraft, record_time
from lexbill.receivables.services import post_payment
from lexbill.web import dashboard
from lexbill.web.dashboard_charts import chart_months, dashboard_charts

TODAY = date(2027, 3, 15)
NOW = datetime(2027, 3, 15, 12, tzinfo=UTC)


@pytest.fixture
def history(small_firm: Any) -> Any:
    f = small_firm
    with time_machine.travel(NOW, tick=False):
        # one invoice before the window (out of the 12-month window), then four in it
        f.invoices = [
            _invoice(f, day, hours)
            for day, hours in (
                (date(2026, 2, 2), "1"),
                (date(2026, 5, 5), "2"),
                (date(2026, 9, 1), "1.5"),
                (date(2026, 9, 20), "1"),
                (date(2027, 2, 4), "3"),
            )
        ]
        f.payments = [(date(2026, 6, 10), Decimal("700.00")), (date(2027, 2, 27), Decimal("80"))]
        for day, amount in f.payments:
            post_payment(f.sam, f.acme, str(amount), day)
        f.unbilled = [(date(2027, 3, 1), "1.5"), (date(2026, 11, 1), "0.25")]
        for day, hours in f.unbilled:
            record_time(
                f.clara,
                TimeDraft(
                    f.acme_hourly,
                    f.associate,
                    day,
                    hours_to_seconds(hours),
                    "Research",
                    task_code="L120",
                    activity_code="A102",
                ),
            )
    return f


def _charts(user: Any) -> dict[str, Any]:
    _rows, wip_total = dashboard.wip_by_matter(TODAY)
    return {c.key: c for c in dashboard_charts(user, TODAY, wip_total)}


def test_the_window_is_the_last_twelve_months_ending_with_this_one() -> None:
    months = chart_months(date(2026, 2, 28))
    assert len(months) == 12
    assert months[0] == date(2025, 3, 1) and months[-1] == date(2026, 2, 1)
    assert all(m.day == 1 for m in months)


def test_billed_and_collected_by_month_are_the_invoices_and_payments(history: Any) -> None:
    chart = _charts(history.carol)["billed-collected-usd"]
    months = [date(2026, 4, 1)]
    while len(months) < 12:
        last = months[-1]
        months.append(date(last.year + last.month // 12, last.month % 12 + 1, 1))
    billed = dict.fromkeys(months, Decimal(0))
    for inv in history.invoices:
        key = inv.issued_on.replace(day=1)
        if key in billed:
            billed[key] += inv.total
    collected = dict.fromkeys(months, Decimal(0))
    for day, amount in history.payments:
        collected[day.replace(day=1)] += amount
    assert len(chart.labels) == 12 and chart.labels[-1] == "Mar 2027"
    [bars, line] = chart.datasets
    assert list(bars.values) == list(billed.values())
    assert list(line.values) == list(collected.values()) and line.kind == "line"
    assert chart.unit == "USD"


def test_aging_chart_holds_the_open_balances_and_wip_chart_the_unbilled_hours(
    history: Any,
) -> None:
    charts = _charts(history.carol)
    aging = charts["aging-usd"]
    owed = sum((inv.total for inv in history.invoices), Decimal(0)) - sum(
        (amount for _day, amount in history.payments), Decimal(0)
    )
    assert sum(aging.datasets[0].values, Decimal(0)) == owed
    wip = charts["wip-age"]
    unbilled = TimeEntry.objects.filter(state=BillingState.UNBILLED)
    hours = sum((Decimal(e.billed_minutes) / 60 for e in unbilled), Decimal(0))
    assert len(unbilled) == len(history.unbilled)
    assert sum(wip.datasets[0].values, Decimal(0)) == hours
    assert len(wip.labels) == len(dashboard.AGE_BUCKETS)


@pytest.mark.parametrize(
    ("username", "sees"), [("carol", True), ("sam", True), ("clara", True), ("pat", False)]
)
def test_only_who_sees_firm_wide_money_gets_charts(history: Any, username: str, sees: bool) -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        client.force_login(getattr(history, username))
        html = client.get("/").content.decode()
    assert ('data-testid="dashboard-charts"' in html) is sees
    assert ("chart-4.6.2.umd.min.js" in html) is sees


def test_the_page_has_no_inline_script_only_files_and_json_data(history: Any) -> None:
    client = Client()
    with time_machine.travel(NOW, tick=False):
        client.force_login(history.carol)
        html = client.get("/").content.decode()
    tags = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert tags
    for attrs, body in tags:
        if 'type="application/json"' in attrs:
            json.loads(body)
        else:
            assert "src=" in attrs and not body.strip(), attrs
    canvases = re.findall(r'data-chart="([^"]+)"', html)
    assert len(canvases) == 3
    for ident in canvases:
        assert f'id="{ident}"' in html


def test_the_charts_cost_a_fixed_number_of_queries(
    history: Any, django_assert_max_num_queries: Any
) -> None:
    _rows, wip_total = dashboard.wip_by_matter(TODAY)
    # billed, collected, and the aging report (last issue date, the union, the clients)
    with django_assert_max_num_queries(5):
        small = dashboard_charts(history.carol, TODAY, wip_total)
    with time_machine.travel(NOW, tick=False):
        for day in (date(2026, 12, 3), date(2027, 3, 2)):
            _invoice(history, day, "1")
            post_payment(history.sam, history.acme, "10.00", day)
    with django_assert_max_num_queries(5):
        assert len(dashboard_charts(history.carol, TODAY, wip_total)) == len(small)
