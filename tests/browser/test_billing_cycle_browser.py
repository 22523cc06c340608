"""The billing cycle in a real browser: a coordinator bills, reviews, invoices, e-mails and is
paid; a clerk tries to approve and is refused."""

from __future__ import annotations

import email
import email.policy
import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import expect
from pypdf import PdfReader

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.models import Invoice, InvoiceDelivery, Prebill, PrebillStatus
from lexbill.billing.selectors import client_balance
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _time(f: Any, tk: Any, day: date, hours: str, text: str) -> None:
    record_time(
        f.clara,
        TimeDraft(
            f.acme_hourly,
            tk,
            day,
            hours_to_seconds(hours),
            text,
            task_code="L120",
            activity_code="A103",
        ),
    )


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[_Inbox]:
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
        ):
            yield inbox
    finally:
        controller.stop()


def test_a_coordinator_takes_work_from_bill_run_to_paid(page: Any, small_firm: Any) -> None:
    f = small_firm
    _time(f, f.partner, date(2026, 3, 2), "2.0", "Draft motion to dismiss")
    _time(f, f.paralegal, date(2026, 3, 3), "1.0", "Organise exhibits")
    log_in(page, "carol")

    # A bill run from the page, in the background, with its progress polled.
    page.goto("/bill-runs/new/")
    page.get_by_label("Bill work dated on or before").fill("2026-03-31")
    page.get_by_role("button", name="Start the bill run").click()
    page.get_by_test_id("billrun-done").wait_for()
    assert "1 pre-bill, 2 time lines" in page.get_by_test_id("billrun-done").inner_text()
    page.get_by_role("link", name="Review the pre-bills").click()
    prebill = Prebill.objects.get()
    page.get_by_role("link", name=f"Pre-bill {prebill.pk}").click()
    total = page.locator('#prebill-totals [data-figure="total"]')
    assert total.inner_text() == "$1,150.00"  # 2 h × 500 + 1 h × 150

    # Edit the partner's hours and write the line down; the totals follow at once.
    line = prebill.lines.get(timekeeper__code="PW")
    row = page.locator(f"#line-{line.pk}")
    row.get_by_role("button", name="Edit").click()
    page.locator(f"#line-{line.pk}-units").fill("1.5")
    page.locator(f"#line-{line.pk}-adjustment").fill("-50")
    page.locator(f"#line-{line.pk}-reason").fill("Courtesy discount")
    page.get_by_role("button", name="Save line").click()
    expect(total).to_have_text("$850.00")
    expect(page.locator('#prebill-totals [data-figure="adjustments"]')).to_have_text("-$50.00")
    expect(page.locator("#prebill-lines-table [data-figure]")).to_have_count(0)
    expect(page.locator("tr.group-head").filter(has_text="Pat Ward")).to_contain_text("$700.00")
    assert "Courtesy discount" in page.locator(f"#line-{line.pk}").inner_text()
    screenshot(page, "billing-prebill-review")

    page.get_by_role("button", name="Approve").click()
    assert page.get_by_test_id("prebill-status").inner_text() == "Approved"
    page.get_by_role("button", name="Finalize invoice").click()
    page.wait_for_url("**/invoices/*/")
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("850.00")
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    assert page.locator("iframe.pdf-preview").count() == 1

    # Download the PDF.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf_path = Path(download_info.value.path())
    pdf = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    assert invoice.number in "".join(p.extract_text() for p in pdf.pages)

    # E-mail it to the client's billing contact through a real SMTP server.
    with smtp_server() as inbox:
        assert page.get_by_label("To", exact=True).input_value() == "ap@acme.example"
        page.get_by_role("button", name="Send invoice").click()
        page.get_by_text("e-mailed to ap@acme.example").wait_for()
    assert len(inbox.messages) == 1
    recipients, raw = inbox.messages[0]
    assert recipients == ["ap@acme.example"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == f"invoice-{invoice.number}.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert InvoiceDelivery.objects.filter(invoice=invoice, recipient="ap@acme.example").exists()
    assert page.get_by_test_id("invoice-status").inner_text() == "sent"
    screenshot(page, "billing-invoice")

    # Post a payment for the whole balance, allocated oldest first by default.
    page.goto("/payments/new/")
    page.get_by_label("Client").select_option(label="C001 Acme Corp")
    page.get_by_label("Amount").fill("850.00")
    page.get_by_label("Amount").press("Tab")  # a change: the open invoices are re-allocated
    # Let htmx finish swapping in the re-allocated rows before typing into them.
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    allocation = page.get_by_label(f"Allocate to {invoice.number}")
    expect(allocation).to_have_value("850.00")
    expect(page.get_by_test_id("unapplied")).to_have_text("$0.00")
    # Edited by hand, the totals follow: allocate less and the rest stays unapplied.
    allocation.fill("800.00")
    expect(page.get_by_test_id("unapplied")).to_have_text("$50.00")
    allocation.fill("850.00")
    expect(page.get_by_test_id("unapplied")).to_have_text("$0.00")
    page.get_by_label("Reference").fill("check 1042")
    screenshot(page, "billing-payment")
    page.get_by_role("button", name="Post payment").click()
    page.wait_for_url("**/balances/C001/")
    assert page.get_by_test_id("balance-due-USD").inner_text() == "$0.00"
    assert client_balance(f.acme).net == 0
    screenshot(page, "billing-client-balance")


def test_a_clerk_trying_to_approve_is_refused(page: Any, small_firm: Any) -> None:
    f = small_firm
    _time(f, f.partner, date(2026, 3, 2), "1.0", "Draft motion to dismiss")
    run_bill_run(f.sam, date(2026, 3, 31))
    prebill = Prebill.objects.get()
    log_in(page, "clara")
    page.goto(f"/prebills/{prebill.pk}/")
    approve = page.get_by_role("button", name="Approve")
    assert approve.is_disabled()
    assert "may not approve a pre-bill" in page.locator("#approve-why").inner_text()
    # Force the disabled button: the server refuses all the same, with the service's reason.
    approve.evaluate("button => button.removeAttribute('disabled')")
    approve.click()
    alert = page.get_by_role("alert").filter(has_text="may not approve a pre-bill")
    expect(alert).to_have_count(1)
    assert "clara" in alert.inner_text()
    screenshot(page, "billing-clerk-refused")
    prebill.refresh_from_db()
    assert prebill.status == PrebillStatus.DRAFT


def _focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return {id: e.id || '', text: (e.innerText || e.value || '').trim(),"
            " label: e.getAttribute('aria-label') || ''}; }"
        )
    )


