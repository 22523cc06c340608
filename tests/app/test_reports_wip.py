"""The WIP report against the entries: what was unbilled on the as-of date, valued at the rate
the bill run would use, in age buckets; recomputed in plain Python over the entries created
(rates through billing.rates.rate_for, the bill run's own resolver for one entry)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.app.reports_billed_firm import expense, invoice, time

from lexbill.billing.models import InvoiceLine
from lexbill.billing.rates import rate_for, set_rate
from lexbill.core.increments import hours_to_seconds
from lexbill.core.invoice_math import expense_amount, time_amount
from lexbill.core.periods import Period
from lexbill.entries.models import Billable, Expense, TimeEntry
from lexbill.entries.services import TimeDraft, record_time
from lexbill.reports.framework import ReportFilters, ReportRequest
from lexbill.reports.wip import AGE_BUCKETS, SPEC, build

NONE = "—"
GROUPINGS = ("client", "matter", "attorney", "timekeeper", "practice_area")
ON_DATES = (date(2026, 3, 31), date(2026, 6, 30), date(2026, 12, 31))


@pytest.fixture
def firm(small_firm: Any) -> Any:
    f = small_firm
    set_rate(None, "matter", "420.00", date(2026, 2, 1), matter=f.acme_hourly, timekeeper=f.partner)
    set_rate(None, "client", "275.00", date(2026, 1, 1), client=f.acme, classification="associate")
    set_rate(None, "timekeeper", "333.33", date(2026, 5, 1), timekeeper=f.associate)
    from lexbill.clients.models import Matter

    Matter.objects.filter(pk=f.acme_hourly.pk).update(practice_area="Litigation")
    time(f, f.acme_hourly, f.partner, date(2026, 1, 10), "1.1")
    time(f, f.acme_hourly, f.partner, date(2026, 2, 10), "0.7")
    time(f, f.acme_hourly, f.associate, date(2026, 3, 1), "2.3")
    time(f, f.globex_flat, f.associate, date(2026, 5, 20), "1.7")
    time(f, f.globex_flat, f.paralegal, date(2026, 1, 3), "3")
    time(f, f.acme_capped, f.paralegal, date(2026, 6, 15), "0.4")
    record_time(
        f.clara,
        TimeDraft(
            f.acme_hourly,
            f.associate,
            date(2026, 3, 2),
            hours_to_seconds("1"),
            "x",
            "L120",
            "A103",
            Billable.NO_CHARGE,
        ),
    )
    record_time(
        f.clara,
        TimeDraft(
            f.acme_hourly,
            f.associate,
            date(2026, 3, 3),
            hours_to_seconds("1"),
            "x",
            "L120",
            "A103",
            Billable.NON_BILLABLE,
        ),
    )
    expense(f, f.acme_hourly, date(2026, 2, 20), "E101", "333", "0.15", None)
    expense(f, f.globex_flat, date(2026, 6, 1), "E110", "1", "45.55", f.associate)
    # the Acme litigation work is billed in July: WIP on earlier dates, not after
    invoice(f, f.acme_hourly, date(2026, 7, 15))
    return f


def _unbilled_on(on: date, billed_after: set[int], state: str, pk: int) -> bool:
    return state != "billed" or pk in billed_after


def _expected(on: date, by: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"minutes": 0, **{b: Decimal("0.00") for b, *_ in AGE_BUCKETS}}
    )
    later_time = {
        ln.time_entry_id
        for ln in InvoiceLine.objects.select_related("invoice")
        if ln.invoice.issued_on > on
    }
    later_exp = {
        ln.expense_id
        for ln in InvoiceLine.objects.select_related("invoice")
        if ln.invoice.issued_on > on
    }

    def key(matter: Any, tk: Any) -> str:
        if by == "timekeeper":
            return tk.code if tk else NONE
        return {
            "client": matter.client.number,
            "matter": matter.number,
            "attorney": matter.responsible_attorney.code,
            "practice_area": matter.practice_area or NONE,
        }[by]

    def bucket(day: date) -> str:
        age = (on - day).days
        return next(
            b for b, _l, low, high in AGE_BUCKETS if age >= low and (high is None or age <= high)
        )

    for e in TimeEntry.objects.select_related(
        "matter__client", "matter__responsible_attorney", "timekeeper"
    ):
        if e.work_date > on or e.billable == Billable.NON_BILLABLE:
            continue
        if not _unbilled_on(on, later_time, e.state, e.pk):
            continue
        row = rows[(key(e.matter, e.timekeeper), e.matter.currency)]
        row["minutes"] += e.billed_minutes
        rate = rate_for(e.matter, e.timekeeper, e.work_date)
        if rate is not None and e.billable == Billable.BILLABLE:
            row[bucket(e.work_date)] += time_amount(
                e.billed_minutes, rate.amount, e.matter.currency
            )
    for x in Expense.objects.select_related(
        "matter__client", "matter__responsible_attorney", "timekeeper"
    ):
        if x.date > on or x.billable == Billable.NON_BILLABLE:
            continue
        if not _unbilled_on(on, later_exp, x.state, x.pk):
            continue
        row = rows[(key(x.matter, x.timekeeper), x.matter.currency)]
        if x.billable == Billable.BILLABLE:
            row[bucket(x.date)] += expense_amount(x.quantity, x.unit_cost, x.matter.currency)
    return dict(rows)


@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize("on", ON_DATES)
def test_every_bucket_against_the_entries(firm: Any, by: str, on: date) -> None:
    report = build(
        ReportRequest(Period(date(2026, 1, 1), on), ReportFilters(), SPEC.grouping(by), on)
    )
    table = report.table("wip")
    got = {
        (r["key"], r["currency"]): {
            "hours": r["hours"],
            **{b: r[b] for b, *_ in AGE_BUCKETS},
        }
        for r in table.rows
    }
    want = {
        k: {
            "hours": (Decimal(v["minutes"]) / 60).quantize(Decimal("0.01")),
            **{b: v[b] for b, *_ in AGE_BUCKETS},
        }
        for k, v in _expected(on, by).items()
    }
    assert got == want
    for t in table.totals:
        assert t["total"] == sum(
            (
                sum((v[b] for b, *_ in AGE_BUCKETS), Decimal(0))
                for k, v in want.items()
                if k[1] == t["currency"]
            ),
            Decimal(0),
        )


def test_unpriced_work_is_noted(firm: Any) -> None:
    from lexbill.billing.models import Rate

    Rate.objects.filter(classification="paralegal").delete()  # a rate removed after the work
    report = build(ReportRequest(Period(date(2026, 1, 1), date(2026, 6, 30)), group_by="matter"))
    assert any("no rate in force" in n for n in report.notes)
    assert report.charts and report.charts[0].stacked


def test_filters(firm: Any) -> None:
    on = date(2026, 6, 30)
    report = build(
        ReportRequest(
            Period(date(2026, 1, 1), on),
            ReportFilters(timekeepers=(firm.partner.code,)),
            "timekeeper",
        )
    )
    assert {r["key"] for r in report.table("wip").rows} == {firm.partner.code}
    report = build(
        ReportRequest(Period(date(2026, 1, 1), on), ReportFilters(clients=("C002",)), "client")
    )
    assert {r["key"] for r in report.table("wip").rows} == {"C002"}
