"""Read queries for the audit page: filters, keyset pages and the rows of an export.

The trail can hold millions of rows, so the page never counts or offsets: it is cut by keyset on
the id (newest first; ids follow the chain, so they follow time), one row more than a page to
know whether another follows. Each filter is served by an index: the actor's foreign key,
``(model, object_id)``, ``at``; the action narrows what those find.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone

from lexbill.audit.models import AuditRecord

PAGE_SIZE = 50
EXPORT_CHUNK = 2000
MAX_VALUE = 80  # characters of one value in the compact diff
SYSTEM = "system"  # the user filter's value for changes made by no person (system, shell)


@dataclass(frozen=True)
class AuditFilters:
    """The page's filters after parsing; empty values mean "any"."""

    actor: int | None = None
    system_only: bool = False
    model: str = ""
    object_id: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_query(self) -> dict[str, str]:
        """The filters as the page's query string (for links and the export form)."""
        query = {
            "user": SYSTEM if self.system_only else (str(self.actor) if self.actor else ""),
            "model": self.model,
            "object_id": self.object_id,
            "action": self.action,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in query.items() if v}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def filtered(filters: AuditFilters) -> QuerySet[AuditRecord]:
    """The records the filters select, unordered. Dates are the firm's days, both inclusive."""
    qs = AuditRecord.objects.all()
    if filters.system_only:
        qs = qs.filter(actor__isnull=True)
    elif filters.actor is not None:
        qs = qs.filter(actor_id=filters.actor)
    if filters.model:
        qs = qs.filter(model=filters.model)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from:
        qs = qs.filter(at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return qs


@dataclass(frozen=True)
class Page:
    rows: list[AuditRecord]
    older: int | None  # cursor for the next (older) page: rows with a smaller id
    newer: int | None  # cursor for the previous (newer) page: rows with a larger id


def audit_page(
    filters: AuditFilters,
    older_than: int | None = None,
    newer_than: int | None = None,
    page_size: int = PAGE_SIZE,
) -> Page:
    """``page_size`` records, newest first, before ``older_than`` or just after ``newer_than``."""
    qs = filtered(filters).select_related("actor")
    backwards = newer_than is not None and older_than is None
    if backwards:
        rows = list(qs.filter(id__gt=newer_than).order_by("id")[: page_size + 1])
        more_newer = len(rows) > page_size
        rows = list(reversed(rows[:page_size]))
        older = rows[-1].pk if rows else None
        newer = rows[0].pk if rows and more_newer else None
        return Page(rows, older, newer)
    if older_than is not None:
        qs = qs.filter(id__lt=older_than)
    rows = list(qs.order_by("-id")[: page_size + 1])
    more_older = len(rows) > page_size
    rows = rows[:page_size]
    older = rows[-1].pk if rows and more_older else None
    newer = rows[0].pk if rows and older_than is not None else None
    return Page(rows, older, newer)


def export_rows(filters: AuditFilters) -> Iterator[AuditRecord]:
    """Every selected record, oldest first, a keyset chunk at a time (bounded memory)."""
    qs = filtered(filters).order_by("id")
    last = 0
    while True:
        chunk = list(qs.filter(id__gt=last)[:EXPORT_CHUNK])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].pk


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None  # None: the field was not there (a create, an event's details)
    new: str | None  # None: the field is gone (a delete)


def diff(record: AuditRecord) -> list[Change]:
    """The fields that differ between before and after; a create lists what was set, a delete
    what was removed, an event its details."""
    before = record.before if isinstance(record.before, dict) else {}
    after = record.after if isinstance(record.after, dict) else {}
    changes = []
    for key in sorted(set(before) | set(after)):
        if key in before and key in after and before[key] == after[key]:
            continue
        changes.append(
            Change(
                key,
                _text(before[key]) if key in before else None,
                _text(after[key]) if key in after else None,
            )
        )
    return changes


def known_models() -> list[str]:
    """Model labels offered for the record filter: every model of the project's apps, plus
    the event names services record (an archive, an import, …) — read from the app registry,
    not from the trail, which would be a scan of every row."""
    labels = {
        f"{m._meta.app_label}.{m.__name__}"
        for m in apps.get_models()
        if m.__module__.startswith("lexbill.")
    }
    labels.add("exports.Archive")
    return sorted(labels)
