"""Records that are posted once and never changed: invoices, payments, audit rows.

A mistake is corrected by a new record (credit note, reversal) pointing at the old one; these guards
make sure no code path — service, admin or a stray ``QuerySet.update`` — edits or deletes in place.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from lexbill.core.errors import ImmutableRecord


class ImmutableQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecord(f"{self.model.__name__} records are posted and cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord(f"{self.model.__name__} records are posted and cannot be deleted")


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecord(
                f"{type(self).__name__} {self.pk} is posted and cannot be changed; "
                "record a correction instead"
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord(f"{type(self).__name__} {self.pk} is posted and cannot be deleted")
