"""Fuzz the bank statement readers: CSV through a mapping, OFX 1.x/2.x and camt.053.

``read_statement`` either returns a statement or raises ``BankStatementError`` (a
``LexbillError``); a crash would show the user a server error instead of the line to fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.formats.bank import (
    BankStatement,
    BankStatementError,
    CsvLayout,
    guess_format,
    read_statement,
)
from lexbill.formats.bank.csv_statement import preview

from .support import BANK_DATA, FUZZ, NASTY_TEXT, any_input, only_lexbill_errors

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
CSV_SAMPLES = {"us_bank.csv": US, "eu_bank_cp1252.csv": EU}
OFX_SAMPLES = sorted(BANK_DATA.glob("*.ofx"))
CAMT_SAMPLES = sorted(BANK_DATA.glob("camt053_*.xml"))


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def _read(data: bytes, format: str, layout: CsvLayout | None = None) -> None:
    result = only_lexbill_errors(lambda: read_statement(data, format, layout=layout))
    if isinstance(result, BankStatement):
        assert result.format == format
        assert all(entry.amount.is_finite() for entry in result.entries)


def test_the_samples_are_there_to_mutate() -> None:
    assert len(OFX_SAMPLES) >= 2 and len(CAMT_SAMPLES) >= 2
    assert all((BANK_DATA / name).exists() for name in CSV_SAMPLES)


@pytest.mark.parametrize("name", sorted(CSV_SAMPLES))
@FUZZ
@given(data=st.data())
def test_a_mutated_csv_statement_is_refused_or_read(name: str, data: st.DataObject) -> None:
    layout = CSV_SAMPLES[name]
    text = (BANK_DATA / name).read_bytes().decode(layout.encoding.replace("-sig", ""))
    raw = data.draw(any_input(text))
    _read(raw, "csv", layout)
    only_lexbill_errors(lambda: preview(raw, layout))


@pytest.mark.parametrize("sample", OFX_SAMPLES, ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_a_mutated_ofx_statement_is_refused_or_read(sample: Path, data: st.DataObject) -> None:
    _read(data.draw(any_input(_text(sample))), "ofx")


_VALUE = re.compile(r">([^<>]+)<")

SCHEMA_PLAUSIBLE = [
    "12345-01-01",
    "-0001-01-01",
    "0000-01-01",
    "12345-01-01T00:00:00",
    "-0001-01-01T10:00:00",
    "2026-02-29",
    "999999999999999999.99",
    "0.00001",
    "DBIT",
    "XXX",
]


@st.composite
def camt_values_changed(draw: st.DrawFn, text: str) -> bytes:
    """Element values replaced one by one: mutations that can still pass the XSD, so the code
    after validation (dates, amounts, balances, period) gets arbitrary-but-valid values."""
    spots = list(_VALUE.finditer(text))
    for _ in range(draw(st.integers(1, 3))):
        spot = draw(st.sampled_from(spots))
        value = draw(st.sampled_from(SCHEMA_PLAUSIBLE + NASTY_TEXT))
        text = text[: spot.start(1)] + value + text[spot.end(1) :]
        spots = list(_VALUE.finditer(text))
    return text.encode("utf-8", errors="replace")


@pytest.mark.parametrize("sample", CAMT_SAMPLES, ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_a_mutated_camt053_statement_is_refused_or_read(sample: Path, data: st.DataObject) -> None:
    text = _text(sample)
    _read(data.draw(any_input(text) | camt_values_changed(text)), "camt053")


@FUZZ
@given(data=st.binary(max_size=400), name=st.sampled_from(["", "x.ofx", "x.xml", "x.csv"]))
def test_arbitrary_bytes_in_any_format_are_refused_or_read(data: bytes, name: str) -> None:
    format = guess_format(data, name)
    _read(data, format, US if format == "csv" else None)
    for other in ("ofx", "camt053"):
        _read(data, other)


_SETTINGS = st.sampled_from(
    [
        "date_column",
        "amount_column",
        "credit_column",
        "debit_column",
        "date_format",
        "decimal_separator",
        "thousands_separator",
        "delimiter",
        "encoding",
        "skip_rows",
        "currency",
        "no_such_setting",
    ]
)


@FUZZ
@given(
    values=st.dictionaries(
        _SETTINGS,
        st.none() | st.sampled_from(NASTY_TEXT) | st.text(max_size=6) | st.integers(),
        max_size=8,
    )
)
def test_a_mapping_typed_by_hand_is_refused_or_used(values: dict[str, object]) -> None:
    layout = only_lexbill_errors(lambda: CsvLayout.from_dict(values))
    if isinstance(layout, CsvLayout):
        _read((BANK_DATA / "us_bank.csv").read_bytes(), "csv", layout)


# --- inputs the fuzzer found, or that it could only find by luck, pinned --------------------


def test_xml_entity_expansion_is_refused_not_expanded() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol3;</Document>'
    )
    with pytest.raises(BankStatementError, match="DOCTYPE"):
        read_statement(laughs, "camt053")


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>'
    ).encode()
    with pytest.raises(BankStatementError) as caught:
        read_statement(xxe, "camt053")
    assert "TOP-SECRET" not in str(caught.value)


def test_a_mapping_without_a_date_column_is_refused_by_name() -> None:
    # found by the fuzzer: CsvLayout.from_dict({}) raised TypeError (missing argument)
    with pytest.raises(BankStatementError) as caught:
        CsvLayout.from_dict({})
    assert caught.value.field == "date_column"


@pytest.mark.parametrize("moment", ["12345-01-01T00:00:00", "-0001-01-01T00:00:00"])
def test_a_camt_period_outside_the_years_a_date_holds_is_refused(moment: str) -> None:
    # xs:dateTime (so the XSD) allows these years; date.fromisoformat raised ValueError
    text = (BANK_DATA / "camt053_v02.xml").read_text()
    bad = re.sub(r"(<FrDtTm>)[^<]*(</FrDtTm>)", rf"\g<1>{moment}\g<2>", text)
    assert bad != text
    with pytest.raises(BankStatementError) as caught:
        read_statement(bad.encode(), "camt053")
    expected_line = bad[: bad.index("<FrToDt>")].count("\n") + 1
    assert (caught.value.field, caught.value.line) == ("FrDtTm", expected_line)


def test_ofx_nested_thousands_deep_is_refused_not_a_stack_overflow() -> None:
    # Node.walk recursed once per level: RecursionError at ~1000 nested aggregates
    deep = b"OFXHEADER:100\n<OFX>" + b"<A>" * 3000 + b"</OFX>"
    with pytest.raises(BankStatementError, match="no bank statement"):
        read_statement(deep, "ofx")


def test_ofx_nested_deep_still_finds_the_statement_inside() -> None:
    sample = (BANK_DATA / "statement_102.ofx").read_bytes()
    plain = read_statement(sample, "ofx")
    start = sample.index(b"<OFX>") + len(b"<OFX>")
    wrapped = sample[:start] + b"<WRAP>" * 1500 + sample[start:]
    assert read_statement(wrapped, "ofx").entries == plain.entries
