"""AR aging in the database: as of past dates, by client/matter/attorney, drill-down, the page
and the command."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.app.receivables_aging_firm import (
    AgingFirm,
    balances_now,
    bounce,
    build_aging_firm,
    write_off,
)
from typer.testing import CliRunner

from lexbill.billing.invoicing import issue_credit_note
from lexbill.billing.models import Invoice
from lexbill.core.aging import BUCKET_KEYS, bucket_for, days_past_due
from lexbill.receivables.aging import AgingFilters, aged, aged_invoices, ar_aging
from lexbill.receivables.services import post_payment

ZERO = Decimal(0)


@pytest.fixture
def aging_firm(small_firm: Any) -> AgingFirm:
    return build_aging_firm(small_firm)


def _expected_by_bucket(as_of: date, currency: str = "USD") -> dict[str, Decimal]:
    """Independently: each invoice's balance from with_balances(), bucketed in Python."""
    out = dict.fromkeys(BUCKET_KEYS, ZERO)
    for inv in balances_now(currency=currency, issued_on__lte=as_of):
        out[bucket_for(days_past_due(inv.due_on, as_of)).key] += inv.balance
    return out


def test_aging_today_matches_the_balances_bucketed_by_hand(aging_firm: AgingFirm) -> None:
    as_of = date(2026, 6, 15)
    report = ar_aging(as_of, "client")
    assert report.totals["USD"].amounts == _expected_by_bucket(as_of)
    assert report.totals["EUR"].amounts == _expected_by_bucket(as_of, "EUR")
    assert {(r.key, r.currency) for r in report.rows} == {("C001", "USD"), ("C002", "EUR")}


