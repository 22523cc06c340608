"""`lexbill backup` and `lexbill restore` end to end, on the engine under test, with a writer
process posting payments (a payment row and its allocation row per transaction) all the while.

Data are compared by an independent dump (sqlite3 / psycopg, ``SELECT *`` of every table), not
through Lexbill, so the backup's own codec can't hide a fault.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from tests.e2e.test_cli_cycle import LEXBILL

pytestmark = pytest.mark.e2e

WRITER = """
import os, sys, pathlib
from datetime import date
from decimal import Decimal
os.environ["DJANGO_SETTINGS_MODULE"] = "lexbill.settings"
import django
django.setup()
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.receivables.services import post_payment

stop = pathlib.Path(sys.argv[1])
invoice = with_balances(Invoice.objects.select_related("client")).filter(
    balance__gte=Decimal("100.00")).order_by("pk").first()
client = invoice.client
posted = 0
while not stop.exists() or posted < 20:
    post_payment(None, client, "0.01", date.today(), allocations=[(invoice.number, "0.01")],
                 reference="backup-writer", currency=invoice.currency)
    posted += 1
print(posted)
"""


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {**os.environ, "LEXBILL_DATA_DIR": str(tmp_path), "LEXBILL_SECRET_KEY": "e2e"}
    env.pop("LEXBILL_USER", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["LEXBILL_DATABASE_URL"] = url
    return env


@pytest.fixture
def firm(tmp_path: Path) -> Iterator[dict[str, str]]:
    url = os.environ.get("LEXBILL_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield _env(tmp_path, f"sqlite:///{tmp_path / 'firm.sqlite3'}")
        return
    import psycopg

    base = urlsplit(url).path.strip("/") or "lexbill"
    name = f"{base}_backup_e2e_{os.getpid()}"
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _env(tmp_path, urlunsplit(urlsplit(url)._replace(path=f"/{name}")))
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _lexbill(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LEXBILL, *args], env=env, capture_output=True, text=True, timeout=600)


def _ok(env: dict[str, str], *args: str) -> str:
    done = _lexbill(env, *args)
    assert done.returncode == 0, f"lexbill {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _query(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    url = env["LEXBILL_DATABASE_URL"]
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(sql).fetchall()  # type: ignore[arg-type]


def _tables(env: dict[str, str]) -> list[str]:
    if env["LEXBILL_DATABASE_URL"].startswith("sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    skip = ("django_", "auth_", "axes_", "sqlite_")
    return sorted(t for (t,) in _query(env, sql) if not t.startswith(skip))


def _value(value: Any) -> Any:
    """JSON kept as text (SQLite) compared as the value it holds: key order and spacing of the
    stored text are not data."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def dump(env: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every Lexbill table, read with the engine's own driver; the audit record a
    restore writes about itself is left out."""
    rows = {
        t: [tuple(_value(v) for v in row) for row in _query(env, f'SELECT * FROM "{t}" ORDER BY 1')]
        for t in _tables(env)
    }
    rows["audit_auditrecord"] = [r for r in rows["audit_auditrecord"] if "exports.Backup" not in r]
    return rows


def _unmatched_writer_payments(env: dict[str, str]) -> list[tuple[Any, ...]]:
    """Writer payments whose allocations don't add up to the payment: a torn transaction."""
    return _query(
        env,
        "SELECT p.id, p.amount, a.total FROM receivables_payment p LEFT JOIN "
        "(SELECT payment_id, SUM(amount) AS total FROM receivables_paymentallocation "
        "GROUP BY payment_id) a ON a.payment_id = p.id "
        "WHERE p.reference = 'backup-writer' AND (a.total IS NULL OR a.total <> p.amount)",
    )


def _writer_payments(env: dict[str, str]) -> int:
    return int(
        _query(env, "SELECT COUNT(*) FROM receivables_payment WHERE reference = 'backup-writer'")[
            0
        ][0]
    )


def test_backups_taken_while_a_clerk_posts_payments_restore_states_that_existed(
    firm: dict[str, str], tmp_path: Path
) -> None:
    _ok(firm, "demo")
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop)],
        env={**firm, "DJANGO_SETTINGS_MODULE": "lexbill.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    busy = []
    try:
        deadline = time.monotonic() + 120
        while _writer_payments(firm) < 5 and time.monotonic() < deadline:
            assert writer.poll() is None, writer.communicate()[1]
            time.sleep(0.2)
        for n in range(2):
            path = tmp_path / f"busy-{n}.zip"
            json.loads(_ok(firm, "backup", str(path), "--json"))
            busy.append(path)
    finally:
        stop.touch()
        out, errors = writer.communicate(timeout=300)
    assert writer.returncode == 0, errors
    posted = int(out.strip())
    assert _writer_payments(firm) == posted

    # the round trip: back up, change, restore --force, and the data are the backup-time data
    quiet = tmp_path / "quiet.zip"
    _ok(firm, "backup", str(quiet))
    at_backup = dump(firm)
    _ok(firm, "user", "create", "dora", "--role", "clerk", "--password", "Xq7!long-password")
    assert dump(firm) != at_backup
    _ok(firm, "restore", str(quiet), "--force")
    assert dump(firm) == at_backup

    # a backup taken mid-stream holds whole transactions only, and the counts its manifest names
    for path in busy:
        with zipfile.ZipFile(path) as archive:
            counts = json.loads(archive.read("manifest.json"))["backup"]["counts"]
        _ok(firm, "restore", str(path), "--force")
        assert _unmatched_writer_payments(firm) == []
        assert 0 < _writer_payments(firm) <= posted
        for table, rows in counts.items():
            extra = 1 if table == "audit_auditrecord" else 0  # the restore's own record
            assert _query(firm, f'SELECT COUNT(*) FROM "{table}"')[0][0] == rows + extra, table


def test_a_damaged_backup_is_refused_and_the_database_is_unchanged(
    firm: dict[str, str], tmp_path: Path
) -> None:
    _ok(firm, "setup")
    _ok(firm, "user", "create", "alice", "--role", "admin", "--password", "Yq7!long-password")
    good = tmp_path / "good.zip"
    _ok(firm, "backup", str(good))
    _ok(firm, "user", "create", "bob", "--role", "clerk", "--password", "Zq7!long-password")
    before = dump(firm)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(bad, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            if name == "firm_user.csv":
                data = data.replace(b"alice", b"mallory")
            new.writestr(name, data)
    done = _lexbill(firm, "restore", str(bad), "--force")
    assert done.returncode == 1
    assert "firm_user.csv" in done.stderr and "SHA-256" in done.stderr
    assert dump(firm) == before
    # and without --force a database holding data is not overwritten
    done = _lexbill(firm, "restore", str(good))
    assert done.returncode == 1 and "--force" in done.stderr
    assert dump(firm) == before
