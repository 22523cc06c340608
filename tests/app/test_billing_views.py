"""The billing pages: pre-bill review with inline edits, bill runs, invoices, credit and e-mail."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse

from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import (
    BillRun,
    CreditNote,
    Invoice,
    InvoiceDelivery,
    Prebill,
    PrebillLine,
    PrebillStatus,
)
from lexbill.billing.prebills import approve_prebill, prebill_figures
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.firm.services import create_timekeeper, create_user
from lexbill.receivables.services import post_payment

HX = {"HTTP_HX_REQUEST": "true"}


def _time(f: Any, matter: Any, tk: Any, day: date, hours: str, text: str = "Draft brief") -> Any:
    return record_time(
        f.clara,
        TimeDraft(
            matter, tk, day, hours_to_seconds(hours), text, task_code="L120", activity_code="A103"
        ),
    )


def _work(f: Any) -> None:
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1.0", "Review complaint")
    _time(f, f.acme_hourly, f.paralegal, date(2026, 3, 3), "2.0", "Organise exhibits")
    record_expense(
        f.clara, ExpenseDraft(f.acme_hourly, date(2026, 3, 4), "E101", "100", "0.10", "Copies")
    )


@pytest.fixture
def prebill(small_firm: Any) -> Prebill:
    _work(small_firm)
    run = run_bill_run(small_firm.sam, date(2026, 3, 31))
    return Prebill.objects.get(run=run)


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def _partner_line(prebill: Prebill) -> PrebillLine:
    return prebill.lines.get(timekeeper__code="PW")


def _line_post(line: PrebillLine, **changes: Any) -> dict[str, Any]:
    data = {
        "units": str(Decimal(line.minutes or 0) / 60),
        "rate": str(line.rate),
        "narrative": line.narrative,
        "task_code": line.task_code,
        "activity_code": line.activity_code,
        "adjustment": str(line.adjustment),
        "reason": line.adjustment_reason,
        "treatment": line.treatment,
    }
    data.update(changes)
    return data


def test_the_prebill_list_shows_open_prebills_and_filters(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.carol)
    page = client.get(reverse("billing:prebill-list"))
    assert page.status_code == 200
    assert f"Pre-bill {prebill.pk}" in page.text
    assert "$810.00" in page.text  # 500 + 300 + 10
    none = client.get(reverse("billing:prebill-list"), {"q": "Globex"})
    assert f"Pre-bill {prebill.pk}" not in none.text
    approved = client.get(reverse("billing:prebill-list"), {"status": "approved"})
    assert f"Pre-bill {prebill.pk}" not in approved.text


def test_the_prebill_groups_lines_by_timekeeper_or_by_task(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.carol)
    by_tk = client.get(reverse("billing:prebill-detail", args=[prebill.pk]))
    assert by_tk.status_code == 200
    assert "Pat Ward (PW)" in by_tk.text and "Paul Jones (PJ)" in by_tk.text
    assert 'data-figure="total">$810.00' in by_tk.text
    by_task = client.get(reverse("billing:prebill-detail", args=[prebill.pk]), {"group": "task"})
    assert "L120" in by_task.text and "Pat Ward (PW)" not in by_task.text


def test_editing_hours_inline_rerenders_the_line_and_the_totals(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.carol)
    line = _partner_line(prebill)
    form = client.get(reverse("billing:line-edit", args=[line.pk]), **HX)
    assert 'name="units"' in form.text and "<html" not in form.text
    response = client.post(
        reverse("billing:line-update", args=[line.pk]), _line_post(line, units="1.5"), **HX
    )
    assert response.status_code == 200
    assert f'id="line-{line.pk}"' in response.text
    assert 'id="prebill-totals" class="panel totals" aria-live="polite" hx-swap-oob="true"' in (
        response.text
    )
    assert 'data-figure="total">$1,060.00' in response.text  # 1.5 h × 500 + 300 + 10
    assert 'id="prebill-lines"' in response.text  # the table, with its group subtotals
    assert "$750.00</td></tr>" in response.text  # Pat Ward's group
    line.refresh_from_db()
    assert line.minutes == 90


def test_a_write_down_without_a_reason_is_refused_next_to_the_reason(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.carol)
    line = _partner_line(prebill)
    response = client.post(
        reverse("billing:line-update", args=[line.pk]),
        _line_post(line, adjustment="-100.00", reason=""),
        **HX,
    )
    assert response.status_code == 200
    assert f'id="line-{line.pk}-reason-error"' in response.text
    assert "needs a reason" in response.text
    assert response["HX-Retarget"] == f"#line-{line.pk}"
    line.refresh_from_db()
    assert line.adjustment == 0


def test_a_failed_part_of_an_edit_rolls_back_the_rest(small_firm: Any, prebill: Prebill) -> None:
    client = _as(small_firm.carol)
    line = _partner_line(prebill)
    client.post(
        reverse("billing:line-update", args=[line.pk]),
        _line_post(line, units="2", adjustment="-5", reason=""),
        **HX,
    )
    line.refresh_from_db()
    assert line.minutes == 60


def test_write_down_no_charge_and_hold_each_change_the_totals(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.carol)
    line = _partner_line(prebill)
    url = reverse("billing:line-update", args=[line.pk])
    down = client.post(url, _line_post(line, adjustment="-100", reason="Courtesy"), **HX)
    assert 'data-figure="adjustments">-$100.00' in down.text
    assert 'data-figure="total">$710.00' in down.text
    line.refresh_from_db()
    free = client.post(url, _line_post(line, treatment="no_charge"), **HX)
    assert 'data-figure="total">$310.00' in free.text
    line.refresh_from_db()
    held = client.post(url, _line_post(line, treatment="hold"), **HX)
    assert 'data-figure="total">$310.00' in held.text
    assert "1 line held" in held.text
    assert prebill_figures(prebill).totals.total == Decimal("310.00")


def test_an_unknown_code_is_shown_next_to_its_field(small_firm: Any, prebill: Prebill) -> None:
    client = _as(small_firm.carol)
    line = _partner_line(prebill)
    response = client.post(
        reverse("billing:line-update", args=[line.pk]), _line_post(line, task_code="ZZ9"), **HX
    )
    assert f'id="line-{line.pk}-task_code-error"' in response.text


def test_a_clerk_sees_approve_disabled_and_a_forced_approval_is_refused(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.clara)
    page = client.get(reverse("billing:prebill-detail", args=[prebill.pk]))
    assert 'name="approve" disabled' in page.text
    refused = client.post(reverse("billing:prebill-approve", args=[prebill.pk]), {"comment": ""})
    assert refused.status_code == 403
    assert "clara (Billing clerk / assistant) may not approve a pre-bill" in refused.text
    prebill.refresh_from_db()
    assert prebill.status == PrebillStatus.DRAFT


def test_a_clerk_may_not_finalize(small_firm: Any, prebill: Prebill) -> None:
    approve_prebill(small_firm.carol, prebill)
    client = _as(small_firm.clara)
    refused = client.post(reverse("billing:prebill-finalize", args=[prebill.pk]))
    assert refused.status_code == 403
    assert "may not finalize an invoice" in refused.text
    assert not Invoice.objects.exists()


def test_sending_back_needs_a_comment(small_firm: Any, prebill: Prebill) -> None:
    client = _as(small_firm.carol)
    url = reverse("billing:prebill-send-back", args=[prebill.pk])
    refused = client.post(url, {"comment": " "})
    assert refused.status_code == 400
    assert 'id="id_send_back_comment-error"' in refused.text
    sent = client.post(url, {"comment": "Narratives too vague"})
    assert sent.status_code == 302
    prebill.refresh_from_db()
    assert prebill.status == PrebillStatus.RETURNED
    page = client.get(reverse("billing:prebill-detail", args=[prebill.pk]))
    assert "Narratives too vague" in page.text


def test_a_coordinator_approves_and_finalizes_into_an_invoice(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.carol)
    approved = client.post(reverse("billing:prebill-approve", args=[prebill.pk]), {"comment": "ok"})
    assert approved.status_code == 302
    finalized = client.post(reverse("billing:prebill-finalize", args=[prebill.pk]))
    invoice = Invoice.objects.get(prebill=prebill)
    assert finalized.status_code == 302
    assert finalized["Location"] == reverse("billing:invoice-detail", args=[invoice.number])
    page = client.get(finalized["Location"])
    assert page.status_code == 200
    assert f"Invoice {invoice.number}" in page.text
    assert 'data-testid="invoice-status">final' in page.text
    assert reverse("billing:invoice-preview", args=[invoice.number]) in page.text
    preview = client.get(reverse("billing:invoice-preview", args=[invoice.number]))
    assert preview["Content-Type"] == "application/pdf"
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert preview.content.startswith(b"%PDF")


def test_a_bill_run_started_from_the_page_reports_when_done(small_firm: Any) -> None:
    _work(small_firm)
    client = _as(small_firm.carol)
    assert client.get(reverse("billing:billrun-new")).status_code == 200
    with override_settings(LEXBILL_BILL_RUN_INLINE=True):
        started = client.post(reverse("billing:billrun-new"), {"through": "2026-03-31"})
    assert started.status_code == 302
    status = client.get(started["Location"], **HX)
    assert 'data-testid="billrun-done"' in status.text
    assert "1 pre-bill, 2 time lines, 1 expense line" in status.text
    assert "every 500ms" not in status.text
    assert Prebill.objects.count() == 1


def test_a_clerk_may_not_start_a_bill_run(small_firm: Any) -> None:
    client = _as(small_firm.clara)
    page = client.get(reverse("billing:billrun-new"))
    assert "may not run bills" in page.text
    refused = client.post(reverse("billing:billrun-new"), {"through": "2026-03-31"})
    assert refused.status_code == 403
    assert "may not run a bill run" in refused.text
    assert not BillRun.objects.exists()


def test_an_unknown_bill_run_token_is_not_found(small_firm: Any) -> None:
    client = _as(small_firm.carol)
    assert client.get(reverse("billing:billrun-status", args=["nope"])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_bill_run_runs_in_a_background_thread_while_the_page_polls(small_firm: Any) -> None:
    _work(small_firm)
    client = _as(small_firm.carol)
    started = client.post(reverse("billing:billrun-new"), {"through": "2026-03-31"})
    assert started.status_code == 302
    first = client.get(started["Location"])
    assert first.status_code == 200
    deadline = time.monotonic() + 20
    while True:
        status = client.get(started["Location"], **HX)
        if "every 500ms" not in status.text:
            break
        assert time.monotonic() < deadline, "the bill run did not finish"
        time.sleep(0.1)
    assert 'data-testid="billrun-done"' in status.text, status.text
    assert Prebill.objects.count() == 1
    assert PrebillLine.objects.count() == 3


def _invoice(f: Any, prebill: Prebill, issued: date = date(2026, 4, 1)) -> Invoice:
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill, issued_on=issued)


def test_the_invoice_list_filters_by_client_status_and_date(
    small_firm: Any, prebill: Prebill
) -> None:
    f = small_firm
    invoice = _invoice(f, prebill)
    client = _as(f.carol)
    url = reverse("billing:invoice-list")
    listing = client.get(url)
    assert invoice.number in listing.text
    assert "overdue" in listing.text  # due 2026-05-01, long past
    assert client.get(url, {"client": f.globex.pk}).text.count(invoice.number) == 0
    assert invoice.number in client.get(url, {"status": "final"}).text
    assert invoice.number not in client.get(url, {"status": "paid"}).text
    assert invoice.number not in client.get(url, {"issued_from": "2026-04-02"}).text
    assert invoice.number in client.get(url, {"issued_to": "2026-04-01"}).text
    post_payment(f.clara, f.acme, "100.00", date(2026, 4, 5))
    assert invoice.number in client.get(url, {"status": "partly paid"}).text
    post_payment(f.clara, f.acme, invoice.total - Decimal("100.00"), date(2026, 4, 6))
    paid = client.get(url, {"status": "paid"})
    assert invoice.number in paid.text
    assert "overdue</strong>" not in paid.text


def test_a_credit_note_for_part_and_then_all_that_is_open(
    small_firm: Any, prebill: Prebill
) -> None:
    f = small_firm
    invoice = _invoice(f, prebill)
    client = _as(f.carol)
    url = reverse("receivables:invoice-credit-request", args=[invoice.number])
    missing = client.post(url, {"reason": "CLIENT_RELATIONS"})
    assert missing.status_code == 400
    no_reason = client.post(url, {"amount": "50.00"})
    assert no_reason.status_code == 400
    assert 'id="id_reason-error"' in no_reason.text
    part = client.post(url, {"amount": "50.00", "reason": "CLIENT_RELATIONS", "note": "Agreed"})
    assert part.status_code == 302
    rest = client.post(url, {"all_open": "on", "reason": "BILLING_ERROR"})
    assert rest.status_code == 302
    notes = CreditNote.objects.filter(invoice=invoice).order_by("pk")
    assert [n.reason_code for n in notes] == ["CLIENT_RELATIONS", "BILLING_ERROR"]
    page = client.get(reverse("billing:invoice-detail", args=[invoice.number]))
    assert 'data-testid="invoice-status">credited' in page.text
    assert 'data-testid="invoice-balance">$0.00' in page.text


def test_a_clerk_may_not_issue_a_credit_note(small_firm: Any, prebill: Prebill) -> None:
    invoice = _invoice(small_firm, prebill)
    client = _as(small_firm.clara)
    refused = client.post(
        reverse("receivables:invoice-credit-request", args=[invoice.number]),
        {"amount": "10", "reason": "BILLING_ERROR"},
    )
    assert refused.status_code == 403
    assert not CreditNote.objects.exists()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    """A real SMTP server on localhost, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ):
            yield inbox, port
    finally:
        controller.stop()


