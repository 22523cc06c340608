"""`lexbill audit verify` end to end: a real database file (or PostgreSQL database), a record
changed behind Lexbill's back with the engine's own client, and the exit code a script sees."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from typing import Any

import pytest
from tests.e2e.test_cli_cycle import LEXBILL, cli_env, run

pytestmark = pytest.mark.e2e
__all__ = ["cli_env"]  # the fixture, shared with the CLI cycle test


def _sql(env: dict[str, str], statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Run SQL straight on the database, outside Lexbill."""
    url = env["LEXBILL_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            rows = db.execute(statement.replace("%s", "?"), params).fetchall()
        return rows
    import psycopg

    with psycopg.connect(url, autocommit=True) as db, db.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _verify(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEXBILL, "audit", "verify", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_verify_passes_an_intact_trail_and_names_a_record_changed_in_the_database(
    cli_env: dict[str, str],
) -> None:
    run(cli_env, "setup")
    for name, role in (("ann", "clerk"), ("bo", "coordinator"), ("cy", "admin")):
        run(cli_env, "user", "create", name, "--role", role, "--password", "a long passphrase 1")
    ids = [r[0] for r in _sql(cli_env, "SELECT id FROM audit_auditrecord ORDER BY id")]
    assert len(ids) >= 3

    intact = _verify(cli_env, "--json")
    assert intact.returncode == 0, intact.stderr
    report = json.loads(intact.stdout)
    assert report["ok"] is True and report["verified"] == len(ids)
    assert report["head_id"] == ids[-1]
    stored_head = _sql(cli_env, "SELECT hash FROM audit_auditrecord WHERE id = %s", (ids[-1],))
    assert report["head"] == stored_head[0][0]
    text = _verify(cli_env)
    assert text.returncode == 0 and f"{len(ids)} records verified" in text.stdout

    victim = ids[1]
    _sql(cli_env, "UPDATE audit_auditrecord SET actor_name = 'mallory' WHERE id = %s", (victim,))
    broken = _verify(cli_env)
    assert broken.returncode == 1
    assert f"record {victim} was altered" in broken.stderr
    as_json = _verify(cli_env, "--json")
    assert as_json.returncode == 1
    found = json.loads(as_json.stdout)["broken"]
    assert (found["kind"], found["record_id"]) == ("altered", victim)
    assert found["model"] == "firm.User"


def test_an_anchor_that_is_no_longer_in_the_chain_fails(cli_env: dict[str, str]) -> None:
    run(cli_env, "setup")
    run(cli_env, "user", "create", "ann", "--role", "clerk", "--password", "a long passphrase 1")
    head = json.loads(_verify(cli_env, "--json").stdout)["head"]
    assert _verify(cli_env, "--anchor", head).returncode == 0
    _sql(cli_env, "DELETE FROM audit_auditrecord WHERE hash = %s", (head,))
    cut = _verify(cli_env, "--anchor", head)
    assert cut.returncode == 1 and "anchor" in cut.stderr
