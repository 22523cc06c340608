"""Sending an invoice by e-mail: the PDF attached, the sending recorded as an InvoiceDelivery.

SMTP comes from Django's e-mail settings (EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, …).
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from lexbill.billing.formatting import format_money
from lexbill.billing.invoicing import record_delivery
from lexbill.billing.models import Invoice, InvoiceDelivery
from lexbill.billing.pdf import render_invoice_pdf
from lexbill.clients.models import Client
from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.firm.services import get_firm


class DeliveryFailed(LexbillError):
    """The mail server refused or could not be reached; nothing was recorded as sent."""


def recipient_for(client: Client, to: str | None) -> str:
    """``to`` if given, else the client's billing e-mail; refused when neither is an address."""
    recipient = (to or "").strip() or client.billing_email
    if not recipient:
        raise InvalidEntry(
            f"client {client.number} has no billing e-mail; give an address", field="to"
        )
    try:
        validate_email(recipient)
    except ValidationError:
        raise InvalidEntry(f"{recipient!r} is not an e-mail address", field="to") from None
    return recipient


def send_with_pdf(recipient: str, subject: str, body: str, filename: str, pdf: bytes) -> None:
    """One message from the firm with one PDF; a refusing mail server is DeliveryFailed."""
    firm = get_firm()
    mail = EmailMessage(
        subject=subject,
        body=body,
        from_email=firm.email or settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
    )
    mail.attach(filename, pdf, "application/pdf")
    try:
        mail.send()
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(
            f"the mail server did not take the message: {exc}", field="to"
        ) from exc


def email_invoice(
    actor: User | None, invoice: Invoice, to: str | None = None, message: str = ""
) -> InvoiceDelivery:
    """E-mail the invoice PDF to ``to`` (default: the client's billing e-mail) and record it."""
    require(actor, Action.FINALIZE_INVOICE)
    recipient = recipient_for(invoice.client, to)
    firm = get_firm()
    body = message.strip() or (
        f"Please find attached invoice {invoice.number} for "
        f"{format_money(invoice.total, invoice.currency)}, due on {invoice.due_on:%Y-%m-%d}."
    )
    send_with_pdf(
        recipient,
        f"Invoice {invoice.number} from {firm.name}",
        body,
        f"invoice-{invoice.number}.pdf",
        render_invoice_pdf(invoice),
    )
    return record_delivery(actor, invoice, recipient, channel="email")
