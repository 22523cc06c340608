"""Clients and invoices for the reminder tests (imported by tests/app/test_reminders_*.py).

Acme (ap@acme.example) comes from the small firm; Initech and Umbrella are added with their own
billing e-mails; Globex has none. Invoices are issued on the day given and fall due 30 days
later (the firm's payment terms).
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import time_machine

from lexbill.clients.models import Client, Matter
from lexbill.clients.services import create_client, open_matter

START = date(2026, 1, 1)


@dataclass
class ReminderFirm:
    f: Any
    initech: Client
    umbrella: Client
    globex_hourly: Matter
    initech_matter: Matter
    umbrella_matter: Matter


def build_reminder_firm(f: Any) -> ReminderFirm:
    initech = create_client(
        None, "C003", "Initech Inc", billing_email="ar@initech.example", billing_contact="Ines Tech"
    )
    umbrella = create_client(None, "C004", "Umbrella Ltd", billing_email="ap@umbrella.example")
    return ReminderFirm(
        f,
        initech,
        umbrella,
        open_matter(None, f.globex, "C002-009", "Globex audit", f.partner, opened_on=START),
        open_matter(None, initech, "C003-001", "Initech lease", f.partner, opened_on=START),
        open_matter(None, umbrella, "C004-001", "Umbrella claim", f.partner, opened_on=START),
    )


def on(day: date) -> Any:
    """Travel to noon UTC on ``day``, the clock stopped."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the reminder has no plain-text body"
    return str(body.get_content())
