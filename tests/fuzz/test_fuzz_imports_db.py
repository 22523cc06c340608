"""Fuzz the importers that write: bank and trust statements, guideline documents, mapped
CSV/Excel imports and the export archive loader.

Each example feeds arbitrary or mutated input to the service, and accepts two outcomes only:
success, or a ``LexbillError`` with every table's row count exactly as before (all or nothing —
a refused file writes nothing, not even an audit record). Each example runs in a savepoint that
is rolled back afterwards, so a successful import never changes what the next example sees.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import event as hypothesis_event
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from lexbill.banking.services import create_bank_account, import_statement, save_csv_mapping
from lexbill.compliance.services import import_guidelines
from lexbill.core.errors import LexbillError
from lexbill.exports.archive import MANIFEST
from lexbill.exports.loader import load_archive
from lexbill.exports.services import export_firm_archive
from lexbill.exports.tables import exported_tables
from lexbill.imports.services import run_import
from lexbill.trust.reconciliation import import_trust_statement
from lexbill.trust.services import open_trust_account

from .support import BANK_DATA, DB_FUZZ, ROOT, any_input, mutated_text

US_MAPPING = {
    "date_column": "Posting Date",
    "amount_column": "Amount",
    "reference_column": "Reference",
    "payer_column": "Payer",
    "bank_id_column": "Transaction ID",
    "type_column": "Type",
    "check_number_column": "Check or Slip #",
}
TEMPLATE = ROOT / "src" / "lexbill" / "guidelines" / "templates" / "insurance-defense.yaml"


def event(name: str) -> None:
    """Count an outcome for ``--hypothesis-show-statistics`` (the pinned tests call it too)."""
    if currently_in_test_context():
        hypothesis_event(name)


class _Undo(Exception):
    """Raised to roll an example's savepoint back after it succeeded."""


def row_counts() -> dict[str, int]:
    """Rows in every table of the database (Django's and the project's alike)."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        # one round trip for all of them: a query per table made PostgreSQL examples slow
        cursor.execute(
            "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {q(table)})" for table in tables)
        )
        return dict(zip(tables, cursor.fetchone(), strict=True))


@contextmanager
def undone() -> Iterator[None]:
    """Run the block in a savepoint and always roll it back."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


def all_or_nothing(write: Callable[[], Any]) -> Any:
    """The service's result, or its ``LexbillError`` with no row written anywhere.

    Not wrapped in a savepoint of its own: a service that half-wrote and then failed must show
    here as changed counts, not be hidden by the test's own rollback.
    """
    before = row_counts()
    try:
        result = write()
    except LexbillError as error:
        event(f"refused: {type(error).__name__}")  # --hypothesis-show-statistics shows the mix
        assert str(error).strip()
        after = row_counts()
        changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
        assert not changed, f"{type(error).__name__} ({error}) left rows behind: {changed}"
        return error
    event("written")
    return result


# --- bank and trust statements ----------------------------------------------------------------


@pytest.fixture
def accounts(small_firm: Any) -> dict[str, Any]:
    """Accounts without a number (so any statement's account id is accepted) in both the
    samples' currencies, a CSV mapping for the US export, and a trust account."""
    usd = create_bank_account(None, "Fuzz operating USD", currency="USD")
    eur = create_bank_account(None, "Fuzz operating EUR", currency="EUR")
    trust_bank = create_bank_account(None, "Fuzz IOLTA bank", currency="USD")
    mapping = save_csv_mapping(None, usd, "US export", dict(US_MAPPING))
    trust = open_trust_account(None, "Fuzz IOLTA", "pooled", trust_bank, date(2026, 1, 1))
    return {"USD": usd, "EUR": eur, "mapping": mapping, "trust": trust, "f": small_firm}


STATEMENTS = [
    ("us_bank.csv", "csv", "USD"),
    ("statement_102.ofx", "ofx", "USD"),
    ("statement_220.ofx", "ofx", "USD"),
    ("camt053_v02.xml", "camt053", "EUR"),
    ("camt053_v08.xml", "camt053", "EUR"),
]


@pytest.mark.parametrize(("name", "format", "currency"), STATEMENTS)
@DB_FUZZ
@given(data=st.data())
def test_a_mutated_bank_statement_is_imported_whole_or_not_at_all(
    accounts: dict[str, Any], name: str, format: str, currency: str, data: st.DataObject
) -> None:
    sample = (BANK_DATA / name).read_bytes().decode("utf-8", errors="surrogateescape")
    raw = data.draw(any_input(sample))
    account = accounts[currency]
    mapping = accounts["mapping"] if format == "csv" else None
    with undone():
        all_or_nothing(
            lambda: import_statement(
                accounts["f"].sam, account, raw, format, mapping=mapping, file_name=name
            )
        )


@pytest.mark.parametrize(("name", "format"), [("statement_102.ofx", "ofx")])
@DB_FUZZ
@given(data=st.data())
def test_a_mutated_trust_statement_is_imported_whole_or_not_at_all(
    accounts: dict[str, Any], name: str, format: str, data: st.DataObject
) -> None:
    sample = (BANK_DATA / name).read_bytes().decode("utf-8", errors="surrogateescape")
    raw = data.draw(any_input(sample))
    with undone():
        all_or_nothing(
            lambda: import_trust_statement(
                accounts["f"].sam, accounts["trust"], raw, format, file_name=name
            )
        )


# --- guideline documents ----------------------------------------------------------------------


