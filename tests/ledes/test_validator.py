"""The validator on what real files contain and the samples lack (own fixtures).

The fixture files under fixtures/ were computed by hand (two invoices with both IF conventions
and an IE credit without units; 98BI tax rounded per line, 3 × 0.30 h × 33.50 at 7.5% and a
half-cent tie at 5%; BOM + CRLF + trailing blank line). Variants change one thing in a valid file
and expect exactly the problems that one change causes.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from lexbill.ledes import (
    ClientRules,
    Code,
    LedesFormat,
    Problem,
    Severity,
    ValidationReport,
    export_ledes,
    parse_ledes,
    validate_ledes,
)
from lexbill.ledes import reader as ledes_reader
from tests.ledes.conftest import FIXTURES, expense, fee, invoice

TWO_INVOICES = FIXTURES / "two_invoices_1998b.txt"
ROUNDING_98BI = FIXTURES / "rounding_98bi.txt"
CRLF_BOM = FIXTURES / "crlf_bom_trailing_blank_1998b.txt"


def variant(path: Path, changes: dict[tuple[int, str], str]) -> str:
    """The fixture with some fields replaced: {(file line, field name): new value}."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    names = lines[1].removesuffix("[]").split("|")
    for (line, field), value in changes.items():
        values = lines[line - 1].removesuffix("[]").split("|")
        values[names.index(field)] = value
        lines[line - 1] = "|".join(values) + "[]"
    return "\n".join(lines) + "\n"


def only(report: ValidationReport) -> Problem:
    assert len(report.problems) == 1, [str(p) for p in report.problems]
    return report.problems[0]


def kinds(report: ValidationReport) -> set[tuple[int, str | None, Code]]:
    return {(p.line, p.field, p.code) for p in report.problems}


# ------------------------------------------------------------------ what real files contain


def test_a_file_with_bom_crlf_and_a_trailing_blank_line_is_valid() -> None:
    raw = CRLF_BOM.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and raw.endswith(b"\r\n \r\n")
    report = validate_ledes(raw)
    assert report.problems == ()
    assert (report.line_items, report.invoices) == (3, 1)


def test_bytes_text_path_and_binary_stream_give_the_same_report() -> None:
    raw = CRLF_BOM.read_bytes()
    reports = [
        validate_ledes(raw),
        validate_ledes(raw.decode("utf-8")),
        validate_ledes(CRLF_BOM),
        validate_ledes(io.BytesIO(raw)),
    ]
    assert all(report == reports[0] for report in reports)


def test_a_utf16_file_with_its_bom_is_read() -> None:
    text = TWO_INVOICES.read_text()
    assert validate_ledes(text.encode("utf-16")).problems == ()


def test_classic_mac_line_ends_are_read() -> None:
    text = TWO_INVOICES.read_text().replace("\n", "\r")
    assert validate_ledes(text).problems == ()


def test_two_invoices_in_one_file_are_each_checked_and_parsed() -> None:
    report = validate_ledes(TWO_INVOICES)
    assert report.problems == ()
    assert report.invoices == 2
    parsed = parse_ledes(TWO_INVOICES)
    assert [(i.number, len(i.lines), i.total) for i in parsed.invoices] == [
        ("A100", 2, Decimal("742.50")),
        ("A101", 2, Decimal("1225.00")),
    ]


def test_both_if_conventions_and_an_ie_line_without_units_are_accepted() -> None:
    parsed = parse_ledes(TWO_INVOICES)
    flat_fee, credit = parsed.invoices[1].lines
    assert (flat_fee.type, str(flat_fee.units), str(flat_fee.unit_cost)) == ("IF", "1", "1250.00")
    assert (credit.type, credit.units, credit.unit_cost) == ("IE", None, None)
    # The sample's convention: units 1, no unit cost, the amount in the adjustment.
    text = variant(
        TWO_INVOICES,
        {(5, "LINE_ITEM_UNIT_COST"): "", (5, "LINE_ITEM_ADJUSTMENT_AMOUNT"): "1250."},
    )
    assert validate_ledes(text).problems == ()


