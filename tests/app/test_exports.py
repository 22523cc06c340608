"""Taking all of a firm's data out (CSV archive, Excel) and loading an archive back, checked on a
small firm built through the services: what is in the archive, that it loads back exactly, and
that every bad archive is refused with its file, line and column and nothing written.

The demo firm's round trip (and the move from SQLite) is tests/app/test_exports_demo.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from tests.app.receivables_aging_firm import build_aging_firm

from lexbill.billing.models import Invoice
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import TimeEntry
from lexbill.entries.services import TimeDraft, record_time
from lexbill.exports.archive import MANIFEST
from lexbill.exports.codec import NULL, Kind, decoder, encoder, fixed_text, read_fixed
from lexbill.exports.errors import ArchiveRefused
from lexbill.exports.loader import load_archive, tables_holding_data
from lexbill.exports.services import export_firm_archive, export_firm_workbook
from lexbill.exports.tables import SEEDED_BY_MIGRATIONS, exported_tables
from lexbill.exports.workbook import excel_date, write_workbook
from lexbill.receivables.services import post_payment

# --- the CSV convention, without a database -------------------------------------------------


@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(min_value=0, max_value=6))
def test_a_fixed_point_value_reads_back_as_the_integer_it_was_stored_as(
    scaled: int, places: int
) -> None:
    text = fixed_text(scaled, places)
    assert read_fixed(text, places) == scaled
    assert Decimal(text) == Decimal(scaled).scaleb(-places)  # the value people read
    if places:
        assert len(text.split(".")[1]) == places


@given(st.text())
def test_any_text_reads_back_as_itself_and_never_as_null(text: str) -> None:
    written = encoder(Kind.TEXT)(text)
    assert written != NULL
    assert decoder(Kind.TEXT)(written) == text


def test_null_and_empty_text_are_different_cells() -> None:
    write = encoder(Kind.TEXT)
    assert (write(None), write(""), write("\\N")) == ("\\N", "", "\\\\N")


def test_a_moment_is_written_in_utc_whatever_zone_it_comes_in() -> None:
    from datetime import UTC, timedelta, timezone

    write = encoder(Kind.DATETIME)
    moment = datetime(2026, 3, 18, 14, 5, 9, tzinfo=UTC)
    in_new_york = moment.astimezone(timezone(timedelta(hours=-4)))
    naive_utc = moment.replace(tzinfo=None)  # as SQLite hands Django's stored value back
    assert {write(moment), write(in_new_york), write(naive_utc)} == {"2026-03-18T14:05:09.000000Z"}
    assert decoder(Kind.DATETIME)(write(in_new_york)) == moment


def test_money_with_more_places_than_the_column_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        read_fixed("12.345", 2)
    with pytest.raises(ValueError, match="not a number"):
        read_fixed("1,234.50", 2)


# --- a small firm ---------------------------------------------------------------------------

WEIRD_NARRATIVES = ['=HYPERLINK("http://x")', "\\N is not null", "Zeile 1\r\nZeile 2 — ü €"]


@pytest.fixture
def firm(small_firm: Any) -> Any:
    aging = build_aging_firm(small_firm)
    for narrative in WEIRD_NARRATIVES:
        record_time(
            small_firm.clara,
            TimeDraft(
                small_firm.acme_hourly,
                small_firm.partner,
                date(2026, 6, 2),
                hours_to_seconds("0.3"),
                narrative,
                task_code="L120",
                activity_code="A103",
            ),
        )
    post_payment(None, small_firm.acme, "1000.00", date(2026, 6, 1), reference="check 1")
    return aging


def _archive(actor: Any = None) -> bytes:
    buffer = io.BytesIO()
    export_firm_archive(actor, buffer)
    return buffer.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tampered(data: bytes, file: str, change: Callable[[str], str], *, reseal: bool) -> bytes:
    """The archive with one CSV changed; ``reseal`` fixes the manifest's checksum and row count
    too, as someone editing the file by hand and the manifest with it would."""
    members = _members(data)
    text = change(members[file].decode("utf-8"))
    members[file] = text.encode("utf-8")
    if reseal:
        manifest = json.loads(members[MANIFEST])
        for entry in manifest["files"]:
            if entry["file"] == file:
                entry["sha256"] = hashlib.sha256(members[file]).hexdigest()
                entry["rows"] = max(len(list(_csv_rows(members[file]))) - 1, 0)
        members[MANIFEST] = json.dumps(manifest).encode()
    return _rezip(members)


def _csv_rows(data: bytes) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _wipe() -> None:
    """Empty every table of the archive with raw SQL (immutable records included)."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for spec in reversed(exported_tables()):
            cursor.execute(f"DELETE FROM {q(spec.table)}")


