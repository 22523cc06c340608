"""The issue's check on the demo firm: export it, empty the database, load the archive, export
again — the archives match. The demo (every part of Lexbill, 8,000 rows over some 50 tables) is
built once for the module inside a transaction rolled back at the end, as tests/app/test_demo.py
does; each test runs in its own savepoint.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from openpyxl import load_workbook

from lexbill.demo import DemoSummary, build_demo_firm
from lexbill.exports.archive import MANIFEST
from lexbill.exports.loader import load_archive
from lexbill.exports.services import export_firm_archive, export_firm_workbook
from lexbill.exports.tables import exported_tables

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_demo_firm(seed=2026, today=date(2026, 3, 18))
        transaction.set_rollback(True)


def _archive() -> dict[str, bytes]:
    buffer = io.BytesIO()
    export_firm_archive(None, buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_the_demo_firm_round_trips_through_an_archive(demo: DemoSummary) -> None:
    first = _archive()
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for spec in reversed(exported_tables()):
            cursor.execute(f"DELETE FROM {q(spec.table)}")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in first.items():
            archive.writestr(name, data)
    load_archive(io.BytesIO(zipped.getvalue()))
    second = _archive()

    assert set(first) == set(second)
    filled = [n for n in first if n != MANIFEST and len(_rows(first[n])) > 1]
    assert len(filled) >= 45  # the demo reaches nearly every table: the check means something
    for name in first:
        if name not in (MANIFEST, "audit_auditrecord.csv"):
            assert first[name] == second[name], f"{name} differs after the round trip"
    audit_before, audit_after = first["audit_auditrecord.csv"], second["audit_auditrecord.csv"]
    assert audit_after.startswith(audit_before)
    (load_event,) = _rows(audit_after[len(audit_before) :])
    assert "loaded from an archive" in " ".join(load_event)

    one, two = json.loads(first[MANIFEST]), json.loads(second[MANIFEST])
    assert one.pop("generated_at") != two.pop("generated_at")
    for manifest in (one, two):
        for entry in manifest["files"]:
            if entry["table"] == "audit_auditrecord":
                entry.pop("rows"), entry.pop("sha256")
    assert one == two


def test_the_demo_workbook_agrees_with_the_database(demo: DemoSummary) -> None:
    q = connection.ops.quote_name
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for spec in exported_tables():
            cursor.execute(f"SELECT COUNT(*) FROM {q(spec.table)}")
            counts[spec.table] = cursor.fetchone()[0]
        cursor.execute("SELECT SUM(amount), SUM(adjustment) FROM billing_invoiceline")
        line_amounts, line_adjustments = cursor.fetchone()
    buffer = io.BytesIO()
    sheets = export_firm_workbook(None, buffer)
    book = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)
    per_table: dict[str, int] = {}
    for info in sheets:
        per_table[info.table] = per_table.get(info.table, 0) + info.rows
        assert sum(1 for _ in book[info.title].iter_rows(values_only=True)) == info.rows + 1
    assert per_table == counts
    lines = list(book["invoice lines"].iter_rows(values_only=True))
    header = lines[0]
    amounts = sum(Decimal(repr(r[header.index("amount")])) for r in lines[1:])
    adjustments = sum(Decimal(repr(r[header.index("adjustment")])) for r in lines[1:])
    assert (amounts, adjustments) == (
        Decimal(line_amounts).scaleb(-2),
        Decimal(line_adjustments).scaleb(-2),
    )
    assert amounts > 0
