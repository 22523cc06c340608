"""UTBMS code sets: membership by kind, phases are not billable task codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lexbill.formats.utbms import CodeKind, all_codes, codes_of, lookup

SHARED_CODES = Path(__file__).resolve().parents[2].parent / "shared" / "ledes" / "codes"


def test_task_activity_and_expense_codes_are_found_only_under_their_kind() -> None:
    assert lookup("L120", CodeKind.TASK) is not None
    assert lookup("A103", CodeKind.ACTIVITY) is not None
    assert lookup("E101", CodeKind.EXPENSE) is not None
    assert lookup("L120", CodeKind.ACTIVITY) is None
    assert lookup("A103", CodeKind.TASK) is None


def test_a_phase_is_not_a_billable_task_code() -> None:
    phase = all_codes()["L100"]
    assert phase.is_phase
    assert lookup("L100", CodeKind.TASK) is None
    assert all(not code.is_phase for code in codes_of(CodeKind.TASK))


def test_a_project_phase_without_tasks_is_billable() -> None:
    assert lookup("P300", CodeKind.TASK) is not None
    assert lookup("P200", CodeKind.TASK) is None  # P210… are billed instead


def test_lookup_ignores_case_and_spaces() -> None:
    found = lookup(" l120 ", CodeKind.TASK)
    assert found is not None and found.code == "L120"


def test_the_packaged_code_sets_match_the_shared_reference_data() -> None:
    if not SHARED_CODES.is_dir():
        pytest.fail(f"the shared reference data is missing at {SHARED_CODES}")
    expected = set()
    for path in SHARED_CODES.glob("utbms_*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            expected |= {row["code"] for row in csv.DictReader(handle)}
    assert expected
    assert set(all_codes()) == expected
