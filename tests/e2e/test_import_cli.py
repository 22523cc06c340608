"""``lexbill import`` end to end on a fresh database of the engine under test: a firm moved in
from CSV and Excel files in the order a migration takes (timekeepers, clients, matters, rates,
time, expenses), and a broken file refused by row and column with a non-zero exit."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from tests.e2e.test_cli_cycle import LEXBILL, cli_env, run

pytestmark = pytest.mark.e2e
__all__ = ["cli_env"]

FIRM = """
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexbill.settings")
django.setup()
from lexbill.firm.services import configure_firm, create_user
configure_firm(None, name="Moved-in LLP")
create_user(None, "carol", "correct horse battery staple", "coordinator")
create_user(None, "clara", "correct horse battery staple", "clerk")
"""

COUNT = """
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexbill.settings")
django.setup()
from lexbill.audit.models import AuditRecord
from lexbill.entries.models import Expense, TimeEntry
print(json.dumps({
    "time": TimeEntry.objects.count(),
    "unbilled": TimeEntry.objects.filter(state="unbilled").count(),
    "expenses": Expense.objects.count(),
    "import_events": AuditRecord.objects.filter(model="imports.ImportBatch").count(),
}))
"""


def _python(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _csv(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _lexbill(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LEXBILL, *args], env=env, capture_output=True, text=True, timeout=300)


def _counts(env: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_python(env, COUNT))
    return result


def test_a_firm_moves_in_from_files_and_a_broken_file_changes_nothing(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = cli_env
    run(env, "setup")
    _python(env, FIRM)
    people = Workbook()
    sheet = people.active
    assert sheet is not None
    for row in (
        ["Initials", "First", "Last", "Title"],
        ["JD", "Jane", "Doe", "Partner"],
        ["RA", "Raj", "Anand", "Associate"],
    ):
        sheet.append(row)
    people.save(tmp_path / "people.xlsx")
    steps = [
        ("timekeepers", tmp_path / "people.xlsx", 2),
        ("clients", _csv(tmp_path / "clients.csv", [["Client No", "Name"], ["C1", "Initech"]]), 1),
        (
            "matters",
            _csv(
                tmp_path / "matters.csv",
                [
                    ["Matter No", "Client No", "Matter Name", "Responsible Attorney", "Opened"],
                    ["C1-001", "C1", "TPS reports", "JD", "2024-01-10"],
                ],
            ),
            1,
        ),
        (
            "rates",
            _csv(
                tmp_path / "rates.csv",
                [
                    ["Classification", "Rate", "Effective Date"],
                    ["partner", "700", "2024-01-01"],
                    ["associate", "400", "2024-01-01"],
                ],
            ),
            2,
        ),
    ]
    for kind, path, count in steps:
        out = json.loads(run(env, "--user", "carol", "import", kind, str(path), "--json"))
        assert out["committed"] and out["counts"][kind] == count, out

    time_rows = [["Matter", "TK", "Date", "Hours", "Narrative"]] + [
        ["C1-001", ("JD", "RA")[n % 2], f"2024-02-{n % 20 + 1:02d}", "1.5", f"Item {n}"]
        for n in range(40)
    ]
    time_file = _csv(tmp_path / "time.csv", time_rows)
    dry = json.loads(run(env, "import", "time", str(time_file), "--dry-run", "--json"))
    assert (dry["committed"], dry["counts"]["time"], dry["problem_count"]) == (False, 40, 0)
    assert _counts(env)["time"] == 0
    text = run(env, "--user", "carol", "import", "time", str(time_file))
    assert "40 rows read; created: time 40" in text
    counts = _counts(env)
    assert counts["time"] == counts["unbilled"] == 40
    assert counts["import_events"] == len(steps) + 1  # one per committed file, not per row

    # a file with problems: each named by row and column on stderr, exit 1, nothing written
    broken = [list(r) for r in time_rows[:6]]
    broken[0][2] = "Date"
    broken[2][0] = "C9-999"
    broken[4][2] = "2024-02-30"
    bad = _csv(tmp_path / "bad.csv", [[c.replace("Item", "Other") for c in r] for r in broken])
    done = _lexbill(env, "--user", "carol", "import", "time", str(bad))
    assert done.returncode == 1
    assert "row 3, column 'Matter': unknown matter 'C9-999'" in done.stderr
    assert "row 5, column 'Date'" in done.stderr
    assert "2 problems" in done.stderr and "nothing was imported" in done.stderr
    as_json = _lexbill(env, "import", "time", str(bad), "--dry-run", "--json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert {(p["row"], p["column"]) for p in report["problems"]} == {(3, "Matter"), (5, "Date")}
    assert _counts(env)["time"] == 40

    # a clerk may not import at all
    refused = _lexbill(env, "--user", "clara", "import", "time", str(time_file), "--dry-run")
    assert refused.returncode == 1 and "may not import" in refused.stderr


def test_an_explicit_mapping_is_used_and_can_be_saved_by_name(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = cli_env
    run(env, "setup")
    _python(env, FIRM)
    run(
        env,
        "import",
        "timekeepers",
        str(
            _csv(
                tmp_path / "t.csv",
                [
                    ["code", "first_name", "last_name", "classification"],
                    ["JD", "Jane", "Doe", "partner"],
                ],
            )
        ),
    )
    odd = _csv(tmp_path / "odd.csv", [["A", "B", "C"], ["KX", "Kim", "Xu"]])
    mapping = json.dumps({"code": "A", "first_name": "B", "last_name": "C"})
    done = _lexbill(env, "import", "timekeepers", str(odd), "--mapping", mapping, "--dry-run")
    assert done.returncode == 1
    assert "row 1, column 'Classification'" in done.stderr  # required and not mapped
    with_class = _csv(tmp_path / "odd2.csv", [["A", "B", "C", "D"], ["KX", "Kim", "Xu", "pl"]])
    mapping = json.dumps({"code": "A", "first_name": "B", "last_name": "C", "classification": "D"})
    out = run(
        env,
        "import",
        "timekeepers",
        str(with_class),
        "--mapping",
        mapping,
        "--save-mapping",
        "HR export",
        "--dry-run",
    )
    assert "would create: timekeepers 1" in out
    again = run(env, "import", "timekeepers", str(with_class), "--mapping", "HR export")
    assert "created: timekeepers 1" in again
