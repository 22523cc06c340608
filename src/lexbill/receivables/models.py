"""Money received and what became of it: payments, their allocations, reversals, refunds and
write-offs, all append-only; balances are sums of these, never stored.

A bounced (NSF) payment or a refund is a new ``Payment`` row of negative amount pointing at the
receipt it corrects, and a reversal also posts negative allocations mirroring the receipt's, so
every sum (paid per invoice, unapplied per client) stays a plain ``SUM`` and "as of a date" is a
filter on business dates (``received_on``, ``applied_on``, ``written_off_on``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from lexbill.billing.models import CreditNote, Invoice
from lexbill.clients.models import Client
from lexbill.fields import FixedDecimalField
from lexbill.immutable import ImmutableModel


class PaymentMethod(models.TextChoices):
    CHECK = "check", "Check"
    ACH = "ach", "ACH"
    WIRE = "wire", "Wire"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    TRUST = "trust", "From trust"
    OTHER = "other", "Other"


class PaymentKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    REVERSAL = "reversal", "Reversal (bounced / NSF)"
    REFUND = "refund", "Refund of unapplied credit"


class Payment(ImmutableModel):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payments")
    received_on = models.DateField()
    amount = FixedDecimalField(places=2)
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices, default="check")
    reference = models.CharField(max_length=100, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=PaymentKind.choices, default=PaymentKind.RECEIPT)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text="the receipt a reversal or refund corrects",
    )
    reason = models.CharField(max_length=300, blank=True)
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["client", "received_on"], name="payment_client_date_idx")]
        constraints = [
            models.CheckConstraint(
                name="payment_sign_by_kind",
                condition=(Q(kind="receipt", amount__gt=0, corrects__isnull=True))
                | (Q(kind__in=["reversal", "refund"], amount__lt=0, corrects__isnull=False)),
            ),
            models.UniqueConstraint(
                fields=["corrects"], condition=Q(kind="reversal"), name="one_reversal_per_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} {self.amount} {self.currency}"


class PaymentAllocation(ImmutableModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = FixedDecimalField(places=2, help_text="negative when a reversal takes it back")
    applied_on = models.DateField(
        help_text="the business date the money counts against the invoice"
    )
    allocated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["invoice", "applied_on"], name="allocation_invoice_date_idx")
        ]
        constraints = [models.CheckConstraint(name="allocation_not_zero", condition=~Q(amount=0))]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class AdjustmentKind(models.TextChoices):
    CREDIT_NOTE = "credit_note", "Credit note"
    WRITE_OFF = "write_off", "Write-off"
    DISCOUNT = "discount", "Prompt-payment discount"


class AdjustmentReason(models.Model):
    """The firm's list of reasons for credits and write-offs, so reports can group by them."""

    code = models.CharField(max_length=20, unique=True)
    label = models.CharField(max_length=200)
    applies_to = models.CharField(
        max_length=12,
        choices=[("any", "Credit notes and write-offs"), *AdjustmentKind.choices],
        default="any",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class WriteOff(ImmutableModel):
    """A balance the firm gives up on, or a discount it grants: less owed, nothing unbilled."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="write_offs")
    kind = models.CharField(
        max_length=12,
        choices=[(AdjustmentKind.WRITE_OFF, "Write-off"), (AdjustmentKind.DISCOUNT, "Discount")],
        default=AdjustmentKind.WRITE_OFF,
    )
    written_off_on = models.DateField()
    amount = FixedDecimalField(places=2)
    reason = models.ForeignKey(AdjustmentReason, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discounts",
        help_text="the payment that earned a prompt-payment discount",
    )
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text="the discount this negative row takes back (its payment bounced)",
    )

    class Meta:
        indexes = [models.Index(fields=["invoice", "written_off_on"], name="writeoff_invoice_idx")]
        constraints = [
            models.CheckConstraint(
                name="writeoff_sign",
                condition=Q(amount__gt=0, corrects__isnull=True)
                | Q(amount__lt=0, corrects__isnull=False),
            ),
            models.UniqueConstraint(fields=["corrects"], name="writeoff_corrected_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on {self.invoice_id}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class AdjustmentRequest(models.Model):
    """A credit or write-off above the policy threshold, waiting for a coordinator's decision.

    Nothing changes a balance until it is approved; approval posts the CreditNote or WriteOff.
    """

    kind = models.CharField(max_length=12, choices=AdjustmentKind.choices)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    amount = FixedDecimalField(places=2, null=True, blank=True, help_text="blank: all that is open")
    line_amounts = models.JSONField(
        default=dict, blank=True, help_text="invoice line id → amount, for a credit per line"
    )
    reason = models.ForeignKey(AdjustmentReason, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    write_off = models.ForeignKey(
        WriteOff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "requested_at"], name="adjreq_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} request {self.pk} ({self.status})"


class CollectionsPolicy(models.Model):
    """The firm's receivables policy; one row, created with its defaults on first use."""

    approval_threshold = FixedDecimalField(
        places=2,
        default=Decimal("500.00"),
        help_text="credits and write-offs above this need a coordinator's approval",
    )
    prompt_discount_percent = FixedDecimalField(
        places=4, default=Decimal(0), help_text="0 = no prompt-payment discount"
    )
    prompt_discount_days = models.PositiveSmallIntegerField(
        default=0, help_text="paid in full within this many days of issue earns the discount"
    )
    late_charge_annual_percent = FixedDecimalField(
        places=4, default=Decimal(0), help_text="simple interest per year on overdue balances"
    )
    late_charge_flat_fee = FixedDecimalField(
        places=2, default=Decimal(0), help_text="a fixed fee per overdue invoice, once"
    )
    late_charge_grace_days = models.PositiveSmallIntegerField(
        default=0, help_text="days past due before late charges start"
    )
    late_charge_minimum_balance = FixedDecimalField(
        places=2, default=Decimal(0), help_text="no late charge on an overdue balance below this"
    )

    class Meta:
        verbose_name_plural = "collections policy"

    def __str__(self) -> str:
        return "Collections policy"
