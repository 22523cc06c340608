"""Client inquiries and disputes about an invoice or one of its lines, and their conversation.

An *inquiry* is a question ("what is this disbursement?"): it is tracked and answered but does
not hold up collections. A *dispute* contests an amount: while it is unresolved the invoice is
left out of the reminder run. Both are resolved by an explanation or by a credit note.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from lexbill.billing.models import CreditNote, Invoice, InvoiceLine
from lexbill.fields import FixedDecimalField


class DisputeKind(models.TextChoices):
    INQUIRY = "inquiry", "Inquiry"
    DISPUTE = "dispute", "Dispute"


class ReceivedVia(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter"
    PORTAL = "portal", "Client portal"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_REVIEW = "in_review", "In review"
    RESOLVED_EXPLAINED = "resolved_explained", "Resolved by explanation"
    RESOLVED_CREDITED = "resolved_credited", "Resolved by credit note"


UNRESOLVED = (DisputeStatus.OPEN, DisputeStatus.IN_REVIEW)


class Dispute(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="disputes")
    line = models.ForeignKey(
        InvoiceLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
        help_text="the invoice line questioned, if the client named one",
    )
    kind = models.CharField(max_length=10, choices=DisputeKind.choices)
    raised_by = models.CharField(max_length=200, help_text="the client's contact, as they signed")
    raised_on = models.DateField()
    received_via = models.CharField(
        max_length=10, choices=ReceivedVia.choices, default=ReceivedVia.EMAIL
    )
    description = models.TextField()
    amount_disputed = FixedDecimalField(places=2, default=0)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True)
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )

    class Meta:
        ordering = ["raised_on", "id"]
        indexes = [models.Index(fields=["status", "raised_on"], name="dispute_status_raised_idx")]
        constraints = [
            models.CheckConstraint(
                name="dispute_amount_not_negative", condition=Q(amount_disputed__gte=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} on {self.invoice_id}"

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED


class DisputeNote(models.Model):
    """One turn of the conversation: what the client said, what we answered, what we found."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:60]
