"""Properties: whatever the writer accepts validates clean and reads back to the cent.

Invoices are drawn with any mix of fees (hours in tenths or odd 4-decimal units, rates with
2 or 4 decimals), expenses, write-downs and write-ups, percentage discounts on fees or
expenses, fee caps, 98BI tax rates per invoice and per line, and narratives and names in any
Unicode. The expected figures are recomputed here with plain Decimal half-up rounding, not with
the module under test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lexbill.formats.utbms import CodeKind, codes_of
from lexbill.ledes import (
    ClientRules,
    Code,
    ExportRefused,
    InternationalDetails,
    Invoice,
    LedesFormat,
    LineItem,
    LineType,
    Party,
    check_invoices,
    clean_text,
    export_ledes,
    fee_cap,
    parse_ledes,
    percentage_discount,
    timekeeper_classifications,
    validate_ledes,
)

CENT = Decimal("0.01")
START, END = date(2026, 1, 1), date(2026, 1, 31)
TASKS = sorted(c.code for c in codes_of(CodeKind.TASK))
ACTIVITIES = sorted(c.code for c in codes_of(CodeKind.ACTIVITY))
EXPENSES = sorted(c.code for c in codes_of(CodeKind.EXPENSE))
CLASSIFICATIONS = sorted(timekeeper_classifications())
NAME_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüÄÖÜéèñçßøÆœł'-"

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def scaled(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-places))


hours = st.one_of(scaled(0, 2400, 1), scaled(0, 240_000, 4))
rates = st.one_of(scaled(0, 200_000, 2), scaled(0, 20_000_000, 4))
adjustments = st.one_of(st.just(Decimal(0)), scaled(-500_000, 50_000, 2))
narratives = st.text(max_size=120)
days = st.integers(0, 30).map(lambda n: START + timedelta(days=n))
names = st.builds(
    lambda last, first: f"{last}, {first}",
    st.text(NAME_LETTERS, min_size=1, max_size=6),
    st.text(NAME_LETTERS, min_size=1, max_size=6),
)
tax_rates = scaled(0, 2500, 4)


@st.composite
def fee_lines(draw: st.DrawFn, number: str, international: bool) -> LineItem:
    return LineItem(
        number=number,
        type=LineType.FEE,
        date=draw(days),
        units=draw(hours),
        unit_cost=draw(rates),
        adjustment=draw(adjustments),
        task_code=draw(st.sampled_from(TASKS)),
        activity_code=draw(st.sampled_from(ACTIVITIES)),
        timekeeper_id=f"TK{draw(st.integers(1, 999))}",
        timekeeper_name=draw(names),
        timekeeper_classification=draw(st.sampled_from(CLASSIFICATIONS)),
        description=draw(narratives),
        tax_rate=draw(st.none() | tax_rates) if international else None,
    )


@st.composite
def expense_lines(draw: st.DrawFn, number: str, international: bool) -> LineItem:
    return LineItem(
        number=number,
        type=LineType.EXPENSE,
        date=draw(days),
        units=Decimal(draw(st.integers(0, 500))),
        unit_cost=draw(scaled(0, 100_000, 2)),
        adjustment=draw(st.just(Decimal(0)) | scaled(-10_000, 0, 2)),
        expense_code=draw(st.sampled_from(EXPENSES)),
        description=draw(narratives),
        tax_rate=draw(st.none() | tax_rates) if international else None,
    )


def _visible(text: str) -> bool:
    """A required text field must keep something once made LEDES-safe."""
    return bool(clean_text(text).text.strip())


@st.composite
def invoices(draw: st.DrawFn, number: str, international: bool) -> Invoice:
    count = draw(st.integers(1, 12))
    lines: list[LineItem] = [draw(fee_lines("1", international))]
    for index in range(2, count + 1):
        kind = fee_lines if draw(st.booleans()) else expense_lines
        lines.append(draw(kind(str(index), international)))
    extra = len(lines)
    if draw(st.booleans()):
        on = draw(st.sampled_from([LineType.FEE, LineType.EXPENSE]))
        extra += 1
        discount = percentage_discount(lines, draw(scaled(0, 50, 2)), str(extra), END, on=on)
        lines += [discount] if discount else []
    if draw(st.booleans()):
        extra += 1
        cap = fee_cap(lines, draw(scaled(0, 10_000_000, 2)), str(extra), END)
        lines += [cap] if cap else []
    details = None
    if international:
        details = InternationalDetails(
            client_tax_id="76-1235",
            matter_name=draw(st.text(min_size=1, max_size=40).filter(_visible)),
            tax_rate=draw(tax_rates),
            tax_type="VAT",
            law_firm=Party(draw(st.text(max_size=20)), city="London", country="GB"),
            client=Party(draw(st.text(max_size=20)), country="USA"),
        )
    return Invoice(
        number=number,
        date=date(2026, 2, 1),
        client_id="00711",
        law_firm_id="24-6437381",
        law_firm_matter_id=draw(st.from_regex(r"[A-Z0-9][A-Z0-9.-]{0,19}", fullmatch=True)),
        billing_start=START,
        billing_end=END,
        lines=tuple(lines),
        description=draw(narratives),
        client_matter_id="423-987",
        currency="GBP",
        international=details,
    )


@st.composite
def files(draw: st.DrawFn) -> tuple[LedesFormat, list[Invoice], int | None]:
    fmt = draw(st.sampled_from(list(LedesFormat)))
    international = fmt is LedesFormat.LEDES_98BI
    count = draw(st.integers(1, 3))
    bills = [draw(invoices(f"INV{n:03d}", international)) for n in range(1, count + 1)]
    limit = draw(st.none() | st.integers(10, 200))
    return fmt, bills, limit


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def expected_line(line: LineItem, default_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net amount, tax), recomputed the way a receiver does."""
    cost = line.unit_cost if line.unit_cost is not None else Decimal(0)
    units = line.units if line.units is not None else Decimal(1)
    amount = half_up(units * cost + line.adjustment)
    rate = line.tax_rate if line.tax_rate is not None else default_rate
    return amount, half_up(amount * rate)


