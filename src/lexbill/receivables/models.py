"""Money received: payments, posted once, and their allocations to invoices (append-only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from lexbill.billing.models import Invoice
from lexbill.clients.models import Client
from lexbill.fields import FixedDecimalField
from lexbill.immutable import ImmutableModel


class Payment(ImmutableModel):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payments")
    received_on = models.DateField()
    amount = FixedDecimalField(places=2)
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, default="check")
    reference = models.CharField(max_length=100, blank=True)
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(name="payment_positive", condition=Q(amount__gt=0))]

    def __str__(self) -> str:
        return f"Payment {self.pk} {self.amount} {self.currency}"


class PaymentAllocation(ImmutableModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = FixedDecimalField(places=2)
    allocated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(name="allocation_positive", condition=Q(amount__gt=0))
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"
