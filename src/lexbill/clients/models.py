"""Clients and their matters, with each matter's billing arrangement."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from lexbill.fields import FixedDecimalField
from lexbill.firm.models import Timekeeper


class Client(models.Model):
    number = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    address = models.TextField(blank=True)
    billing_contact = models.CharField(max_length=150, blank=True)
    billing_email = models.EmailField(blank=True)
    tax_rate_percent = FixedDecimalField(
        places=4, default=0, help_text="VAT/GST charged on this client's invoices, e.g. 20.0000"
    )
    tax_label = models.CharField(max_length=20, default="Tax", blank=True)
    tax_id = models.CharField(max_length=40, blank=True)
    late_charges_allowed = models.BooleanField(
        default=False,
        help_text="the engagement letter allows interest or a late fee on overdue bills",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Matter(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    class Arrangement(models.TextChoices):
        HOURLY = "hourly", "Hourly"
        FLAT_FEE = "flat_fee", "Flat fee"
        CAPPED = "capped", "Hourly with a fee cap"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="matters")
    number = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    client_matter_id = models.CharField("client's matter ID", max_length=60, blank=True)
    task_code_set = models.CharField(
        "UTBMS task code set",
        max_length=12,
        blank=True,
        choices=[
            ("litigation", "Litigation (L)"),
            ("counseling", "Counseling (C)"),
            ("project", "Project (P)"),
            ("bankruptcy", "Bankruptcy (B)"),
        ],
        help_text="Task codes on this matter's time come from this set; blank allows any.",
    )
    responsible_attorney = models.ForeignKey(
        Timekeeper, on_delete=models.PROTECT, related_name="responsible_for"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(max_length=3, default="USD")
    arrangement = models.CharField(
        max_length=10, choices=Arrangement.choices, default=Arrangement.HOURLY
    )
    flat_fee = FixedDecimalField(places=2, null=True, blank=True)
    fee_cap = FixedDecimalField(places=2, null=True, blank=True)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    practice_area = models.CharField(
        max_length=60,
        blank=True,
        db_index=True,
        help_text="the firm's practice group (Litigation, Corporate, …), for reports",
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                name="flat_fee_matter_has_fee",
                condition=~Q(arrangement="flat_fee") | Q(flat_fee__isnull=False),
            ),
            models.CheckConstraint(
                name="capped_matter_has_cap",
                condition=~Q(arrangement="capped") | Q(fee_cap__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


# ---- facts a client's billing guidelines need -------------------------------------------------


class MatterBudget(models.Model):
    """What the client agreed the matter (blank ``phase``) or one UTBMS phase or task of it may
    cost, in the matter's currency; the budget rules compare it with what has been billed."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="budgets")
    phase = models.CharField(
        max_length=10,
        blank=True,
        help_text="a UTBMS phase (L200) or task code (L210); blank for the whole matter",
    )
    amount = FixedDecimalField(places=2)

    class Meta:
        ordering = ["matter", "phase"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "phase"], name="matter_budget_unique"),
            models.CheckConstraint(name="matter_budget_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.phase or 'matter'} {self.amount}"


class ApprovedTimekeeper(models.Model):
    """A timekeeper the client approved to bill it. A client with none recorded has no list
    (every timekeeper may bill), so the approved-timekeepers rule stays silent for it."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="approved_timekeepers"
    )
    timekeeper = models.ForeignKey(Timekeeper, on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["client", "timekeeper__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "timekeeper"], name="approved_timekeeper_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} approves {self.timekeeper_id}"


class RateNotice(models.Model):
    """The firm told the client of a rate increase taking effect on ``effective_from``: for one
    timekeeper, or for every timekeeper when ``timekeeper`` is empty. The rate-increase rule
    pays the new rate only from the notice the client requires after ``given_on``."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="rate_notices")
    timekeeper = models.ForeignKey(
        Timekeeper, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective_from = models.DateField(help_text="the day the increased rate takes effect")
    given_on = models.DateField(help_text="the day the client was told")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["client", "-effective_from", "id"]
        # NULL never equals NULL in a unique index, so the client-wide notice has its own.
        constraints = [
            models.UniqueConstraint(
                fields=["client", "timekeeper", "effective_from"],
                condition=Q(timekeeper__isnull=False),
                name="rate_notice_unique",
            ),
            models.UniqueConstraint(
                fields=["client", "effective_from"],
                condition=Q(timekeeper__isnull=True),
                name="rate_notice_client_wide_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} notice of {self.effective_from} given {self.given_on}"