def test_e_mailing_an_invoice_sends_the_pdf_and_records_the_delivery(
    small_firm: Any, prebill: Prebill
) -> None:
    invoice = _invoice(small_firm, prebill)
    client = _as(small_firm.carol)
    page = client.get(reverse("billing:invoice-detail", args=[invoice.number]))
    assert 'value="ap@acme.example"' in page.text
    with smtp_server() as (inbox, _):
        sent = client.post(
            reverse("billing:invoice-email", args=[invoice.number]),
            {"to": "ap@acme.example", "message": "Thank you for your business."},
        )
    assert sent.status_code == 302, sent.text
    assert len(inbox.messages) == 1
    recipients, raw = inbox.messages[0]
    assert recipients == ["ap@acme.example"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert invoice.number in message["Subject"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Thank you for your business." in body.get_content()
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"invoice-{invoice.number}.pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")
    delivery = InvoiceDelivery.objects.get(invoice=invoice)
    assert (delivery.channel, delivery.recipient, delivery.sent_by) == (
        "email",
        "ap@acme.example",
        small_firm.carol,
    )
    page = client.get(reverse("billing:invoice-detail", args=[invoice.number]))
    assert 'data-testid="invoice-status">sent' in page.text
    assert 'data-col="recipient">ap@acme.example' in page.text


def test_e_mail_needs_an_address_and_a_reachable_server(small_firm: Any, prebill: Prebill) -> None:
    f = small_firm
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill)
    client = _as(f.carol)
    url = reverse("billing:invoice-email", args=[invoice.number])
    bad = client.post(url, {"to": "not an address"})
    assert bad.status_code == 400
    assert 'id="id_to-error"' in bad.text
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=_free_port(),
        EMAIL_TIMEOUT=5,
    ):
        down = client.post(url, {"to": "ap@acme.example"})
    assert down.status_code == 400
    assert "mail server did not take the message" in down.text
    assert not InvoiceDelivery.objects.exists()


