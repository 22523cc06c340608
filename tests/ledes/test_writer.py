"""Writing LEDES: the exact lines, the arithmetic receivers recompute, and clear refusals."""

from __future__ import annotations

import io
import pickle
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from lexbill.core.errors import LexbillError
from lexbill.ledes import (
    ChangeKind,
    ClientRules,
    Code,
    ExportRefused,
    Invoice,
    LedesFormat,
    LineItem,
    LineType,
    check_invoices,
    export_ledes,
    fee_cap,
    line_amount,
    parse_ledes,
    percentage_discount,
    reconciling_adjustment,
    validate_ledes,
    write_ledes,
)
from tests.ledes.conftest import expense, fee, international, invoice

D = Decimal
HEAD = "20260201|INV001|CLIENT1|M-0528|642.17|20260101|20260131|For services rendered|"
FIRM = "24-6437381"


def sample_invoice() -> Invoice:
    lines = [
        fee("1", "2.0", "350", adjustment=D("-70")),
        fee("2", "0.1", "333.35", description="Call re “deal”"),
        expense("3", "120", "0.10"),
    ]
    discount = percentage_discount(lines, D("0.05"), "4", date(2026, 1, 31))
    assert discount is not None
    return invoice(*lines, discount)


def test_an_invoice_is_written_line_for_line_as_ledes_1998b() -> None:
    export = export_ledes([sample_invoice()])
    assert export.text.splitlines() == [
        "LEDES1998B[]",
        LedesFormat.LEDES_1998B.header,
        f"{HEAD}1|F|2.00|-70.00|630.00|20260115|L110||A101|TK1|Research|{FIRM}|350.00|"
        "Arnsley, Robert|PARTNR|423-987[]",
        f'{HEAD}2|F|0.10|0.00|33.34|20260115|L110||A101|TK1|Call re "deal"|{FIRM}|333.35|'
        "Arnsley, Robert|PARTNR|423-987[]",
        f"{HEAD}3|E|120.00|0.00|12.00|20260116||E101|||Copies|{FIRM}|0.10|||423-987[]",
        f"{HEAD}4|IF||-33.17|-33.17|20260131|||||Discount of 5% on fees|{FIRM}||||423-987[]",
    ]
    assert export.text.endswith("[]\n")
    (figures,) = export.summary.invoices
    assert (figures.number, figures.line_items, figures.total) == ("INV001", 4, D("642.17"))


def test_the_invoice_total_is_the_sum_of_rounded_lines_not_a_rounded_sum() -> None:
    # Three lines of 0.1 h × 333.35 = 33.335 each: 33.34 × 3 = 100.02, while the exact sum
    # 100.005 would round to 100.01, the classic one-cent rejection.
    bill = invoice(*(fee(str(n), "0.1", "333.35") for n in (1, 2, 3)))
    export = export_ledes([bill])
    assert export.summary.invoices[0].total == D("100.02")
    assert all(line.split("|")[4] == "100.02" for line in export.text.splitlines()[2:])
    assert validate_ledes(export.text).problems == ()


def test_98bi_taxes_each_line_then_sums_and_states_the_net() -> None:
    lines = [
        fee("1", "0.30", "33.50", tax_rate=D("0.075")),
        fee("2", "0.30", "33.50", tax_rate=D("0.075")),
        fee("3", "0.30", "33.50", tax_rate=D("0.075")),
        expense("4", "1", "10.10", tax_rate=D("0.05")),
    ]
    bill = invoice(*lines, currency="GBP", international=international())
    export = export_ledes([bill], LedesFormat.LEDES_98BI)
    assert validate_ledes(export.text).problems == ()
    (figures,) = export.summary.invoices
    # 10.05 × 0.075 = 0.75375 → 0.75 per line (not 2.26 on the 30.15 subtotal); 0.505 → 0.51.
    assert (figures.tax_total, figures.net_total, figures.total) == (
        D("2.76"),
        D("40.25"),
        D("43.01"),
    )
    parsed = parse_ledes(export.text)
    (read,) = parsed.invoices
    assert [line.tax_total for line in read.lines] == [D("0.75")] * 3 + [D("0.51")]
    assert [line.total for line in read.lines] == [D("10.80")] * 3 + [D("10.61")]
    assert (read.currency, read.tax_currency, read.reported_tax_total) == ("GBP", "GBP", D("2.76"))
    first = read.lines[0]
    assert (first.timekeeper_last_name, first.timekeeper_first_name) == ("Arnsley", "Robert")
    assert len(export.text.splitlines()[2].split("|")) == 52


