"""The commands for payment corrections and adjustments, each with --json:
`lexbill payment reverse|refund|history`, `lexbill invoice credit|write-off` and
`lexbill adjustment list|approve|reject`."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.app.receivables_aging_firm import bill
from typer.testing import CliRunner

from lexbill.billing.models import Invoice
from lexbill.cli import app
from lexbill.receivables.models import AdjustmentRequest, Payment, RequestStatus, WriteOff
from lexbill.receivables.selectors import collections_policy, invoice_balance
from lexbill.receivables.services import post_payment


@pytest.fixture
def invoice(small_firm: Any) -> Invoice:
    return bill(small_firm, small_firm.acme_hourly, date(2026, 3, 2), "3")


def _run(*args: str, user: str | None = None) -> Any:
    prefix = ["--user", user] if user else []
    done = CliRunner().invoke(app, [*prefix, *args, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_reverse_refund_and_history_from_the_command_line(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    before = invoice_balance(invoice)
    payment = post_payment(f.clara, f.acme, before + Decimal("50.00"), date(2026, 3, 20))
    refund = _run("payment", "refund", str(payment.pk), "20.00", "--on", "2026-03-21", user="sam")
    assert (refund["kind"], refund["amount"]) == ("refund", "-20.00")
    reversal = _run(
        "payment", "reverse", str(payment.pk), "--on", "2026-03-22", "--reason", "NSF", user="sam"
    )
    assert reversal["amount"] == str(-(payment.amount - Decimal("20.00")))
    assert reversal["invoices_reopened"] == [{"invoice": invoice.number, "amount": str(before)}]
    assert invoice_balance(invoice) == before
    history = _run("payment", "history", "C001")
    assert [row["event"] for row in history] == [
        "receipt",
        "applied",
        "refund",
        "reversal",
        "taken back",
    ]
    matter = _run("payment", "history", "C001", "--matter", f.acme_hourly.number)
    assert {row["event"] for row in matter} == {"applied", "taken back"}

    refused = CliRunner().invoke(
        app,
        [
            "--user",
            "clara",
            "payment",
            "reverse",
            str(payment.pk),
            "--on",
            "2026-03-23",
            "--reason",
            "x",
        ],
    )
    assert refused.exit_code == 1
    assert "may not reverse or refund a payment" in refused.output


def test_write_off_credit_per_line_and_the_approval_commands(
    small_firm: Any, invoice: Invoice
) -> None:
    threshold = collections_policy().approval_threshold
    small = _run(
        "invoice", "write-off", invoice.number, "10.00", "--reason", "SMALL_BALANCE", user="sam"
    )
    assert small["amount"] == "10.00"
    pending = _run(
        "invoice",
        "write-off",
        invoice.number,
        str(threshold + 1),
        "--reason",
        "UNCOLLECTIBLE",
        user="sam",
    )
    request_id = pending["pending_request"]
    line = invoice.lines.get()
    credit = _run(
        "invoice",
        "credit",
        invoice.number,
        "--reason",
        "partner time cut",
        "--reason-code",
        "BILLING_ERROR",
        "--line",
        f"{line.pk}=100.00",
        user="sam",
    )
    assert credit["lines"] == [{"line": line.pk, "amount": "100.00", "tax": "0.00"}]
    assert credit["reason_code"] == "BILLING_ERROR"

    listed = _run("adjustment", "list")
    assert [r["request"] for r in listed] == [request_id]
    approved = _run("adjustment", "approve", str(request_id), "--note", "ok", user="carol")
    assert approved["status"] == RequestStatus.APPROVED
    assert WriteOff.objects.get(pk=approved["write_off"]).amount == threshold + 1
    assert _run("adjustment", "list") == []

    another = _run(
        "invoice",
        "credit",
        invoice.number,
        "--reason",
        "goodwill",
        "--reason-code",
        "CLIENT_RELATIONS",
        "--amount",
        str(threshold + 1),
        user="sam",
    )
    rejected = _run("adjustment", "reject", str(another["pending_request"]), user="carol")
    assert rejected["status"] == RequestStatus.REJECTED
    assert AdjustmentRequest.objects.filter(status=RequestStatus.PENDING).count() == 0

    bad = CliRunner().invoke(app, ["invoice", "write-off", invoice.number, "--reason", "NOPE"])
    assert bad.exit_code == 1
    assert "not an active reason" in bad.output


def test_a_payment_posted_from_the_command_line_keeps_its_method_and_payer(
    small_firm: Any, invoice: Invoice
) -> None:
    posted = _run(
        "payment",
        "post",
        "--client",
        "C001",
        "--amount",
        "100.00",
        "--date",
        "2026-03-20",
        "--method",
        "card",
        "--reference",
        "AUTH-55",
        "--payer",
        "Acme Treasury",
    )
    stored = Payment.objects.get(pk=posted["payment"])
    assert (stored.method, stored.reference, stored.payer_name) == (
        "card",
        "AUTH-55",
        "Acme Treasury",
    )
    bad = CliRunner().invoke(
        app, ["payment", "post", "--client", "C001", "--amount", "1", "--method", "barter"]
    )
    assert bad.exit_code == 1
    assert "not a payment method" in bad.output


def test_every_credit_from_the_command_line_names_one_of_the_firms_reasons(
    small_firm: Any, invoice: Invoice
) -> None:
    reasons = _run("adjustment", "reasons")
    codes = {r["code"] for r in reasons}
    assert {"BILLING_ERROR", "FEE_DISPUTE"} <= codes
    unnamed = CliRunner().invoke(
        app, ["--user", "carol", "invoice", "credit", invoice.number, "--amount", "10"]
    )
    assert unnamed.exit_code != 0 and "--reason-code" in unnamed.output
    unknown = CliRunner().invoke(
        app,
        ["--user", "carol", "invoice", "credit", invoice.number, "--reason-code", "WHIM"],
    )
    assert unknown.exit_code == 1 and "WHIM" in unknown.output
    assert not invoice.credit_notes.exists()
    done = _run(
        "invoice",
        "credit",
        invoice.number,
        "--reason-code",
        "billing_error",
        "--amount",
        "10",
        user="carol",
    )
    assert done["reason_code"] == "BILLING_ERROR"
