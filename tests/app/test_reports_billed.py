"""The billed report against the invoices themselves: every grouping and every filter, credit
notes where they belong, and totals equal to the invoices' own totals to the cent.

The expected figures are recomputed in plain Python over the invoices and credit notes the
services created (tests/app/reports_billed_firm.py), never by calling the report's code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.app.reports_billed_firm import (
    GROUPINGS,
    MONEY,
    NO_FILTERS,
    NONE,
    ZERO,
    BilledFirm,
    as_figures,
    build_billed_firm,
    expected_rows,
    expected_totals,
    expense,
    invoice,
    time,
)

from lexbill.billing.models import CreditNote, Invoice, PrebillLine
from lexbill.billing.prebills import adjust_line, set_line_treatment
from lexbill.core.errors import LexbillError
from lexbill.core.periods import Period, month, parse_period, quarter, year
from lexbill.reports.billed import SPEC, build
from lexbill.reports.filters import check_filters
from lexbill.reports.framework import Report, ReportFilters, ReportRequest


@pytest.fixture
def billed_firm(small_firm: Any) -> BilledFirm:
    return build_billed_firm(small_firm)


def _run(period: Period, by: str, filters: ReportFilters = NO_FILTERS) -> Report:
    return build(ReportRequest(period, filters, SPEC.grouping(by)))


def _check(report: Report, period: Period, by: str, filters: ReportFilters) -> None:
    table = report.table("billed")
    expected = expected_rows(period, by, filters)
    got = {(r["key"], r["currency"]): as_figures(r) for r in table.rows}
    want = {key: as_figures(row) for key, row in expected.items()}
    assert got == want, f"by {by}, {filters}"
    got_totals = {t["currency"]: as_figures(t) for t in table.totals}
    want_totals = {c: as_figures(t) for c, t in expected_totals(expected).items()}
    assert got_totals == want_totals, f"totals by {by}, {filters}"
    for currency, t in want_totals.items():
        assert report.figure("billed", currency).value == t["total"]
        assert report.figure("credited", currency).value == t["credited"]
        assert report.figure("net", currency).value == t["net"]
    for row in table.rows:
        assert row["net"] == row["total"] - row["credited"]
        assert all(isinstance(row[k], Decimal) for k in MONEY)


def _invoice_sums(period: Period, **filters: Any) -> dict[str, dict[str, Decimal]]:
    """Σ of the invoices' own footers, and of the credit notes, per currency."""
    out: dict[str, dict[str, Decimal]] = {}
    for inv in Invoice.objects.filter(issued_on__gte=period.start, issued_on__lte=period.end):
        t = out.setdefault(inv.currency, dict.fromkeys(MONEY, ZERO))
        for k in ("fees", "expenses", "adjustments", "tax", "total"):
            t[k] += getattr(inv, k)
    for note in CreditNote.objects.filter(issued_on__gte=period.start, issued_on__lte=period.end):
        t = out.setdefault(note.invoice.currency, dict.fromkeys(MONEY, ZERO))
        t["credited"] += note.total
    for t in out.values():
        t["net"] = t["total"] - t["credited"]
    return out


PERIODS = [year(2026), quarter(2026, 1), month(2026, 2), month(2026, 4), year(2027)]


@pytest.mark.parametrize("by", GROUPINGS)
def test_every_grouping_matches_the_invoices(billed_firm: BilledFirm, by: str) -> None:
    for period in PERIODS:
        _check(_run(period, by), period, by, ReportFilters())


def test_the_billed_firm_has_what_the_report_must_handle(billed_firm: BilledFirm) -> None:
    """Guards the fixture: each case the report treats apart is really there."""
    lines = [ln for inv in billed_firm.invoices for ln in inv.lines.all()]
    assert any(ln.no_charge and ln.amount > 0 for ln in lines)
    assert any(ln.adjustment < 0 for ln in lines) and any(ln.adjustment > 0 for ln in lines)
    assert any(ln.kind == "fee_adjustment" for ln in lines)
    assert any(ln.kind == "expense" and not ln.timekeeper_code for ln in lines)
    assert any(inv.tax > 0 for inv in billed_firm.invoices)
    assert {inv.currency for inv in billed_firm.invoices} == {"USD", "EUR"}
    notes = billed_firm.credits
    assert any(n.lines.exists() for n in notes) and any(not n.lines.exists() for n in notes)
    assert any(n.issued_on.year != n.invoice.issued_on.year for n in notes)