def test_98bi_reports_the_tax_in_the_tax_authoritys_currency() -> None:
    details = international(tax_currency="EUR", tax_exchange_rate=D("1.1"))
    bill = invoice(fee("1", "1", "100"), currency="GBP", international=details)
    export = export_ledes([bill], LedesFormat.LEDES_98BI)
    (read,) = parse_ledes(export.text).invoices
    assert (read.tax_total, read.reported_tax_total, read.tax_currency) == (
        D("20.00"),
        D("22.00"),
        "EUR",
    )
    assert validate_ledes(export.text).problems == ()


def test_several_invoices_go_into_one_file() -> None:
    first = invoice(fee("1", "1", "100"))
    second = invoice(fee("1", "2", "100"), expense("2", "1", "5"), number="INV002")
    export = export_ledes([first, second])
    report = validate_ledes(export.text)
    assert report.problems == () and report.invoices == 2
    assert [f.total for f in export.summary.invoices] == [D("100.00"), D("205.00")]


def test_text_is_transliterated_and_every_change_is_listed() -> None:
    bill = invoice(
        fee(
            "1",
            "1",
            "100",
            description="Müller’s “deal” | review [draft]\r\nnext",
            timekeeper_name="Søren, Åsa",
        ),
        description="Services — January",
    )
    export = export_ledes([bill])
    line = export.text.splitlines()[2].split("|")
    assert line[7] == "Services - January"
    assert line[18] == 'Muller\'s "deal" / review (draft) next'
    assert line[21] == "Soren, Asa"
    changes = {(c.line_item, c.field, c.original, c.replacement) for c in export.changes}
    assert changes == {
        (None, "INVOICE_DESCRIPTION", "—", "-"),
        ("1", "LINE_ITEM_DESCRIPTION", "ü", "u"),
        ("1", "LINE_ITEM_DESCRIPTION", "’", "'"),
        ("1", "LINE_ITEM_DESCRIPTION", "“", '"'),
        ("1", "LINE_ITEM_DESCRIPTION", "”", '"'),
        ("1", "LINE_ITEM_DESCRIPTION", "|", "/"),
        ("1", "LINE_ITEM_DESCRIPTION", "[", "("),
        ("1", "LINE_ITEM_DESCRIPTION", "]", ")"),
        ("1", "LINE_ITEM_DESCRIPTION", "\r\n", " "),
        ("1", "TIMEKEEPER_NAME", "ø", "o"),
        ("1", "TIMEKEEPER_NAME", "Å", "A"),
    }
    assert all(c.invoice == "INV001" for c in export.changes)


def test_a_narrative_over_the_clients_limit_is_cut_and_the_cut_reported() -> None:
    bill = invoice(fee("1", "1", "100", description="Review of the draft agreement"))
    export = export_ledes([bill], rules=ClientRules(narrative_limit=10))
    assert export.text.splitlines()[2].split("|")[18] == "Review of"
    (change,) = export.changes
    assert (change.kind, change.original) == (ChangeKind.TRUNCATED, " the draft agreement")
    assert "cut to the length limit" in change.message


def test_windows_line_ends_on_request() -> None:
    text = export_ledes([sample_invoice()], line_ending="\r\n").text
    assert text.count("[]\r\n") == 6 and "\n" not in text.replace("\r\n", "")
    assert validate_ledes(text.encode()).problems == ()