def _row_counts() -> dict[str, int]:
    q = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for spec in exported_tables():
            cursor.execute(f"SELECT COUNT(*) FROM {q(spec.table)}")
            counts[spec.table] = cursor.fetchone()[0]
    return counts


# --- what is in the archive -------------------------------------------------------------------


def test_every_table_of_every_lexbill_model_is_in_the_archive(firm: Any) -> None:
    members = _members(_archive())
    manifest = json.loads(members[MANIFEST])
    tables = {
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_config.name.startswith("lexbill.") and m._meta.managed
    }
    left_out = {t["table"] for t in manifest["not_exported"]}
    assert left_out == {"firm_user_groups", "firm_user_user_permissions"}  # Django's, not ours
    assert {f["table"] for f in manifest["files"]} == tables - left_out
    assert {f"{t}.csv" for t in tables - left_out} | {MANIFEST} == set(members)


def test_the_manifest_describes_each_file_exactly(firm: Any) -> None:
    counts = _row_counts()  # before: the export adds its own audit event after its snapshot
    members = _members(_archive())
    manifest = json.loads(members[MANIFEST])
    assert manifest["format"] == "lexbill-archive" and manifest["format_version"] == 1
    with connection.cursor() as cursor:  # the migration state, read independently
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = cursor.fetchall()
    for app_label, latest in manifest["migrations"].items():
        assert (app_label, latest) in applied
        assert latest == max(n for a, n in applied if a == app_label)
    for entry in manifest["files"]:
        data = members[entry["file"]]
        rows = _csv_rows(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["rows"] == len(rows) - 1 == counts[entry["table"]]
        assert rows[0] == [c["name"] for c in entry["columns"]]
    datetime.fromisoformat(manifest["generated_at"])


def test_users_are_exported_without_password_hashes(firm: Any) -> None:
    members = _members(_archive())
    users = _csv_rows(members["firm_user.csv"])
    assert "password" not in users[0]
    assert sorted(r[users[0].index("username")] for r in users[1:]) == sorted(
        ["alice", "carol", "sam", "clara", "pat"]
    )
    everything = b"".join(members.values())
    assert b"argon2" not in everything


def test_money_is_written_as_its_decimal_value(firm: Any) -> None:
    members = _members(_archive())
    rows = _csv_rows(members["billing_invoice.csv"])
    header = rows[0]
    by_id = {int(r[header.index("id")]): r[header.index("total")] for r in rows[1:]}
    for invoice in Invoice.objects.all():
        assert by_id[invoice.pk] == f"{invoice.total:.2f}"


def test_text_that_looks_like_null_or_a_formula_survives(firm: Any) -> None:
    rows = _csv_rows(_members(_archive())["entries_timeentry.csv"])
    narratives = [r[rows[0].index("narrative")] for r in rows[1:]]
    assert "\\\\N is not null" in narratives  # escaped, not NULL
    assert WEIRD_NARRATIVES[2] in narratives  # CRLF and non-ASCII kept


def test_a_migration_that_seeds_a_table_is_known_to_the_loader(db: Any) -> None:
    """A fresh database holds only what migrations seed; the loader must know those tables, or
    it would refuse every new database as "holding firm data"."""
    assert tables_holding_data() == []
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in SEEDED_BY_MIGRATIONS:
            cursor.execute(f"SELECT COUNT(*) FROM {q(table)}")
            assert cursor.fetchone()[0] > 0, f"{table} is no longer seeded: drop it from the list"


# --- round trip -----------------------------------------------------------------------------


def test_an_archive_loads_back_into_an_empty_database_exactly(firm: Any) -> None:
    first = _archive()
    _wipe()
    summary = load_archive(io.BytesIO(first))
    second = _archive()
    a, b = _members(first), _members(second)
    assert summary.rows == sum(
        json.loads(a[MANIFEST])["files"][i]["rows"] for i in range(len(a) - 1)
    )
    for name in a:
        if name not in (MANIFEST, "audit_auditrecord.csv"):
            assert a[name] == b[name], name
    # the audit trail is the original's, byte for byte, plus the load's own event
    assert b["audit_auditrecord.csv"].startswith(a["audit_auditrecord.csv"])
    extra = _csv_rows(b["audit_auditrecord.csv"][len(a["audit_auditrecord.csv"]) :])
    header = _csv_rows(a["audit_auditrecord.csv"])[0]
    assert len(extra) == 1 and extra[0][header.index("action")] == "event"
    assert "loaded from an archive" in extra[0][header.index("summary")]
    ma, mb = json.loads(a[MANIFEST]), json.loads(b[MANIFEST])
    for manifest in (ma, mb):
        del manifest["generated_at"]
        for entry in manifest["files"]:
            if entry["table"] == "audit_auditrecord":
                entry["rows"] = entry["sha256"] = None
    assert ma == mb


def test_after_a_load_new_rows_get_new_ids(firm: Any) -> None:
    first = _archive()
    highest = TimeEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    _wipe()
    load_archive(io.BytesIO(first))
    entry = record_time(
        None,
        TimeDraft(firm.f.acme_hourly, firm.f.partner, date(2026, 6, 3), 3600, "After the move"),
    )
    assert highest is not None and entry.pk > highest


def test_passwords_can_be_set_while_loading(firm: Any) -> None:
    from lexbill.firm.models import User

    first = _archive()
    _wipe()
    load_archive(io.BytesIO(first), passwords={"alice": "a new long passphrase"})
    assert User.objects.get(username="alice").check_password("a new long passphrase")
    assert not User.objects.get(username="carol").has_usable_password()


# --- refusals: each names where, and nothing is written ---------------------------------------


def _refused(data: bytes) -> ArchiveRefused:
    before = _row_counts()
    with pytest.raises(ArchiveRefused) as caught:
        load_archive(io.BytesIO(data))
    assert _row_counts() == before, "a refused load wrote something"
    return caught.value


def test_a_database_that_holds_firm_data_is_refused(firm: Any) -> None:
    error = _refused(_archive())
    assert "already holds firm data" in str(error)


def test_a_cut_off_archive_is_refused(firm: Any) -> None:
    data = _archive()
    _wipe()
    error = _refused(data[: len(data) * 2 // 3])
    assert "cut off" in str(error)


def test_a_changed_file_is_refused_by_its_checksum(firm: Any) -> None:
    data = _tampered(
        _archive(), "clients_client.csv", lambda t: t.replace("Acme Corp", "Acme Inc"), reseal=False
    )
    _wipe()
    error = _refused(data)
    assert error.source == "clients_client.csv"
    assert "SHA-256" in str(error)


def test_a_file_cut_off_inside_the_zip_is_refused(firm: Any) -> None:
    data = _tampered(_archive(), "entries_timeentry.csv", lambda t: t[: len(t) // 2], reseal=False)
    _wipe()
    assert _refused(data).source == "entries_timeentry.csv"


def test_another_schema_is_refused(firm: Any) -> None:
    members = _members(_archive())
    manifest = json.loads(members[MANIFEST])
    manifest["migrations"]["billing"] = "0001_initial"
    members[MANIFEST] = json.dumps(manifest).encode()
    _wipe()
    error = _refused(_rezip(members))
    assert error.field == "migrations"
    assert "billing: archive 0001_initial" in str(error)


def _line_of(data: bytes, file: str, predicate: Callable[[list[str]], bool]) -> int:
    rows = _csv_rows(_members(data)[file])
    return next(i for i, row in enumerate(rows, start=1) if i > 1 and predicate(row))


def test_a_value_that_cannot_be_read_is_named_by_file_line_and_column(firm: Any) -> None:
    original = _archive()
    rows = _csv_rows(_members(original)["billing_invoice.csv"])
    target = rows[2][rows[0].index("total")]

    def break_total(text: str) -> str:
        return text.replace(f",{target},", ",12.345,", 1)

    data = _tampered(original, "billing_invoice.csv", break_total, reseal=True)
    line = _line_of(data, "billing_invoice.csv", lambda r: "12.345" in r)
    _wipe()
    error = _refused(data)
    assert (error.source, error.line) == ("billing_invoice.csv", line)
    assert error.field in {"fees", "subtotal", "total", "expenses"}
    assert "more than 2 decimal places" in str(error)


def test_a_missing_column_is_named(firm: Any) -> None:
    def drop_last_column(text: str) -> str:
        rows = _csv_rows(text.encode())
        out = io.StringIO()
        import csv

        csv.writer(out, lineterminator="\r\n").writerows(r[:-1] for r in rows)
        return out.getvalue()

    data = _tampered(_archive(), "clients_client.csv", drop_last_column, reseal=True)
    _wipe()
    error = _refused(data)
    assert (error.source, error.line, error.field) == (
        "clients_client.csv",
        1,
        "late_charges_allowed",
    )


def test_a_row_the_database_refuses_is_named(firm: Any) -> None:
    """Two clients with the same number: the unique constraint, found at the second row."""
    original = _archive()
    rows = _csv_rows(_members(original)["clients_client.csv"])
    first, second = rows[1][rows[0].index("number")], rows[2][rows[0].index("number")]

    def same_number(text: str) -> str:
        lines = text.split("\r\n")
        lines[2] = lines[2].replace(f",{second},", f",{first},", 1)
        return "\r\n".join(lines)

    data = _tampered(original, "clients_client.csv", same_number, reseal=True)
    _wipe()
    error = _refused(data)
    assert (error.source, error.line) == ("clients_client.csv", 3)
    assert error.field == "number"


def test_a_reference_to_a_missing_row_is_named(firm: Any) -> None:
    """An invoice line pointing at an invoice that is not in the archive."""
    original = _archive()
    rows = _csv_rows(_members(original)["billing_invoiceline.csv"])
    at = rows[0].index("invoice_id")

    def orphan(text: str) -> str:
        table = _csv_rows(text.encode())
        table[3][at] = "999999"
        out = io.StringIO()
        import csv

        csv.writer(out, lineterminator="\r\n").writerows(table)
        return out.getvalue()

    data = _tampered(original, "billing_invoiceline.csv", orphan, reseal=True)
    _wipe()
    error = _refused(data)
    assert (error.source, error.line, error.field) == ("billing_invoiceline.csv", 4, "invoice_id")
    assert "999999" in str(error)


def test_null_in_a_required_column_is_named(firm: Any) -> None:
    def no_name(text: str) -> str:
        table = _csv_rows(text.encode())
        table[2][table[0].index("name")] = NULL
        out = io.StringIO()
        import csv

        csv.writer(out, lineterminator="\r\n").writerows(table)
        return out.getvalue()

    data = _tampered(_archive(), "clients_matter.csv", no_name, reseal=True)
    _wipe()
    error = _refused(data)
    assert (error.source, error.line, error.field) == ("clients_matter.csv", 3, "name")
    assert "requires a value" in str(error)


def test_a_row_cut_short_is_named(firm: Any) -> None:
    def cut(text: str) -> str:
        lines = text.split("\r\n")
        lines[2] = lines[2][: len(lines[2]) // 2]
        return "\r\n".join(lines)

    data = _tampered(_archive(), "firm_timekeeper.csv", cut, reseal=True)
    _wipe()
    error = _refused(data)
    assert (error.source, error.line) == ("firm_timekeeper.csv", 3)


# --- Excel ------------------------------------------------------------------------------------


def _sql_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return int(cursor.fetchone()[0])


def test_the_workbook_has_every_table_with_its_rows_and_money(firm: Any) -> None:
    counts = {s.table: _sql_rows(s.table) for s in exported_tables()}  # before its audit event
    buffer = io.BytesIO()
    export_firm_workbook(None, buffer)
    book = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)
    contents = list(book["contents"].iter_rows(values_only=True))
    listed = [r for r in contents[1:] if len(r) >= 4 and r[0] and r[1]]
    assert {r[1] for r in listed} == {s.table for s in exported_tables()}
    for title, table, _model, rows in listed:
        sheet_rows = list(book[title].iter_rows(values_only=True))
        assert len(sheet_rows) - 1 == rows == counts[table], title
    invoices = list(book["invoices"].iter_rows(values_only=True))
    header = invoices[0]
    total = sum(Decimal(repr(r[header.index("total")])) for r in invoices[1:])
    with connection.cursor() as cursor:
        cursor.execute("SELECT SUM(total) FROM billing_invoice")
        scaled = cursor.fetchone()[0]
    assert total == Decimal(scaled).scaleb(-2) and total > 0
    first = Invoice.objects.order_by("pk").first()
    assert first is not None
    row = invoices[1]
    assert row[header.index("issued_on")] == datetime.combine(first.issued_on, datetime.min.time())
    assert row[header.index("finalized_at")] == excel_date(first.finalized_at).replace(
        microsecond=row[header.index("finalized_at")].microsecond
    )
    assert isinstance(row[header.index("total")], float | int)


def test_a_table_longer_than_a_sheet_continues_on_the_next(firm: Any) -> None:
    entries = [s for s in exported_tables() if s.table == "entries_timeentry"]
    buffer = io.BytesIO()
    sheets = write_workbook(buffer, tables=entries, sheet_rows=3)
    count = TimeEntry.objects.count()
    assert [s.title for s in sheets][:2] == ["time entries", "time entries (2)"]
    assert len(sheets) == -(-count // 3)
    book = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)
    ids = [row[0] for s in sheets for row in list(book[s.title].iter_rows(values_only=True))[1:]]
    assert ids == list(TimeEntry.objects.order_by("pk").values_list("pk", flat=True))


def test_text_that_looks_like_a_formula_stays_text_in_excel(firm: Any) -> None:
    entries = [s for s in exported_tables() if s.table == "entries_timeentry"]
    buffer = io.BytesIO()
    write_workbook(buffer, tables=entries)
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book["time entries"]
    at = [c.value for c in sheet[1]].index("narrative") + 1
    cells = [sheet.cell(row=r, column=at) for r in range(2, sheet.max_row + 1)]
    formula = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"


# --- the page -----------------------------------------------------------------------------------


def test_a_coordinator_downloads_the_archive_from_the_page(firm: Any) -> None:
    client = Client()
    client.force_login(firm.f.carol)
    page = client.get("/export/")
    assert page.status_code == 200
    assert "entries_timeentry.csv" in page.content.decode()
    response = client.post("/export/archive.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="lexbill-hale-ward')
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    manifest = json.loads(_members(data)[MANIFEST])
    assert {f["table"] for f in manifest["files"]} == {s.table for s in exported_tables()}
    from lexbill.audit.models import AuditRecord

    event = AuditRecord.objects.filter(model="exports.Archive").latest("id")
    assert event.actor_name == "carol" and event.channel == "web"


def test_the_workbook_downloads_from_the_page(firm: Any) -> None:
    client = Client()
    client.force_login(firm.f.alice)
    response = client.post("/export/workbook.xlsx")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert "contents" in load_workbook(io.BytesIO(data), read_only=True).sheetnames


@pytest.mark.parametrize("who", ["clara", "pat", "sam"])
def test_the_export_is_refused_to_clerks_attorneys_and_specialists(firm: Any, who: str) -> None:
    client = Client()
    client.force_login(getattr(firm.f, who))
    assert client.post("/export/archive.zip").status_code == 403
    with pytest.raises(Exception, match="may not export"):
        export_firm_archive(getattr(firm.f, who), io.BytesIO())