@DB_FUZZ
@given(data=st.data())
def test_a_mutated_guideline_document_is_stored_whole_or_not_at_all(
    small_firm: Any, data: st.DataObject
) -> None:
    text = TEMPLATE.read_text().replace("client: TEMPLATE", f"client: {small_firm.acme.number}")
    raw = data.draw(mutated_text(text))
    with undone():
        all_or_nothing(lambda: import_guidelines(small_firm.sam, small_firm.acme, raw))


# --- mapped CSV imports -----------------------------------------------------------------------

TIME_CSV = (
    "Date,Timekeeper,Matter,Hours,Narrative,Task,Activity\r\n"
    "2026-06-01,PW,C001-001,1.5,Draft motion to dismiss,L120,A103\r\n"
    '2026-06-02,AL,C001-001,0.25,"Call with client, re: ""exhibits""",L110,A106\r\n'
    "2026-06-03,PJ,C001-001,3,Assemble binders,L140,A110\r\n"
)
CLIENTS_CSV = "Number,Name,Billing email\r\nC900,Initech,ap@initech.example\r\nC901,Umbrella,\r\n"


@pytest.mark.parametrize(("kind", "sample"), [("time", TIME_CSV), ("clients", CLIENTS_CSV)])
@DB_FUZZ
@given(data=st.data())
def test_a_mutated_import_file_is_committed_whole_or_not_at_all(
    small_firm: Any, tmp_path_factory: Any, kind: str, sample: str, data: st.DataObject
) -> None:
    path = tmp_path_factory.mktemp("imports") / f"{kind}.csv"
    path.write_bytes(data.draw(any_input(sample)))
    with undone():
        all_or_nothing(lambda: run_import(small_firm.carol, kind, path, commit=True))


# --- the export archive loader ----------------------------------------------------------------


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@st.composite
def _resealed(draw: st.DrawFn, archive: bytes) -> bytes:
    """One CSV of the archive mutated, the manifest's checksum fixed to match (as someone
    editing the file and the manifest by hand would), so the rows reach the loader."""
    members = _members(archive)
    names = sorted(n for n in members if n != MANIFEST and members[n].count(b"\n") > 1)
    name = draw(st.sampled_from(names))
    text = draw(mutated_text(members[name].decode("utf-8")))
    members[name] = text.encode("utf-8", errors="replace")
    manifest = json.loads(members[MANIFEST])
    for entry in manifest["files"]:
        if entry["file"] == name:
            entry["sha256"] = hashlib.sha256(members[name]).hexdigest()
    members[MANIFEST] = json.dumps(manifest).encode()
    return _rezip(members)


def _wipe() -> None:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for spec in reversed(exported_tables()):
            cursor.execute(f"DELETE FROM {q(spec.table)}")


@pytest.fixture
def archive_and_empty_database(small_firm: Any) -> bytes:
    buffer = io.BytesIO()
    export_firm_archive(None, buffer)
    _wipe()
    return buffer.getvalue()


@DB_FUZZ
@given(data=st.data())
def test_a_tampered_archive_loads_whole_or_not_at_all(
    archive_and_empty_database: bytes, data: st.DataObject
) -> None:
    archive = archive_and_empty_database
    raw = data.draw(_resealed(archive) | st.binary(max_size=200) | st.just(archive[:-100]))
    with undone():
        all_or_nothing(lambda: load_archive(io.BytesIO(raw)))


@pytest.mark.django_db
def test_row_counts_cover_every_table_and_notice_a_new_row(small_firm: Any) -> None:
    before = row_counts()
    exported = {spec.table for spec in exported_tables()}
    assert exported <= set(before)
    create_bank_account(None, "Counted", currency="USD")
    after = row_counts()
    assert {t for t in before if before[t] != after[t]} >= {"banking_bankaccount"}


# --- inputs the fuzzer found, pinned: the database refused them with its own error ------------


OFX_DAMAGE = {
    # 30 digits: OverflowError (SQLite INTEGER) / DataError (PostgreSQL bigint)
    "amount": ("<TRNAMT>500.00", "<TRNAMT>" + "9" * 30),
    # three places: django ValidationError from FixedDecimalField
    "amount ": ("<TRNAMT>500.00", "<TRNAMT>500.001"),
    # PostgreSQL text cannot hold NUL: DataError
    "reference": ("<MEMO>INV", "<MEMO>a\x00INV"),
    # varchar(3) on PostgreSQL: DataError (SQLite stored the 4 letters)
    "currency": ("<TRNAMT>500.00", "<TRNAMT>500.00\n<CURRENCY><CURRATE>1<CURSYM>EURO</CURRENCY>"),
}


@pytest.mark.parametrize("field", sorted(OFX_DAMAGE))
def test_a_value_no_column_can_store_is_refused_by_line_and_field(
    accounts: dict[str, Any], field: str
) -> None:
    old, new = OFX_DAMAGE[field]
    text = (BANK_DATA / "statement_102.ofx").read_text()
    assert old in text
    damaged = text.replace(old, new, 1)
    error = all_or_nothing(
        lambda: import_statement(accounts["f"].sam, accounts["USD"], damaged.encode(), "ofx")
    )
    assert isinstance(error, LexbillError)
    # the entry's line is where its <STMTTRN> opens, the last one before the changed value
    at = damaged.index(new)
    expected_line = damaged[: damaged.rfind("<STMTTRN>", 0, at)].count("\n") + 1
    assert (error.field, error.line) == (field.strip(), expected_line)