@PROPERTY_SETTINGS
@given(files())
def test_what_the_writer_accepts_validates_and_reads_back_to_the_cent(
    drawn: tuple[LedesFormat, list[Invoice], int | None],
) -> None:
    fmt, bills, limit = drawn
    international = fmt is LedesFormat.LEDES_98BI
    try:
        export = export_ledes(bills, fmt, ClientRules(narrative_limit=limit))
    except ExportRefused as refused:
        # The one refusal these invoices can meet: a text that becomes exactly "NULL".
        assert {p.code for p in refused.problems} == {Code.NULL_LITERAL}
        assume(False)
        raise
    report = validate_ledes(export.text)
    assert report.problems == (), [str(p) for p in report.problems[:5]]
    assert export.text.isascii()
    parsed = parse_ledes(export.text)
    assert parsed.report == report
    assert [p.number for p in parsed.invoices] == [b.number for b in bills]
    for bill, read, figures in zip(bills, parsed.invoices, export.summary.invoices, strict=True):
        rate = bill.international.tax_rate if bill.international else Decimal(0)
        total = tax_total = Decimal(0)
        assert len(read.lines) == len(bill.lines)
        for line, got in zip(bill.lines, read.lines, strict=True):
            assert (got.number, got.type, got.date) == (line.number, line.type.value, line.date)
            assert (got.units, got.unit_cost, got.adjustment) == (
                line.units,
                line.unit_cost,
                line.adjustment,
            )
            assert (got.task_code, got.activity_code, got.expense_code) == (
                line.task_code,
                line.activity_code,
                line.expense_code,
            )
            assert (got.timekeeper_id, got.timekeeper_classification) == (
                line.timekeeper_id,
                line.timekeeper_classification,
            )
            assert got.description == clean_text(line.description, limit).text
            amount, tax = expected_line(line, rate if international else Decimal(0))
            if international:
                assert got.tax_total == tax
            assert got.total == amount + tax
            total += amount + tax
            tax_total += tax
        assert read.total == total == figures.total
        if international:
            assert (read.tax_total, read.net_total) == (tax_total, total - tax_total)


_MUTATIONS: list[tuple[str, Any]] = [
    ("CLIENT_ID", lambda bill: replace(bill, client_id="")),
    ("INVOICE_NUMBER", lambda bill: replace(bill, number="A|B")),
    ("LAW_FIRM_ID", lambda bill: replace(bill, law_firm_id="X" * 60)),
    ("LINE_ITEM_TASK_CODE", lambda bill: _first_line(bill, task_code="L100")),
    ("LINE_ITEM_EXPENSE_CODE", lambda bill: _first_line(bill, expense_code="E101")),
    ("LINE_ITEM_NUMBER_OF_UNITS", lambda bill: _first_line(bill, units=Decimal("1.23456"))),
    ("LINE_ITEM_UNIT_COST", lambda bill: _first_line(bill, unit_cost=12.5)),
    ("LINE_ITEM_DATE", lambda bill: _first_line(bill, date=END + timedelta(days=1))),
    ("TIMEKEEPER_CLASSIFICATION", lambda bill: _first_line(bill, timekeeper_classification="X")),
    ("TIMEKEEPER_ID", lambda bill: _first_line(bill, timekeeper_id="")),
]


def _first_line(bill: Invoice, **changes: Any) -> Invoice:
    return replace(bill, lines=(replace(bill.lines[0], **changes), *bill.lines[1:]))


@PROPERTY_SETTINGS
@given(files(), st.sampled_from(_MUTATIONS))
def test_an_invoice_broken_in_one_field_is_refused_naming_that_field(
    drawn: tuple[LedesFormat, list[Invoice], int | None], mutation: tuple[str, Any]
) -> None:
    fmt, bills, _ = drawn
    assume(not check_invoices(bills, fmt))
    field, mutate = mutation
    broken = [mutate(bills[0]), *bills[1:]]
    with pytest.raises(ExportRefused) as refused:
        export_ledes(broken, fmt)
    assert {(p.invoice, p.field) for p in refused.value.problems} == {(broken[0].number, field)}
