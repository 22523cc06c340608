"""Sending reminders and keeping the schedule: every change here checks the role and is audited.

A run cannot be one database transaction: an e-mail, once handed to the mail server, cannot be
rolled back. So each client's reminders are first *claimed* (log rows in state ``sending``,
committed; the database's unique constraints refuse a second claim of the same rule and invoice
or instalment, so two runs at once cannot both send it), then the e-mail goes out, then the rows
become ``sent`` or ``failed``. A failed row no longer holds the reminder, so the next run retries.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.billing.models import Invoice
from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.core.reminder_schedule import check_template
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.firm.services import get_firm
from lexbill.reminders.models import LogStatus, ReminderLog, ReminderRule, ReminderRun
from lexbill.reminders.selectors import ClientReminder, ReminderPlan, reminders_due
from lexbill.reminders.wording import Wording, reminder_settings, render_reminder

MAIL_ERRORS = (OSError, smtplib.SMTPException)


@dataclass(frozen=True)
class ClientOutcome:
    """What became of one client's e-mail in a run."""

    group: ClientReminder
    subject: str
    status: str  # "sent", "failed", "would send" (dry run), "taken" (another run claimed it)
    error: str = ""


def _statement_period(group: ClientReminder, as_of: date) -> tuple[date, date]:
    """From the earliest issue date among the invoices the e-mail is about, to the run's day."""
    invoice_ids = set(group.invoice_ids)
    for reminder in group.reminders:
        invoice_ids.update(reminder.plan_invoice_ids)
    issued = Invoice.objects.filter(pk__in=invoice_ids).order_by("issued_on").first()
    start = issued.issued_on if issued is not None else min(i.due_on for i in group.items)
    return start, max(start, as_of)


def _statements(group: ClientReminder, as_of: date) -> list[tuple[str, bytes]]:
    """The client's statement, one PDF per currency the e-mail asks to be paid in."""
    from lexbill.receivables.statements import client_statement_pdf

    start, end = _statement_period(group, as_of)
    currencies = sorted({item.currency for item in group.items})
    return [
        (
            f"statement-{group.client.number}"
            + (f"-{currency}" if len(currencies) > 1 else "")
            + f"-{end:%Y-%m-%d}.pdf",
            client_statement_pdf(group.client, start, end, currency),
        )
        for currency in currencies
    ]


def _message(group: ClientReminder, wording: Wording, as_of: date) -> EmailMessage:
    firm = get_firm()
    mail = EmailMessage(
        subject=wording.subject,
        body=wording.body,
        from_email=firm.email or settings.DEFAULT_FROM_EMAIL,
        to=[group.recipient],
        headers={"Message-ID": make_msgid(domain=str(DNS_NAME))},
    )
    for filename, pdf in _statements(group, as_of):
        mail.attach(filename, pdf, "application/pdf")
    return mail


