"""Late charges assessed on overdue invoices, waiting for (or put on) the matter's next bill.

A charge covers one window of days of one invoice; the next assessment starts the day after it
ended, and ``(invoice, period_from)`` is unique, so no day is ever charged twice. Whether a charge
is pending, on a pre-bill or billed is derived from its pre-bill line, never stored: a line held
at finalization or a cancelled pre-bill puts the charge back to pending without anyone having to
remember to.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from lexbill.billing.models import Invoice, LineTreatment, PrebillLine, PrebillStatus
from lexbill.clients.models import Client, Matter
from lexbill.core.errors import ImmutableRecord
from lexbill.fields import FixedDecimalField


class ChargeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the next bill"
    ON_PREBILL = "on_prebill", "On a pre-bill"
    BILLED = "billed", "Billed"


# A charge is free to go on a bill when it has no line, or its line will never be invoiced: its
# pre-bill was cancelled, or the line was held when the pre-bill was finalized.
PENDING = (
    Q(billed_line__isnull=True)
    | Q(billed_line__prebill__status=PrebillStatus.CANCELLED)
    | Q(billed_line__prebill__status=PrebillStatus.FINALIZED, billed_line__treatment="hold")
)
BILLED = Q(billed_line__prebill__status=PrebillStatus.FINALIZED) & ~Q(billed_line__treatment="hold")


class LateCharge(models.Model):
    """Interest and/or the late fee on one overdue invoice for ``[period_from, period_to]``."""

    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        related_name="late_charges",
        help_text="the overdue invoice the charge is for",
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    assessed_on = models.DateField(help_text="the as-of date of the assessment")
    period_from = models.DateField()
    period_to = models.DateField()
    days = models.PositiveIntegerField(help_text="days in the period that earned interest")
    annual_percent = FixedDecimalField(places=4)
    interest = FixedDecimalField(places=2)
    flat_fee = FixedDecimalField(places=2)
    amount = FixedDecimalField(places=2, help_text="interest + flat fee")
    computation = models.JSONField(
        default=list, help_text="the balance periods as computed: start, end, balance, interest"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    billed_line = models.ForeignKey(
        PrebillLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="late_charges",
        help_text="the pre-bill line that bills it; empty while it waits",
    )

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["matter", "assessed_on"], name="latecharge_matter_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "period_from"], name="latecharge_once_per_period"
            ),
            models.CheckConstraint(
                name="latecharge_period_order", condition=Q(period_to__gte=F("period_from"))
            ),
            models.CheckConstraint(name="latecharge_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="latecharge_amount_sum", condition=Q(amount=F("interest") + F("flat_fee"))
            ),
        ]

    def __str__(self) -> str:
        return f"Late charge {self.amount} {self.currency} on {self.invoice_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A billed charge is part of an issued invoice: it is never changed again."""
        if self.pk is not None and LateCharge.objects.filter(BILLED, pk=self.pk).exists():
            raise ImmutableRecord(f"late charge {self.pk} is billed and cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Deleting any charge would let its days be charged again; there is no undo."""
        raise ImmutableRecord(f"late charge {self.pk} cannot be deleted")

    @property
    def status(self) -> ChargeStatus:
        """Needs ``billed_line__prebill`` loaded to stay one query for a list."""
        line = self.billed_line
        if line is None:
            return ChargeStatus.PENDING
        prebill_status = line.prebill.status
        if prebill_status == PrebillStatus.CANCELLED:
            return ChargeStatus.PENDING
        if prebill_status == PrebillStatus.FINALIZED:
            if line.treatment == LineTreatment.HOLD:
                return ChargeStatus.PENDING
            return ChargeStatus.BILLED
        return ChargeStatus.ON_PREBILL
