"""The import benchmark loads a generated firm and writes time entries past the ORM: a renamed
column or a new NOT NULL one would break it only when someone next measures. Its quick mode,
run here on every test run, imports 20,000 rows into a small firm built in a temporary folder
and checks what the full run checks, except the speed targets (judged at a million rows)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_quick_import_benchmark_commits_what_its_dry_run_counted(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "imports.py"),
            "--quick",
            "--json",
            f"--out-dir={tmp_path}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "LEXBILL_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    results = report["results"]
    assert set(results) == {"baseline", "dry-run", "commit"}
    assert results["dry-run"]["created"] == results["commit"]["entries"] == report["rows"]
    assert results["commit"]["billed_minutes"] == results["baseline"]["billed_minutes"]
    judged = [check for check in report["checks"] if check[2] is not None]
    assert judged and all(ok for _label, _value, ok in judged)
    assert all(results[phase]["peak_mib"] > 0 for phase in results)
