"""`lexbill export` end to end, as a firm leaving (or moving engines) runs it.

The source firm is always the demo on a fresh SQLite file; the target is a fresh database of the
engine under test. On the PostgreSQL run this is the move from SQLite to PostgreSQL: export on
one, load on the other, export again — the data files are byte-identical.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from openpyxl import load_workbook
from tests.e2e.test_cli_cycle import LEXBILL

pytestmark = pytest.mark.e2e


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {**os.environ, "LEXBILL_DATA_DIR": str(tmp_path), "LEXBILL_SECRET_KEY": "e2e"}
    env.pop("LEXBILL_USER", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["LEXBILL_DATABASE_URL"] = url
    return env


@pytest.fixture
def source(tmp_path: Path) -> dict[str, str]:
    return _env(tmp_path, f"sqlite:///{tmp_path / 'source.sqlite3'}")


@pytest.fixture
def target(tmp_path: Path) -> Iterator[dict[str, str]]:
    url = os.environ.get("LEXBILL_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield _env(tmp_path, f"sqlite:///{tmp_path / 'target.sqlite3'}")
        return
    import psycopg

    name = f"helper_export_e2e_{os.getpid()}"
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _env(tmp_path, urlunsplit(urlsplit(url)._replace(path=f"/{name}")))
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _lexbill(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEXBILL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=600
    )


def _ok(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = _lexbill(env, *args, stdin=stdin)
    assert done.returncode == 0, f"lexbill {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_firm_leaves_with_its_data_and_loads_it_elsewhere(
    source: dict[str, str], target: dict[str, str], tmp_path: Path
) -> None:
    _ok(source, "demo")
    first = tmp_path / "firm.zip"
    done = json.loads(
        _ok(source, "--user", "coordinator", "export", "archive", str(first), "--json")
    )
    assert done["bytes"] == first.stat().st_size and done["tables"] >= 50
    workbook = tmp_path / "firm.xlsx"
    _ok(source, "export", "xlsx", str(workbook))
    sheets = load_workbook(workbook, read_only=True).sheetnames
    assert sheets[0] == "contents" and "time entries" in sheets

    refused = _lexbill(source, "--user", "clerk", "export", "archive", str(tmp_path / "x.zip"))
    assert refused.returncode == 1 and "may not export" in refused.stderr

    loaded = json.loads(
        _ok(
            target,
            "export",
            "load",
            str(first),
            "--password-for",
            "admin",
            "--json",
            stdin="a long new passphrase\na long new passphrase\n",
        )
    )
    assert loaded["rows"] == done["rows"] and loaded["passwords_set"] == ["admin"]
    assert "coordinator" in loaded["users"]

    second = tmp_path / "again.zip"
    _ok(target, "export", "archive", str(second))
    a, b = _members(first), _members(second)
    assert set(a) == set(b)
    for name in a:
        if name not in ("manifest.json", "audit_auditrecord.csv"):
            assert a[name] == b[name], f"{name} differs after the move"
    # the audit trail is the original's plus the load's own event
    before, after = a["audit_auditrecord.csv"], b["audit_auditrecord.csv"]
    assert after.startswith(before)
    extra = list(csv.reader(io.StringIO(after[len(before) :].decode(), newline="")))
    assert len(extra) == 1 and any('"passwords_set":["admin"]' in cell for cell in extra[0])

    # the loaded firm works the same: every invoice with its status and balance
    assert _ok(target, "invoice", "list", "--json") == _ok(source, "invoice", "list", "--json")

    again = _lexbill(target, "export", "load", str(first))
    assert again.returncode == 1 and "already holds firm data" in again.stderr
