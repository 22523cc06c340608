"""The dashboard: what waits for each role, WIP by age, overdue invoices, this month vs last."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import Invoice, Prebill
from lexbill.billing.prebills import approve_prebill
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from lexbill.firm.models import User
from lexbill.receivables.services import post_payment
from lexbill.web import dashboard

TODAY = date(2026, 4, 15)


def _time(f: Any, on: date, hours: str, timekeeper: Any = None, matter: Any = None) -> None:
    record_time(
        f.clara,
        TimeDraft(
            matter=matter or f.acme_hourly,
            timekeeper=timekeeper or f.associate,
            work_date=on,
            duration_seconds=hours_to_seconds(hours),
            narrative="Review discovery responses",
            task_code="L310",
            activity_code="A104",
        ),
    )


def _invoice(f: Any, through: date, issued_on: date) -> Invoice:
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, through), matter=f.acme_hourly)
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill, issued_on=issued_on)


@pytest.fixture
def busy_firm(small_firm: Any) -> Any:
    """Three invoices (Feb, Mar, Apr), two payments (Mar, Apr), a draft and unbilled work."""
    f = small_firm
    with time_machine.travel(datetime(2026, 4, 15, 12, tzinfo=UTC), tick=False):
        _time(f, date(2026, 1, 10), "1")  # $300
        f.feb = _invoice(f, date(2026, 1, 31), date(2026, 2, 1))  # due Mar 3: overdue
        _time(f, date(2026, 3, 2), "2")  # $600
        f.mar = _invoice(f, date(2026, 3, 31), date(2026, 3, 31))
        _time(f, date(2026, 4, 2), "1")  # $300
        _time(f, date(2026, 4, 1), "1", matter=f.globex_flat)  # stays a draft pre-bill
        f.apr = _invoice(f, date(2026, 4, 5), date(2026, 4, 6))
        post_payment(f.sam, f.acme, "200.00", date(2026, 3, 15))  # pays Feb's invoice in part
        post_payment(f.sam, f.acme, "50.00", date(2026, 4, 10))
        # Unbilled work of every age, as of Apr 15.
        _time(f, date(2026, 4, 10), "1")  # 5 days
        _time(f, date(2026, 2, 20), "2")  # 54 days
        _time(f, date(2026, 2, 10), "0.5")  # 64 days
        _time(f, date(2026, 1, 5), "0.3")  # 100 days
        _time(f, date(2026, 4, 14), "0.5", matter=f.globex_flat)
    return f


def test_wip_is_grouped_by_matter_in_age_buckets(busy_firm: Any) -> None:
    rows, total = dashboard.wip_by_matter(TODAY)
    assert [r.number for r in rows] == ["C001-001", "C002-001"]
    acme = rows[0]
    assert acme.entries == 4
    assert acme.bucket_minutes == (60, 120, 30, 18)
    assert acme.minutes == 228
    assert acme.oldest == date(2026, 1, 5)
    assert total == {"entries": 5, "minutes": 258, "bucket_minutes": (90, 120, 30, 18)}


def test_overdue_invoices_are_those_past_due_with_a_balance(busy_firm: Any) -> None:
    overdue = list(dashboard.overdue_invoices(TODAY))
    assert [i.number for i in overdue] == [busy_firm.feb.number]
    assert overdue[0].balance == Decimal("50.00")  # 300 − 200 (Mar) − 50 (Apr)


def test_billed_and_collected_this_month_against_last(busy_firm: Any) -> None:
    months = dashboard.billed_and_collected(TODAY)
    assert months.this_start == date(2026, 4, 1)
    assert months.last_start == date(2026, 3, 1)
    [usd] = months.by_currency
    assert usd.currency == "USD"
    assert (usd.billed_this, usd.billed_last) == (Decimal("300.00"), Decimal("600.00"))
    assert (usd.collected_this, usd.collected_last) == (Decimal("50.00"), Decimal("200.00"))


def test_what_waits_depends_on_the_role(busy_firm: Any) -> None:
    f = busy_firm
    draft = Prebill.objects.get(matter=f.globex_flat)
    for user in (f.clara, f.sam, f.carol, f.alice, f.pat):
        assert [p.pk for p in dashboard.prebills_waiting_for(user)] == [draft.pk], user
    approve_prebill(f.carol, draft)
    assert list(dashboard.prebills_waiting_for(f.clara)) == []
    assert [p.pk for p in dashboard.prebills_waiting_for(f.carol)] == [draft.pk]
    assert [p.pk for p in dashboard.prebills_waiting_for(f.alice)] == [draft.pk]
    other = User.objects.create_user("olga", password="x", role="attorney")
    assert list(dashboard.prebills_waiting_for(other)) == []


def test_a_waiting_prebill_shows_its_lines_hours_and_work(busy_firm: Any) -> None:
    [p] = dashboard.with_figures(dashboard.prebills_waiting_for(busy_firm.clara))
    assert (p.line_count, p.time_minutes, p.billed) == (1, 60, Decimal("300.00"))


def test_the_page_shows_every_section_in_a_fixed_number_of_queries(
    busy_firm: Any, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    client.force_login(busy_firm.carol)
    with (
        time_machine.travel(datetime(2026, 4, 15, 12, tzinfo=UTC), tick=False),
        # +2 since the trust reminder: the accounts and their sign-offs, whatever their number
        # +5 for the charts (a coordinator sees them): billed and collected by month, AR aging
        # +2 for the budget alerts (budgets, then their billed and unbilled sums, however many)
        django_assert_max_num_queries(21),
    ):
        html = client.get("/").content.decode()
    assert "Pre-bills waiting for you" in html
    assert "Unbilled work by matter and age" in html
    assert "Invoices overdue" in html
    assert busy_firm.feb.number in html
    assert "$50.00" in html  # the overdue balance and this month's collections
    assert "$600.00" in html  # last month's billing
    assert "Apr 15, 2026" in html
    assert "Feb 1, 2026" in html


def test_the_invoice_pdf_still_opens(busy_firm: Any) -> None:
    client = Client()
    client.force_login(busy_firm.clara)
    response = client.get(f"/invoices/{busy_firm.feb.number}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
