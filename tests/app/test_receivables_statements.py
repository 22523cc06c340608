"""Client statements: they reconcile to the cent, print as a real PDF, go out by e-mail with the
PDF attached, and work from the command line."""

from __future__ import annotations

import io
import json
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from tests.app.receivables_aging_firm import (
    AgingFirm,
    balances_now,
    bounce,
    build_aging_firm,
    refund,
    write_off,
)
from typer.testing import CliRunner

from lexbill.audit.models import AuditRecord
from lexbill.billing.formatting import format_money
from lexbill.billing.invoicing import issue_credit_note
from lexbill.billing.models import CreditNote, Invoice
from lexbill.billing.selectors import unapplied_credit
from lexbill.core.errors import LexbillError
from lexbill.receivables.models import Payment, WriteOff
from lexbill.receivables.services import post_payment
from lexbill.receivables.statements import (
    build_statement,
    client_statement_pdf,
    send_statement,
    statement_pdf,
)

ZERO = Decimal(0)


@pytest.fixture
def aging_firm(small_firm: Any) -> AgingFirm:
    return build_aging_firm(small_firm)


def _net_by_hand(client: Any, currency: str, on: date) -> Decimal:
    """What the client owes net of unapplied credit, summed row by row in Python."""
    invoices = [
        i for i in Invoice.objects.filter(client=client, currency=currency) if i.issued_on <= on
    ]
    credits = [
        c.total
        for c in CreditNote.objects.filter(invoice__client=client)
        if c.issued_on <= on and c.invoice.currency == currency
    ]
    offs = [
        w.amount
        for w in WriteOff.objects.filter(invoice__client=client)
        if w.written_off_on <= on and w.invoice.currency == currency
    ]
    paid = [
        p.amount
        for p in Payment.objects.filter(client=client, currency=currency)
        if p.received_on <= on
    ]
    return (
        sum((i.total for i in invoices), ZERO)
        - sum(credits, ZERO)
        - sum(offs, ZERO)
        - sum(paid, ZERO)
    )


def _check_reconciles(statement: Any) -> None:
    client, cur = statement.client, statement.currency
    assert statement.brought_forward.net == _net_by_hand(
        client, cur, statement.start - timedelta(days=1)
    )
    assert statement.closing.net == _net_by_hand(client, cur, statement.end)
    assert statement.brought_forward.net + statement.movements_total == statement.closing.net
    running = statement.brought_forward.net
    for line in statement.lines:
        running += line.movement.amount
        assert line.balance == running
        assert statement.start <= line.movement.on <= statement.end
    assert [line.movement.on for line in statement.lines] == sorted(
        line.movement.on for line in statement.lines
    )
    for account in (statement.brought_forward, statement.closing):
        assert account.net == account.due_on_invoices - account.unapplied_credit
    assert statement.aging.total == sum((i.balance for i in statement.open_invoices), ZERO)
    assert statement.aging.total == statement.closing.due_on_invoices