def test_an_attorney_may_not_approve_a_bill_of_only_their_own_time(
    small_firm: Any, small_firm_pat_bill: Prebill
) -> None:
    client = _as(small_firm.pat)
    page = client.get(reverse("billing:prebill-detail", args=[small_firm_pat_bill.pk]))
    assert 'name="approve" disabled' in page.text
    assert "all of its time is their own" in page.text
    refused = client.post(reverse("billing:prebill-approve", args=[small_firm_pat_bill.pk]))
    assert refused.status_code == 403
    assert "all of its time is their own" in refused.text


@pytest.fixture
def small_firm_pat_bill(small_firm: Any) -> Prebill:
    _time(small_firm, small_firm.acme_hourly, small_firm.partner, date(2026, 3, 2), "1")
    run = run_bill_run(small_firm.sam, date(2026, 3, 31))
    return Prebill.objects.get(run=run)


def test_without_javascript_a_line_is_edited_on_its_own_page(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.carol)
    line = _partner_line(prebill)
    page = client.get(reverse("billing:line-edit", args=[line.pk]))
    assert page.status_code == 200
    assert "<html" in page.text and "hx-post" not in page.text
    refused = client.post(
        reverse("billing:line-update", args=[line.pk]), _line_post(line, units="0.01")
    )
    assert refused.status_code == 400
    assert "whole minutes" in refused.text
    saved = client.post(reverse("billing:line-update", args=[line.pk]), _line_post(line, units="2"))
    assert saved.status_code == 302
    line.refresh_from_db()
    assert line.minutes == 120


