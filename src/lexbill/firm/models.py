"""The firm, its billing policy, its users and its timekeepers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models

from lexbill.core.increments import Rounding


class Role(models.TextChoices):
    CLERK = "clerk", "Billing clerk / assistant"
    SPECIALIST = "specialist", "Billing specialist"
    COORDINATOR = "coordinator", "Billing coordinator"
    ATTORNEY = "attorney", "Attorney"
    ADMINISTRATOR = "admin", "Administrator"


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLERK)

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Firm(models.Model):
    """The one firm this installation bills for; its policy applies wherever a client sets none."""

    class Increment(models.IntegerChoices):
        TENTH = 6, "0.1 hour (6 minutes)"
        QUARTER = 15, "0.25 hour (15 minutes)"
        MINUTE = 1, "1/60 hour (1 minute)"

    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    tax_id = models.CharField(max_length=40, blank=True, help_text="Used as the LEDES law firm ID")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    base_currency = models.CharField(max_length=3, default="USD")
    increment_minutes = models.PositiveSmallIntegerField(
        choices=Increment.choices, default=Increment.TENTH
    )
    time_rounding = models.CharField(
        max_length=10, choices=[(r.value, r.value) for r in Rounding], default=Rounding.UP.value
    )
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    invoice_number_format = models.CharField(
        max_length=60,
        default="{year}-{seq:05d}",
        help_text="Python format with {seq} (required) and optionally {year}",
    )
    credit_note_number_format = models.CharField(max_length=60, default="CN-{year}-{seq:05d}")
    budget_alert_percents = models.CharField(
        max_length=40,
        default="80,100",
        help_text="percentages of a matter budget that raise an alert when billed work "
        "crosses them, e.g. 80,100",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def rounding(self) -> Rounding:
        return Rounding(self.time_rounding)


class Classification(models.TextChoices):
    PARTNER = "partner", "Partner"
    OF_COUNSEL = "of_counsel", "Of counsel"
    ASSOCIATE = "associate", "Associate"
    PARALEGAL = "paralegal", "Paralegal"
    LEGAL_ASSISTANT = "legal_assistant", "Legal assistant"
    OTHER = "other", "Other timekeeper"


class Timekeeper(models.Model):
    code = models.CharField("timekeeper ID", max_length=20, unique=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    classification = models.CharField(max_length=20, choices=Classification.choices)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="timekeeper"
    )
    active = models.BooleanField(default=True)
    billable_target_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="billable hours expected in a year (e.g. 1800); blank for none. Utilization "
        "reports prorate it by the days of the period.",
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class NumberSequence(models.Model):
    """Gapless counters (invoices, credit notes): advanced under a row lock at finalization."""

    name = models.CharField(max_length=30, unique=True)
    last_value = models.PositiveBigIntegerField(default=0, validators=[MinValueValidator(0)])

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"
