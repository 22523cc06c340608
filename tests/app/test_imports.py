"""Importing time from CSV and Excel: the dry run, the all-or-nothing commit, and every malformed
file the issue lists, each named by row and column with nothing written."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from openpyxl import Workbook

from lexbill.audit.models import AuditRecord
from lexbill.core.errors import PermissionDenied
from lexbill.entries.models import TimeEntry
from lexbill.entries.services import TimeDraft, record_time
from lexbill.imports import services, time_import
from lexbill.imports.models import ImportBatch, ImportMapping
from lexbill.imports.services import ImportRefused, run_import, save_mapping

HEADER = ["Matter", "Timekeeper", "Date", "Hours", "Task", "Activity", "Narrative", "Billable"]
MONDAY = date(2026, 3, 2)


def time_rows(count: int, start: date = MONDAY) -> list[list[str]]:
    """Distinct, valid rows: two matters, three timekeepers, at most 3 hours each a day."""
    rows = []
    for n in range(count):
        rows.append(
            [
                ("C001-001", "C001-002")[n % 2],
                ("PW", "AL", "PJ")[n % 3],
                (start + timedelta(days=n // 6)).isoformat(),
                ("0.25", "1.3", "0.05", "2")[n % 4],
                ("L110", "L120", "")[n % 3],
                ("A101", "", "A104")[n % 3],
                f"Work item {n + 1}",
                ("Yes", "Yes", "N/C", "")[n % 4],
            ]
        )
    return rows


def write_csv(
    tmp_path: Path,
    rows: list[list[str]],
    *,
    header: list[str] = HEADER,
    name: str = "time.csv",
    encoding: str = "utf-8",
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def billed_minutes_of(hours: str) -> int:
    """The firm bills in 0.1 h rounded up: computed here without the app's helper."""
    tenths = (Decimal(hours) * 10).to_integral_value(rounding=ROUND_CEILING)
    return int(tenths) * 6


def entry_count() -> int:
    return TimeEntry.objects.count()


def refused(path: Path, actor: Any = None, **kwargs: Any) -> services.ImportResult:
    """Commit a bad file: it must raise, and leave no entry behind."""
    before = entry_count()
    with pytest.raises(ImportRefused) as caught:
        run_import(actor, "time", path, commit=True, **kwargs)
    assert entry_count() == before
    return caught.value.result


def problems_of(result: services.ImportResult) -> set[tuple[int | None, str]]:
    return {(p.row, p.column) for p in result.problems}


# --- a clean file ------------------------------------------------------------------------------


def test_a_dry_run_counts_what_would_be_created_and_writes_nothing(
    small_firm: Any, tmp_path: Path
) -> None:
    rows = time_rows(30)
    path = write_csv(tmp_path, rows)
    audits = AuditRecord.objects.count()
    result = run_import(small_firm.carol, "time", path)
    assert result.ok, result.problems
    assert result.rows == len(rows)
    assert result.counts["time"] == len(rows)
    minutes = sum(billed_minutes_of(r[3]) for r in rows)
    assert Decimal(result.counts["billed_hours"]) == (Decimal(minutes) / 60).quantize(
        Decimal("0.01")
    )
    assert entry_count() == 0
    assert AuditRecord.objects.count() == audits
    assert not ImportBatch.objects.exists()


def test_a_commit_creates_exactly_what_the_dry_run_said_unbilled_as_if_typed(
    small_firm: Any, tmp_path: Path
) -> None:
    rows = time_rows(40)
    path = write_csv(tmp_path, rows)
    dry = run_import(small_firm.carol, "time", path)
    done = run_import(small_firm.carol, "time", path, commit=True)
    assert done.committed and done.counts == dry.counts
    entries = list(TimeEntry.objects.select_related("matter", "timekeeper").order_by("pk"))
    assert len(entries) == dry.counts["time"] == len(rows)
    for entry, row in zip(entries, rows, strict=True):
        matter, keeper, day, hours, task, activity, narrative, billable = row
        assert (entry.matter.number, entry.timekeeper.code) == (matter, keeper)
        assert entry.work_date == date.fromisoformat(day)
        assert entry.duration_seconds == int(Decimal(hours) * 3600)
        assert entry.billed_minutes == billed_minutes_of(hours)
        assert (entry.task_code, entry.activity_code, entry.narrative) == (
            task,
            activity,
            narrative,
        )
        assert entry.billable == ("no_charge" if billable == "N/C" else "billable")
        assert entry.state == "unbilled"
        assert entry.created_by == small_firm.carol


