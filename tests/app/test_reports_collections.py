"""The collections report against the rows the services created: aging per group and bucket,
collected per month, unapplied receipts, AR, billed and DSO per currency; its AR equals the
AR aging page's and its billed the billed report's; the Excel download holds the same totals.

Expected figures are recomputed in plain Python (tests/app/reports_collections_firm.py).
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from tests.app.reports_collections_firm import (
    NO_FILTERS,
    ZERO,
    CollectionsFirm,
    build_collections_firm,
    expected_aging,
    expected_billed,
    expected_collected,
    expected_unapplied,
)

from lexbill.core.aging import BUCKET_KEYS
from lexbill.core.errors import LexbillError
from lexbill.core.periods import Period, month
from lexbill.receivables.aging import ar_aging
from lexbill.receivables.models import PaymentAllocation
from lexbill.receivables.services import post_payment, reverse_payment
from lexbill.reports import billed
from lexbill.reports.collections import SPEC, build, collected_by
from lexbill.reports.framework import Report, ReportFilters, ReportRequest

GROUPINGS = ("client", "matter", "attorney", "practice_area")
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


def _dso(ar: Decimal, billed_: Decimal, days: int) -> Decimal | None:
    if not billed_:
        return None
    value = Fraction(ar) * days / Fraction(billed_) * 10
    whole = value.numerator // value.denominator
    if value - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 10


def test_the_firm_has_what_the_report_must_handle(firm: CollectionsFirm) -> None:
    allocations = list(PaymentAllocation.objects.all())
    assert any(a.amount < 0 for a in allocations)  # a reversal
    assert len({i.currency for i in firm.invoices}) == 2
    assert len({a.applied_on.month for a in allocations}) >= 3


@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize("on", [date(2026, 3, 31), date(2026, 6, 30)])
def test_aging_rows_and_totals(firm: CollectionsFirm, by: str, on: date) -> None:
    report = _run(Period(date(2026, 1, 1), on), by)
    table = report.table("aging")
    got = {
        (r["key"], r["currency"]): {k: r[k] for k in (*BUCKET_KEYS, "total") if r[k]}
        for r in table.rows
    }
    want = {k: {b: v for b, v in row.items() if v} for k, row in expected_aging(on, by).items()}
    assert got == want
    for t in table.totals:
        expected = sum(
            (r["total"] for k, r in expected_aging(on, by).items() if k[1] == t["currency"]), ZERO
        )
        assert t["total"] == expected
        assert report.figure("ar", t["currency"]).value == expected


@pytest.mark.parametrize("on", [date(2026, 2, 28), date(2026, 4, 30), date(2026, 6, 30)])
def test_ar_equals_the_aging_report_to_the_cent(firm: CollectionsFirm, on: date) -> None:
    aging = ar_aging(on, "client")
    for by in GROUPINGS:
        report = _run(Period(date(2026, 1, 1), on), by)
        for currency, totals in aging.totals.items():
            assert report.figure("ar", currency).value == totals.total
            assert report.table("aging").total("total", currency) == totals.total


@pytest.mark.parametrize("by", GROUPINGS)
def test_collected_by_group_and_month(firm: CollectionsFirm, by: str) -> None:
    for period in (H1, month(2026, 4), Period(date(2026, 3, 10), date(2026, 5, 15))):
        table = _run(period, by).table("collected")
        months = [c.key for c in table.columns if c.key.startswith("m")]
        got = {
            (r["key"], r["currency"]): {
                **{f"{m[1:5]}-{m[6:]}": r[m] for m in months if r[m]},
                "collected": r["collected"],
            }
            for r in table.rows
        }
        want = {
            k: {m: v for m, v in row.items() if v or m == "collected"}
            for k, row in expected_collected(period, by).items()
        }
        assert got == want, period
        for t in table.totals:
            assert t["collected"] == sum(
                (r["collected"] for k, r in want.items() if k[1] == t["currency"]), ZERO
            )


def test_a_reversal_counts_negative_in_its_own_month(firm: CollectionsFirm) -> None:
    april = _run(month(2026, 4))
    bounced = firm.payments[1]
    usd = april.figure("collected", "USD").value
    assert usd == sum(
        (
            a.amount
            for a in PaymentAllocation.objects.filter(applied_on__month=4, invoice__currency="USD")
        ),
        ZERO,
    )
    assert usd == -bounced.amount  # nothing else was applied in USD in April


@pytest.mark.parametrize(
    "filters",
    [
        ReportFilters(clients=("C002",)),
        ReportFilters(matters=("C001-001", "C001-003")),
        ReportFilters(attorneys=("AL",)),
        ReportFilters(practice_areas=("IP",)),
        ReportFilters(clients=("C001",), practice_areas=("Litigation",)),
    ],
)
def test_filters_narrow_every_figure(firm: CollectionsFirm, filters: ReportFilters) -> None:
    on = date(2026, 6, 30)
    for by in GROUPINGS:
        report = _run(H1, by, filters)
        aging = {(r["key"], r["currency"]): r["total"] for r in report.table("aging").rows}
        assert aging == {k: r["total"] for k, r in expected_aging(on, by, filters).items()}
        collected = {
            (r["key"], r["currency"]): r["collected"] for r in report.table("collected").rows
        }
        assert collected == {
            k: r["collected"] for k, r in expected_collected(H1, by, filters).items()
        }
        for currency, amount in expected_billed(H1, filters).items():
            assert report.figure("billed", currency).value == amount
    shows_unapplied = not (filters.matters or filters.attorneys or filters.practice_areas)
    assert ("unapplied" in [t.key for t in report.tables]) == shows_unapplied


def test_billed_and_dso_per_currency(firm: CollectionsFirm) -> None:
    for period in (H1, month(2026, 2), Period(date(2026, 2, 1), date(2026, 4, 30))):
        report = _run(period)
        billed_report = billed.build(ReportRequest(period, ReportFilters(), "client"))
        billed_totals = {t["currency"]: t["total"] for t in billed_report.table("billed").totals}
        ar_end = {c: t.total for c, t in ar_aging(period.end, "client").totals.items()}
        for currency in ("USD", "EUR"):
            want_billed = expected_billed(period).get(currency, ZERO)
            if currency not in {f.currency for f in report.figures}:
                assert not want_billed and not ar_end.get(currency)
                continue
            assert report.figure("billed", currency).value == want_billed
            assert want_billed == billed_totals.get(currency, ZERO)
            dso = report.figure("dso", currency).value
            assert dso == _dso(ar_end.get(currency, ZERO), want_billed, period.days)


def test_dso_uses_the_period_end_even_with_a_later_as_of(firm: CollectionsFirm) -> None:
    period = Period(date(2026, 1, 1), date(2026, 3, 31))
    report = _run(period, as_of=date(2026, 6, 30))
    assert report.figure("ar", "USD").value == ar_aging(date(2026, 6, 30)).totals["USD"].total
    ar_march = ar_aging(date(2026, 3, 31)).totals["USD"].total
    assert report.figure("dso", "USD").value == _dso(
        ar_march, expected_billed(period)["USD"], period.days
    )


def test_no_dso_when_nothing_was_billed(firm: CollectionsFirm) -> None:
    report = _run(month(2026, 6))
    assert report.figure("dso", "USD").value is None
    assert report.figure("ar", "USD").value > 0


def test_unapplied_receipts(firm: CollectionsFirm) -> None:
    for period, on in ((H1, None), (month(2026, 3), None), (month(2026, 3), date(2026, 4, 30))):
        report = _run(period, as_of=on)
        table = report.table("unapplied")
        got = {(r["key"], r["currency"]): r["unapplied"] for r in table.rows}
        want = expected_unapplied(period, on or period.end)
        assert got == want
    h1 = {(r["key"], r["currency"]): r["unapplied"] for r in _run(H1).table("unapplied").rows}
    assert h1[("C001", "USD")] == Decimal("115.00")  # 75 over the capped invoice, 40 kept


def test_timekeeper_filter_is_refused() -> None:
    with pytest.raises(LexbillError):
        build(ReportRequest(H1, ReportFilters(timekeepers=("PW",))))


def test_charts_come_from_the_tables(firm: CollectionsFirm) -> None:
    report = _run(H1)
    charts = {c.key: c for c in report.charts}
    aging = report.table("aging")
    usd = charts["aging-usd"]
    assert list(usd.datasets[0].values) == [aging.total(b, "USD") for b in BUCKET_KEYS]
    cash = charts["collected-usd"]
    assert sum(cash.datasets[0].values, ZERO) == report.figure("collected", "USD").value
    assert len(cash.labels) == 6


# ---- collected as a property ------------------------------------------------------------------

steps = st.lists(
    st.tuples(st.sampled_from(["pay", "reverse"]), st.integers(1, 300_000), st.integers(0, 120)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, start=st.integers(0, 120), length=st.integers(0, 90))
def test_collected_is_the_sum_of_allocations_in_the_period(
    firm: CollectionsFirm, steps: Any, start: int, length: int
) -> None:
    f = firm.f
    first = date(2026, 6, 1)
    with transaction.atomic():
        expected_rows: list[tuple[date, Decimal]] = [
            (a.applied_on, a.amount)
            for a in PaymentAllocation.objects.filter(invoice__currency="USD")
        ]
        receipts = []
        for kind, cents, offset in steps:
            day = first + timedelta(days=offset)
            if kind == "pay":
                payment = post_payment(
                    f.clara, f.acme, Decimal(cents).scaleb(-2), day, currency="USD"
                )
                receipts.append(payment)
                expected_rows += [(a.applied_on, a.amount) for a in payment.allocations.all()]
            elif receipts:
                bounced = receipts.pop(0)
                on = max(day, bounced.received_on)
                standing = sum((a.amount for a in bounced.allocations.all()), ZERO)
                reverse_payment(None, bounced, on, "NSF")
                if standing:
                    expected_rows.append((on, -standing))
        period = Period(first + timedelta(days=start), first + timedelta(days=start + length))
        want = sum((a for d, a in expected_rows if d in period), ZERO)
        request = ReportRequest(period, ReportFilters(clients=("C001",)), "client")
        assert collected_by(request).get("USD", ZERO) == want
        assert collected_by(request, "client__number").get(("C001", "USD"), ZERO) == want
        report = build(request)
        figures = {f.currency: f.value for f in report.figures if f.key == "collected"}
        assert figures.get("USD", ZERO) == want  # no figure: nothing in USD at all
        transaction.set_rollback(True)


# ---- the page and its Excel download ----------------------------------------------------------


def test_the_excel_download_opens_and_its_totals_equal_the_reports(firm: CollectionsFirm) -> None:
    client = HttpClient()
    client.force_login(firm.f.sam)
    url = reverse("reports:report", args=["collections"])
    response = client.get(url, {"start": "2026-01-01", "end": "2026-06-30", "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    report = _run(H1)
    for table in report.tables:
        ws = book[table.title[:31]] if table.title[:31] in book.sheetnames else None
        assert ws is not None, (table.title, book.sheetnames)
        keys = [c.key for c in table.columns]
        titles = [c.title for c in table.columns]
        rows = [[c.value for c in r] for r in ws.iter_rows()]
        header = next(i for i, r in enumerate(rows) if list(r[: len(titles)]) == titles)
        total_rows = [r for r in rows[header + 1 :] if r[0] == "Total"]
        assert len(total_rows) == len(table.totals)
        for got, want in zip(total_rows, table.totals, strict=True):
            cells = dict(zip(keys, got, strict=False))
            assert cells["currency"] == want["currency"]
            for column in table.columns:
                if column.type == "money":
                    assert Decimal(str(cells[column.key])) == want[column.key]
    page = client.get(url, {"period": "2026-Q2", "by": "practice_area"})
    assert page.status_code == 200
    assert "AR aging" in page.text


def test_the_command_prints_json(firm: CollectionsFirm) -> None:
    from typer.testing import CliRunner

    from lexbill.cli import app

    args = ["report", "collections", "--period", "2026", "--by", "matter", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["report"] == "collections"
    assert {t["key"] for t in data["tables"]} == {"aging", "collected", "unapplied"}
    ar = {f["currency"]: Decimal(f["value"]) for f in data["figures"] if f["key"] == "ar"}
    assert {c: v for c, v in ar.items() if v} == {
        c: t.total for c, t in ar_aging(date(2026, 12, 31)).totals.items()
    }


def test_a_timekeeper_filter_on_the_page_is_an_error_not_a_crash(firm: CollectionsFirm) -> None:
    client = HttpClient()
    client.force_login(firm.f.sam)
    url = reverse("reports:report", args=["collections"])
    page = client.get(url, {"period": "2026", "timekeeper": "PW"})
    assert page.status_code in (200, 400)
    assert "not per timekeeper" in page.text


def test_rows_are_labelled_alike_in_both_tables(firm: CollectionsFirm) -> None:
    for by in GROUPINGS:
        report = _run(H1, by)
        aging = {(r["key"], r["currency"]): r["name"] for r in report.table("aging").rows}
        cash = {(r["key"], r["currency"]): r["name"] for r in report.table("collected").rows}
        assert all(cash[k] == aging[k] for k in cash.keys() & aging.keys()), by
        assert all(aging.values()), by
    practice = {r["key"]: r["name"] for r in _run(H1, "practice_area").table("collected").rows}
    assert practice["—"] == "no practice area"  # Globex's lease
    assert practice["IP"] == "IP"