def _tab_to(page: Any, wanted: str, limit: int = 120) -> None:
    """Press Tab until the focused element's id, text or label is ``wanted``."""
    for _ in range(limit):
        if wanted in _focused(page).values():
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {wanted!r}; stuck at {_focused(page)}")


def test_a_pre_bill_is_reviewed_with_the_keyboard_alone(page: Any, small_firm: Any) -> None:
    f = small_firm
    _time(f, f.partner, date(2026, 3, 2), "2.0", "Draft motion to dismiss")
    run_bill_run(f.sam, date(2026, 3, 31))
    prebill = Prebill.objects.get()
    line = prebill.lines.get()
    log_in(page, "carol")
    page.goto(f"/prebills/{prebill.pk}/")
    total = page.locator('#prebill-totals [data-figure="total"]')

    _tab_to(page, "Edit line of Mar 2, 2026")
    page.keyboard.press("Enter")
    # the edit row takes the focus: its first field, the hours
    expect(page.locator(f"#line-{line.pk}-units")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("1.5")
    _tab_to(page, f"line-{line.pk}-adjustment")
    page.keyboard.press("Control+A")
    page.keyboard.type("-100")
    _tab_to(page, f"line-{line.pk}-reason")
    page.keyboard.type("Agreed with the client")
    page.keyboard.press("Enter")  # submits the line's form
    expect(total).to_have_text("$650.00")  # 1.5 h × 500 − 100
    # and the focus is back on the line's Edit button
    expect(page.get_by_role("button", name="Edit line of Mar 2, 2026")).to_be_focused()

    _tab_to(page, "id_note_comment")
    page.keyboard.type("Checked against the engagement letter")
    _tab_to(page, "Add comment")
    page.keyboard.press("Enter")
    page.get_by_text("Comment added.").wait_for()
    _tab_to(page, "Approve")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("prebill-status")).to_have_text("Approved")
    prebill.refresh_from_db()
    assert prebill.status == PrebillStatus.APPROVED
    assert prebill.comments.filter(action="comment").exists()