def test_events_dated_after_the_as_of_date_are_left_out(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    first = aging_firm.invoices[0]
    before = ar_aging(date(2026, 3, 31), "client").totals["USD"]
    post_payment(f.clara, f.acme, first.total, date(2026, 4, 10), currency="USD")
    issue_credit_note(
        f.carol, aging_firm.invoices[2], Decimal("50.00"), "goodwill", date(2026, 4, 11)
    )
    write_off(aging_firm.invoices[1], Decimal("25.00"), date(2026, 4, 12))
    # as of March 31 nothing changed: every event is dated in April
    assert ar_aging(date(2026, 3, 31), "client").totals["USD"].amounts == before.amounts
    after = ar_aging(date(2026, 4, 30), "client").totals["USD"]
    assert after.total == before.total + sum(
        (
            i.total
            for i in aging_firm.invoices
            if date(2026, 4, 1) <= i.issued_on <= date(2026, 4, 30)
        ),
        ZERO,
    ) - first.total - Decimal("50.00") - Decimal("25.00")
    assert after.amounts == _expected_by_bucket(date(2026, 4, 30))


def test_invoices_issued_after_the_date_do_not_count(aging_firm: AgingFirm) -> None:
    report = ar_aging(date(2026, 2, 1), "matter")
    assert [r.key for r in report.rows] == ["C001-001"]
    assert report.totals["USD"].total == aging_firm.invoices[0].total


def test_a_reversed_payment_puts_the_balance_back(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    inv = aging_firm.invoices[0]
    payment = post_payment(f.clara, f.acme, inv.total, date(2026, 3, 1), currency="USD")
    bounce(payment, date(2026, 3, 20))
    paid = ar_aging(date(2026, 3, 10), "client", AgingFilters(client="C001"))
    bounced = ar_aging(date(2026, 3, 25), "client", AgingFilters(client="C001"))
    assert inv.number not in [i.number for i in aged_invoices(date(2026, 3, 10))]
    assert inv.number in [i.number for i in aged_invoices(date(2026, 3, 25))]
    assert bounced.totals["USD"].total - paid.totals["USD"].total == inv.total


def test_by_client_matter_and_attorney_agree_on_the_totals(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    post_payment(f.clara, f.acme, Decimal("700.00"), date(2026, 3, 1), currency="USD")
    as_of = date(2026, 7, 1)
    totals = [ar_aging(as_of, by).totals for by in ("client", "matter", "attorney")]
    assert totals[0] == totals[1] == totals[2]
    attorneys = {r.key for r in ar_aging(as_of, "attorney").rows}
    assert attorneys == {f.partner.code, f.associate.code}


def test_filters_narrow_the_rows(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    as_of = date(2026, 7, 1)
    by_associate = ar_aging(as_of, "matter", AgingFilters(attorney=f.associate.code))
    assert {r.key for r in by_associate.rows} == {"C001-003", "C002-002"}
    euro = ar_aging(as_of, "client", AgingFilters(currency="eur"))
    assert list(euro.totals) == ["EUR"]


def test_drill_down_invoices_sum_to_their_cell(aging_firm: AgingFirm) -> None:
    as_of = date(2026, 6, 1)
    report = ar_aging(as_of, "matter")
    for row in report.rows:
        for key in BUCKET_KEYS:
            found = aged(
                aged_invoices(as_of, "matter", row.key, key).select_related("client", "matter"),
                as_of,
            )
            assert sum((i.balance for i in found), ZERO) == row.totals.amounts[key]
            assert all(i.bucket_key == key for i in found)
        whole = aged_invoices(as_of, "matter", row.key)
        assert sum((i.balance_as_of for i in whole), ZERO) == row.totals.total  # type: ignore[attr-defined]


steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=200_000), st.integers(0, 150)),
        st.tuples(
            st.just("credit"), st.integers(min_value=1, max_value=50_000), st.integers(0, 150)
        ),
        st.tuples(
            st.just("write_off"), st.integers(min_value=1, max_value=50_000), st.integers(0, 150)
        ),
        st.tuples(st.just("reverse"), st.just(0), st.integers(0, 150)),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, as_of_days=st.integers(min_value=0, max_value=200))
def test_bucket_sums_equal_the_balances_once_every_event_is_past(
    aging_firm: AgingFirm, steps: Any, as_of_days: int
) -> None:
    f = aging_firm.f
    first_day = date(2026, 5, 2)
    with transaction.atomic():
        last_event = first_day
        payments = []
        for kind, cents, offset in steps:
            amount = Decimal(cents).scaleb(-2)
            day = first_day + timedelta(days=offset)
            last_event = max(last_event, day)
            open_ = [i for i in balances_now(client=f.acme) if i.balance > 0]
            if kind == "pay":
                payments.append(post_payment(f.clara, f.acme, amount, day, currency="USD"))
            elif kind == "reverse" and payments:
                bounced = payments.pop()
                last_event = max(last_event, bounced.received_on)
                bounce(bounced, max(day, bounced.received_on))
            elif kind == "credit" and open_:
                target = open_[-1]
                issue_credit_note(f.carol, target, min(amount, target.balance), "adjust", day)
            elif kind == "write_off" and open_:
                write_off(open_[0], min(amount, open_[0].balance), day)
        as_of = last_event + timedelta(days=as_of_days)
        for by in ("client", "matter", "attorney"):
            report = ar_aging(as_of, by)
            for currency in ("USD", "EUR"):
                expected = _expected_by_bucket(as_of, currency)
                got = report.totals.get(currency)
                assert (got.amounts if got else dict.fromkeys(BUCKET_KEYS, ZERO)) == expected
        transaction.set_rollback(True)


# ---- the page and the command ----------------------------------------------------------------


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def test_the_aging_page_shows_rows_totals_and_links_to_the_invoices(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    as_of = date(2026, 6, 1)
    page = _as(f.clara).get(reverse("receivables:aging"), {"as_of": "2026-06-01", "by": "matter"})
    assert page.status_code == 200
    report = ar_aging(as_of, "matter")
    for row in report.rows:
        assert row.key in page.text
    drill = reverse("receivables:aging-invoices")
    assert drill in page.text
    oldest = bucket_for(days_past_due(aging_firm.invoices[0].due_on, as_of)).key
    cell = _as(f.clara).get(
        drill, {"as_of": "2026-06-01", "by": "matter", "key": "C001-001", "bucket": oldest}
    )
    assert cell.status_code == 200
    expected = [i.number for i in aged_invoices(as_of, "matter", "C001-001", oldest)]
    assert expected
    for number in expected:
        assert reverse("billing:invoice-detail", args=[number]) in cell.text


def test_an_attorney_may_not_see_the_aging_page(aging_firm: AgingFirm) -> None:
    assert _as(aging_firm.f.pat).get(reverse("receivables:aging")).status_code == 403


def test_a_bad_date_on_the_page_is_an_error_not_a_crash(aging_firm: AgingFirm) -> None:
    page = _as(aging_firm.f.clara).get(reverse("receivables:aging"), {"as_of": "2026-13-45"})
    assert page.status_code == 400
    assert "as_of" in page.text or "valid date" in page.text


def test_the_command_ages_the_firms_invoices(aging_firm: AgingFirm) -> None:
    from lexbill.cli import app

    runner = CliRunner()
    result = runner.invoke(
        app, ["report", "ar-aging", "--as-of", "2026-06-01", "--by", "attorney", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    report = ar_aging(date(2026, 6, 1), "attorney")
    assert data["totals"] == {c: t.as_strings() for c, t in report.totals.items()}
    assert {r["key"] for r in data["rows"]} == {r.key for r in report.rows}
    table = runner.invoke(app, ["report", "ar-aging", "--as-of", "2026-06-01"])
    assert table.exit_code == 0
    assert "C001" in table.stdout
    bad = runner.invoke(app, ["report", "ar-aging", "--by", "partner"])
    assert bad.exit_code == 1
    assert "by" in bad.output


def test_a_user_without_the_role_may_not_run_the_report(aging_firm: AgingFirm) -> None:
    from lexbill.cli import app

    result = CliRunner().invoke(app, ["--user", "pat", "report", "ar-aging", "--json"])
    assert result.exit_code == 1
    assert "may not" in result.output


def test_untouched_invoices_all_show(aging_firm: AgingFirm) -> None:
    as_of = date(2026, 12, 31)
    shown = {i.number for i in aged_invoices(as_of)}
    assert shown == {i.number for i in Invoice.objects.all()}


def test_the_page_ages_as_of_today_by_default(aging_firm: AgingFirm) -> None:
    today = date(2026, 8, 3)
    with time_machine.travel(datetime(2026, 8, 3, 12, tzinfo=UTC), tick=False):
        page = _as(aging_firm.f.clara).get(reverse("receivables:aging"))
    assert page.status_code == 200
    total = ar_aging(today, "client").totals["USD"].total
    assert f"${total:,}" in page.text
