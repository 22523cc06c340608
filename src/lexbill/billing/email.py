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
from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.firm.services import get_firm


class DeliveryFailed(LexbillError):
    """The mail server refused or could not be reached; nothing was recorded as sent."""


def email_invoice(
    actor: User | None, invoice: Invoice, to: str | None = None, message: str = ""
) -> InvoiceDelivery:
    """E-mail the invoice PDF to ``to`` (default: the client's billing e-mail) and record it."""
    require(actor, Action.FINALIZE_INVOICE)
    recipient = (to or "").strip() or invoice.client.billing_email
    if not recipient:
        raise InvalidEntry(
            f"client {invoice.client.number} has no billing e-mail; give an address", field="to"
        )
    try:
        validate_email(recipient)
    except ValidationError:
        raise InvalidEntry(f"{recipient!r} is not an e-mail address", field="to") from None
    firm = get_firm()
    body = message.strip() or (
        f"Please find attached invoice {invoice.number} for "
        f"{format_money(invoice.total, invoice.currency)}, due on {invoice.due_on:%Y-%m-%d}."
    )
    mail = EmailMessage(
        subject=f"Invoice {invoice.number} from {firm.name}",
        body=body,
        from_email=firm.email or settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
    )
    mail.attach(f"invoice-{invoice.number}.pdf", render_invoice_pdf(invoice), "application/pdf")
    try:
        mail.send()
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(
            f"the mail server did not take the message: {exc}", field="to"
        ) from exc
    return record_delivery(actor, invoice, recipient, channel="email")