def test_the_text_null_is_an_error_in_any_field() -> None:
    text = variant(TWO_INVOICES, {(3, "CLIENT_MATTER_ID"): "NULL"})
    problem = only(validate_ledes(text))
    assert (problem.line, problem.field, problem.code) == (3, "CLIENT_MATTER_ID", Code.NULL_LITERAL)


def test_a_thousands_separator_is_named_as_the_problem() -> None:
    text = variant(TWO_INVOICES, {(5, "LINE_ITEM_TOTAL"): "1,250.00"})
    report = validate_ledes(text)
    problem = only(report)
    assert (problem.line, problem.field, problem.code) == (5, "LINE_ITEM_TOTAL", Code.BAD_NUMBER)
    assert "comma" in problem.message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("+0.00", "'+' sign"),
        ("(5.00)", "parentheses"),
        ("5.00-", "trailing minus"),
        ("$5.00", "currency symbol"),
        ("5e2", "scientific"),
        ("5 00", "spaces"),
        ("1.23456", "5 decimals"),
    ],
)
def test_a_malformed_number_is_explained(value: str, words: str) -> None:
    text = variant(TWO_INVOICES, {(3, "LINE_ITEM_ADJUSTMENT_AMOUNT"): value})
    problem = only(validate_ledes(text))
    assert (problem.field, problem.code) == ("LINE_ITEM_ADJUSTMENT_AMOUNT", Code.BAD_NUMBER)
    assert words in problem.message


def test_negative_units_are_refused() -> None:
    text = variant(TWO_INVOICES, {(4, "LINE_ITEM_NUMBER_OF_UNITS"): "-3"})
    problem = only(validate_ledes(text))
    assert (problem.line, problem.field, problem.code) == (
        4,
        "LINE_ITEM_NUMBER_OF_UNITS",
        Code.NEGATIVE_UNITS,
    )


def test_a_pipe_in_a_narrative_is_a_field_count_error_without_knock_on_totals() -> None:
    text = variant(TWO_INVOICES, {(3, "LINE_ITEM_DESCRIPTION"): "Call with A | B"})
    problem = only(validate_ledes(text))
    assert (problem.line, problem.field, problem.code) == (3, None, Code.FIELD_COUNT)
    assert "'|' inside a value" in problem.message


def test_a_narrative_wrapped_over_two_lines_is_read_as_one_record_with_a_warning() -> None:
    text = variant(TWO_INVOICES, {(3, "LINE_ITEM_DESCRIPTION"): "Call with\nclient"})
    report = validate_ledes(text)
    assert report.is_valid
    assert kinds(report) == {(3, None, Code.LINE_BREAK_IN_RECORD)}
    assert report.line_items == 4
    parsed = parse_ledes(text)
    assert parsed.invoices[0].lines[0].description == "Call with\nclient"
    assert [line.line for line in parsed.invoices[1].lines] == [6, 7]


def test_a_line_without_its_terminator_is_an_error() -> None:
    lines = TWO_INVOICES.read_text().splitlines()
    lines[3] = lines[3].removesuffix("[]")
    report = validate_ledes("\n".join(lines) + "\n")
    assert kinds(report) == {(4, None, Code.MISSING_TERMINATOR)}


def test_records_on_one_line_are_split_at_their_terminators() -> None:
    text = TWO_INVOICES.read_text().replace("[]\n", "[]")
    report = validate_ledes(text)
    assert kinds(report) == {(1, None, Code.SEVERAL_RECORDS_ON_LINE)}
    assert report.line_items == 4


def test_a_blank_line_between_records_is_a_warning() -> None:
    lines = TWO_INVOICES.read_text().splitlines()
    lines.insert(3, "")
    problem = only(validate_ledes("\n".join(lines)))
    assert (problem.line, problem.code, problem.severity) == (4, Code.BLANK_LINE, Severity.WARNING)


