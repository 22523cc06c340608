"""The firm's reminder schedule, each run of the sender, and every reminder it sent.

The log is what makes "never the same reminder twice" hold: a row per (rule, invoice) or
(rule, instalment) in state *sending* or *sent* is unique, enforced by the database, so two
senders running at once cannot both claim one reminder. A *failed* row does not count, so the
next run tries again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from lexbill.billing.models import Invoice
from lexbill.clients.models import Client
from lexbill.core.reminder_schedule import describe_offset, template_problem

if TYPE_CHECKING:
    from lexbill.reminders.selectors import ReminderPlan
    from lexbill.reminders.services import ClientOutcome


class ReminderRule(models.Model):
    """One step of the schedule: a reminder ``offset_days`` after (negative: before) due."""

    name = models.CharField(max_length=100)
    offset_days = models.IntegerField(
        unique=True,
        help_text="days from the due date: -7 = a week before, 0 = on the due date, "
        "30 = 30 days overdue",
    )
    active = models.BooleanField(default=True)
    subject_template = models.CharField(max_length=300)
    body_template = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["offset_days"]

    def __str__(self) -> str:
        return f"{self.name} ({self.offset_days:+d} days)"

    @property
    def timing(self) -> str:
        return describe_offset(self.offset_days)

    def clean(self) -> None:
        """The admin refuses an unknown placeholder too, next to the field that has it."""
        problems = {
            field: problem
            for field in ("subject_template", "body_template")
            if (problem := template_problem(getattr(self, field))) is not None
        }
        if problems:
            raise ValidationError(problems)


class ReminderSettings(models.Model):
    """The firm's wording shared by every rule; one row, created on first use."""

    payment_instructions = models.TextField(
        blank=True,
        help_text="how to pay (bank account, reference to quote); shown as $payment_instructions",
    )

    class Meta:
        verbose_name_plural = "reminder settings"

    def __str__(self) -> str:
        return "Reminder settings"


class ReminderRun(models.Model):
    """One run of the sender (a dry run is never saved)."""

    as_of = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clients_emailed = models.PositiveIntegerField(default=0)
    reminders_sent = models.PositiveIntegerField(default=0)
    clients_failed = models.PositiveIntegerField(default=0)

    # Set by send_reminders, not stored: what was due, and what became of each client's e-mail.
    plan: ReminderPlan
    outcomes: list[ClientOutcome]

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Reminder run {self.pk} as of {self.as_of}"


class LogStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


_HOLDS = Q(status__in=[LogStatus.SENDING, LogStatus.SENT])


class ReminderLog(models.Model):
    """One reminder about one invoice or one payment-plan instalment, under one rule.

    The instalment is kept by id (``instalment_id``), not as a foreign key, so this app does not
    depend on the plans app's migrations; ``reference`` says in words what it was.
    """

    run = models.ForeignKey(ReminderRun, on_delete=models.PROTECT, related_name="logs")
    rule = models.ForeignKey(ReminderRule, on_delete=models.PROTECT, related_name="logs")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    instalment_id = models.BigIntegerField(null=True, blank=True)
    reference = models.CharField(max_length=200, help_text="the invoice or instalment, in words")
    recipients = models.CharField(max_length=500)
    subject = models.CharField(max_length=300)
    message_id = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=LogStatus.choices)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        indexes = [models.Index(fields=["client", "claimed_at"], name="reminderlog_client_idx")]
        constraints = [
            models.CheckConstraint(
                name="reminderlog_invoice_xor_instalment",
                condition=Q(invoice__isnull=False, instalment_id__isnull=True)
                | Q(invoice__isnull=True, instalment_id__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["rule", "invoice"],
                condition=_HOLDS & Q(invoice__isnull=False),
                name="one_reminder_per_rule_and_invoice",
            ),
            models.UniqueConstraint(
                fields=["rule", "instalment_id"],
                condition=_HOLDS & Q(instalment_id__isnull=False),
                name="one_reminder_per_rule_and_instalment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name}: {self.reference} ({self.status})"