@pytest.mark.parametrize(
    "filters",
    [
        ReportFilters(clients=("C001",)),
        ReportFilters(clients=("C001", "C002")),
        ReportFilters(matters=("C002-001", "C002-002")),
        ReportFilters(attorneys=("AL",)),
        ReportFilters(practice_areas=("Litigation",)),
        ReportFilters(timekeepers=("AL",)),
        ReportFilters(timekeepers=("PJ", "PW")),
        ReportFilters(clients=("C002",), timekeepers=("PJ",)),
        ReportFilters(attorneys=("PW",), practice_areas=("Real estate",)),
    ],
    ids=lambda f: ";".join(f"{k}={','.join(v)}" for k, v in f.as_json().items()),
)
def test_each_filter_under_every_grouping(billed_firm: BilledFirm, filters: ReportFilters) -> None:
    check_filters(filters)
    for by in GROUPINGS:
        for period in (year(2026), quarter(2026, 1)):
            _check(_run(period, by, filters), period, by, filters)


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.label)
def test_totals_by_timekeeper_equal_totals_by_client_and_the_invoices(
    billed_firm: BilledFirm, period: Period
) -> None:
    by_client = _run(period, "client").table("billed").totals
    sums = _invoice_sums(period)
    for by in GROUPINGS:
        totals = _run(period, by).table("billed").totals
        assert totals == by_client, by
        assert {t["currency"]: {k: t[k] for k in MONEY} for t in totals} == sums, by


def test_a_no_charge_line_counts_its_invoice_but_adds_nothing(billed_firm: BilledFirm) -> None:
    f = billed_firm.f
    january = billed_firm.invoices[0]
    free = january.lines.get(no_charge=True)
    assert free.amount > 0 and free.timekeeper_code == f.paralegal.code
    row = next(
        r for r in _run(month(2026, 1), "timekeeper").table("billed").rows if r["key"] == "PJ"
    )
    assert row["invoices"] == 1
    assert all(row[k] == ZERO for k in MONEY)


def test_credits_land_on_the_line_s_timekeeper_or_on_no_timekeeper(
    billed_firm: BilledFirm,
) -> None:
    f = billed_firm.f
    per_line, partial, whole, later = billed_firm.credits
    rows = {
        (r["key"], r["currency"]): r for r in _run(year(2026), "timekeeper").table("billed").rows
    }
    on_associate = sum(
        (cl.amount + cl.tax for cl in per_line.lines.all() if cl.invoice_line.timekeeper_code),
        ZERO,
    )
    on_nobody = per_line.total - on_associate + partial.total
    assert on_associate > 0 and per_line.total > on_associate
    assert rows[(f.associate.code, "USD")]["credited"] == on_associate
    assert rows[(NONE, "USD")]["credited"] == on_nobody
    assert rows[(NONE, "EUR")]["credited"] == whole.total == whole.invoice.total
    # by client, month and matter the credit follows the invoice's client, the note's month
    by_client = {
        (r["key"], r["currency"]): r for r in _run(year(2026), "client").table("billed").rows
    }
    assert by_client[("C002", "EUR")]["net"] == ZERO
    by_month = {
        (r["key"], r["currency"]): r for r in _run(year(2026), "month").table("billed").rows
    }
    assert by_month[(f"{whole.issued_on:%Y-%m}", "EUR")]["credited"] == whole.total
    assert by_month[(f"{whole.issued_on:%Y-%m}", "EUR")]["invoices"] == 0
    # a credit note is counted when it is issued, whatever the invoice's date
    next_year = _run(year(2027), "matter").table("billed")
    row = next(r for r in next_year.rows if r["key"] == later.invoice.matter.number)
    assert (row["credited"], row["invoices"], row["total"]) == (later.total, 0, ZERO)
    assert later.invoice.issued_on.year == 2026


def test_a_timekeeper_filter_leaves_out_credits_on_no_line(billed_firm: BilledFirm) -> None:
    f = billed_firm.f
    report = _run(year(2026), "client", ReportFilters(timekeepers=(f.associate.code,)))
    credited = {(r["key"], r["currency"]): r["credited"] for r in report.table("billed").rows}
    per_line = billed_firm.credits[0]
    assert credited[("C001", "USD")] == sum(
        (
            cl.amount + cl.tax
            for cl in per_line.lines.all()
            if cl.invoice_line.timekeeper_code == f.associate.code
        ),
        ZERO,
    )
    assert credited[("C002", "EUR")] == ZERO


def test_rows_are_labelled_and_sorted(billed_firm: BilledFirm) -> None:
    f = billed_firm.f
    rows = _run(year(2026), "timekeeper").table("billed").rows
    names = {r["key"]: r["name"] for r in rows}
    assert names[f.partner.code] == f.partner.name
    assert names[NONE] == "no timekeeper"
    for currency in {r["currency"] for r in rows}:
        totals = [r["total"] for r in rows if r["currency"] == currency]
        assert totals == sorted(totals, reverse=True)
    months = _run(year(2026), "month").table("billed")
    assert "name" not in [c.key for c in months.columns]
    for currency in {r["currency"] for r in months.rows}:
        keys = [r["key"] for r in months.rows if r["currency"] == currency]
        assert keys == sorted(keys)
    by_matter = {r["key"]: r["name"] for r in _run(year(2026), "matter").table("billed").rows}
    assert by_matter["C001-001"] == f"{f.acme_hourly.name} {f.acme.name}"
    blank = _run(year(2026), "practice_area").table("billed").rows
    assert NONE in {r["key"] for r in blank}  # the EUR matter has no practice area