def test_one_audit_event_records_who_the_file_its_digest_and_the_counts(
    small_firm: Any, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, time_rows(12))
    before = AuditRecord.objects.count()
    done = run_import(small_firm.alice, "time", path, commit=True)
    events = list(AuditRecord.objects.order_by("pk")[before:])
    assert len(events) == 1
    event = events[0]
    assert event.actor == small_firm.alice
    assert event.model == "imports.ImportBatch" and event.object_id == str(done.batch_id)
    assert event.after is not None
    assert event.after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert event.after["counts"]["time"] == 12
    assert event.after["file_name"] == "time.csv"
    batch = ImportBatch.objects.get(pk=done.batch_id)
    assert batch.status == ImportBatch.Status.COMMITTED and batch.rows == 12


def test_the_same_file_is_not_committed_twice(small_firm: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path, time_rows(6))
    run_import(None, "time", path, commit=True)
    result = refused(path)
    assert result.problems[0].row is None
    assert "already imported" in result.problems[0].message


def test_progress_is_reported_to_the_end(small_firm: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "CHUNK", 5)
    path = write_csv(tmp_path, time_rows(23))
    calls: list[tuple[int, int, int]] = []
    run_import(None, "time", path, progress=lambda *a: calls.append(a))
    assert len(calls) == 23 // 5 + 1
    assert calls[-1] == (path.stat().st_size, path.stat().st_size, 23)
    assert [c[2] for c in calls[:-1]] == [5, 10, 15, 20]


def test_only_coordinators_and_administrators_import(small_firm: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path, time_rows(2))
    for user in (small_firm.clara, small_firm.sam, small_firm.pat):
        with pytest.raises(PermissionDenied):
            run_import(user, "time", path)
    assert run_import(small_firm.carol, "time", path).ok


# --- malformed files: row and column named, nothing written ------------------------------------


def test_wrong_columns_name_each_missing_field_on_the_header_row(
    small_firm: Any, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, [["C9", "Nine Corp", "1 Road"]], header=["Client number", "Name", "Address"]
    )
    result = refused(path)
    assert {p.row for p in result.problems} == {1}
    assert {p.field for p in result.problems} >= {"matter", "timekeeper", "work_date", "hours"}
    assert all("no column is mapped" in p.message for p in result.problems)


def test_bad_dates_are_named_by_row_and_column(small_firm: Any, tmp_path: Path) -> None:
    rows = time_rows(6)
    rows[1][2] = "2026-02-30"
    rows[4][2] = "yesterday"
    result = refused(write_csv(tmp_path, rows))
    assert problems_of(result) == {(3, "Date"), (6, "Date")}
    assert result.problem_count == 2


def test_an_unknown_matter_is_named_by_row_and_column(small_firm: Any, tmp_path: Path) -> None:
    rows = time_rows(5)
    rows[3][0] = "C404-001"
    result = refused(write_csv(tmp_path, rows))
    assert problems_of(result) == {(5, "Matter")}
    assert "unknown matter 'C404-001'" in result.problems[0].message


def test_duplicate_rows_name_the_row_they_repeat(small_firm: Any, tmp_path: Path) -> None:
    rows = time_rows(6)
    rows.append(list(rows[2]))
    result = refused(write_csv(tmp_path, rows))
    assert [p.row for p in result.problems] == [len(rows) + 1]
    assert "row 4" in result.problems[0].message  # data row 3 is spreadsheet row 4
    assert run_import(
        None,
        "time",
        write_csv(tmp_path, rows, name="again.csv"),
        options={"allow_duplicates": True},
    ).ok


def test_a_file_mixing_encodings_is_refused_naming_the_row(small_firm: Any, tmp_path: Path) -> None:
    rows = time_rows(4)
    rows[0][6] = "Call with Müller"
    body = write_csv(tmp_path, rows).read_bytes()
    bad = "C001-001,PW,2026-03-09,1,,,Café meeting,Yes\n".encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(body + bad)
    result = refused(path)
    assert result.problems[-1].row == len(rows) + 2
    assert "mixes encodings" in result.problems[-1].message


def test_a_file_cut_off_midway_names_the_last_row_and_column(
    small_firm: Any, tmp_path: Path
) -> None:
    whole = write_csv(tmp_path, time_rows(8)).read_bytes()
    path = tmp_path / "cut.csv"
    cut = whole.rstrip(b"\n")
    path.write_bytes(cut[: cut.rfind(b",2026-") + 4])  # the last row stops inside its date
    result = refused(path)
    problem = result.problems[-1]
    assert problem.row == 9
    assert problem.column == "Hours"
    assert "cut off" in problem.message


