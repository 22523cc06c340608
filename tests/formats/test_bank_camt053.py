"""ISO 20022 camt.053 statements, validated against the vendored official XSDs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lexbill.formats.bank import BankStatementError, read_statement
from lexbill.formats.bank.camt053 import schema

DATA = Path(__file__).parent / "data" / "bank"


@pytest.mark.parametrize("name", ["camt053_v02.xml", "camt053_v08.xml"])
def test_a_camt053_statement_is_read_after_validation(name: str) -> None:
    statement = read_statement((DATA / name).read_bytes(), "camt053")
    assert (statement.account_id, statement.currency) == ("DE89370400440532013000", "EUR")
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("10000.00"),
        Decimal("13415.70"),
    )
    assert (statement.period_start, statement.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    # the pending fourth entry is not money on the account yet
    globex, utility, roadrunner = statement.entries
    assert (globex.line, globex.amount, globex.booked_on) == (
        58,
        Decimal("1250.00"),
        date(2026, 3, 16),
    )
    assert (globex.bank_ref, globex.end_to_end_id, globex.counterparty) == (
        "COBA2026031600042",
        "GLOBEX-PAY-7781",
        "Globex GmbH",
    )
    assert (globex.reference, globex.kind) == ("Rechnung 2026-00002", "PMNT-RCDT-ESCT")
    assert (utility.amount, utility.counterparty, utility.end_to_end_id) == (
        Decimal("-84.30"),
        "Stadtwerke Köln",
        "",
    )
    assert (roadrunner.reference, roadrunner.value_on) == ("2026-00005", date(2026, 3, 21))
    assert roadrunner.counterparty == "Roadrunner Logistics Ltd"


def test_the_sample_files_are_valid_against_the_official_schemas() -> None:
    from lxml import etree

    for name, version in [("camt053_v02.xml", "02"), ("camt053_v08.xml", "08")]:
        assert schema(version).validate(etree.parse(str(DATA / name)))
    assert not schema("02").validate(etree.parse(str(DATA / "camt053_schema_invalid.xml")))


def test_a_schema_invalid_statement_is_refused_naming_the_line() -> None:
    data = (DATA / "camt053_schema_invalid.xml").read_bytes()
    line = data.decode().splitlines().index("        <CdtDbtInd>DEBIT</CdtDbtInd>") + 1
    with pytest.raises(BankStatementError) as refused:
        read_statement(data, "camt053")
    assert refused.value.line == line
    assert "not valid camt.053.001.02" in refused.value.message
    assert "DEBIT" in refused.value.message


def test_a_truncated_statement_is_refused_as_not_well_formed() -> None:
    data = (DATA / "camt053_truncated.xml").read_bytes()
    with pytest.raises(BankStatementError) as refused:
        read_statement(data, "camt053")
    assert "not well-formed XML" in refused.value.message
    assert refused.value.line == len(data.decode().splitlines()) + 1


def test_another_xml_document_is_refused_by_its_namespace() -> None:
    data = (
        b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>'
    )
    with pytest.raises(BankStatementError) as refused:
        read_statement(data, "camt053")
    assert "pain.001.001.03" in refused.value.message and refused.value.line == 2


def test_external_entities_are_not_resolved() -> None:
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>'
    )
    with pytest.raises(BankStatementError) as refused:
        read_statement(data, "camt053")
    assert "root:" not in refused.value.message
    assert "DOCTYPE" in refused.value.message
