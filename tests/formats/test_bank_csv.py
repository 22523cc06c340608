"""CSV bank exports read through a column mapping: a US bank's and a European cp1252 one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lexbill.formats.bank import BankStatementError, CsvLayout, read_statement
from lexbill.formats.bank.csv_statement import preview

DATA = Path(__file__).parent / "data" / "bank"

US = CsvLayout(
    date_column="Posting Date",
    amount_column="Amount",
    reference_column="Reference",
    payer_column="Payer",
    bank_id_column="Transaction ID",
    type_column="Type",
    check_number_column="Check or Slip #",
)
EU = CsvLayout(
    date_column="Buchungstag",
    value_date_column="Valuta",
    credit_column="Haben",
    debit_column="Soll",
    reference_column="Verwendungszweck",
    payer_column="Auftraggeber/Empfänger",
    date_format="%d.%m.%Y",
    decimal_separator=",",
    thousands_separator=".",
    delimiter=";",
    encoding="cp1252",
    skip_rows=2,
    currency="EUR",
)


def test_a_us_bank_export_is_read_row_by_row_with_signed_amounts() -> None:
    statement = read_statement((DATA / "us_bank.csv").read_bytes(), "csv", layout=US)
    first, payroll, check, wire, transfer = statement.entries
    assert (first.line, first.booked_on, first.amount) == (2, date(2026, 3, 16), Decimal("500.00"))
    assert (first.reference, first.counterparty) == ("INV 2026-00001", "ACME CORP")
    assert (first.bank_ref, first.kind) == ("20260316-000187", "ACH_CREDIT")
    assert payroll.amount == Decimal("-1250.75") and not payroll.is_credit
    assert (check.amount, check.check_number, check.counterparty) == (
        Decimal("1000.00"),
        "1043",
        "Acme Corp.",
    )
    assert wire.amount == Decimal("2975.00") and wire.counterparty == "GLOBEX GMBH"
    assert transfer.line == 6 and transfer.reference == ""
    assert statement.currency == "USD"
    assert (statement.period_start, statement.period_end) == (date(2026, 3, 16), date(2026, 3, 19))
    assert [e.amount for e in statement.credits] == [
        Decimal("500.00"),
        Decimal("1000.00"),
        Decimal("2975.00"),
        Decimal("25.00"),
    ]


def test_a_european_export_with_preamble_decimal_commas_and_credit_debit_columns() -> None:
    statement = read_statement((DATA / "eu_bank_cp1252.csv").read_bytes(), "csv", layout=EU)
    globex, utility, mueller = statement.entries
    assert (globex.line, globex.amount, globex.currency) == (4, Decimal("1250.00"), "EUR")
    assert globex.reference == "Rechnung 2026-00002 Danke"
    assert (utility.amount, utility.counterparty) == (Decimal("-84.30"), "Stadtwerke Köln")
    # the blank line 6 is skipped but still counted
    assert (mueller.line, mueller.amount) == (7, Decimal("12000.50"))
    assert (mueller.booked_on, mueller.value_on) == (date(2026, 3, 20), date(2026, 3, 21))
    assert mueller.counterparty == "Müller & Söhne KG"


def test_columns_may_be_named_by_position() -> None:
    layout = CsvLayout(date_column="2", amount_column="4", payer_column="8")
    statement = read_statement((DATA / "us_bank.csv").read_bytes(), "csv", layout=layout)
    assert statement.entries[0].amount == Decimal("500.00")
    assert statement.entries[0].counterparty == "ACME CORP"


def test_the_preview_shows_the_header_and_first_rows_with_their_lines() -> None:
    rows = preview((DATA / "eu_bank_cp1252.csv").read_bytes(), EU, rows=2)
    assert [r.line for r in rows] == [3, 4, 5]
    assert rows[0].cells[0] == "Buchungstag"


@pytest.mark.parametrize(
    ("name", "line", "field", "words"),
    [
        ("us_bank_bad_date.csv", 3, "date", "'2026-17-03' is not a date"),
        ("us_bank_bad_amount.csv", 3, "amount", "'-12x0.75' is not an amount"),
        ("us_bank_missing_column.csv", 1, "amount", "no column 'Amount'"),
    ],
)
def test_a_malformed_export_is_refused_naming_line_and_field(
    name: str, line: int, field: str, words: str
) -> None:
    with pytest.raises(BankStatementError) as refused:
        read_statement((DATA / name).read_bytes(), "csv", layout=US)
    assert (refused.value.line, refused.value.field) == (line, field)
    assert words in refused.value.message


def test_the_wrong_encoding_is_refused_on_the_line_of_the_bad_byte() -> None:
    utf8 = CsvLayout(**{**EU.__dict__, "encoding": "utf-8"})
    with pytest.raises(BankStatementError) as refused:
        read_statement((DATA / "eu_bank_cp1252.csv").read_bytes(), "csv", layout=utf8)
    # "Währung" in the header, line 3, is the first non-ASCII byte
    assert (refused.value.line, refused.value.field) == (3, "encoding")


def test_a_short_row_names_the_missing_column() -> None:
    data = b"Date,Amount,Payer\n01/02/2026,10.00,Ann\n01/03/2026,5.00\n"
    layout = CsvLayout(date_column="Date", amount_column="Amount", payer_column="Payer")
    with pytest.raises(BankStatementError) as refused:
        read_statement(data, "csv", layout=layout)
    assert (refused.value.line, refused.value.field) == (3, "payer")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("(50.00)", "-50.00"), ("$1,234.56", "1234.56"), ("12.50-", "-12.50"), ("+7", "7")],
)
def test_amounts_in_the_ways_banks_write_them(text: str, expected: str) -> None:
    data = f'Date,Amount\n01/02/2026,"{text}"\n'.encode()
    statement = read_statement(data, "csv", layout=CsvLayout("Date", "Amount"))
    assert statement.entries[0].amount == Decimal(expected)


def test_a_decimal_point_where_a_comma_is_expected_is_refused_not_misread() -> None:
    data = b"Date;Amount\n02.01.2026;1.234.56\n"
    layout = CsvLayout(
        "Date",
        "Amount",
        date_format="%d.%m.%Y",
        decimal_separator=",",
        thousands_separator="",
        delimiter=";",
    )
    with pytest.raises(BankStatementError) as refused:
        read_statement(data, "csv", layout=layout)
    assert refused.value.line == 2


def test_a_mapping_from_settings_refuses_unknown_keys_and_incomplete_mappings() -> None:
    assert CsvLayout.from_dict({"date_column": "D", "amount_column": "A", "skip_rows": "2"}) == (
        CsvLayout("D", "A", skip_rows=2)
    )
    with pytest.raises(BankStatementError) as unknown:
        CsvLayout.from_dict({"date_column": "D", "amount_column": "A", "colour": "red"})
    assert unknown.value.field == "colour"
    with pytest.raises(BankStatementError) as no_amount:
        CsvLayout.from_dict({"date_column": "D"})
    assert no_amount.value.field == "amount_column"