def test_a_windows_1252_byte_is_reported_not_fatal() -> None:
    raw = TWO_INVOICES.read_bytes().replace(b"Copying", b"Copy\xe9")
    problem = only(validate_ledes(raw))
    assert (problem.line, problem.field, problem.code) == (
        4,
        "LINE_ITEM_DESCRIPTION",
        Code.NON_ASCII,
    )
    assert problem.severity is Severity.WARNING and "0xE9" in problem.message


def test_a_tab_in_a_narrative_is_a_warning() -> None:
    text = variant(TWO_INVOICES, {(4, "LINE_ITEM_DESCRIPTION"): "Copy\tfees"})
    problem = only(validate_ledes(text))
    assert (problem.code, problem.severity) == (Code.CONTROL_CHARACTER, Severity.WARNING)


# ------------------------------------------------------------------ values and codes


@pytest.mark.parametrize("value", ["20260230", "2026-01-15", "2026115", "15012026x"])
def test_a_bad_date_is_an_error(value: str) -> None:
    text = variant(TWO_INVOICES, {(3, "LINE_ITEM_DATE"): value})
    problem = only(validate_ledes(text))
    assert (problem.field, problem.code) == ("LINE_ITEM_DATE", Code.BAD_DATE)


@pytest.mark.parametrize(
    ("line", "field", "value", "code"),
    [
        (4, "LINE_ITEM_TASK_CODE", "L120", Code.MISPLACED_CODE),
        (3, "LINE_ITEM_EXPENSE_CODE", "E101", Code.MISPLACED_CODE),
        (4, "LINE_ITEM_ACTIVITY_CODE", "A101", Code.MISPLACED_CODE),
        (3, "LINE_ITEM_TASK_CODE", "A102", Code.CODE_OF_WRONG_KIND),
        (3, "LINE_ITEM_TASK_CODE", "L100", Code.PHASE_CODE),
        (3, "LINE_ITEM_TASK_CODE", "L999", Code.UNKNOWN_CODE),
        (3, "LINE_ITEM_TASK_CODE", "l120", Code.UNKNOWN_CODE),
        (3, "TIMEKEEPER_CLASSIFICATION", "PARTNER", Code.UNKNOWN_CLASSIFICATION),
        (3, "EXP/FEE/INV_ADJ_TYPE", "f", Code.UNKNOWN_LINE_TYPE),
        (3, "TIMEKEEPER_ID", "", Code.MISSING_REQUIRED),
        (4, "LINE_ITEM_UNIT_COST", "", Code.MISSING_REQUIRED),
        (4, "INVOICE_NUMBER", "X" * 21, Code.TOO_LONG),
    ],
)
def test_a_wrong_value_is_reported_on_its_line_and_field(
    line: int, field: str, value: str, code: Code
) -> None:
    changes = {(line, field): value}
    if field == "INVOICE_NUMBER":
        changes[line - 1, field] = value  # the whole invoice, or it would be two invoices
    text = variant(TWO_INVOICES, changes)
    report = validate_ledes(text)
    assert (line, field, code) in kinds(report)
    assert all(p.field == field for p in report.errors), [str(p) for p in report.problems]


def test_a_lower_case_code_gets_a_hint() -> None:
    text = variant(TWO_INVOICES, {(3, "LINE_ITEM_TASK_CODE"): "l120"})
    assert "'L120'" in only(validate_ledes(text)).message


def test_a_task_code_on_an_expense_may_be_allowed_by_the_client() -> None:
    text = variant(TWO_INVOICES, {(4, "LINE_ITEM_TASK_CODE"): "L120"})
    assert validate_ledes(text, ClientRules(allow_task_code_on_expense=True)).problems == ()


def test_an_invoice_field_differing_inside_an_invoice_is_reported_on_the_later_line() -> None:
    text = variant(TWO_INVOICES, {(4, "INVOICE_DATE"): "20260202"})
    problem = only(validate_ledes(text))
    assert (problem.line, problem.field, problem.code) == (
        4,
        "INVOICE_DATE",
        Code.INCONSISTENT_INVOICE_FIELD,
    )
    assert "line 3" in problem.message