def test_fee_cap_and_discounts_become_invoice_level_lines() -> None:
    lines = [fee("1", "10", "400"), fee("2", "5", "300"), expense("3", "1", "50")]
    cap = fee_cap(lines, D("5000"), "4", date(2026, 1, 31))
    assert cap is not None
    assert (cap.type, cap.adjustment, cap.units, cap.unit_cost) == (
        LineType.FEE_ADJUSTMENT,
        D("-500.00"),
        None,
        None,
    )
    assert fee_cap(lines, D("6000"), "4", date(2026, 1, 31)) is None
    discount = percentage_discount(lines, D("0.1"), "5", date(2026, 1, 31), on=LineType.EXPENSE)
    assert discount is not None and discount.type is LineType.EXPENSE_ADJUSTMENT
    assert discount.adjustment == D("-5.00")
    export = export_ledes([invoice(*lines, cap, discount)])
    assert export.summary.invoices[0].total == D("5045.00")
    assert validate_ledes(export.text).problems == ()


def test_a_reconciling_adjustment_makes_ledes_charge_what_the_firm_billed() -> None:
    # 7 minutes at 300/h: the firm bills 35.00 from minutes; LEDES has only 0.1167 h,
    # and 0.1167 × 300 = 35.01.
    units, rate, billed = D("0.1167"), D("300"), D("35.00")
    line = fee("1", str(units), str(rate), billed_amount=billed)
    with pytest.raises(ExportRefused) as refused:
        export_ledes([invoice(line)])
    (problem,) = refused.value.problems
    assert (problem.line_item, problem.field, problem.code) == (
        "1",
        "LINE_ITEM_TOTAL",
        Code.BILLED_AMOUNT_MISMATCH,
    )
    fixed = replace(line, adjustment=reconciling_adjustment(units, rate, billed))
    assert line_amount(fixed) == billed
    export = export_ledes([invoice(fixed)])
    assert validate_ledes(export.text).problems == ()


# ------------------------------------------------------------------ refusals


def _refusal(bill: Invoice, fmt: LedesFormat = LedesFormat.LEDES_1998B, **rules: Any) -> set[Any]:
    with pytest.raises(ExportRefused) as refused:
        export_ledes([bill], fmt, ClientRules(**rules))
    return {(p.invoice, p.line_item, p.field, p.code) for p in refused.value.problems}


