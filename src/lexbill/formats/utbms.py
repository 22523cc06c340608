"""UTBMS code sets (task, activity, expense), loaded once from the packaged CSV files.

Validation needs only membership and a description, so the sets are plain frozen data, not tables.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources


class CodeKind(StrEnum):
    TASK = "task"
    ACTIVITY = "activity"
    EXPENSE = "expense"


@dataclass(frozen=True)
class UtbmsCode:
    code: str
    description: str
    kind: CodeKind
    code_set: str
    is_phase: bool = False
    """A phase heading with its own tasks under it (L100 → L110…), billed to its tasks instead.

    A phase without tasks (project codes P300–P800) is itself the code work is billed to.
    """


_FILES: dict[str, CodeKind] = {
    "litigation": CodeKind.TASK,
    "counseling": CodeKind.TASK,
    "project": CodeKind.TASK,
    "bankruptcy": CodeKind.TASK,
    "activity": CodeKind.ACTIVITY,
    "expense": CodeKind.EXPENSE,
}


@cache
def all_codes() -> dict[str, UtbmsCode]:
    codes: dict[str, UtbmsCode] = {}
    for code_set, kind in _FILES.items():
        text = (
            resources.files("lexbill.formats")
            .joinpath(f"data/utbms_{code_set}.csv")
            .read_text(encoding="utf-8")
        )
        rows = list(csv.DictReader(text.splitlines()))
        parents = {row.get("phase_code") for row in rows if row.get("level") == "task"}
        for row in rows:
            codes[row["code"]] = UtbmsCode(
                code=row["code"],
                description=row["description"],
                kind=kind,
                code_set=code_set,
                is_phase=row.get("level") == "phase" and row["code"] in parents,
            )
    return codes


def lookup(code: str, kind: CodeKind) -> UtbmsCode | None:
    """The code if it exists and is of the kind asked for; phases are not billable task codes."""
    found = all_codes().get(code.strip().upper())
    if found is None or found.kind != kind or found.is_phase:
        return None
    return found


def codes_of(kind: CodeKind) -> list[UtbmsCode]:
    return [c for c in all_codes().values() if c.kind == kind and not c.is_phase]
