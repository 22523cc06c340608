"""The trust reports through the ``lexbill`` command, on a fresh database of the engine under
test: postings made through the trust services, then each report read back as JSON, Excel and
PDF and checked against the postings themselves."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from tests.e2e.test_cli_cycle import LEXBILL, cli_env, run, run_json

pytestmark = pytest.mark.e2e
__all__ = ["cli_env"]  # the fixture, shared with the billing-cycle test

# (operation, matter, amount, day, reference): what the firm's trust account went through.
MOVES = [
    ("deposit", "C001-001", "5000.00", "2026-02-02", "W-1"),
    ("deposit", "C002-001", "3000.00", "2026-02-03", "W-2"),
    ("disburse", "C001-001", "1200.00", "2026-02-10", "2001"),
    ("refund", "C002-001", "500.00", "2026-03-05", "2002"),
    ("disburse", "C002-001", "100.00", "2026-03-10", "2003"),
    ("reverse", "C002-001", "100.00", "2026-03-11", "2003"),
]
SIGN = {"deposit": 1, "disburse": -1, "refund": -1, "reverse": 1}

SEED = """
import json, os, sys
from datetime import date
from decimal import Decimal
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexbill.settings")
django.setup()
from lexbill.banking.services import create_bank_account
from lexbill.clients.models import Matter
from lexbill.clients.services import create_client, open_matter
from lexbill.core.errors import PermissionDenied
from lexbill.firm.services import configure_firm, create_timekeeper, create_user
from lexbill.trust import services as trust
from lexbill.trust.models import TrustLedger

configure_firm(None, name="Hale & Ward LLP", address="1 Main St")
create_user(None, "clara", "correct horse battery staple", "clerk")
create_user(None, "pat", "correct horse battery staple", "attorney")
partner = create_timekeeper(None, "PW", "Pat", "Ward", "partner")
start = date(2026, 1, 1)
acme = create_client(None, "C001", "Acme Corp")
globex = create_client(None, "C002", "Globex GmbH")
open_matter(None, acme, "C001-001", "Acme v. Roadrunner", partner, opened_on=start)
open_matter(None, globex, "C002-001", "Globex lease", partner, opened_on=start)
bank = create_bank_account(None, "First Bank IOLTA", number="111000111")
account = trust.open_trust_account(None, "IOLTA", "pooled", bank, start)
last = None
for op, number, amount, day, ref in json.loads(sys.argv[1]):
    matter, on = Matter.objects.get(number=number), date.fromisoformat(day)
    if op == "deposit":
        last = trust.deposit(None, account, matter, amount, on, payor=matter.client.name,
                             method="wire", reference=ref)
        continue
    ledger = TrustLedger.objects.get(account=account, matter=matter)
    if op == "disburse":
        last = trust.disburse(None, ledger, amount, on, payee="Court clerk", purpose="fees",
                              reference=ref)
    elif op == "refund":
        last = trust.refund(None, ledger, amount, on, reference=ref)
    else:
        last = trust.reverse(None, last, on, "check voided")
try:
    trust.refund(create_user(None, "carl", "correct horse battery staple", "clerk"),
                 ledger, "1.00", on, reference="x")
except PermissionDenied:
    pass
"""


def _seed(env: dict[str, str]) -> None:
    run(env, "setup")
    done = subprocess.run(
        [sys.executable, "-c", SEED, json.dumps(MOVES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def _net(moves: list[tuple[str, ...]]) -> Decimal:
    return sum((SIGN[m[0]] * Decimal(m[2]) for m in moves), Decimal("0.00"))


def test_trust_reports_from_the_command_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = cli_env
    _seed(env)
    acme_moves = [m for m in MOVES if m[1] == "C001-001"]

    ledger = run_json(env, "--user", "clara", "trust", "ledger", "C001-001")
    assert Decimal(ledger["figures"]["closing"]) == _net(acme_moves)
    assert [r["reference"] for r in ledger["rows"]] == [m[4] for m in acme_moves]

    period = ["--from", "2026-02-01", "--to", "2026-03-31"]
    sheet, pdf = tmp_path / "journal.xlsx", tmp_path / "journal.pdf"
    journal = run_json(
        env, "trust", "journal", "--account", "IOLTA", *period, "--xlsx", str(sheet),
        "--pdf", str(pdf),
    )  # fmt: skip
    assert len(journal["rows"]) == len(MOVES)
    inflows = sum((Decimal(m[2]) for m in MOVES if SIGN[m[0]] > 0), Decimal(0))
    outflows = sum((Decimal(m[2]) for m in MOVES if SIGN[m[0]] < 0), Decimal(0))
    assert (Decimal(journal["totals"]["in"]), Decimal(journal["totals"]["out"])) == (
        inflows,
        outflows,
    )
    assert Decimal(journal["figures"]["closing"]) == _net(MOVES)

    ws = load_workbook(sheet).active
    total_row = next(r for r in ws.iter_rows() if r[0].value == "Total")
    titles = [c["title"] for c in journal["columns"]]
    for title, key in (("In", "in"), ("Out", "out")):
        cell = total_row[titles.index(title)]
        assert isinstance(cell.value, (int, float)) and "USD" in cell.number_format
        assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == Decimal(journal["totals"][key])
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert f"{Decimal(journal['figures']['closing']):,.2f}" in text

    trial = run_json(env, "trust", "trial-balance", "--as-of", "2026-03-31")
    assert Decimal(trial["totals"]["balance"]) == Decimal(trial["figures"]["journal"])
    assert Decimal(trial["figures"]["journal"]) == _net(MOVES)
    assert {r["matter"]: Decimal(r["balance"]) for r in trial["rows"]} == {
        number: _net([m for m in MOVES if m[1] == number]) for number in {m[1] for m in MOVES}
    }

    dormant = run_json(env, "trust", "dormant", "--months", "4", "--as-of", "2026-06-30")
    cutoff = "2026-02-28"  # four months before June 30
    idle = sorted(
        number
        for number in {m[1] for m in MOVES}
        if max(m[3] for m in MOVES if m[1] == number) <= cutoff
        and _net([m for m in MOVES if m[1] == number])
    )
    assert idle and [r["matter"] for r in dormant["rows"]] == idle

    refused = run_json(env, "trust", "refused", "--from", "2000-01-01", "--to", "2099-12-31")
    assert [(r["user"], r["operation"]) for r in refused["rows"]] == [("carl", "refund")]
    assert "Trial balance" in run(env, "trust", "trial-balance", "--as-of", "2026-03-31")


def test_an_attorney_may_not_read_trust_reports(cli_env: dict[str, str]) -> None:
    _seed(cli_env)
    done = subprocess.run(
        [*LEXBILL, "--user", "pat", "trust", "journal", "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert "may not" in done.stderr
