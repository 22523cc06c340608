"""The worked three-way reconciliation through the ``lexbill`` command, as a script runs it.

Only the firm, its people and its clients are seeded in Python (there is no command to create
clients); every trust posting, the statements, matching, the reconciliation and the sign-off go
through ``lexbill trust …`` on a fresh database of the engine under test (SQLite, or PostgreSQL
when LEXBILL_TEST_DATABASE_URL points there; see tests/e2e/test_cli_cycle.py).
"""

from __future__ import annotations

import io
import subprocess
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from tests.app.trust_statements import Line, camt053
from tests.e2e.test_cli_cycle import LEXBILL, cli_env, run, run_json

pytestmark = pytest.mark.e2e
__all__ = ["cli_env"]  # the fixture, imported to be used here

D = Decimal
START, END = date(2026, 9, 1), date(2026, 9, 30)

SEED = textwrap.dedent(
    """
    import django
    django.setup()
    from datetime import date
    from lexbill.clients.services import create_client, open_matter
    from lexbill.firm.services import configure_firm, create_timekeeper, create_user

    configure_firm(None, name="Hale & Ward LLP", address="1 Main St", tax_id="12-3456789")
    create_user(None, "carol", "correct horse battery staple", "coordinator")
    create_user(None, "sam", "correct horse battery staple", "specialist")
    create_user(None, "clara", "correct horse battery staple", "clerk")
    lawyer = create_timekeeper(None, "IL", "I.M.", "Lawyer", "partner")
    opened = date(2026, 9, 1)
    john = create_client(None, "C101", "Injured, John")
    jimmy = create_client(None, "C102", "Innocent, Jimmy")
    open_matter(None, john, "1002", "Injury claim", lawyer, opened_on=opened)
    open_matter(None, jimmy, "1003", "Estate", lawyer, opened_on=opened)
    """
)


