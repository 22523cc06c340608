"""The realization report against the invoice lines, rates and allocations themselves.

A small firm billed through the real services (tests/app/reports_billed_firm.py) with rates at
several levels and dates, so the billed rate is not the standard one: a client rate for the
partner at Acme, a matter rate for the associate from April, a later standard rate for the
associate. Payments, one reversed, and credit notes. Every figure is recomputed in plain Python
over the rows: standard values through core.rates.RateBook, net billed through the billed
report's own independent recomputation, collected from the allocations.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from tests.app.reports_billed_firm import BilledFirm, _key, build_billed_firm, expected_rows

from lexbill.billing.models import Invoice, InvoiceLine
from lexbill.billing.rates import rate_rows, set_rate
from lexbill.core.invoice_math import time_amount
from lexbill.core.periods import Period, quarter, year
from lexbill.core.rates import RateBook, RateLevel, RateQuery
from lexbill.firm.models import Timekeeper
from lexbill.receivables.models import PaymentAllocation
from lexbill.receivables.services import post_payment, reverse_payment
from lexbill.reports.billed import SPEC as BILLED
from lexbill.reports.billed import build as build_billed
from lexbill.reports.framework import ReportFilters, ReportRequest, percent
from lexbill.reports.realization import SPEC, build

NONE = "—"
NO_FILTERS = ReportFilters()
ZERO = Decimal("0.00")
GROUPINGS = ("timekeeper", "client", "matter", "attorney", "practice_area")


@pytest.fixture
def firm(small_firm: Any) -> BilledFirm:
    f = small_firm
    start = date(2026, 1, 1)
    set_rate(None, "client", "450.00", start, client=f.acme, timekeeper=f.partner)
    set_rate(
        None, "matter", "280.00", date(2026, 4, 1), matter=f.acme_hourly, timekeeper=f.associate
    )
    set_rate(None, "timekeeper", "320.00", date(2026, 3, 25), timekeeper=f.associate)
    billed_firm = build_billed_firm(f)
    april = billed_firm.invoices[4]
    first = post_payment(f.clara, f.acme, Decimal("1000.00"), date(2026, 2, 1), currency="USD")
    post_payment(f.clara, f.globex, Decimal("500.00"), date(2026, 3, 5), currency="USD")
    post_payment(f.clara, f.acme, april.total, date(2026, 4, 20), currency="USD")
    reverse_payment(f.carol, first, date(2026, 5, 2), "NSF")
    return billed_firm


def _run(period: Period, by: str, filters: ReportFilters = NO_FILTERS) -> Any:
    return build(ReportRequest(period, filters, SPEC.grouping(by)))


def _lines(period: Period) -> list[InvoiceLine]:
    return [
        ln
        for ln in InvoiceLine.objects.select_related(
            "invoice__matter__responsible_attorney", "invoice__client"
        )
        if ln.invoice.issued_on in period
    ]


def _row_key(ln_or_invoice: Any, by: str, code: str = "") -> str:
    if by == "timekeeper":
        return code or NONE
    inv = ln_or_invoice
    return _key(inv, by, inv.issued_on)


def expected_worked(period: Period, by: str) -> dict[tuple[str, str], dict[str, Any]]:
    standard_rows = [
        r for r in rate_rows() if r.level in (RateLevel.TIMEKEEPER, RateLevel.CLASSIFICATION)
    ]
    book = RateBook(standard_rows)
    people = {tk.code: tk for tk in Timekeeper.objects.all()}
    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"standard": ZERO, "fees": ZERO, "minutes": 0, "unpriced": 0}
    )
    for ln in _lines(period):
        if ln.kind != "time":
            continue
        inv = ln.invoice
        row = rows[(_row_key(inv, by, ln.timekeeper_code), inv.currency)]
        tk = people[ln.timekeeper_code]
        rate = book.resolve(RateQuery(ln.date, 0, 0, tk.pk, tk.classification, inv.currency))
        row["minutes"] += ln.minutes
        row["fees"] += ln.total
        if rate is None:
            row["unpriced"] += 1
        else:
            row["standard"] += time_amount(ln.minutes, rate.amount, inv.currency)
    return dict(rows)


def expected_collected(period: Period, by: str) -> dict[tuple[str, str], Fraction]:
    """Exact (unrounded) shares; the report's are within a cent per invoice of these."""
    out: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    per_invoice: dict[int, Decimal] = defaultdict(Decimal)
    for a in PaymentAllocation.objects.all():
        if a.applied_on in period:
            per_invoice[a.invoice_id] += a.amount
    for invoice_id, amount in per_invoice.items():
        inv = Invoice.objects.select_related("matter__responsible_attorney", "client").get(
            pk=invoice_id
        )
        if by != "timekeeper":
            out[(_row_key(inv, by), inv.currency)] += Fraction(amount)
            continue
        weights: dict[str, Decimal] = defaultdict(Decimal)
        for ln in inv.lines.all():
            weights[ln.timekeeper_code or NONE] += ln.total
        whole = sum(weights.values())
        for code, w in weights.items():
            out[(code, inv.currency)] += Fraction(amount) * Fraction(w) / Fraction(whole)
    return dict(out)