@pytest.mark.parametrize(
    ("bill", "expected"),
    [
        (invoice(fee("1", "1", "100"), client_id=""), (None, "CLIENT_ID", Code.MISSING_REQUIRED)),
        (
            invoice(fee("1", "1", "100"), client_id="C|1"),
            (None, "CLIENT_ID", Code.TERMINATOR_IN_VALUE),
        ),
        (
            invoice(fee("1", "1", "100"), law_firm_matter_id="Mätter"),
            (None, "LAW_FIRM_MATTER_ID", Code.NON_ASCII),
        ),
        (
            invoice(fee("1", "1", "100", task_code="L999")),
            ("1", "LINE_ITEM_TASK_CODE", Code.UNKNOWN_CODE),
        ),
        (
            invoice(fee("1", "1", "100", expense_code="E101")),
            ("1", "LINE_ITEM_EXPENSE_CODE", Code.MISPLACED_CODE),
        ),
        (
            invoice(expense("1", "1", "100", task_code="L110")),
            ("1", "LINE_ITEM_TASK_CODE", Code.MISPLACED_CODE),
        ),
        (
            invoice(fee("1", "1", "100", timekeeper_classification="BOSS")),
            ("1", "TIMEKEEPER_CLASSIFICATION", Code.UNKNOWN_CLASSIFICATION),
        ),
        (
            invoice(fee("1", "1", "100", timekeeper_id="")),
            ("1", "TIMEKEEPER_ID", Code.MISSING_REQUIRED),
        ),
        (
            invoice(fee("1", "1.00001", "100")),
            ("1", "LINE_ITEM_NUMBER_OF_UNITS", Code.BAD_NUMBER),
        ),
        (
            invoice(fee("1", "-1", "100")),
            ("1", "LINE_ITEM_NUMBER_OF_UNITS", Code.NEGATIVE_UNITS),
        ),
        (
            invoice(replace(fee("1", "1", "100"), unit_cost=None)),
            ("1", "LINE_ITEM_UNIT_COST", Code.MISSING_REQUIRED),
        ),
        (
            invoice(replace(fee("1", "1", "100"), units=1.5)),  # type: ignore[arg-type]
            ("1", "LINE_ITEM_NUMBER_OF_UNITS", Code.NOT_DECIMAL),
        ),
        (
            invoice(fee("1", "1", "100", date=date(2026, 2, 3))),
            ("1", "LINE_ITEM_DATE", Code.LINE_DATE_OUTSIDE_PERIOD),
        ),
        (
            invoice(fee("1", "1", "100"), fee("1", "2", "100")),
            ("1", "LINE_ITEM_NUMBER", Code.DUPLICATE_LINE_NUMBER),
        ),
        (
            invoice(fee("1", "1", "100"), expected_total=D("99.99")),
            (None, "INVOICE_TOTAL", Code.EXPECTED_TOTAL_MISMATCH),
        ),
        (invoice(), (None, "lines", Code.NO_LINES)),
        (
            invoice(fee("1", "1", "100"), billing_start=date(2026, 2, 1)),
            (None, "BILLING_START_DATE", Code.BILLING_PERIOD_REVERSED),
        ),
        (
            invoice(fee("1", "1", "100"), currency="XYZ"),
            (None, "INVOICE_CURRENCY", Code.BAD_CURRENCY),
        ),
    ],
)
def test_an_invoice_that_cannot_be_expressed_is_refused_naming_where(
    bill: Invoice, expected: tuple[Any, ...]
) -> None:
    assert ("INV001", *expected) in _refusal(bill)


def test_the_clients_rules_are_enforced_at_export() -> None:
    bill = invoice(
        fee("1", "1", "100", task_code="", activity_code=""),
        expense("2", "1", "5", expense_code=""),
        number="2026-00012",
    )
    problems = _refusal(
        bill,
        task_code_sets=frozenset({"litigation"}),
        require_activity_code=True,
        require_expense_code=True,
        invoice_number_pattern=r"[A-Za-z0-9]{1,10}",
        invoice_number_rule="at most 10 letters and digits",
    )
    assert problems == {
        ("2026-00012", None, "INVOICE_NUMBER", Code.INVOICE_NUMBER_RULE),
        ("2026-00012", "1", "LINE_ITEM_TASK_CODE", Code.MISSING_CODE),
        ("2026-00012", "1", "LINE_ITEM_ACTIVITY_CODE", Code.MISSING_CODE),
        ("2026-00012", "2", "LINE_ITEM_EXPENSE_CODE", Code.MISSING_CODE),
    }


def test_98bi_needs_its_details_and_timekeeper_names() -> None:
    assert ("INV001", None, "international", Code.MISSING_DETAILS) in _refusal(
        invoice(fee("1", "1", "100")), LedesFormat.LEDES_98BI
    )
    nameless = invoice(
        fee("1", "1", "100", timekeeper_name="Robert Arnsley"), international=international()
    )
    assert _refusal(nameless, LedesFormat.LEDES_98BI) == {
        ("INV001", "1", "TIMEKEEPER_LAST_NAME", Code.MISSING_REQUIRED),
        ("INV001", "1", "TIMEKEEPER_FIRST_NAME", Code.MISSING_REQUIRED),
    }
    taxed = invoice(fee("1", "1", "100", tax_rate=D("20")), international=international())
    assert ("INV001", "1", "LINE_ITEM_TAX_RATE", Code.BAD_TAX_RATE) in _refusal(
        taxed, LedesFormat.LEDES_98BI
    )


