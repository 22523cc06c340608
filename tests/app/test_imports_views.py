"""The Import page: upload → mapping → dry-run results → commit, with the progress bar polled."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.app.test_imports import HEADER, time_rows, write_csv

from lexbill.entries.models import TimeEntry
from lexbill.imports import progress
from lexbill.imports.models import ImportBatch, ImportMapping


@pytest.fixture
def inline(settings: Any, tmp_path: Path) -> Path:
    """Dry runs and commits in the request's thread (the test's transaction), files in tmp."""
    settings.LEXBILL_IMPORT_INLINE = True
    settings.LEXBILL_IMPORT_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, path: Path, kind: str = "time") -> ImportBatch:
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    response = client.post("/imports/", {"kind": kind, "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ImportBatch.objects.latest("pk")
    assert response["Location"] == f"/imports/{batch.pk}/mapping/"
    return batch


def _mapping_post(batch: ImportBatch, **extra: str) -> dict[str, str]:
    data = {f"col_{field}": column for field, column in batch.columns.items()}
    data.update({"date_format": "auto", **extra})
    return data


def test_the_menu_offers_import_to_coordinators_not_clerks(small_firm: Any) -> None:
    assert 'href="/imports/"' in _client(small_firm.carol).get("/").content.decode()
    assert 'href="/imports/"' not in _client(small_firm.clara).get("/").content.decode()


def test_upload_map_check_and_commit_a_time_file(
    small_firm: Any, tmp_path: Path, inline: Path
) -> None:
    rows = time_rows(14)
    client = _client(small_firm.carol)
    batch = _upload(client, write_csv(tmp_path, rows))
    assert batch.headers == HEADER
    assert Path(batch.stored_path).parent == inline
    page = client.get(f"/imports/{batch.pk}/mapping/").content.decode()
    assert 'data-testid="sample-rows"' in page
    assert re.search(r'<option value="Narrative" selected>', page)  # guessed from the header

    response = client.post(f"/imports/{batch.pk}/mapping/", _mapping_post(batch, name="Ours"))
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    assert ImportMapping.objects.get().name == "Ours"
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED and batch.counts["time"] == len(rows)
    assert not TimeEntry.objects.exists()
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert f"Import {len(rows)} rows" in page and 'data-testid="commit"' in page

    response = client.post(f"/imports/{batch.pk}/commit/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert TimeEntry.objects.count() == len(rows)
    assert not Path(batch.stored_path).exists()
    assert 'data-testid="import-committed"' in client.get(f"/imports/{batch.pk}/").content.decode()


def test_a_bad_file_lists_its_problems_and_cannot_be_committed(
    small_firm: Any, tmp_path: Path, inline: Path
) -> None:
    rows = time_rows(5)
    rows[2][0] = "C404-001"
    rows[3][2] = "2026-02-31"
    client = _client(small_firm.alice)
    batch = _upload(client, write_csv(tmp_path, rows))
    client.post(f"/imports/{batch.pk}/mapping/", _mapping_post(batch))
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    problems = re.findall(
        r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', page
    )
    assert [(row, column) for row, column, _message in problems] == [("4", "Matter"), ("5", "Date")]
    assert 'data-testid="commit"' not in page
    response = client.post(f"/imports/{batch.pk}/commit/", follow=True)
    assert "commit after a dry run without problems" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_the_next_file_with_the_same_headers_is_mapped_as_saved(
    small_firm: Any, tmp_path: Path, inline: Path
) -> None:
    header = ["When", "Who", "File", "Duration", "What"]
    client = _client(small_firm.carol)
    first = _upload(client, write_csv(tmp_path, [], header=header, name="a.csv"))
    assert "mapped before" not in client.get(f"/imports/{first.pk}/mapping/").content.decode()
    chosen = {
        "col_work_date": "When",
        "col_timekeeper": "Who",
        "col_matter": "File",
        "col_hours": "Duration",
        "col_narrative": "What",
        "date_format": "%d/%m/%Y",
    }
    client.post(f"/imports/{first.pk}/mapping/", chosen)
    second = _upload(
        client,
        write_csv(
            tmp_path, [["02/03/2026", "PW", "C001-001", "1", "Call"]], header=header, name="b.csv"
        ),
    )
    assert second.columns == {k[4:]: v for k, v in chosen.items() if k.startswith("col_")}
    assert second.options["date_format"] == "%d/%m/%Y"
    assert (
        'data-testid="mapping-saved"'
        in client.get(f"/imports/{second.pk}/mapping/").content.decode()
    )


def test_the_status_partial_polls_while_a_run_is_under_way(
    small_firm: Any, tmp_path: Path, inline: Path
) -> None:
    client = _client(small_firm.carol)
    batch = _upload(client, write_csv(tmp_path, time_rows(3)))
    batch.status = ImportBatch.Status.CHECKING
    batch.save()
    with progress._lock:
        progress._runs[batch.pk] = progress.ImportProgress(batch.pk, False, 30, 120, 7)
    try:
        partial = client.get(f"/imports/{batch.pk}/", HTTP_HX_REQUEST="true").content.decode()
    finally:
        with progress._lock:
            progress._runs.pop(batch.pk, None)
    assert partial.startswith('<div id="import-status"')
    assert f'hx-get="/imports/{batch.pk}/"' in partial
    assert 'value="25"' in partial and "7 rows read" in partial
    lost = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "no longer follows the run" in lost and "hx-get" not in lost


def test_an_unreadable_upload_is_refused_on_the_form(
    small_firm: Any, tmp_path: Path, inline: Path
) -> None:
    client = _client(small_firm.carol)
    upload = SimpleUploadedFile("empty.csv", b"\n\n", content_type="text/csv")
    response = client.post("/imports/", {"kind": "time", "file": upload})
    assert response.status_code == 400
    assert "header row is needed" in response.content.decode()
    assert not ImportBatch.objects.exists()
