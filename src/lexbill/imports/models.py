"""Saved column mappings and the record of each import (upload, dry run, commit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lexbill.firm.models import Firm
from lexbill.formats.import_fields import Kind

KIND_CHOICES = [(k.value, k.value.capitalize()) for k in Kind]


class ImportMapping(models.Model):
    """Which column of a file feeds which field, saved per firm and kind under the file's
    header row: the next export from the same system (same headers) maps itself."""

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="import_mappings")
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    signature = models.CharField(max_length=64, help_text="SHA-256 of the normalised header row")
    name = models.CharField(max_length=120, blank=True)
    headers = models.JSONField(default=list)
    columns = models.JSONField(default=dict, help_text="field → the file's column header")
    options = models.JSONField(default=dict, help_text="date format, decimal comma, duplicates")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "kind", "signature"], name="import_mapping_per_header_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.name or self.signature[:8]}"


class ImportBatch(models.Model):
    """One file on its way in: uploaded, checked (the dry run's findings), committed or failed.

    The committed batch is what the single audit event of an import points at; its SHA-256
    stops the same file from being committed twice by mistake.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded"
        CHECKING = "checking"
        CHECKED = "checked"
        COMMITTING = "committing"
        COMMITTED = "committed"
        FAILED = "failed"

    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    file_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(default=0)
    headers = models.JSONField(default=list)
    columns = models.JSONField(default=dict)
    options = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    problems = models.JSONField(default=list, help_text="the first problems found (capped)")
    problem_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.file_name})"