@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize("period", [year(2026), quarter(2026, 1), quarter(2026, 2)])
def test_every_figure_against_the_rows(firm: BilledFirm, period: Period, by: str) -> None:
    report = _run(period, by)
    table = report.table("realization")
    got = {(r["key"], r["currency"]): r for r in table.rows}
    worked = expected_worked(period, by)
    billed = expected_rows(period, by)
    collected = expected_collected(period, by)
    keys = set(worked) | {k for k, v in billed.items() if v["net"]} | set(collected)
    assert keys <= set(got), by
    for key, row in got.items():
        w = worked.get(key, {"standard": ZERO, "fees": ZERO, "minutes": 0, "unpriced": 0})
        assert row["standard"] == w["standard"], key
        assert row["fees"] == w["fees"], key
        assert row["unpriced"] == w["unpriced"], key
        assert row["hours"] == (Decimal(w["minutes"]) / 60).quantize(Decimal("0.01"))
        assert row["billing_realization"] == percent(w["fees"], w["standard"])
        assert row["net"] == billed.get(key, {"net": ZERO})["net"], key
        exact = collected.get(key, Fraction(0))
        assert abs(Fraction(row["collected"]) - exact) < Fraction(len(got), 100), key
        assert row["collection_realization"] == percent(row["collected"], row["net"])


def test_standard_differs_from_billed(firm: BilledFirm) -> None:
    report = _run(year(2026), "timekeeper")
    rows = {(r["key"], r["currency"]): r for r in report.table("realization").rows}
    assert (
        rows[(firm.f.partner.code, "USD")]["standard"] != rows[(firm.f.partner.code, "USD")]["fees"]
    )
    assert (
        rows[(firm.f.associate.code, "USD")]["standard"]
        != rows[(firm.f.associate.code, "USD")]["fees"]
    )


@pytest.mark.parametrize("by", GROUPINGS)
def test_net_billed_equals_the_billed_report_per_currency(firm: BilledFirm, by: str) -> None:
    for period in (year(2026), quarter(2026, 1), quarter(2026, 2)):
        mine = _run(period, by).table("realization")
        theirs = build_billed(ReportRequest(period, ReportFilters(), BILLED.grouping(by)))
        for t in theirs.table("billed").totals:
            assert mine.total("net", t["currency"]) == t["net"]


@pytest.mark.parametrize("by", GROUPINGS)
def test_collected_equals_the_allocations_in_the_period(firm: BilledFirm, by: str) -> None:
    for period in (year(2026), quarter(2026, 1), quarter(2026, 2)):
        want: dict[str, Decimal] = defaultdict(Decimal)
        for a in PaymentAllocation.objects.select_related("invoice"):
            if a.applied_on in period:
                want[a.invoice.currency] += a.amount
        table = _run(period, by).table("realization")
        got = {t["currency"]: t["collected"] for t in table.totals}
        assert {c: v for c, v in got.items() if v} == {c: v for c, v in want.items() if v}
        assert sum(r["collected"] for r in table.rows) == sum(want.values())


def test_a_reversal_counts_negative_in_its_period(firm: BilledFirm) -> None:
    q2 = _run(quarter(2026, 2), "client").table("realization")
    reversed_ = sum(
        a.amount
        for a in PaymentAllocation.objects.all()
        if a.amount < 0 and a.applied_on in quarter(2026, 2)
    )
    assert reversed_ < 0
    assert q2.total("collected", "USD") == sum(
        a.amount for a in PaymentAllocation.objects.all() if a.applied_on in quarter(2026, 2)
    )


def test_filters_narrow_to_the_timekeeper_and_client(firm: BilledFirm) -> None:
    f = firm.f
    report = _run(year(2026), "timekeeper", ReportFilters(timekeepers=(f.associate.code,)))
    keys = {r["key"] for r in report.table("realization").rows}
    assert keys == {f.associate.code}
    report = _run(year(2026), "client", ReportFilters(clients=("C001",)))
    assert {r["key"] for r in report.table("realization").rows} == {"C001"}


def test_lines_without_a_standard_rate_are_counted_not_guessed(firm: BilledFirm) -> None:
    # EUR work by the paralegal: no EUR standard rate exists for them
    from tests.app.reports_billed_firm import invoice, time

    f = firm.f
    set_rate(
        None,
        "matter",
        "100.00",
        date(2026, 1, 1),
        matter=firm.euro,
        timekeeper=f.paralegal,
        currency="EUR",
    )
    time(f, firm.euro, f.paralegal, date(2026, 6, 1), "1")
    invoice(f, firm.euro, date(2026, 6, 10))
    report = _run(year(2026), "timekeeper")
    row = next(
        r
        for r in report.table("realization").rows
        if r["key"] == f.paralegal.code and r["currency"] == "EUR"
    )
    assert row["unpriced"] == 1
    assert row["standard"] == ZERO
    assert row["fees"] == Decimal("100.00")
    assert any("no standard rate" in n for n in report.notes)


def test_charts_and_json(firm: BilledFirm) -> None:
    report = _run(year(2026), "timekeeper")
    assert [c.key for c in report.charts] == ["values", "percent"]
    data = report.as_json()
    assert data["report"] == "realization"


@pytest.mark.parametrize("name", ["realization", "utilization", "wip"])
def test_pages_and_downloads(firm: BilledFirm, client: Any, name: str) -> None:
    client.force_login(firm.f.sam)
    base = f"/reports/standard/{name}/?period=2026"
    page = client.get(base)
    assert page.status_code == 200, page.content[:500]
    for fmt in ("xlsx", "csv", "pdf"):
        response = client.get(f"{base}&format={fmt}")
        assert response.status_code == 200, fmt
