"""A reminder's subject and body for a client: the rule's templates filled from stored facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lexbill.billing.formatting import format_date, format_money
from lexbill.billing.models import Invoice
from lexbill.clients.models import Client
from lexbill.core.reminder_schedule import DueItem, Sender, reminder_values, render_template
from lexbill.firm.services import get_firm
from lexbill.reminders.models import ReminderSettings
from lexbill.reminders.selectors import trust_replenishments


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


def reminder_settings() -> ReminderSettings:
    found = ReminderSettings.objects.order_by("pk").first()
    return found if found is not None else ReminderSettings.objects.create()


def sender() -> Sender:
    firm = get_firm()
    return Sender(
        name=firm.name,
        email=firm.email,
        phone=firm.phone,
        address=firm.address,
        payment_instructions=reminder_settings().payment_instructions.strip(),
    )


def render_reminder(
    subject_template: str,
    body_template: str,
    client: Client,
    items: Sequence[DueItem],
    as_of: date,
    signed_by: Sender | None = None,
) -> Wording:
    values = reminder_values(
        client_name=client.name,
        contact_name=client.billing_contact,
        items=items,
        as_of=as_of,
        sender=signed_by or sender(),
        money=format_money,
        day=format_date,
    )
    # One line per header: a template cannot smuggle a second header in through the subject.
    subject = " ".join(render_template(subject_template, values).split())
    return Wording(subject=subject, body=render_template(body_template, values))


def preview_for_invoice(
    subject_template: str, body_template: str, invoice: Invoice, as_of: date
) -> Wording:
    """The wording as the invoice's client would read it, for its balance on ``as_of``."""
    balance = getattr(invoice, "balance", invoice.total)
    item = DueItem(
        reference=invoice.number,
        due_on=invoice.due_on,
        amount_due=balance,
        currency=invoice.currency,
        invoice_numbers=(invoice.number,),
        trust_replenishment=trust_replenishments([invoice.pk]).get(invoice.pk, Decimal(0)),
    )
    return render_reminder(subject_template, body_template, invoice.client, [item], as_of)