def test_invoices_in_two_currencies_cannot_share_a_file() -> None:
    with pytest.raises(ExportRefused) as refused:
        export_ledes(
            [invoice(fee("1", "1", "1")), invoice(fee("1", "1", "1"), number="B", currency="EUR")]
        )
    assert [(p.invoice, p.code) for p in refused.value.problems] == [("B", Code.MIXED_CURRENCY)]


def test_every_problem_in_every_invoice_is_refused_at_once_and_nothing_is_written() -> None:
    bad_one = invoice(fee("1", "1", "100", task_code="X1"), client_id="")
    good = invoice(fee("1", "1", "100"), number="INV002")
    bad_two = invoice(expense("1", "1", "5", expense_code="E999"), number="INV003")
    stream = io.StringIO()
    with pytest.raises(ExportRefused) as refused:
        write_ledes([bad_one, good, bad_two], stream)
    assert stream.getvalue() == ""
    error = refused.value
    assert isinstance(error, LexbillError)
    assert [(p.invoice, p.field) for p in error.problems] == [
        ("INV001", "CLIENT_ID"),
        ("INV001", "LINE_ITEM_TASK_CODE"),
        ("INV003", "LINE_ITEM_EXPENSE_CODE"),
    ]
    assert "3 problems" in str(error) and "invoice INV003, line item 1" in str(error)
    assert pickle.loads(pickle.dumps(error)).problems == error.problems
    assert check_invoices([bad_one, good, bad_two]) == list(error.problems)
    assert check_invoices([good]) == []


def test_an_ie_credit_without_units_and_an_if_flat_fee_are_written_as_given() -> None:
    credit = LineItem("2", LineType.EXPENSE_ADJUSTMENT, date(2026, 1, 31), adjustment=D("-25"))
    flat = LineItem(
        "1", LineType.FEE_ADJUSTMENT, date(2026, 1, 31), units=D("1"), unit_cost=D("1250")
    )
    export = export_ledes([invoice(flat, credit)])
    lines = [line.split("|") for line in export.text.splitlines()[2:]]
    assert [[*line[10:13], line[20]] for line in lines] == [
        ["1.00", "0.00", "1250.00", "1250.00"],
        ["", "-25.00", "-25.00", ""],
    ]
    assert validate_ledes(export.text).problems == ()


def test_a_timekeeper_accepted_on_an_expense_is_still_checked_on_a_fee_line() -> None:
    # Classification may be blank on an expense line but not on a fee line.
    person = {"timekeeper_id": "TK9", "timekeeper_name": "Doe, Jane"}
    bill = invoice(
        expense("1", "1", "5", **person),
        fee("2", "1", "100", timekeeper_classification="", **person),
    )
    assert _refusal(bill) == {("INV001", "2", "TIMEKEEPER_CLASSIFICATION", Code.MISSING_REQUIRED)}


def test_a_person_on_fee_and_expense_lines_is_written_the_same_way() -> None:
    person = {"timekeeper_id": "TK9", "timekeeper_name": "Døe, Jane"}
    bill = invoice(
        expense("1", "1", "5", timekeeper_classification="PARTNR", **person),
        fee("2", "1", "100", timekeeper_classification="PARTNR", **person),
        currency="GBP",
        international=international(),
    )
    export = export_ledes([bill], LedesFormat.LEDES_98BI)
    rows = [line.split("|") for line in export.text.splitlines()[2:]]
    assert {(row[17], row[21], row[30], row[31]) for row in rows} == {
        ("TK9", "Doe, Jane", "Doe", "Jane")
    }
    assert [(c.line_item, c.field) for c in export.changes] == [
        ("1", "TIMEKEEPER_NAME"),
        ("1", "TIMEKEEPER_LAST_NAME"),
    ]
