"""Bank accounts, the statements imported for them, and each line's way to a posted payment.

A bank transaction is stored once per account, whatever file brought it: its ``fingerprint`` (the
bank's own unique id when the file has one, else a hash of what the line says) is unique per
account, so importing the same or an overlapping statement again adds nothing and posts nothing.

Only credits (money in) are matched to invoices; debits are kept, marked ignored, for a complete
record (trust reconciliation reads the same statements for its own purposes).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from lexbill.clients.models import Client
from lexbill.fields import FixedDecimalField
from lexbill.formats.bank import CsvLayout


class StatementFormat(models.TextChoices):
    CSV = "csv", "CSV (column mapping)"
    OFX = "ofx", "OFX / QFX"
    CAMT053 = "camt053", "ISO 20022 camt.053 XML"


class CsvMapping(models.Model):
    """How one bank's CSV export is laid out; saved under a name and chosen next time."""

    bank_account = models.ForeignKey(
        "BankAccount", on_delete=models.CASCADE, related_name="csv_mappings"
    )
    name = models.CharField(max_length=80)
    date_column = models.CharField(max_length=80)
    amount_column = models.CharField(max_length=80, blank=True)
    credit_column = models.CharField(max_length=80, blank=True)
    debit_column = models.CharField(max_length=80, blank=True)
    reference_column = models.CharField(max_length=80, blank=True)
    payer_column = models.CharField(max_length=80, blank=True)
    bank_id_column = models.CharField(max_length=80, blank=True)
    value_date_column = models.CharField(max_length=80, blank=True)
    type_column = models.CharField(max_length=80, blank=True)
    check_number_column = models.CharField(max_length=80, blank=True)
    date_format = models.CharField(max_length=40, default="%m/%d/%Y")
    decimal_separator = models.CharField(max_length=1, default=".")
    thousands_separator = models.CharField(max_length=1, default=",", blank=True)
    delimiter = models.CharField(max_length=1, default=",")
    encoding = models.CharField(max_length=20, default="utf-8-sig")
    skip_rows = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["bank_account", "name"], name="csv_mapping_name")
        ]

    LAYOUT_FIELDS = (
        "date_column",
        "amount_column",
        "credit_column",
        "debit_column",
        "reference_column",
        "payer_column",
        "bank_id_column",
        "value_date_column",
        "type_column",
        "check_number_column",
        "date_format",
        "decimal_separator",
        "thousands_separator",
        "delimiter",
        "encoding",
        "skip_rows",
    )

    def __str__(self) -> str:
        return self.name

    def layout(self) -> CsvLayout:
        values: dict[str, object] = {f: getattr(self, f) for f in self.LAYOUT_FIELDS}
        values["currency"] = self.bank_account.currency
        return CsvLayout.from_dict(values)


class BankAccount(models.Model):
    name = models.CharField(max_length=80, unique=True)
    number = models.CharField(
        max_length=40, blank=True, help_text="account number or IBAN, checked against each file"
    )
    currency = models.CharField(max_length=3, default="USD")
    default_mapping = models.ForeignKey(
        CsvMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class StatementImport(models.Model):
    """One file read: what it was, who brought it, and what it added."""

    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="imports")
    format = models.CharField(max_length=10, choices=StatementFormat.choices)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    mapping = models.ForeignKey(
        CsvMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    opening_balance = FixedDecimalField(places=2, null=True, blank=True)
    closing_balance = FixedDecimalField(places=2, null=True, blank=True)
    entry_count = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    known_count = models.PositiveIntegerField(
        default=0, help_text="lines already imported from an earlier (or the same) file"
    )
    credit_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name or self.format} → {self.bank_account.name}"


class TransactionStatus(models.TextChoices):
    UNMATCHED = "unmatched", "Unmatched (in the queue)"
    MATCHED = "matched", "Matched automatically"
    CONFIRMED = "confirmed", "Matched by hand"
    POSTED = "posted", "Posted as a payment"
    IGNORED = "ignored", "Ignored"


POSTABLE = (TransactionStatus.MATCHED, TransactionStatus.CONFIRMED)


class BankTransaction(models.Model):
    statement_import = models.ForeignKey(
        StatementImport, on_delete=models.PROTECT, related_name="transactions"
    )
    bank_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="transactions"
    )
    line_no = models.PositiveIntegerField(help_text="where the line starts in the imported file")
    booked_on = models.DateField()
    value_on = models.DateField(null=True, blank=True)
    amount = FixedDecimalField(places=2, help_text="credits positive, debits negative")
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=40, blank=True, help_text="the bank's transaction type")
    bank_ref = models.CharField(max_length=100, blank=True)
    end_to_end_id = models.CharField(max_length=200, blank=True)
    reference = models.TextField(blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    check_number = models.CharField(max_length=40, blank=True)
    fingerprint = models.CharField(max_length=160)
    status = models.CharField(
        max_length=10, choices=TransactionStatus.choices, default=TransactionStatus.UNMATCHED
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allocations = models.JSONField(
        default=list, blank=True, help_text='[["invoice number", "amount"], …]'
    )
    candidates = models.JSONField(
        default=list, blank=True, help_text="the best suggestions, for the person in the queue"
    )
    note = models.CharField(max_length=300, blank=True, help_text="why it waits or was ignored")
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment = models.OneToOneField(
        "receivables.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bank_transaction",
    )

    class Meta:
        ordering = ["booked_on", "id"]
        indexes = [models.Index(fields=["status", "booked_on"], name="banktxn_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "fingerprint"], name="banktxn_once_per_account"
            ),
            models.CheckConstraint(
                name="banktxn_posted_has_payment",
                condition=Q(status="posted", payment__isnull=False)
                | (~Q(status="posted") & Q(payment__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.currency} {self.payer_name}".strip()

    @property
    def is_credit(self) -> bool:
        return Decimal(self.amount) > 0

    @property
    def allocated(self) -> Decimal:
        return sum((Decimal(a) for _, a in self.allocations), Decimal(0))

    @property
    def unapplied(self) -> Decimal:
        return Decimal(self.amount) - self.allocated
