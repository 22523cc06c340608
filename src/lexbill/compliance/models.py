"""Client billing guidelines as stored versions, the audited overrides of their findings, and the
record of what the checks found (for the report of findings by client, rule and timekeeper)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lexbill.billing.models import Prebill
from lexbill.clients.models import Client, Matter
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import Timekeeper
from lexbill.immutable import ImmutableModel


class GuidelineVersion(ImmutableModel):
    """One version of a client's guidelines, as imported: never edited, superseded by the next.

    The YAML is kept as the client's billing specialist wrote it (comments and all), so an export
    gives back what was imported; the engine reads it again when it checks.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="guidelines")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    source = models.TextField(help_text="the guideline document as YAML")
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["client", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="guideline_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client.number} guidelines v{self.version}"


class FindingOverride(ImmutableModel):
    """A reviewer's decision to bill a line despite a blocking finding, with the reason."""

    prebill = models.ForeignKey(Prebill, on_delete=models.CASCADE, related_name="overrides")
    rule_id = models.CharField(max_length=80)
    line_key = models.CharField(
        max_length=200, help_text="the finding's line ids, comma-separated ('' for the invoice)"
    )
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prebill", "rule_id", "line_key"], name="one_override_per_finding"
            )
        ]

    def __str__(self) -> str:
        return f"override {self.rule_id} on pre-bill {self.prebill_id}"


class FindingOutcome(models.TextChoices):
    OPEN = "open", "Open"
    FIXED = "fixed", "Fixed"
    OVERRIDDEN = "overridden", "Overridden"


class FindingRecord(models.Model):
    """What a guideline check found on a pre-bill, kept after the reviewers fixed it.

    Findings are computed on demand, so without this nobody could later see which rules cost the
    firm money and whose narratives keep breaking them. A finding is recorded the first time a
    check finds it (the bill run, the findings panel, a fix, an override, approval) with the
    amount at risk *as first found* — that is the money the guideline put at risk, the figure
    that teaches; its ``outcome`` follows later checks (open, fixed when a check no longer finds
    it, overridden while a reviewer's override covers it).

    One row per timekeeper the finding involves: a finding over one timekeeper's lines is one
    row; one over several timekeepers' lines (attendance, a budget overrun) is one row for each,
    its amount shared by the billed amounts of their lines, rounded down to the cent with the
    remainder on the last, so totals by timekeeper add up to exactly the finding's amount. Part 1
    is the finding itself when findings are counted; an invoice-level finding (a late invoice)
    or one over expenses without a timekeeper is one row with no timekeeper. Client, matter and
    the pre-bill's period end are copied onto the row so the report filters without joins.
    """

    prebill = models.ForeignKey(
        Prebill, on_delete=models.CASCADE, related_name="finding_records", db_index=False
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+", db_index=False)
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="+")
    through = models.DateField(help_text="the pre-bill's period end: the report's period")
    rule_id = models.CharField(max_length=80)
    rule_type = models.CharField(max_length=40)
    severity = models.CharField(max_length=5)
    line_key = models.TextField(
        blank=True, help_text="the finding's line ids, comma-separated ('' for the invoice)"
    )
    line_key_hash = models.CharField(
        max_length=40, help_text="SHA-1 of line_key: a budget finding can name hundreds of lines"
    )
    part = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the finding's first (or only) timekeeper row"
    )
    timekeeper = models.ForeignKey(
        Timekeeper,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    amount_at_risk = FixedDecimalField(places=2)
    currency = models.CharField(max_length=3)
    message = models.TextField()
    first_found_at = models.DateTimeField()
    outcome = models.CharField(
        max_length=10, choices=FindingOutcome.choices, default=FindingOutcome.OPEN
    )
    outcome_at = models.DateTimeField(help_text="when the outcome last changed")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prebill", "rule_id", "line_key_hash", "part"],
                name="one_record_per_finding_part",
            )
        ]
        indexes = [
            models.Index(fields=["through", "client"], name="finding_period_client"),
            models.Index(fields=["client", "through"], name="finding_client_period"),
            models.Index(fields=["timekeeper", "through"], name="finding_keeper_period"),
        ]

    def __str__(self) -> str:
        return f"finding {self.rule_id} on pre-bill {self.prebill_id} ({self.outcome})"