def test_a_file_cut_off_inside_a_quoted_narrative_names_the_row(
    small_firm: Any, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, time_rows(3))
    path.write_bytes(path.read_bytes() + b'C001-001,PW,2026-03-05,1,,,"Drafted the mo')
    result = refused(path)
    assert result.problems[-1].row == 5 and "cut off" in result.problems[-1].message


def test_a_problem_after_chunks_were_written_rolls_every_row_back(
    small_firm: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(services, "CHUNK", 4)
    rows = time_rows(30)
    rows[-1][1] = "ZZ"
    result = refused(write_csv(tmp_path, rows))
    assert problems_of(result) == {(31, "Timekeeper")}


def test_a_large_import_rebuilds_the_indexes_it_dropped_and_a_refused_one_keeps_them(
    small_firm: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(time_import, "REBUILD_MIN_ROWS", 0)

    # SQLite drops and rebuilds them; PostgreSQL keeps them throughout: either way the same
    # indexes must be there afterwards
    def indexes() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'entries_timeentry' AND sql IS NOT NULL ORDER BY name"
                )
            else:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE tablename = 'entries_timeentry' ORDER BY indexname"
                )
            return list(cursor.fetchall())

    before = indexes()
    assert len(before) >= 5
    bad = time_rows(10)
    bad[-1][0] = "C404-001"
    refused(write_csv(tmp_path, bad, name="bad.csv"))
    assert indexes() == before
    done = run_import(None, "time", write_csv(tmp_path, time_rows(10)), commit=True)
    assert done.committed and entry_count() == 10
    assert indexes() == before


def test_every_rule_of_typed_time_applies(small_firm: Any, tmp_path: Path) -> None:
    from lexbill.clients.services import close_matter, update_matter

    update_matter(None, small_firm.acme_capped, task_code_set="counseling")
    close_matter(None, small_firm.globex_flat, MONDAY)
    record_time(
        None,
        TimeDraft(small_firm.acme_hourly, small_firm.associate, MONDAY, 20 * 3600, "Trial prep"),
    )
    rows = [
        ["C002-001", "PW", "2026-03-03", "1", "", "", "closed matter", ""],
        ["C001-001", "PW", "2026-03-03", "1", "L999", "", "unknown task", ""],
        ["C001-002", "PW", "2026-03-03", "1", "L110", "", "task outside the code set", ""],
        ["C001-001", "PW", "2026-03-03", "1", "", "A999", "unknown activity", ""],
        ["C001-001", "PW", "2025-12-31", "1", "", "", "before any rate", ""],
        ["C001-001", "PW", "2025-12-31", "1", "", "", "non-billable needs no rate", "no"],
        ["C001-001", "AL", MONDAY.isoformat(), "5", "", "", "over 24 hours that day", ""],
        ["C001-001", "PW", "2026-03-03", "0", "", "", "nothing worked", ""],
    ]
    result = refused(write_csv(tmp_path, rows))
    assert problems_of(result) == {
        (2, "Matter"),
        (3, "Task"),
        (4, "Task"),
        (5, "Activity"),
        (6, "Timekeeper"),
        (8, "Hours"),
        (9, "Hours"),
    }
    messages = {p.row: p.message for p in result.problems}
    assert "closed" in messages[2]
    assert "counseling" in messages[4]
    assert "no rate is in force" in messages[6]
    assert "more than 24 hours" in messages[8]


# --- encodings and Excel -----------------------------------------------------------------------

NARRATIVE = "Café with Müller – strategy"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_utf8_with_or_without_bom_and_windows_1252_import_the_same_text(
    small_firm: Any, tmp_path: Path, encoding: str
) -> None:
    rows = time_rows(3)
    rows[1][6] = NARRATIVE
    run_import(None, "time", write_csv(tmp_path, rows, encoding=encoding), commit=True)
    assert TimeEntry.objects.filter(narrative=NARRATIVE).count() == 1