def test_an_empty_period_has_no_rows_totals_or_charts(billed_firm: BilledFirm) -> None:
    report = _run(parse_period("2025"), "client")
    assert (report.table("billed").rows, report.table("billed").totals) == ([], [])
    assert (report.figures, report.charts) == ([], [])


def test_charts_show_the_tables_figures(billed_firm: BilledFirm) -> None:
    report = _run(year(2026), "month")
    (chart,) = report.charts
    rows = [r for r in report.table("billed").rows if r["currency"] == chart.unit]
    assert list(chart.labels) == [r["key"] for r in rows]
    fees = next(d for d in chart.datasets if d.label == "Fees")
    assert list(fees.values) == [r["fees"] for r in rows]
    top = _run(year(2026), "client").charts[0]
    assert top.horizontal and top.unit == "USD"  # the currency billed most


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (ReportFilters(clients=("C001", "C999")), "client"),
        (ReportFilters(matters=("C001-999",)), "matter"),
        (ReportFilters(attorneys=("ZZ",)), "attorney"),
        (ReportFilters(timekeepers=("ZZ",)), "timekeeper"),
        (ReportFilters(practice_areas=("Litgation",)), "practice_area"),
    ],
)
def test_unknown_filter_values_are_refused_by_name(
    billed_firm: BilledFirm, filters: ReportFilters, field: str
) -> None:
    with pytest.raises(LexbillError) as refused:
        check_filters(filters)
    assert refused.value.field == field
    bad = next(v for values in filters.as_json().values() for v in values if v not in {"C001"})
    assert bad in refused.value.message


def test_an_unknown_grouping_is_refused() -> None:
    with pytest.raises(LexbillError, match="groups by") as refused:
        SPEC.grouping("partner")
    assert refused.value.field == "by"
    assert SPEC.grouping("") == "client"


# ---- any lines, any review: the totals are the invoices' totals ------------------------------

line = st.tuples(
    st.sampled_from(["partner", "associate", "paralegal", "expense", "expense_tk"]),
    st.integers(min_value=1, max_value=40),  # tenths of an hour, or units
    st.integers(min_value=-100, max_value=100),  # adjustment, percent of the line
    st.booleans(),  # no charge
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    work=st.lists(
        st.tuples(st.sampled_from(["acme_hourly", "acme_capped", "globex_flat"]), line),
        min_size=1,
        max_size=8,
    )
)
def test_any_review_totals_equal_the_sum_of_the_invoices(small_firm: Any, work: Any) -> None:
    f = small_firm
    day = date(2026, 6, 1)
    with transaction.atomic():
        matters: list[Any] = []
        plans: dict[tuple[str, int], tuple[int, bool]] = {}  # entry → (adjustment %, no charge)
        for matter_name, (who, units, percent, free) in work:
            matter = getattr(f, matter_name)
            if who in ("expense", "expense_tk"):
                tk = f.associate if who == "expense_tk" else None
                entry: Any = expense(f, matter, day, "E101", str(units), "1.37", tk)
                plans[("expense", entry.pk)] = (percent, free)
            else:
                entry = time(f, matter, getattr(f, who), day, str(Decimal(units) / 10))
                plans[("time", entry.pk)] = (percent, free)
            if matter not in matters:
                matters.append(matter)

        def review(lines: list[PrebillLine]) -> None:
            for ln in lines:
                percent, free = plans[(ln.kind, ln.time_entry_id or ln.expense_id or 0)]
                adjustment = (ln.amount * percent / 100).quantize(Decimal("0.01"))
                if adjustment:
                    adjust_line(f.sam, ln, adjustment, "review")
                if free:
                    set_line_treatment(f.sam, ln, "no_charge")

        issued = [invoice(f, m, day, review) for m in matters]
        period = month(2026, 6)
        sums = _invoice_sums(period)
        assert {inv.currency for inv in issued} == set(sums)
        for by in ("client", "timekeeper", "month", "practice_area"):
            totals = {t["currency"]: t for t in _run(period, by).table("billed").totals}
            assert {c: {k: t[k] for k in MONEY} for c, t in totals.items()} == sums, by
            assert {c: t["invoices"] for c, t in totals.items()} == {"USD": len(issued)}
        transaction.set_rollback(True)


def test_no_grouping_means_the_first_one(billed_firm: BilledFirm) -> None:
    report = build(ReportRequest(year(2026)))
    assert report.request.group_by == SPEC.groupings[0][0]
    assert (
        report.table("billed").rows == _run(year(2026), SPEC.groupings[0][0]).table("billed").rows
    )
