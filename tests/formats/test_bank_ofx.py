"""OFX 1.02 (SGML) and 2.2 (XML) statement downloads, and broken ones refused by line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lexbill.formats.bank import BankStatementError, guess_format, read_statement

DATA = Path(__file__).parent / "data" / "bank"


def _read(name: str):  # type: ignore[no-untyped-def]
    return read_statement((DATA / name).read_bytes(), "ofx")


def test_an_ofx_1_sgml_statement_with_open_leaf_tags() -> None:
    statement = _read("statement_102.ofx")
    assert (statement.account_id, statement.currency) == ("000123456789", "USD")
    assert statement.closing_balance == Decimal("15224.25")
    assert statement.opening_balance is None
    assert (statement.period_start, statement.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    acme, payroll, check, wire = statement.entries
    assert (acme.line, acme.booked_on, acme.amount) == (43, date(2026, 3, 16), Decimal("500.00"))
    assert (acme.bank_ref, acme.counterparty, acme.reference, acme.kind) == (
        "202603160001",
        "ACME CORP",
        "INV 2026-00001 PAYMENT",
        "CREDIT",
    )
    assert payroll.amount == Decimal("-1250.75")
    assert (check.check_number, check.end_to_end_id, check.value_on) == (
        "1043",
        "88213",
        date(2026, 3, 19),
    )
    assert wire.counterparty == "Smith & Jones LLP"  # &amp; unescaped


def test_an_ofx_2_xml_statement_with_closed_tags() -> None:
    statement = _read("statement_220.ofx")
    assert (statement.account_id, statement.currency) == ("9876543210", "USD")
    deposit, fee = statement.entries
    assert (deposit.line, deposit.amount, deposit.kind) == (25, Decimal("1500.00"), "DIRECTDEP")
    assert deposit.reference == "Invoices 2026-00002 2026-00003"
    assert (fee.amount, fee.reference, fee.booked_on) == (Decimal("-15.00"), "", date(2026, 4, 30))
    assert statement.closing_balance == Decimal("1485.00")


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("statement_no_transactions.ofx", 33, "no transactions section"),
        ("statement_truncated.ofx", 58, "never closed"),
        ("statement_bad_amount.ofx", 63, "'1,000.00.0' is not an amount"),
        ("statement_bad_date.ofx", 61, "'2026-03-18' is not an OFX date"),
    ],
)
def test_a_broken_ofx_file_is_refused_with_the_line(name: str, line: int, words: str) -> None:
    with pytest.raises(BankStatementError) as refused:
        _read(name)
    assert refused.value.line == line
    assert words in refused.value.message


def test_a_file_without_ofx_is_refused() -> None:
    with pytest.raises(BankStatementError) as refused:
        read_statement(b"Date,Amount\n", "ofx")
    assert "not an OFX file" in refused.value.message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("statement_102.ofx", "ofx"),
        ("statement_220.ofx", "ofx"),
        ("camt053_v02.xml", "camt053"),
        ("us_bank.csv", "csv"),
    ],
)
def test_the_format_is_guessed_from_the_content(name: str, expected: str) -> None:
    assert guess_format((DATA / name).read_bytes(), "upload.bin") == expected