def _fails(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*LEXBILL, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout
    return done.stderr


def test_the_worked_example_reconciles_and_is_signed_off_from_the_shell(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "DJANGO_SETTINGS_MODULE": "lexbill.settings"}
    run(env, "setup")
    subprocess.run([*LEXBILL[:1], "-c", SEED], env=env, check=True, timeout=600)
    run(env, "bank", "account", "add", "IOLTA bank", "--number", "111000111")
    run(env, "bank", "account", "add", "Innocent bank", "--number", "222000222")
    run(env, "trust", "open-account", "IOLTA", "--bank-account", "IOLTA bank",
        "--opened-on", "2026-09-01")  # fmt: skip
    run(env, "trust", "open-account", "Innocent trust", "--bank-account", "Innocent bank",
        "--kind", "separate", "--client", "C102", "--opened-on", "2026-09-01")  # fmt: skip
    run(env, "--user", "carol", "trust", "buffer-deposit", "300.00", "--account", "IOLTA",
        "--on", "2026-09-01")  # fmt: skip
    run(env, "--user", "clara", "trust", "deposit", "1002", "40000.00", "--account", "IOLTA",
        "--payor", "Injured, John", "--method", "wire", "--on", "2026-09-11")  # fmt: skip
    run(env, "--user", "clara", "trust", "deposit", "1003", "10000.00", "--account",
        "Innocent trust", "--payor", "Innocent, Jimmy", "--reference", "1187",
        "--on", "2026-09-15")  # fmt: skip

    pooled_file = tmp_path / "iolta-2026-09.xml"
    pooled_file.write_bytes(
        camt053(
            "111000111",
            START,
            END,
            D(0),
            [
                Line(date(2026, 9, 1), D("300.00"), "transfer from operating"),
                Line(date(2026, 9, 12), D("40000.00"), "settlement funds", "Injured, John"),
                Line(date(2026, 9, 30), D("91.66"), "IOLTA interest September"),
            ],
        )
    )
    separate_file = tmp_path / "innocent-2026-09.xml"
    separate_file.write_bytes(
        camt053(
            "222000222",
            START,
            END,
            D(0),
            [
                Line(date(2026, 9, 16), D("10000.00"), "deposit", check_number="1187"),
            ],
        )
    )
    imported = run_json(env, "--user", "sam", "trust", "reconcile", "import", str(pooled_file),
                        "--account", "IOLTA")  # fmt: skip
    assert (imported["new"], imported["matched"], imported["unmatched"]) == (3, 2, 1)
    assert D(imported["closing_balance"]) == D("40391.66")
    run(env, "--user", "sam", "trust", "reconcile", "import", str(separate_file),
        "--account", "Innocent trust")  # fmt: skip

    # the interest is not recorded yet: the month does not reconcile, and says by how much
    shown = run_json(env, "trust", "reconcile", "show", "--account", "IOLTA", "--month", "2026-09")
    assert shown["reconciled"] is False
    (difference,) = shown["differences"]
    assert D(difference["amount"]) == D(shown["adjusted_bank"]) - D(shown["journal_balance"])
    assert D(difference["amount"]) == D("91.66") and D(difference["unexplained"]) == 0
    refused = _fails(env, "--user", "carol", "trust", "reconcile", "sign-off",
                     "--account", "IOLTA", "--month", "2026-09")  # fmt: skip
    assert "91.66" in refused

    run(env, "--user", "sam", "trust", "interest", "91.66", "--account", "IOLTA",
        "--on", "2026-09-30")  # fmt: skip
    waiting = run_json(env, "trust", "reconcile", "open", "--account", "IOLTA",
                       "--month", "2026-09")  # fmt: skip
    (interest_line,) = waiting["bank_lines"]
    matched = run_json(env, "--user", "sam", "trust", "reconcile", "auto-match",
                       "--account", "IOLTA", "--month", "2026-09")  # fmt: skip
    assert matched["matched"] == 1
    # a match is undone by its number (its bank line's id), then found again
    undone = run_json(env, "--user", "sam", "trust", "reconcile", "unmatch",
                      str(interest_line["id"]))  # fmt: skip
    assert undone["unmatched"] == interest_line["id"]
    assert "no match" in _fails(env, "--user", "sam", "trust", "reconcile", "unmatch",
                                str(interest_line["id"]))  # fmt: skip
    rematched = run_json(env, "--user", "sam", "trust", "reconcile", "auto-match",
                         "--account", "IOLTA", "--month", "2026-09")  # fmt: skip
    assert rematched["matched"] == 1

    firm = run_json(env, "trust", "reconcile", "firm", "--month", "2026-09")
    assert firm["reconciled"] is True and firm["problems"] == []
    (usd,) = firm["totals"]
    sides = {D(usd[k]) for k in ("adjusted_bank", "journal_balance", "ledgers_total")}
    ledgers = [
        D(line["balance"]) for row in firm["accounts"] for line in row["three_way"]["ledgers"]
    ]
    assert sides == {sum(ledgers, D(0))} == {D("50300.00")}
    assert D(usd["foundation_interest"]) == D("91.66")

    assert "sign off" in _fails(env, "--user", "sam", "trust", "reconcile", "sign-off",
                                "--account", "IOLTA", "--month", "2026-09")  # fmt: skip
    signed = run_json(env, "--user", "carol", "trust", "reconcile", "sign-off",
                      "--account", "IOLTA", "--month", "2026-09")  # fmt: skip
    assert signed["signed_by"] == "carol" and D(signed["balance"]) == D("40300.00")
    pdf = tmp_path / "iolta.pdf"
    run(env, "trust", "reconcile", "pdf", "--account", "IOLTA", "--month", "2026-09",
        "-o", str(pdf))  # fmt: skip
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "40,391.66" in text and "40,300.00" in text

    pending = run_json(env, "trust", "reconcile", "pending")
    assert {"account": "Innocent trust", "period_end": "2026-09-30"} in pending
    assert not any(p["account"] == "IOLTA" and p["period_end"] == "2026-09-30" for p in pending)
    late = _fails(env, "--user", "clara", "trust", "deposit", "1002", "5.00", "--account",
                  "IOLTA", "--payor", "Injured, John", "--on", "2026-09-30")  # fmt: skip
    assert "signed off" in late
