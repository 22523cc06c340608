"""The audit trail: one row per create, change or delete of billing data, never edited.

Each row is a link of a hash chain (``previous_hash`` → ``hash``, see ``lexbill.core.audit_chain``
and ``lexbill.audit.chain``), so an edit or a removal made behind the ORM's back is found by
``lexbill audit verify``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from lexbill.immutable import ImmutableModel


class AuditRecord(ImmutableModel):
    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"
        EVENT = "event"

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        # PROTECT, not SET_NULL: the actor's id is hashed, so clearing it would read as tampering;
        # people who leave are deactivated, never deleted
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=20, default="system")
    action = models.CharField(max_length=10, choices=Action.choices)
    model = models.CharField(max_length=80)
    object_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # hex SHA-256; database defaults so raw inserts (benchmarks) still load, unchained
    previous_hash = models.CharField(max_length=64, default="", db_default="", blank=True)
    hash = models.CharField(max_length=64, default="", db_default="", blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self) -> str:
        who = self.actor_name or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.model}#{self.object_id}"

    def changed_fields(self) -> dict[str, tuple[Any, Any]]:
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}
