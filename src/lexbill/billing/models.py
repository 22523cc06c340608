"""Rates, bill runs, pre-bills under review, and the final invoices they become."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from lexbill.clients.models import Client, Matter
from lexbill.core.rates import RateLevel
from lexbill.entries.models import Expense, TimeEntry
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import Classification, Timekeeper
from lexbill.immutable import ImmutableModel


class Rate(models.Model):
    """One effective-dated hourly rate at one of the four levels (see core.rates for precedence)."""

    level = models.CharField(max_length=16, choices=[(lv.value, lv.value) for lv in RateLevel])
    amount = FixedDecimalField(places=2)
    currency = models.CharField(max_length=3, default="USD")
    effective_from = models.DateField()
    matter = models.ForeignKey(
        Matter, null=True, blank=True, on_delete=models.CASCADE, related_name="rates"
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="rates"
    )
    timekeeper = models.ForeignKey(
        Timekeeper, null=True, blank=True, on_delete=models.CASCADE, related_name="rates"
    )
    classification = models.CharField(
        max_length=20, choices=Classification.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["level", "effective_from"]
        indexes = [models.Index(fields=["level", "effective_from"])]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "level",
                    "matter",
                    "client",
                    "timekeeper",
                    "classification",
                    "currency",
                    "effective_from",
                ],
                name="one_rate_per_key_and_date",
                nulls_distinct=False,
            ),
            models.CheckConstraint(name="rate_not_negative", condition=Q(amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.amount} {self.currency} from {self.effective_from}"


class BillRun(models.Model):
    through = models.DateField(help_text="bills unbilled work dated on or before this day")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prebill_count = models.PositiveIntegerField(default=0)
    time_line_count = models.PositiveIntegerField(default=0)
    expense_line_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Bill run {self.pk} through {self.through}"


class PrebillStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RETURNED = "returned", "Sent back"
    APPROVED = "approved", "Approved"
    FINALIZED = "finalized", "Finalized"
    CANCELLED = "cancelled", "Cancelled"


class Prebill(models.Model):
    run = models.ForeignKey(BillRun, null=True, on_delete=models.PROTECT, related_name="prebills")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="prebills")
    status = models.CharField(
        max_length=10, choices=PrebillStatus.choices, default=PrebillStatus.DRAFT
    )
    through = models.DateField()
    created_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "matter"])]

    def __str__(self) -> str:
        return f"Pre-bill {self.pk} {self.matter_id} ({self.status})"


class LineTreatment(models.TextChoices):
    BILL = "bill", "Bill"
    NO_CHARGE = "no_charge", "No charge"
    HOLD = "hold", "Hold for a later bill"


class LineKind(models.TextChoices):
    TIME = "time"
    EXPENSE = "expense"
    FEE_ADJUSTMENT = "fee_adjustment"
    LATE_CHARGE = "late_charge"


class PrebillLine(models.Model):
    """A working copy of one entry on a pre-bill: edited in review, frozen into an InvoiceLine."""

    # db_index=False: the (prebill, kind) index below serves lookups by pre-bill already.
    prebill = models.ForeignKey(
        Prebill, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    time_entry = models.ForeignKey(
        TimeEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="prebill_lines"
    )
    expense = models.ForeignKey(
        Expense, null=True, blank=True, on_delete=models.PROTECT, related_name="prebill_lines"
    )
    date = models.DateField()
    timekeeper = models.ForeignKey(
        Timekeeper, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    narrative = models.TextField(blank=True)
    task_code = models.CharField(max_length=10, blank=True)
    activity_code = models.CharField(max_length=10, blank=True)
    expense_code = models.CharField(max_length=10, blank=True)
    minutes = models.PositiveIntegerField(null=True, blank=True)
    quantity = FixedDecimalField(places=4, null=True, blank=True)
    rate = FixedDecimalField(places=4, help_text="hourly rate, or unit cost for an expense")
    rate_source = models.CharField(max_length=40, blank=True)
    amount = FixedDecimalField(places=2, help_text="units × rate, rounded")
    adjustment = FixedDecimalField(places=2, default=0, help_text="write-up (+) or write-down (−)")
    adjustment_reason = models.CharField(max_length=200, blank=True)
    treatment = models.CharField(
        max_length=10, choices=LineTreatment.choices, default=LineTreatment.BILL
    )

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["prebill", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.date} {self.amount}"


class PrebillComment(models.Model):
    prebill = models.ForeignKey(Prebill, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    action = models.CharField(max_length=20, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Invoice(ImmutableModel):
    """A final invoice: numbered, frozen, corrected only by credit notes."""

    number = models.CharField(max_length=40, unique=True)
    prebill = models.OneToOneField(Prebill, on_delete=models.PROTECT, related_name="invoice")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="invoices")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices")
    currency = models.CharField(max_length=3)
    issued_on = models.DateField()
    due_on = models.DateField()
    period_start = models.DateField(null=True)
    period_end = models.DateField(null=True)
    fees = FixedDecimalField(places=2)
    expenses = FixedDecimalField(places=2)
    adjustments = FixedDecimalField(places=2)
    subtotal = FixedDecimalField(places=2)
    tax_rate_percent = FixedDecimalField(places=4, default=0)
    tax_label = models.CharField(max_length=20, blank=True)
    tax = FixedDecimalField(places=2)
    total = FixedDecimalField(places=2)
    previous_balance = FixedDecimalField(
        places=2, help_text="the matter's total due on its previous invoice (0 on the first)"
    )
    payments_received = FixedDecimalField(
        places=2, help_text="payments and credits on earlier invoices since the previous invoice"
    )
    parties = models.JSONField(
        default=dict,
        help_text="firm, client and matter details as printed, frozen at finalization",
    )
    finalized_at = models.DateTimeField()
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        # the invoice list is newest first; the client's statement and AR are by client
        indexes = [
            models.Index(fields=["client", "issued_on"]),
            models.Index(fields=["issued_on"], name="invoice_issued_idx"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    @property
    def balance_forward(self) -> Decimal:
        return Decimal(self.previous_balance - self.payments_received)

    @property
    def total_due(self) -> Decimal:
        """What the client owes on the matter once this invoice is issued, as printed on it."""
        return Decimal(self.balance_forward + self.total)


class InvoiceLine(ImmutableModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    time_entry = models.ForeignKey(
        TimeEntry, null=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    expense = models.ForeignKey(
        Expense, null=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    date = models.DateField()
    timekeeper_code = models.CharField(max_length=20, blank=True)
    timekeeper_name = models.CharField(max_length=170, blank=True)
    classification = models.CharField(max_length=20, blank=True)
    narrative = models.TextField(blank=True)
    task_code = models.CharField(max_length=10, blank=True)
    activity_code = models.CharField(max_length=10, blank=True)
    expense_code = models.CharField(max_length=10, blank=True)
    minutes = models.PositiveIntegerField(null=True)
    quantity = FixedDecimalField(places=4, null=True)
    rate = FixedDecimalField(places=4)
    rate_source = models.CharField(max_length=40, blank=True)
    amount = FixedDecimalField(places=2)
    adjustment = FixedDecimalField(places=2)
    adjustment_reason = models.CharField(max_length=200, blank=True)
    no_charge = models.BooleanField(default=False)
    total = FixedDecimalField(places=2)
    tax = FixedDecimalField(places=2)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="line_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}#{self.position} {self.total}"


class CreditNote(ImmutableModel):
    """Corrects a final invoice by crediting part or all of it; the invoice itself never changes."""

    number = models.CharField(max_length=40, unique=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    issued_on = models.DateField()
    amount = FixedDecimalField(places=2, help_text="credited before tax")
    tax = FixedDecimalField(places=2)
    total = FixedDecimalField(places=2)
    reason = models.CharField(max_length=300)
    reason_code = models.CharField(
        max_length=20, blank=True, help_text="the firm's adjustment reason code, for reports"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.CheckConstraint(name="credit_positive", condition=Q(total__gt=0))]
        indexes = [models.Index(fields=["invoice", "issued_on"], name="creditnote_invoice_idx")]

    def __str__(self) -> str:
        return f"Credit note {self.number}"


class CreditNoteLine(ImmutableModel):
    """What a per-line credit note takes off each invoice line (before tax, and its tax)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="credit_lines"
    )
    amount = FixedDecimalField(places=2)
    tax = FixedDecimalField(places=2)

    class Meta:
        constraints = [
            models.CheckConstraint(name="credit_line_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["credit_note", "invoice_line"], name="credit_line_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credit_note_id} line {self.invoice_line_id}: {self.amount}"


class InvoiceDelivery(ImmutableModel):
    """A record that an invoice was sent: the invoice stays unchanged, the sending is a fact."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="deliveries")
    sent_at = models.DateTimeField()
    channel = models.CharField(max_length=20, default="email")
    recipient = models.CharField(max_length=254, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.invoice_id} sent {self.sent_at:%Y-%m-%d}"