def test_line_and_invoice_arithmetic_are_checked() -> None:
    text = variant(TWO_INVOICES, {(3, "LINE_ITEM_TOTAL"): "676.00"})
    report = validate_ledes(text)
    assert kinds(report) == {
        (3, "LINE_ITEM_TOTAL", Code.LINE_TOTAL_MISMATCH),
        (3, "INVOICE_TOTAL", Code.INVOICE_TOTAL_MISMATCH),
    }


def test_a_line_total_rounded_half_up_or_half_even_is_accepted() -> None:
    # 0.10 h × 333.35 = 33.335: 33.34 (half-up) and 33.33 (half-even) both round correctly.
    for total in ("33.34", "33.33"):
        text = variant(
            TWO_INVOICES,
            {
                (3, "LINE_ITEM_NUMBER_OF_UNITS"): "0.10",
                (3, "LINE_ITEM_UNIT_COST"): "333.35",
                (3, "LINE_ITEM_TOTAL"): total,
                (3, "INVOICE_TOTAL"): "",
            },
        )
        report = validate_ledes(text)
        assert (3, "LINE_ITEM_TOTAL", Code.LINE_TOTAL_MISMATCH) not in kinds(report)


def test_duplicate_line_numbers_within_an_invoice_are_reported() -> None:
    text = variant(TWO_INVOICES, {(4, "LINE_ITEM_NUMBER"): "1"})
    problem = only(validate_ledes(text))
    assert (problem.line, problem.code) == (4, Code.DUPLICATE_LINE_NUMBER)
    # The same number in another invoice is fine: the fixture reuses 1 and 2 in A101.


def test_a_line_dated_outside_the_billing_period_is_a_warning() -> None:
    text = variant(TWO_INVOICES, {(3, "LINE_ITEM_DATE"): "20251231"})
    problem = only(validate_ledes(text))
    assert (problem.code, problem.severity) == (Code.LINE_DATE_OUTSIDE_PERIOD, Severity.WARNING)


# ------------------------------------------------------------------ 98BI


def test_98bi_tax_rounded_per_line_is_valid() -> None:
    report = validate_ledes(ROUNDING_98BI)
    assert report.problems == ()
    parsed = parse_ledes(ROUNDING_98BI)
    (bill,) = parsed.invoices
    assert [str(line.tax_total) for line in bill.lines] == ["0.75", "0.75", "0.75", "0.51"]
    assert (str(bill.tax_total), str(bill.net_total), str(bill.total)) == ("2.76", "40.25", "43.01")


def test_98bi_tax_rounded_on_the_invoice_total_is_rejected() -> None:
    # 30.15 × 0.075 = 2.26125 → 2.26 on the fee subtotal, but the line taxes add up to 2.25.
    changes = {
        (line, field): value
        for line in range(3, 7)
        for field, value in (
            ("INVOICE_TAX_TOTAL", "2.77"),
            ("INVOICE_NET_TOTAL", "40.24"),
            ("INVOICE_REPORTED_TAX_TOTAL", "2.77"),
        )
    }
    report = validate_ledes(variant(ROUNDING_98BI, changes))
    assert kinds(report) == {(3, "INVOICE_TAX_TOTAL", Code.INVOICE_TAX_TOTAL_MISMATCH)}


