"""The benchmark's firm generator loads rows straight into the tables, past the ORM: a new NOT NULL
column would break it only when someone next runs a benchmark. A tiny firm, generated here on
every test run, catches that the day the column is added."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_generator_fills_the_current_schema(tmp_path: Path) -> None:
    database = tmp_path / "tiny.sqlite3"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            *("--timekeepers", "5", "--clients", "3", "--matters", "6", "--entries", "200"),
            "--database-url",
            f"sqlite:///{database}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "LEXBILL_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with sqlite3.connect(database) as db:
        counts = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("clients_matter", "entries_timeentry", "entries_expense")
        }
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import Params

    params = Params(timekeepers=5, clients=3, matters=6, entries=200)
    assert counts == {
        "clients_matter": params.matters,
        "entries_timeentry": params.entries,
        "entries_expense": params.expenses,
    }