def _workbook(tmp_path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / "time.xlsx"
    book.save(path)
    return path


def test_an_excel_sheet_imports_with_date_cells_and_decimal_hours(
    small_firm: Any, tmp_path: Path
) -> None:
    path = _workbook(
        tmp_path,
        [
            HEADER,
            ["C001-001", "PW", MONDAY, 1.3, "L110", "A101", "Drafted", "Yes"],
            ["C001-002", "AL", MONDAY + timedelta(days=1), 0.1, None, None, "Called", None],
        ],
    )
    done = run_import(None, "time", path, commit=True)
    assert done.committed and done.rows == 2
    seconds = sorted(TimeEntry.objects.values_list("duration_seconds", flat=True))
    assert seconds == [360, 4680]  # 0.1 h and 1.3 h exactly, not 1.3000000000000000444 h


def test_an_excel_sheet_with_a_bad_date_names_the_row_and_column(
    small_firm: Any, tmp_path: Path
) -> None:
    path = _workbook(
        tmp_path,
        [
            HEADER,
            ["C001-001", "PW", MONDAY, 1, None, None, "Drafted", None],
            ["C001-001", "PW", "31.02.2026", 1, None, None, "Called", None],
        ],
    )
    result = refused(path)
    assert problems_of(result) == {(3, "Date")}


# --- the mapping -------------------------------------------------------------------------------

ODD_HEADER = ["Col A", "Col B", "Col C", "Col D", "Col E"]
ODD_MAPPING = {
    "matter": "Col A",
    "timekeeper": "Col B",
    "work_date": "Col C",
    "minutes": "Col D",
    "narrative": "Col E",
}


def test_a_saved_mapping_maps_the_next_file_with_the_same_headers(
    small_firm: Any, tmp_path: Path
) -> None:
    rows = [["C001-001", "PW", "03/02/2026", "90", "Research"]]
    first = write_csv(tmp_path, rows, header=ODD_HEADER, name="first.csv")
    guessed = run_import(None, "time", first)
    assert not guessed.ok and guessed.problems[0].row == 1  # nothing to guess from
    save_mapping(small_firm.carol, "time", ODD_HEADER, ODD_MAPPING, name="Old system")
    saved = ImportMapping.objects.get()
    assert (saved.kind, saved.name, saved.updated_by) == ("time", "Old system", small_firm.carol)
    # the next export: same headers (case and spaces aside), other rows
    second = write_csv(
        tmp_path,
        [["C001-002", "AL", "03/03/2026", "45", "Review"]],
        header=[h.upper() + " " for h in ODD_HEADER],
        name="second.csv",
    )
    done = run_import(small_firm.carol, "time", second, commit=True)
    assert done.committed
    entry = TimeEntry.objects.get()
    assert (entry.matter.number, entry.duration_seconds) == ("C001-002", 45 * 60)


def test_saving_a_mapping_again_replaces_it(small_firm: Any) -> None:
    save_mapping(None, "time", ODD_HEADER, ODD_MAPPING)
    save_mapping(None, "time", ODD_HEADER, {**ODD_MAPPING, "narrative": "Col D", "minutes": ""})
    assert ImportMapping.objects.count() == 1
    assert ImportMapping.objects.get().columns["narrative"] == "Col D"


def test_rows_written_in_multi_row_statements_and_a_short_last_one_are_all_there(
    small_firm: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(services, "CHUNK", 20)
    monkeypatch.setattr(time_import, "ROWS_PER_INSERT", 7)
    rows = time_rows(45)
    run_import(None, "time", write_csv(tmp_path, rows), commit=True)
    stored = list(TimeEntry.objects.order_by("pk").values_list("narrative", flat=True))
    assert stored == [row[6] for row in rows]


def test_the_24_hour_day_counts_recorded_work_also_when_the_indexes_are_rebuilt(
    small_firm: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(time_import, "REBUILD_MIN_ROWS", 0)
    monkeypatch.setattr(services, "CHUNK", 3)
    busy = MONDAY + timedelta(days=30)
    record_time(
        None, TimeDraft(small_firm.acme_hourly, small_firm.associate, busy, 20 * 3600, "Trial")
    )
    rows = time_rows(6)
    rows.append(["C001-001", "AL", busy.isoformat(), "4.5", "", "", "More trial", ""])
    result = refused(write_csv(tmp_path, rows))
    assert problems_of(result) == {(len(rows) + 1, "Hours")}
    assert "more than 24 hours" in result.problems[0].message


def test_a_row_with_a_bad_cell_still_names_its_unknown_matter_and_timekeeper(
    small_firm: Any, tmp_path: Path
) -> None:
    rows = time_rows(3)
    rows[1] = ["C404-001", "ZZ", "2026-13-01", "1", "", "", "x", ""]
    result = refused(write_csv(tmp_path, rows))
    assert problems_of(result) == {(3, "Date"), (3, "Matter"), (3, "Timekeeper")}