def test_98bi_half_cent_line_tax_may_be_rounded_either_way_but_not_further() -> None:
    # 10.10 × 0.05 = 0.505
    for tax, ok in (("0.51", True), ("0.50", True), ("0.49", False)):
        total = str(Decimal("10.10") + Decimal(tax))
        text = variant(
            ROUNDING_98BI, {(6, "LINE_ITEM_TAX_TOTAL"): tax, (6, "LINE_ITEM_TOTAL"): total}
        )
        report = validate_ledes(text)
        assert ((6, "LINE_ITEM_TAX_TOTAL", Code.LINE_TAX_MISMATCH) not in kinds(report)) is ok


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("INVOICE_NET_TOTAL", "40.26", Code.INVOICE_NET_TOTAL_MISMATCH),
        ("INVOICE_REPORTED_TAX_TOTAL", "2.70", Code.REPORTED_TAX_MISMATCH),
        ("INVOICE_CURRENCY", "XYZ", Code.BAD_CURRENCY),
        ("ACCOUNT_TYPE", "X", Code.BAD_ACCOUNT_TYPE),
        ("LAW_FIRM_COUNTRY", "Britain", Code.BAD_COUNTRY),
    ],
)
def test_98bi_invoice_figures_and_codes_are_checked(field: str, value: str, code: Code) -> None:
    text = variant(ROUNDING_98BI, {(line, field): value for line in range(3, 7)})
    report = validate_ledes(text)
    assert code in {p.code for p in report.errors if p.field == field}


def test_98bi_tax_rate_must_be_a_fraction_below_one() -> None:
    text = variant(ROUNDING_98BI, {(3, "LINE_ITEM_TAX_RATE"): "7.5"})
    assert (3, "LINE_ITEM_TAX_RATE", Code.BAD_TAX_RATE) in kinds(validate_ledes(text))


def test_98bi_invoices_in_two_currencies_in_one_file_are_refused() -> None:
    lines = ROUNDING_98BI.read_text().splitlines()
    names = lines[1].removesuffix("[]").split("|")
    second = lines[2].removesuffix("[]").split("|")
    second[names.index("INVOICE_NUMBER")] = "R2"
    second[names.index("INVOICE_CURRENCY")] = "EUR"
    second[names.index("INVOICE_TOTAL")] = "10.80"
    second[names.index("INVOICE_TAX_TOTAL")] = "0.75"
    second[names.index("INVOICE_REPORTED_TAX_TOTAL")] = "0.75"
    second[names.index("INVOICE_TAX_CURRENCY")] = "EUR"
    second[names.index("INVOICE_NET_TOTAL")] = "10.05"
    report = validate_ledes("\n".join([*lines, "|".join(second) + "[]"]))
    assert kinds(report) == {(7, "INVOICE_CURRENCY", Code.MIXED_CURRENCY)}


# ------------------------------------------------------------------ file structure


def test_an_empty_file_is_reported() -> None:
    assert only(validate_ledes(b"")).code is Code.EMPTY_FILE


def test_a_file_with_only_a_marker_has_no_header_and_no_lines() -> None:
    report = validate_ledes("LEDES1998B[]\n")
    assert {p.code for p in report.errors} == {Code.BAD_HEADER, Code.NO_LINE_ITEMS}


def test_a_missing_marker_is_one_error_and_the_rest_is_still_checked() -> None:
    text = "\n".join(TWO_INVOICES.read_text().splitlines()[1:])
    problem = only(validate_ledes(text))
    assert (problem.line, problem.code) == (1, Code.BAD_MARKER)


def test_a_missing_header_is_one_error_and_the_lines_are_still_checked() -> None:
    lines = TWO_INVOICES.read_text().splitlines()
    report = validate_ledes("\n".join([lines[0], *lines[2:]]))
    assert kinds(report) == {(2, None, Code.BAD_HEADER)}
    assert report.line_items == 4


def test_the_98bi_marker_with_1998b_fields_is_reported() -> None:
    text = TWO_INVOICES.read_text().replace("LEDES1998B[]", "LEDES98BI V2[]")
    report = validate_ledes(text)
    assert report.format is LedesFormat.LEDES_98BI
    assert Code.BAD_HEADER in {p.code for p in report.errors}
    assert Code.FIELD_COUNT in {p.code for p in report.errors}


# ------------------------------------------------------------------ client rules


