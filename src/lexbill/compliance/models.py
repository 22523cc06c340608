"""Client billing guidelines as stored versions, and the audited overrides of their findings."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lexbill.billing.models import Prebill
from lexbill.clients.models import Client
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
