"""The whole cycle through the ``lexbill`` command, as a billing specialist scripts it.

demo → bill run → approve → finalize → PDF → payment → balance zero, on a fresh database of the
engine under test (SQLite, or PostgreSQL when LEXBILL_TEST_DATABASE_URL points there).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.e2e
LEXBILL = [sys.executable, "-m", "lexbill"]


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "LEXBILL_DATA_DIR": str(tmp_path), "LEXBILL_SECRET_KEY": "e2e"}
    env.pop("LEXBILL_USER", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    url = os.environ.get("LEXBILL_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        env["LEXBILL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
        yield env
        return
    import psycopg

    name = f"lexbill_e2e_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    env["LEXBILL_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*LEXBILL, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"lexbill {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def run_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(run(env, *args, "--json"))


def _the_demo_firm_exports_valid_ledes(env: dict[str, str], tmp_path: Path) -> None:
    """Every invoice of the demo firm, one LEDES file per client in the client's format, and
    each file passes the validator with no error and no warning."""
    by_client: dict[str, list[str]] = {}
    for row in run_json(env, "invoice", "list"):
        by_client.setdefault(row["client"], []).append(row["number"])
    formats = set()
    for client, numbers in by_client.items():
        path = tmp_path / f"{client}.ledes.txt"
        run(env, "ledes", "export", *numbers, "-o", str(path))
        report = run_json(env, "ledes", "validate", str(path))
        assert (report["errors"], report["warnings"]) == (0, 0), (client, report["problems"][:3])
        assert report["invoices"] == len(numbers)
        formats.add(report["format"])
    assert formats == {"1998B", "98BI"}  # the VAT client bills in LEDES98BI
    taxed = next(n for c, ns in by_client.items() for n in ns if "98BI" in _format_of(tmp_path, c))
    refused = subprocess.run(
        [*LEXBILL, "ledes", "export", taxed, "--format", "1998B", "-o", str(tmp_path / "x.txt")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "cannot carry" in refused.stderr
    assert not (tmp_path / "x.txt").exists()


def _guidelines_from_a_template_check_pre_bills_and_ledes_files(
    env: dict[str, str], tmp_path: Path
) -> None:
    names = run(env, "guidelines", "templates").split()
    assert "corporate-legal-tracker" in names
    client = "10231"  # Northwind, which bills through an e-billing system
    template = run(env, "guidelines", "templates", "corporate-legal-tracker")
    path = tmp_path / "northwind.yaml"
    path.write_text(template.replace("client: TEMPLATE", f"client: {client}"))
    assert "imported" in run(env, "guidelines", "import", str(path), "--client", client)
    assert run(env, "guidelines", "export", "--client", client) == path.read_text()
    # the demo recorded the litigation's budgets; a specialist adds one for a phase
    budget = run_json(env, "matter", "budget", "10231-0047", "--show")
    assert [b["phase"] for b in budget["budgets"]] == ["", "L100", "L200", "L300", "L400"]
    add = ["matter", "budget", "10231-0047", "--amount", "1", "--phase", "L500"]
    run(env, "--user", "specialist", *add)
    assert run_json(env, "matter", "budget", "10231-0047")["budgets"][-1]["budget"] == "1.00"
    for command in (
        ["guidelines", "check", "--client", client],
        ["ledes", "check", str(tmp_path / f"{client}.ledes.txt"), "--client", client],
    ):
        done = subprocess.run(
            [*LEXBILL, *command, "--json"], env=env, capture_output=True, text=True, timeout=600
        )
        data = json.loads(done.stdout)
        results = data if isinstance(data, list) else [data]
        findings = [f for result in results for f in result["findings"]]
        blocking = sum(result["blocking"] for result in results)
        assert done.returncode == (1 if blocking else 0), done.stderr
        assert all(
            {"rule", "lines", "severity", "message", "amount_at_risk"} <= set(f) for f in findings
        )
        assert sum(Decimal(f["amount_at_risk"]) for f in findings) == sum(
            Decimal(result["amount_at_risk"]) for result in results
        )
    # the certain fixes, pre-bill by pre-bill: no finding they fix is left, no total goes up
    checked = json.loads(_check(env, client).stdout)
    for result in checked:
        fixable = {f["rule"] for f in result["findings"] if f["fixes"]}
        before = run_json(env, "prebill", "show", str(result["prebill"]))
        run(env, "--user", "specialist", "guidelines", "fix", "--prebill", str(result["prebill"]))
        after = run_json(env, "prebill", "show", str(result["prebill"]))
        assert Decimal(after["total"]) <= Decimal(before["total"])
        again = json.loads(_check(env, client, "--prebill", str(result["prebill"])).stdout)[0]
        left = {f["rule"] for f in again["findings"] if f["fixes"] and f["rule"] in fixable}
        splits_only = all(
            all("proposed_lines" in fix for fix in f["fixes"])
            for f in again["findings"]
            if f["rule"] in left
        )
        assert not left or splits_only, left


def _check(env: dict[str, str], client: str, *more: str) -> Any:
    return subprocess.run(
        [*LEXBILL, "guidelines", "check", "--client", client, *more, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _format_of(tmp_path: Path, client: str) -> str:
    return (tmp_path / f"{client}.ledes.txt").read_text().split("[]", 1)[0]


def test_the_billing_cycle_end_to_end(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = cli_env
    assert "demo firm ready" in run(env, "demo")
    _the_demo_firm_exports_valid_ledes(env, tmp_path)

    today = datetime.now(UTC).date().isoformat()
    run_json(env, "bill-run", "--through", today)
    drafts = run_json(env, "prebill", "list", "--status", "draft")
    assert drafts, "the demo leaves work to bill"
    prebill = drafts[0]
    shown = run_json(env, "prebill", "show", str(prebill["prebill"]))
    line_sum = sum(
        Decimal(line["amount"]) + Decimal(line["adjustment"])
        for line in shown["lines"]
        if line["treatment"] == "bill"
    )
    assert {line["rate_source"] for line in shown["lines"] if line["kind"] == "time"} <= {
        "matter/timekeeper",
        "matter/classification",
        "client/timekeeper",
        "client/classification",
        "timekeeper",
        "classification",
        "edited",
    }
    assert Decimal(shown["total"]) == line_sum + Decimal(
        shown.get("fee_adjustment", {}).get("amount", "0")
    ) + Decimal(shown["tax"])

    matter = prebill["matter"]
    added = run_json(
        env,
        "--user",
        "clerk",
        "time",
        "add",
        "--matter",
        matter,
        "--timekeeper",
        "DW",
        "--hours",
        "1.23",
        "--narrative",
        "Telephone conference with client",
        "--task",
        "L120",
        "--activity",
        "A106",
    )
    assert (added["billed_hours"], added["state"]) == ("1.30", "unbilled")  # 0.1 h, rounded up
    refused = subprocess.run(
        [
            *LEXBILL,
            "time",
            "add",
            "--matter",
            matter,
            "--timekeeper",
            "DW",
            "--hours",
            "1",
            "--narrative",
            "x",
            "--task",
            "L999",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1
    assert "unknown UTBMS task code 'L999'" in refused.stderr
    clerk_run = subprocess.run(
        [*LEXBILL, "--user", "clerk", "bill-run", "--through", today],
        env=env,
        capture_output=True,
        text=True,
    )
    assert clerk_run.returncode == 1
    assert "may not run a bill run" in clerk_run.stderr

    note = "Check the narrative on the first line"
    run(env, "--user", "clerk", "prebill", "comment", str(prebill["prebill"]), note)
    commented = run_json(env, "prebill", "show", str(prebill["prebill"]))
    assert [(c["by"], c["action"], c["text"]) for c in commented["comments"]] == [
        ("clerk", "comment", note)
    ]
    run(env, "--user", "coordinator", "prebill", "approve", str(prebill["prebill"]))
    invoice = run_json(env, "invoice", "finalize", str(prebill["prebill"]))
    assert invoice["status"] == "final"
    assert invoice["total"] == shown["total"]
    listed = {row["number"]: row for row in run_json(env, "invoice", "list")}
    assert listed[invoice["number"]]["balance"] == invoice["total"]

    pdf_path = tmp_path / "invoice.pdf"
    run(env, "invoice", "pdf", invoice["number"], "-o", str(pdf_path))
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert invoice["number"] in text

    client = invoice["client"]
    paid = run_json(
        env,
        "payment",
        "post",
        "--client",
        client,
        "--amount",
        invoice["balance"],
        "--allocate",
        f"{invoice['number']}={invoice['balance']}",
    )
    assert paid["allocations"] == [{"invoice": invoice["number"], "amount": invoice["balance"]}]
    assert run_json(env, "invoice", "show", invoice["number"])["balance"] == "0.00"

    before = run_json(env, "balance", client)
    if Decimal(before["balance_due"]) > 0:
        run_json(env, "payment", "post", "--client", client, "--amount", before["balance_due"])
    after = run_json(env, "balance", client)
    assert after["balance_due"] == "0.00"
    assert Decimal(after["paid"]) == Decimal(before["paid"]) + Decimal(before["balance_due"])

    # last, as the client's guidelines then hold its pre-bills back from approval
    _guidelines_from_a_template_check_pre_bills_and_ledes_files(env, tmp_path)


def test_errors_go_to_stderr_with_a_non_zero_exit(cli_env: dict[str, str]) -> None:
    run(cli_env, "setup")
    done = subprocess.run(
        [*LEXBILL, "invoice", "show", "NO-SUCH"], env=cli_env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "no invoice NO-SUCH" in done.stderr
    assert done.stdout == ""
    bad_date = subprocess.run(
        [*LEXBILL, "bill-run", "--through", "2026-02-30"],
        env=cli_env,
        capture_output=True,
        text=True,
    )
    assert bad_date.returncode == 1
    assert "not a date" in bad_date.stderr
