"""The reports benchmark writes rows past the ORM (INSERT…SELECT on SQLite, COPY into PostgreSQL)
and times whatever reports are registered: a new NOT NULL column, a renamed table or a report that
fails on real data would only show when someone next runs it. A tiny firm, built here on every test
run, catches that the day it happens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ("--timekeepers=6", "--clients=4", "--matters=12", "--entries=600", "--months=3")


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """None for SQLite (the bench's own file); on PostgreSQL a database of this test's own."""
    url = os.environ.get("LEXBILL_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    import psycopg

    name = f"lexbill_bench_reports_{os.getpid()}"
    yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_registered_report_is_timed_on_a_tiny_firm(
    tmp_path: Path, database_url: str | None
) -> None:
    from lexbill.reports.names import STANDARD_REPORTS
    from lexbill.reports.registry import all_reports

    command = [sys.executable, str(ROOT / "bench" / "reports.py"), *TINY, "--repeat=1", "--json"]
    command.append(f"--cache-dir={tmp_path}")
    if database_url:
        command.append(f"--database-url={database_url}")
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "LEXBILL_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    registered = {spec.name for spec in all_reports()}
    timed = {t["report"] for t in results["timings"]}
    # reports may register while the tree is edited: the child's list may be the longer one
    assert registered <= timed
    assert timed | set(results["missing"]) == {name for name, _ in STANDARD_REPORTS}
    for name in timed:
        assert f"  {name} " in done.stdout  # each report has a line of the printed table
    assert all(t["seconds"] is not None and t["passed"] for t in results["timings"])
    assert results["billed_matches_sql_year"] is True
    assert results["billed_matches_sql_month"] is True
    assert results["engine"] == ("PostgreSQL" if database_url else "SQLite")
    assert results["sizes"]["invoices"] > 0 and results["sizes"]["audit records"] >= 600