def test_each_prebill_line_shows_where_its_rate_came_from(
    small_firm: Any, prebill: Prebill
) -> None:
    page = _as(small_firm.carol).get(reverse("billing:prebill-detail", args=[prebill.pk]))
    sources = set(prebill.lines.filter(kind="time").values_list("rate_source", flat=True))
    assert sources == {"timekeeper", "classification"}  # partner's own rate, paralegal class rate
    for source in sources:
        assert f">{source}</span>" in page.text


def test_a_clerk_comments_on_a_pre_bill_and_the_comment_is_audited(
    small_firm: Any, prebill: Prebill
) -> None:
    client = _as(small_firm.clara)
    text = "Client asked for the March hearing to be itemised"
    added = client.post(reverse("billing:prebill-comment", args=[prebill.pk]), {"comment": text})
    assert added.status_code == 302
    comment = prebill.comments.get()
    assert (comment.author, comment.action, comment.text) == (small_firm.clara, "comment", text)
    page = client.get(reverse("billing:prebill-detail", args=[prebill.pk]))
    assert text in page.text
    record = AuditRecord.objects.get(model="billing.PrebillComment", action="create")
    assert record.actor == small_firm.clara
    assert record.after is not None and record.after["text"] == text
    prebill.refresh_from_db()
    assert prebill.status == PrebillStatus.DRAFT  # a comment changes nothing else


def test_an_empty_comment_is_refused_next_to_the_field(small_firm: Any, prebill: Prebill) -> None:
    refused = _as(small_firm.carol).post(
        reverse("billing:prebill-comment", args=[prebill.pk]), {"comment": "   "}
    )
    assert refused.status_code == 400
    assert 'id="id_note_comment-error"' in refused.text
    assert not prebill.comments.exists()


def test_an_attorney_cannot_comment_on_another_attorneys_pre_bill(
    small_firm: Any, prebill: Prebill
) -> None:
    other = create_user(None, "otto", "another long pass phrase", "attorney")
    create_timekeeper(None, "OT", "Otto", "Tan", "partner", user=other)
    refused = _as(other).post(
        reverse("billing:prebill-comment", args=[prebill.pk]), {"comment": "Looks fine"}
    )
    assert refused.status_code == 403
    assert "not the responsible attorney" in refused.text
    assert not prebill.comments.exists()
