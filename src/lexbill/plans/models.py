"""Payment plans: a client's open balance on some invoices, agreed to be paid in instalments.

What has been paid on a plan is never stored: it is the money applied to the plan's invoices
since the plan was made (see lexbill.core.instalments for how it fills the instalments).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from lexbill.billing.models import Invoice
from lexbill.clients.models import Client
from lexbill.fields import FixedDecimalField


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    DEFAULTED = "defaulted", "Defaulted"


class PaymentPlan(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payment_plans")
    currency = models.CharField(max_length=3)
    invoices = models.ManyToManyField(Invoice, through="PlanInvoice", related_name="+")
    start_on = models.DateField(help_text="the day the plan was agreed")
    total = FixedDecimalField(
        places=2, help_text="the invoices' open balance when the plan was made"
    )
    grace_days = models.PositiveSmallIntegerField(
        default=10, help_text="days after its due date before an unpaid instalment is missed"
    )
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-start_on", "-id"]
        indexes = [models.Index(fields=["status", "client"], name="plan_status_client_idx")]
        constraints = [models.CheckConstraint(name="plan_total_positive", condition=Q(total__gt=0))]

    def __str__(self) -> str:
        return f"Payment plan {self.pk} ({self.status})"

    @property
    def created_on(self) -> date:
        return self.created_at.date()


class PlanInvoice(models.Model):
    """An invoice covered by a plan; ``active`` mirrors the plan's status so the database itself
    refuses a second active plan on the same invoice."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="plan_invoices")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="plan_entries")
    balance_at_start = FixedDecimalField(places=2)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "invoice"], name="plan_invoice_once"),
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(active=True), name="one_active_plan_per_invoice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.invoice_id}"


class Instalment(models.Model):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount = FixedDecimalField(places=2)

    class Meta:
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="instalment_sequence_unique"),
            models.CheckConstraint(name="instalment_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.sequence} {self.due_on} {self.amount}"