def test_a_statement_shows_every_kind_of_movement_in_date_order(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    first, second = aging_firm.invoices[0], aging_firm.invoices[1]
    receipt = post_payment(
        f.clara,
        f.acme,
        first.total + Decimal("100.00"),
        date(2026, 3, 10),
        allocations=[(first.number, first.total)],
        currency="USD",
    )
    issue_credit_note(f.carol, second, Decimal("40.00"), "courtesy", date(2026, 3, 12))
    write_off(second, Decimal("10.00"), date(2026, 3, 14), kind="discount")
    refund(receipt, Decimal("30.00"), date(2026, 3, 16))
    bounced = post_payment(f.clara, f.acme, Decimal("200.00"), date(2026, 3, 17), currency="USD")
    bounce(bounced, date(2026, 3, 25))
    statement = build_statement(f.acme, date(2026, 3, 1), date(2026, 3, 31))
    kinds = [line.movement.kind for line in statement.lines]
    assert kinds == [
        "invoice",
        "payment",
        "credit_note",
        "discount",
        "refund",
        "payment",
        "reversal",
    ]
    _check_reconciles(statement)
    assert statement.currency == "USD"
    # the refund and the reversal raise what the client owes; the rest lowers it (but invoices)
    assert [line.movement.amount > 0 for line in statement.lines] == [
        True,
        False,
        False,
        False,
        True,
        False,
        True,
    ]


def test_the_balance_brought_forward_is_the_account_the_day_before(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    post_payment(f.clara, f.acme, Decimal("300.00"), date(2026, 2, 20), currency="USD")
    march = build_statement(f.acme, date(2026, 3, 1), date(2026, 3, 31))
    jan_feb = build_statement(f.acme, date(2026, 1, 1), date(2026, 2, 28))
    assert march.brought_forward.net == jan_feb.closing.net
    assert march.brought_forward.on == date(2026, 2, 28)
    _check_reconciles(march)
    _check_reconciles(jan_feb)


def test_unapplied_credit_is_shown_apart_from_the_balance_due(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    post_payment(
        f.clara, f.acme, Decimal("250.00"), date(2026, 6, 1), allocations=[], currency="USD"
    )
    statement = build_statement(f.acme, date(2026, 6, 1), date(2026, 6, 30))
    assert statement.closing.unapplied_credit == unapplied_credit(f.acme, "USD")
    owed = sum((i.balance for i in balances_now(client=f.acme, currency="USD")), ZERO)
    assert statement.closing.due_on_invoices == owed
    assert statement.closing.net == owed - statement.closing.unapplied_credit
    _check_reconciles(statement)


def test_each_currency_has_its_own_statement(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    euro = build_statement(f.globex, date(2026, 3, 1), date(2026, 3, 31), "eur")
    assert euro.currency == "EUR"
    assert euro.closing.net == aging_firm.invoices[3].total
    with pytest.raises(LexbillError) as caught:
        build_statement(f.globex, date(2026, 3, 1), date(2026, 3, 31))
    assert caught.value.field == "currency"


def test_a_period_that_ends_before_it_starts_is_refused(aging_firm: AgingFirm) -> None:
    with pytest.raises(LexbillError) as caught:
        build_statement(aging_firm.f.acme, date(2026, 3, 31), date(2026, 3, 1))
    assert caught.value.field == "end"


steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["pay", "pay_unapplied", "credit", "write_off", "discount", "reverse", "refund"]
        ),
        st.integers(min_value=1, max_value=150_000),
        st.integers(min_value=0, max_value=120),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=steps,
    start_offset=st.integers(min_value=0, max_value=240),
    length=st.integers(min_value=0, max_value=120),
)
def test_every_statement_reconciles_to_the_cent(
    aging_firm: AgingFirm, steps: Any, start_offset: int, length: int
) -> None:
    f = aging_firm.f
    base = date(2026, 5, 2)  # after the last invoice, so every correction follows its invoice
    with transaction.atomic():
        receipts: list[Payment] = []
        for kind, cents, offset in steps:
            amount = Decimal(cents).scaleb(-2)
            day = base + timedelta(days=offset)
            open_ = [i for i in balances_now(client=f.acme) if i.balance > 0]
            with suppress(LexbillError):  # a refusal (more than is open or free) changes nothing
                if kind == "pay":
                    receipts.append(post_payment(f.clara, f.acme, amount, day, currency="USD"))
                elif kind == "pay_unapplied":
                    receipts.append(
                        post_payment(f.clara, f.acme, amount, day, allocations=[], currency="USD")
                    )
                elif kind == "credit" and open_:
                    issue_credit_note(
                        f.carol, open_[-1], min(amount, open_[-1].balance), "adj", day
                    )
                elif kind in ("write_off", "discount") and open_:
                    write_off(open_[0], min(amount, open_[0].balance), day, kind=kind)
                elif kind == "reverse" and receipts:
                    bounced = receipts.pop(0)
                    bounce(bounced, max(day, bounced.received_on))
                elif kind == "refund" and receipts:
                    receipt = receipts[-1]
                    refund(
                        receipt,
                        min(amount, unapplied_credit(f.acme, "USD")),
                        max(day, receipt.received_on),
                    )
        start = date(2026, 1, 1) + timedelta(days=start_offset)
        statement = build_statement(f.acme, start, start + timedelta(days=length))
        _check_reconciles(statement)
        transaction.set_rollback(True)


# ---- PDF, e-mail, pages, command ---------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_statement_pdf_is_a_real_pdf_with_the_client_and_closing_balance(
    aging_firm: AgingFirm,
) -> None:
    f = aging_firm.f
    post_payment(f.clara, f.acme, Decimal("123.45"), date(2026, 3, 10), currency="USD")
    statement = build_statement(f.acme, date(2026, 3, 1), date(2026, 3, 31))
    data = statement_pdf(statement)
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert f.acme.name in text
    assert f.firm.name in text and f"Tax ID {f.firm.tax_id}" in text  # the shared masthead
    assert format_money(statement.closing.net, "USD") in text
    assert client_statement_pdf(f.acme, date(2026, 3, 1), date(2026, 3, 31)).startswith(b"%PDF")


def test_sending_a_statement_mails_the_pdf_and_records_it(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    statement = build_statement(f.acme, date(2026, 1, 1), date(2026, 3, 31))
    sent_to = send_statement(f.clara, statement)
    assert sent_to == f.acme.billing_email
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [f.acme.billing_email]
    ((name, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf"
    assert name.endswith(".pdf")
    assert content.startswith(b"%PDF")
    event = AuditRecord.objects.filter(summary__contains="statement").latest("at")
    assert event.after is not None
    assert event.after["recipient"] == f.acme.billing_email


def test_an_attorney_may_not_send_a_statement(aging_firm: AgingFirm) -> None:
    statement = build_statement(aging_firm.f.acme, date(2026, 1, 1), date(2026, 3, 31))
    with pytest.raises(LexbillError):
        send_statement(aging_firm.f.pat, statement)
    assert mail.outbox == []


def test_a_client_without_a_billing_email_is_refused_with_the_field(aging_firm: AgingFirm) -> None:
    statement = build_statement(aging_firm.f.globex, date(2026, 1, 1), date(2026, 3, 31), "EUR")
    with pytest.raises(LexbillError) as caught:
        send_statement(aging_firm.f.clara, statement)
    assert caught.value.field == "to"
    assert mail.outbox == []


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def test_the_statement_page_previews_downloads_and_sends(aging_firm: AgingFirm) -> None:
    f = aging_firm.f
    browser = _as(f.clara)
    balance = browser.get(reverse("receivables:client-balance", args=["C001"]))
    url = reverse("receivables:client-statement", args=["C001"])
    assert url in balance.text
    period = {"start": "2026-01-01", "end": "2026-03-31"}
    page = browser.get(url, period)
    assert page.status_code == 200
    statement = build_statement(f.acme, date(2026, 1, 1), date(2026, 3, 31))
    assert format_money(statement.closing.net, "USD") in page.text
    pdf = browser.get(reverse("receivables:client-statement-pdf", args=["C001"]), period)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    sent = browser.post(
        reverse("receivables:client-statement-send", args=["C001"]),
        {**period, "currency": "USD", "to": "", "message": ""},
    )
    assert sent.status_code == 302
    assert mail.outbox[0].to == [f.acme.billing_email]


def test_a_bad_period_on_the_page_is_shown_not_raised(aging_firm: AgingFirm) -> None:
    page = _as(aging_firm.f.clara).get(
        reverse("receivables:client-statement", args=["C001"]),
        {"start": "2026-03-31", "end": "2026-03-01"},
    )
    assert page.status_code == 400
    assert "ends before it starts" in page.text


def test_the_command_writes_the_pdf_and_prints_json(aging_firm: AgingFirm, tmp_path: Path) -> None:
    from lexbill.cli import app

    target = tmp_path / "acme.pdf"
    result = CliRunner().invoke(
        app,
        [
            "statement",
            "C001",
            "-o",
            str(target),
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    statement = build_statement(aging_firm.f.acme, date(2026, 1, 1), date(2026, 3, 31))
    assert data["closing"]["net"] == str(statement.closing.net)
    assert len(data["lines"]) == len(statement.lines)
    assert target.read_bytes().startswith(b"%PDF")


def test_the_command_sends_the_statement(aging_firm: AgingFirm) -> None:
    from lexbill.cli import app

    result = CliRunner().invoke(
        app, ["statement", "C001", "--from", "2026-01-01", "--to", "2026-03-31", "--send"]
    )
    assert result.exit_code == 0, result.output
    assert mail.outbox[0].to == [aging_firm.f.acme.billing_email]
    assert "e-mailed" in result.stdout


def test_the_command_needs_somewhere_to_put_the_statement(aging_firm: AgingFirm) -> None:
    from lexbill.cli import app

    result = CliRunner().invoke(app, ["statement", "C001"])
    assert result.exit_code == 1
    assert "-o" in result.output


def test_the_default_period_is_this_month_to_date(aging_firm: AgingFirm) -> None:
    from lexbill.cli import app

    today = date(2026, 3, 18)
    with time_machine.travel(datetime(2026, 3, 18, 12, tzinfo=UTC), tick=False):
        result = CliRunner().invoke(app, ["statement", "C001", "--json"])
        page = _as(aging_firm.f.clara).get(reverse("receivables:client-statement", args=["C001"]))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["start"], data["end"]) == (today.replace(day=1).isoformat(), today.isoformat())
    assert page.status_code == 200
    assert (
        format_money(
            build_statement(aging_firm.f.acme, today.replace(day=1), today).closing.net, "USD"
        )
        in page.text
    )