def test_client_rules_add_required_codes_invoice_numbers_and_narrative_limits() -> None:
    text = variant(
        TWO_INVOICES, {(3, "LINE_ITEM_TASK_CODE"): "", (4, "LINE_ITEM_EXPENSE_CODE"): ""}
    )
    rules = ClientRules(
        task_code_sets=frozenset({"litigation"}),
        require_expense_code=True,
        invoice_number_pattern=r"[A-Z]\d{2}",
        invoice_number_rule="a letter and two digits",
        narrative_limit=15,
    )
    report = validate_ledes(text, rules)
    assert kinds(report) == {
        (3, "INVOICE_NUMBER", Code.INVOICE_NUMBER_RULE),
        (3, "LINE_ITEM_TASK_CODE", Code.MISSING_CODE),
        (3, "LINE_ITEM_DESCRIPTION", Code.NARRATIVE_TOO_LONG),
        (4, "LINE_ITEM_EXPENSE_CODE", Code.MISSING_CODE),
        (5, "INVOICE_NUMBER", Code.INVOICE_NUMBER_RULE),
        (5, "LINE_ITEM_DESCRIPTION", Code.NARRATIVE_TOO_LONG),
        (6, "LINE_ITEM_DESCRIPTION", Code.NARRATIVE_TOO_LONG),
    }
    assert "a letter and two digits" in report.problems[0].message


def test_a_task_code_from_a_set_the_client_does_not_use_is_refused() -> None:
    text = variant(TWO_INVOICES, {(3, "LINE_ITEM_TASK_CODE"): "C100"})
    report = validate_ledes(text, ClientRules(task_code_sets=frozenset({"litigation"})))
    assert (3, "LINE_ITEM_TASK_CODE", Code.CODE_SET_NOT_ACCEPTED) in kinds(report)


# ------------------------------------------------------------------ reports and large files


def test_every_problem_is_reported_at_once_in_reading_order() -> None:
    text = variant(
        TWO_INVOICES,
        {
            (6, "LINE_ITEM_DATE"): "2026",
            (3, "TIMEKEEPER_CLASSIFICATION"): "BOSS",
            (3, "LINE_ITEM_UNIT_COST"): "1,000",
            (4, "LINE_ITEM_EXPENSE_CODE"): "E999",
        },
    )
    report = validate_ledes(text)
    assert [(p.line, p.field) for p in report.problems] == [
        (3, "LINE_ITEM_UNIT_COST"),
        (3, "TIMEKEEPER_CLASSIFICATION"),
        (4, "LINE_ITEM_EXPENSE_CODE"),
        (6, "LINE_ITEM_DATE"),
    ]


def test_the_json_shape_has_line_field_code_and_message() -> None:
    text = variant(TWO_INVOICES, {(3, "CLIENT_MATTER_ID"): "NULL"})
    document = json.loads(json.dumps(validate_ledes(text).as_dict()))
    assert document["valid"] is False and document["errors"] == 1
    assert document["problems"] == [
        {
            "line": 3,
            "field": "CLIENT_MATTER_ID",
            "code": "null_literal",
            "message": document["problems"][0]["message"],
            "severity": "error",
        }
    ]


def test_invoices_spanning_reading_blocks_are_checked_as_wholes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = [fee(str(n), "0.5", "300") for n in range(1, 121)] + [expense("121", "2", "1.25")]
    text = export_ledes([invoice(*lines)]).text
    monkeypatch.setattr(ledes_reader, "BLOCK_CHARS", 1_000)
    assert validate_ledes(text).problems == ()
    rows = text.splitlines()
    rows[100] = rows[100].replace("20260201", "20260202", 1)  # INVOICE_DATE comes first
    assert "|109|F|" in rows[110]
    rows[110] = rows[110].replace("|109|F|", "|12|F|", 1)
    report = validate_ledes("\n".join(rows))
    assert kinds(report) == {
        (101, "INVOICE_DATE", Code.INCONSISTENT_INVOICE_FIELD),
        (111, "LINE_ITEM_NUMBER", Code.DUPLICATE_LINE_NUMBER),
    }
