"""Work captured for billing: time entries and expenses (disbursements)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from lexbill.clients.models import Matter
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import Timekeeper


class Billable(models.TextChoices):
    BILLABLE = "billable", "Billable"
    NO_CHARGE = "no_charge", "No charge (shown on the bill at zero)"
    NON_BILLABLE = "non_billable", "Non-billable (never on a bill)"


class BillingState(models.TextChoices):
    """Where an entry is in the cycle; a bill run takes ``unbilled`` work only."""

    UNBILLED = "unbilled"
    PREBILLED = "prebilled"
    BILLED = "billed"


class TimeEntry(models.Model):
    # No single-column FK indexes: the (matter, work_date) and (timekeeper, work_date) indexes
    # serve those lookups, and every index costs a bill run a million updates.
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="time_entries", db_index=False
    )
    timekeeper = models.ForeignKey(
        Timekeeper, on_delete=models.PROTECT, related_name="time_entries", db_index=False
    )
    work_date = models.DateField()
    duration_seconds = models.PositiveIntegerField(help_text="raw duration as worked")
    billed_minutes = models.PositiveIntegerField(
        help_text="duration rounded to the billing increment"
    )
    narrative = models.TextField()
    task_code = models.CharField(max_length=10, blank=True)
    activity_code = models.CharField(max_length=10, blank=True)
    billable = models.CharField(max_length=12, choices=Billable.choices, default=Billable.BILLABLE)
    state = models.CharField(
        max_length=10, choices=BillingState.choices, default=BillingState.UNBILLED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "time entries"
        # One index per way the time list is cut (bench/pages.py measures each page). A bill run
        # changes only ``state`` on a million rows, and SQLite then rewrites only the indexes that
        # hold or filter on it, so those are kept to one (bench/run.py measures the bill run).
        indexes = [
            models.Index(fields=["matter", "work_date"]),
            models.Index(fields=["timekeeper", "work_date"]),
            # Newest first in any status: unbilled work is the newest, so the default list (and
            # a timekeeper's or a code's unbilled work) is met at the start of the scan.
            models.Index(fields=["work_date"], name="time_date_idx"),
            # Billed work newest first, without scanning past the months still unbilled;
            # finalizing fills it, a bill run never touches it.
            models.Index(fields=["work_date"], name="time_billed_idx", condition=Q(state="billed")),
            # largest entries first; the unbilled ones are met after a few hundred rows
            models.Index(fields=["billed_minutes"], name="time_hours_idx"),
            # Work in progress by matter (the dashboard) read from the index alone: every column
            # the aggregate needs is in it, so a million unbilled rows never touch the table.
            # ``state`` too, although the condition fixes it: the ORM binds 'unbilled' as a
            # parameter, and SQLite then checks the state of each row, from the table unless
            # the index holds it (1.9 s instead of 0.4 s over a million unbilled entries).
            models.Index(
                fields=["matter", "work_date", "billed_minutes", "billable", "state"],
                name="time_wip_idx",
                condition=Q(state="unbilled"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_date} {self.timekeeper_id} {self.billed_minutes}m {self.narrative[:40]}"


class TravelClass(models.TextChoices):
    """Fare class of an airfare or rail expense, as a client's guidelines compare it."""

    NONE = "", "—"
    ECONOMY = "economy", "Economy"
    PREMIUM = "premium", "Premium economy"
    BUSINESS = "business", "Business"
    FIRST = "first", "First"


class Expense(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="expenses")
    timekeeper = models.ForeignKey(
        Timekeeper, null=True, blank=True, on_delete=models.PROTECT, related_name="expenses"
    )
    date = models.DateField()
    expense_code = models.CharField(max_length=10)
    quantity = FixedDecimalField(places=4, default=1)
    unit_cost = FixedDecimalField(places=4)
    description = models.TextField()
    billable = models.CharField(max_length=12, choices=Billable.choices, default=Billable.BILLABLE)
    state = models.CharField(
        max_length=10, choices=BillingState.choices, default=BillingState.UNBILLED
    )
    # Facts a client's billing guidelines ask about (receipts over an amount, meals per person,
    # fares above economy). Database defaults too, so raw inserts (the benchmark generator,
    # imports) that predate them still load.
    receipt = models.BooleanField(
        default=False, db_default=False, help_text="a receipt is attached or on file"
    )
    persons = models.PositiveSmallIntegerField(
        default=1, db_default=1, help_text="people the expense covers (a meal for four)"
    )
    travel_class = models.CharField(
        max_length=10,
        choices=TravelClass.choices,
        blank=True,
        default=TravelClass.NONE,
        db_default="",
        help_text="fare class of an airfare or rail ticket",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(name="expense_persons_positive", condition=Q(persons__gte=1))
        ]
        indexes = [
            models.Index(fields=["matter", "date"]),
            models.Index(
                fields=["date"], name="expense_unbilled_idx", condition=Q(state="unbilled")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.expense_code} {self.description[:40]}"