def _claim(run: ReminderRun, group: ClientReminder, subject: str) -> list[ReminderLog] | None:
    """Log rows in state ``sending``, committed; None when another run holds any of them."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return [
                ReminderLog.objects.create(
                    run=run,
                    rule=r.rule,
                    client=group.client,
                    invoice_id=r.invoice_id,
                    instalment_id=r.instalment_id,
                    reference=r.item.reference,
                    recipients=group.recipient,
                    subject=subject,
                    status=LogStatus.SENDING,
                    claimed_at=now,
                )
                for r in group.reminders
            ]
    except IntegrityError:
        return None


def _settle(logs: list[ReminderLog], status: str, message_id: str = "", error: str = "") -> None:
    sent_at = timezone.now() if status == LogStatus.SENT else None
    for log in logs:
        log.status = status
        log.message_id = message_id
        log.error = error
        log.sent_at = sent_at
        log.save(update_fields=["status", "message_id", "error", "sent_at"])


def _send_to_client(run: ReminderRun, group: ClientReminder) -> ClientOutcome:
    rule = group.rule
    try:
        wording = render_reminder(
            rule.subject_template, rule.body_template, group.client, group.items, run.as_of
        )
    except LexbillError as exc:
        wording, problem = Wording(subject=f"({rule.name})", body=""), str(exc)
    else:
        problem = ""
    logs = _claim(run, group, wording.subject)
    if logs is None:
        return ClientOutcome(group, wording.subject, "taken")
    if problem:
        _settle(logs, LogStatus.FAILED, error=problem)
        return ClientOutcome(group, wording.subject, LogStatus.FAILED, problem)
    try:
        mail = _message(group, wording, run.as_of)
        mail.send()
    except (*MAIL_ERRORS, LexbillError) as exc:
        error = f"the mail was not sent: {exc}"
        _settle(logs, LogStatus.FAILED, error=error)
        return ClientOutcome(group, wording.subject, LogStatus.FAILED, error)
    _settle(logs, LogStatus.SENT, message_id=mail.extra_headers["Message-ID"])
    return ClientOutcome(group, wording.subject, LogStatus.SENT)


def _dry_outcome(group: ClientReminder, as_of: date) -> ClientOutcome:
    rule = group.rule
    try:
        wording = render_reminder(
            rule.subject_template, rule.body_template, group.client, group.items, as_of
        )
    except LexbillError as exc:
        return ClientOutcome(group, f"({rule.name})", "would fail", str(exc))
    return ClientOutcome(group, wording.subject, "would send")


def send_reminders(
    actor: User | None, as_of: date | None = None, dry_run: bool = False
) -> ReminderRun:
    """Send every reminder due on ``as_of`` (default today), one e-mail per client.

    A dry run changes nothing and returns an unsaved run whose ``plan`` and ``outcomes`` say
    what would be sent. A failed e-mail is logged for its client and the run goes on.
    """
    require(actor, Action.SEND_REMINDERS)
    as_of = as_of or timezone.localdate()
    plan = reminders_due(as_of)
    run = ReminderRun(as_of=as_of, started_at=timezone.now(), actor=actor)
    if dry_run:
        run.plan = plan
        run.outcomes = [_dry_outcome(g, as_of) for g in plan.clients]
        run.clients_emailed = len(plan.clients)
        run.reminders_sent = plan.reminder_count
        return run
    run.save()
    outcomes = _deliver(run, plan)
    run.finished_at = timezone.now()
    sent = [o for o in outcomes if o.status == LogStatus.SENT]
    run.clients_emailed = len(sent)
    run.reminders_sent = sum(len(o.group.reminders) for o in sent)
    run.clients_failed = sum(1 for o in outcomes if o.status == LogStatus.FAILED)
    run.save(update_fields=["finished_at", "clients_emailed", "reminders_sent", "clients_failed"])
    record_event(
        "reminders.ReminderRun",
        run.pk,
        f"reminders as of {as_of}: {run.reminders_sent} sent to {run.clients_emailed} clients, "
        f"{run.clients_failed} failed",
        as_of=as_of.isoformat(),
        sent=run.reminders_sent,
        clients=run.clients_emailed,
        failed=run.clients_failed,
    )
    run.plan = plan
    run.outcomes = outcomes
    return run


def _deliver(run: ReminderRun, plan: ReminderPlan) -> list[ClientOutcome]:
    return [_send_to_client(run, group) for group in plan.clients]


# The schedule ---------------------------------------------------------------------------------


def _checked(name: str, offset_days: int, subject_template: str, body_template: str) -> None:
    if not name.strip():
        raise InvalidEntry("give the rule a name", field="name")
    if not -365 <= offset_days <= 3650:
        raise InvalidEntry(
            "days from the due date must be between -365 and 3650", field="offset_days"
        )
    if not subject_template.strip():
        raise InvalidEntry("the subject may not be empty", field="subject_template")
    if not body_template.strip():
        raise InvalidEntry("the body may not be empty", field="body_template")
    check_template(subject_template, "subject_template")
    check_template(body_template, "body_template")


def _offset_free(offset_days: int, rule: ReminderRule | None) -> None:
    taken = ReminderRule.objects.filter(offset_days=offset_days)
    if rule is not None:
        taken = taken.exclude(pk=rule.pk)
    if taken.exists():
        raise InvalidEntry(
            f"the schedule already has a rule {offset_days:+d} days from the due date",
            field="offset_days",
        )


@transaction.atomic
def save_rule(
    actor: User | None,
    rule: ReminderRule | None,
    *,
    name: str,
    offset_days: int,
    subject_template: str,
    body_template: str,
    active: bool = True,
) -> ReminderRule:
    """Create (``rule=None``) or change a rule; an unknown placeholder is refused by field."""
    require(actor, Action.MANAGE_COLLECTIONS)
    _checked(name, offset_days, subject_template, body_template)
    _offset_free(offset_days, rule)
    rule = rule or ReminderRule()
    rule.name = name.strip()
    rule.offset_days = offset_days
    rule.subject_template = subject_template.strip()
    rule.body_template = body_template
    rule.active = active
    rule.save()
    return rule


@transaction.atomic
def set_payment_instructions(actor: User | None, text: str) -> None:
    require(actor, Action.MANAGE_COLLECTIONS)
    settings_row = reminder_settings()
    settings_row.payment_instructions = text.strip()
    settings_row.save()
