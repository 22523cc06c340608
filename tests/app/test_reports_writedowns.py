"""The write-downs report against the lines, credit notes and write-offs the services created.

The firm is the billed report's (tests/app/reports_billed_firm.py: a write-down, a write-up, a
no-charge line, a fee cap, per-line and whole credit notes) plus two write-offs with reasons.
Expected figures are recomputed in plain Python over those records.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.app.reports_billed_firm import BilledFirm, build_billed_firm

from lexbill.billing.models import CreditNote, InvoiceLine, LineKind
from lexbill.core.periods import Period, year
from lexbill.receivables.adjustments import request_write_off
from lexbill.receivables.models import AdjustmentReason, WriteOff
from lexbill.reports import exports
from lexbill.reports.framework import ReportFilters, ReportRequest
from lexbill.reports.writedowns import SPEC, build

ZERO = Decimal("0.00")
NO_FILTERS = ReportFilters()
KINDS = ("write_downs", "no_charge", "fee_adjustments", "credits", "write_offs", "discounts")


@pytest.fixture
def firm(small_firm: Any) -> BilledFirm:
    built = build_billed_firm(small_firm)
    _jan, _capped, _flat, _eur, april, _next = built.invoices
    request_write_off(small_firm.alice, april, "10.00", "SMALL_BALANCE", date(2026, 6, 1))
    request_write_off(small_firm.alice, april, "15.00", "UNCOLLECTIBLE", date(2026, 7, 1))
    return built


def _label(text: str) -> str:
    found = AdjustmentReason.objects.filter(code=text.strip().upper()).first()
    return found.label if found else text


def _expected(period: Period, by: str, timekeepers: tuple[str, ...] = ()) -> dict[Any, Any]:
    """(key, currency) → {kind: amount}, from every record, in plain Python."""
    rows: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))

    def add(matter: Any, tk: str, reason: str, currency: str, kind: str, amount: Decimal) -> None:
        if timekeepers and tk not in timekeepers:
            return
        key = {
            "reason": lambda: _label(reason),
            "timekeeper": lambda: tk or "—",
            "client": lambda: matter.client.number,
            "matter": lambda: matter.number,
            "attorney": lambda: matter.responsible_attorney.code,
        }[by]()
        rows[(key, currency)][kind] += amount

    for ln in InvoiceLine.objects.select_related("invoice__matter__client"):
        inv = ln.invoice
        if inv.issued_on not in period:
            continue
        reason = ln.adjustment_reason or "no reason given"
        if ln.no_charge:
            add(inv.matter, ln.timekeeper_code, "No charge", inv.currency, "no_charge", ln.amount)
        elif ln.kind == LineKind.FEE_ADJUSTMENT:
            kind = "fee_adjustments" if ln.total < 0 else "write_ups"
            add(inv.matter, "", ln.narrative, inv.currency, kind, abs(ln.total))
        elif ln.adjustment < 0:
            add(inv.matter, ln.timekeeper_code, reason, inv.currency, "write_downs", -ln.adjustment)
        elif ln.adjustment > 0:
            add(inv.matter, ln.timekeeper_code, reason, inv.currency, "write_ups", ln.adjustment)
    for note in CreditNote.objects.select_related("invoice__matter__client"):
        if note.issued_on not in period:
            continue
        reason = note.reason_code or note.reason
        inv = note.invoice
        lines = list(note.lines.select_related("invoice_line"))
        if lines:
            for cl in lines:
                add(
                    inv.matter,
                    cl.invoice_line.timekeeper_code,
                    reason,
                    inv.currency,
                    "credits",
                    cl.amount,
                )
        else:
            add(inv.matter, "", reason, inv.currency, "credits", note.amount)
    for off in WriteOff.objects.select_related("invoice__matter__client", "reason"):
        if off.written_off_on in period:
            kind = "discounts" if off.kind == "discount" else "write_offs"
            add(off.invoice.matter, "", off.reason.code, off.invoice.currency, kind, off.amount)
    return rows


def _got(period: Period, by: str, filters: ReportFilters = NO_FILTERS) -> dict[Any, Any]:
    report = build(ReportRequest(period, filters, SPEC.grouping(by)))
    table = report.table("write-downs")
    out = {}
    for r in table.rows:
        assert r["forgone"] == sum((r[k] for k in KINDS), ZERO)
        out[(r["key"], r["currency"])] = {k: r[k] for k in (*KINDS, "write_ups") if r[k]}
    return out


@pytest.mark.parametrize("by", ["reason", "timekeeper", "client", "matter", "attorney"])
def test_every_grouping_matches_the_records(firm: BilledFirm, by: str) -> None:
    for period in (year(2026), Period(date(2026, 1, 1), date(2026, 3, 31)), year(2027)):
        want = {
            k: {kk: v for kk, v in kinds.items() if v} for k, kinds in _expected(period, by).items()
        }
        assert _got(period, by) == want, (by, period)


def test_the_firm_has_every_kind(firm: BilledFirm) -> None:
    report = build(ReportRequest(year(2026), ReportFilters(), "reason"))
    usd = next(t for t in report.table("write-downs").totals if t["currency"] == "USD")
    for kind in ("write_downs", "no_charge", "fee_adjustments", "credits", "write_offs"):
        assert usd[kind] > 0, kind
    eur = next(t for t in report.table("write-downs").totals if t["currency"] == "EUR")
    assert eur["write_ups"] > 0 and eur["forgone"] == eur["credits"]
    keys = {r["key"] for r in report.table("write-downs").rows}
    assert {"Small balance", "Uncollectible", "No charge"} <= keys
    assert {c.key for c in report.charts} == {"by-reason", "by-timekeeper"}


def test_timekeeper_filter_leaves_out_what_names_no_timekeeper(firm: BilledFirm) -> None:
    code = firm.f.associate.code
    got = _got(year(2026), "reason", ReportFilters(timekeepers=(code,)))
    want = {
        k: {kk: v for kk, v in kinds.items() if v}
        for k, kinds in _expected(year(2026), "reason", (code,)).items()
    }
    assert got == want and got


def test_exports_and_page(firm: BilledFirm, client: Any) -> None:
    report = build(ReportRequest(year(2026)))
    assert exports.xlsx_bytes(report)[:2] == b"PK"
    assert b"Total forgone" in exports.csv_bytes(report)
    client.force_login(firm.f.sam)
    page = client.get("/reports/standard/write-downs/", {"period": "2026", "by": "timekeeper"})
    assert page.status_code == 200
    assert b"Write-downs and write-offs" in page.content
