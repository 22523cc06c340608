"""The `lexbill trust` commands as a billing office scripts them: deposit, disburse, transfer,
refund, reverse, the buffer, bank charges, interest, retainers, balances and accounts.

Most run in-process (typer's CliRunner) against the small firm with its two trust accounts; the
last drives the real `lexbill` command on a fresh database, as test_cli_cycle.py does.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.app.receivables_aging_firm import bill
from tests.app.trust_firm import TrustFirm, build_trust_firm
from tests.e2e.test_cli_cycle import LEXBILL, cli_env, run, run_json  # noqa: F401
from typer.testing import CliRunner

from lexbill.banking.services import create_bank_account
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.cli import app
from lexbill.receivables.models import Payment
from lexbill.trust.models import (
    FoundationInterest,
    RefusedAttempt,
    Retainer,
    TrustAccount,
    TrustLedger,
    TrustTransaction,
)
from lexbill.trust.selectors import (
    buffer_ledger,
    cleared_balance,
    foundation_interest_held,
    journal_balance,
    ledger_balance,
    trust_policy,
)

pytestmark = pytest.mark.e2e
DAY = date(2026, 3, 2)


@pytest.fixture
def t(small_firm: Any) -> TrustFirm:
    return build_trust_firm(small_firm)


def _run(*args: str, user: str | None = None) -> Any:
    prefix = ["--user", user] if user else []
    done = CliRunner().invoke(app, [*prefix, "trust", *args, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def _refused(*args: str, user: str | None = None) -> str:
    prefix = ["--user", user] if user else []
    done = CliRunner().invoke(app, [*prefix, "trust", *args])
    assert done.exit_code == 1, done.output
    return done.output


def _ledger(t: TrustFirm, account: TrustAccount | None = None) -> TrustLedger:
    return TrustLedger.objects.get(account=account or t.iolta, matter=t.f.acme_hourly)


def _deposit(amount: str, method: str, on: date = DAY, account: str = "IOLTA") -> Any:
    return _run(
        "deposit",
        "C001-001",
        amount,
        "--payor",
        "Acme Corp",
        "--method",
        method,
        "--reference",
        "1042" if "check" in method else "WIRE 0412",
        "--account",
        account,
        "--on",
        on.isoformat(),
        user="clara",
    )


def test_a_clerk_deposits_a_specialist_pays_out_and_the_balance_shows_what_has_cleared(
    t: TrustFirm,
) -> None:
    wire = _deposit("1000.00", "wire")
    check = _deposit("500.00", "check")
    assert (wire["kind"], wire["amount"], wire["ledger"]) == ("deposit", "1000.00", "C001-001")
    assert check["posted_by"] == "clara"
    hold = trust_policy().check_hold_days
    assert date.fromisoformat(check["available_on"]) == DAY + timedelta(days=hold)

    ledger = _ledger(t)
    shown = _run("balance", "C001-001", "--on", DAY.isoformat())
    [row] = shown["ledgers"]
    assert (row["account"], Decimal(row["balance"]), Decimal(row["cleared"])) == (
        "IOLTA",
        ledger_balance(ledger, DAY),
        cleared_balance(ledger, DAY),
    )
    assert Decimal(row["cleared"]) < Decimal(row["balance"])

    paid = _run(
        "disburse",
        "C001-001",
        "200.00",
        "--payee",
        "Clerk of Court",
        "--purpose",
        "filing fee",
        "--reference",
        "9001",
        "--on",
        DAY.isoformat(),
        user="sam",
    )
    posting = TrustTransaction.objects.get(pk=paid["id"])
    assert (posting.kind, posting.amount, posting.counterparty, posting.posted_by) == (
        "disbursement",
        Decimal("-200.00"),
        "Clerk of Court",
        t.f.sam,
    )
    text = CliRunner().invoke(app, ["trust", "balance", "C001-001", "--on", DAY.isoformat()])
    assert text.exit_code == 0, text.output
    assert f"balance USD {ledger_balance(ledger):,.2f}" in text.output
    assert "on hold" in text.output


def test_an_overdraft_is_refused_on_stderr_naming_the_field_and_logged_as_the_user(
    t: TrustFirm,
) -> None:
    _deposit("300.00", "wire")
    before = TrustTransaction.objects.count()
    output = _refused(
        "disburse",
        "C001-001",
        "450.00",
        "--payee",
        "Expert",
        "--purpose",
        "report",
        "--reference",
        "9002",
        "--on",
        DAY.isoformat(),
        user="sam",
    )
    assert "field 'amount'" in output and "below zero" in output
    assert TrustTransaction.objects.count() == before
    refused = RefusedAttempt.objects.get()
    assert (refused.user, refused.operation, refused.amount) == (
        t.f.sam,
        "disbursement",
        Decimal("450.00"),
    )

    clerk = _refused(
        "disburse",
        "C001-001",
        "10.00",
        "--payee",
        "Courier",
        "--purpose",
        "delivery",
        "--reference",
        "9003",
        user="clara",
    )
    assert "may not" in clerk
    assert RefusedAttempt.objects.filter(user=t.f.clara).count() == 1
    assert "field 'received_on'" in _refused(
        "deposit", "C001-001", "10", "--payor", "Acme Corp", "--on", "March 2"
    )
    assert "field 'matter'" in _refused("deposit", "C009-999", "10", "--payor", "Acme Corp")
    assert "field 'amount'" in _refused(
        "deposit", "C001-001", "ten", "--payor", "Acme Corp", "--account", "IOLTA"
    )
    # two accounts could hold Acme's money: the command asks which
    assert "field 'account'" in _refused("buffer-deposit", "50.00", user="carol")


def test_earned_fees_move_to_operating_and_pay_the_invoice_in_one_step(t: TrustFirm) -> None:
    f = t.f
    invoice = bill(f, f.acme_hourly, DAY, "2")
    _deposit(str(invoice.total + Decimal("500.00")), "wire")
    done = _run(
        "transfer",
        "C001-001",
        invoice.number,
        "--on",
        DAY.isoformat(),
        "--notice-sent-on",
        DAY.isoformat(),
        user="sam",
    )
    assert (done["kind"], done["invoice"]) == ("fee_transfer", invoice.number)
    assert Decimal(done["amount"]) == -invoice.total
    payment = Payment.objects.get(pk=done["payment"])
    assert payment.amount == invoice.total
    balance = with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance  # type: ignore[attr-defined]
    assert balance == 0
    assert ledger_balance(_ledger(t)) == Decimal("500.00")
    # nothing is left open on the invoice: a second transfer is refused
    assert "field 'amount'" in _refused(
        "transfer", "C001-001", invoice.number, "1.00", "--on", DAY.isoformat(), user="sam"
    )


def test_a_refund_and_a_reversal_and_who_may_reverse(t: TrustFirm) -> None:
    wire = _deposit("800.00", "wire")
    refund = _run(
        "refund",
        "C001-001",
        "300.00",
        "--on",
        DAY.isoformat(),
        "--reference",
        "5001",
        user="sam",
    )
    assert (refund["kind"], refund["amount"], refund["counterparty"]) == (
        "refund",
        "-300.00",
        "Acme Corp",
    )
    assert "may not" in _refused(
        "reverse", str(refund["id"]), "--reason", "check voided", user="sam"
    )
    undone = _run(
        "reverse",
        str(refund["id"]),
        "--reason",
        "check voided",
        "--on",
        DAY.isoformat(),
        user="carol",
    )
    assert (undone["kind"], undone["reverses"], undone["amount"]) == (
        "reversal",
        refund["id"],
        "300.00",
    )
    assert ledger_balance(_ledger(t)) == Decimal(wire["amount"])
    assert "field 'id'" in _refused("reverse", str(refund["id"]), "--reason", "again", user="carol")
    assert "field 'id'" in _refused("reverse", "999999", "--reason", "x", user="carol")


def test_the_buffer_pays_bank_charges_and_iolta_interest_is_the_foundations(
    t: TrustFirm,
) -> None:
    on = ["--on", DAY.isoformat()]
    _run("buffer-deposit", "100.00", "--account", "IOLTA", *on, user="carol")
    charge = _run("bank-charge", "15.00", "--account", "IOLTA", *on, user="sam")
    assert (charge["kind"], charge["ledger"]) == ("bank_charge", "buffer")
    assert "field 'amount'" in _refused(
        "buffer-deposit", "450.00", "--account", "IOLTA", *on, user="carol"
    )
    credited = _run("interest", "3.21", "--account", "IOLTA", *on, user="sam")
    assert credited["kind"] == "foundation interest credited"
    assert "field 'matter'" in _refused(
        "interest", "1.00", "--account", "IOLTA", "--matter", "C001-001", *on, user="sam"
    )
    _run("remit-interest", "3.00", "--account", "IOLTA", *on, user="sam")
    assert foundation_interest_held(t.iolta) == Decimal("0.21")
    assert FoundationInterest.objects.count() == 2

    _deposit("1000.00", "wire", account="Acme trust")
    client_interest = _run(
        "interest", "1.50", "--account", "Acme trust", "--matter", "C001-001", *on, user="sam"
    )
    assert (client_interest["kind"], client_interest["ledger"]) == ("interest", "C001-001")
    _run("buffer-withdraw", "20.00", "--account", "IOLTA", *on, user="carol")

    rows = {row["name"]: row for row in _run("accounts")}
    assert set(rows) == {"IOLTA", "Acme trust"}
    iolta = rows["IOLTA"]
    assert Decimal(iolta["buffer"]) == ledger_balance(buffer_ledger(t.iolta)) == Decimal("65.00")
    assert Decimal(iolta["journal_balance"]) == journal_balance(t.iolta)
    assert Decimal(iolta["foundation_interest_held"]) == Decimal("0.21")
    assert rows["Acme trust"]["client"] == "C001"
    assert Decimal(rows["Acme trust"]["journal_balance"]) == journal_balance(t.separate)


def test_an_evergreen_retainer_and_a_new_account_from_the_command_line(t: TrustFirm) -> None:
    evergreen = _run(
        "retainer",
        "C001-002",
        "10000.00",
        "--kind",
        "evergreen",
        "--minimum",
        "5000.00",
        "--account",
        "IOLTA",
        "--agreed-on",
        DAY.isoformat(),
        user="sam",
    )
    assert (evergreen["kind"], evergreen["minimum_balance"]) == ("evergreen", "5000.00")
    retainer = Retainer.objects.get(matter=t.f.acme_capped)
    assert (retainer.account, retainer.amount) == (t.iolta, Decimal("10000.00"))
    assert "field 'minimum_balance'" in _refused(
        "retainer", "C001-002", "100.00", "--kind", "evergreen", "--account", "IOLTA", user="sam"
    )
    assert "may not" in _refused(
        "retainer", "C001-002", "100.00", "--account", "IOLTA", user="clara"
    )

    create_bank_account(None, "Second Bank IOLTA", number="333000333")
    opened = _run(
        "open-account",
        "IOLTA 2",
        "--bank-account",
        "Second Bank IOLTA",
        "--opened-on",
        DAY.isoformat(),
        user="carol",
    )
    assert (opened["kind"], opened["currency"]) == ("pooled", "USD")
    assert TrustAccount.objects.filter(name="IOLTA 2", kind="pooled").exists()
    assert "field 'bank_account'" in _refused(
        "open-account", "IOLTA 3", "--bank-account", "Second Bank IOLTA", user="carol"
    )
    assert "field 'bank_account'" in _refused(
        "open-account", "IOLTA 3", "--bank-account", "No Such Bank", user="carol"
    )
    create_bank_account(None, "Third Bank IOLTA", number="444000444")
    assert "may not" in _refused(
        "open-account", "IOLTA 3", "--bank-account", "Third Bank IOLTA", user="sam"
    )


def test_the_real_command_on_a_fresh_database(
    cli_env: dict[str, str],  # noqa: F811
) -> None:
    run(cli_env, "setup")
    assert run_json(cli_env, "trust", "accounts") == []
    done = subprocess.run(
        [*LEXBILL, "trust", "deposit", "C001-001", "10.00", "--payor", "Acme Corp"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 1
    assert "field 'matter'" in done.stderr and done.stdout == ""
    listed = run(cli_env, "trust", "--help")
    for name in ("deposit", "disburse", "transfer", "refund", "reverse", "balance", "retainer"):
        assert name in listed


def test_help_names_every_command_the_office_uses() -> None:
    done = CliRunner().invoke(app, ["trust", "--help"])
    assert done.exit_code == 0
    for name in (
        "accounts",
        "open-account",
        "buffer-deposit",
        "buffer-withdraw",
        "bank-charge",
        "interest",
        "remit-interest",
    ):
        assert name in done.output
