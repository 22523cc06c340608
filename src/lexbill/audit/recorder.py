"""Writing audit records: one function, so every channel records the same facts, and every
record is linked into the hash chain (``lexbill.audit.chain.append``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from lexbill.audit.chain import append
from lexbill.audit.context import current_actor, current_channel
from lexbill.audit.models import AuditRecord


def record(
    action: str,
    model: str,
    object_id: Any = "",
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
) -> AuditRecord:
    actor = current_actor()
    actor_pk = getattr(actor, "pk", None)
    return append(
        at=timezone.now(),
        actor_id=actor_pk,
        actor_name=getattr(actor, "username", "") or "",
        channel=current_channel(),
        action=action,
        model=model,
        object_id=str(object_id),
        before=before,
        after=after,
        summary=summary[:300],
    )


def record_event(model: str, object_id: Any, summary: str, **details: Any) -> AuditRecord:
    """A business event that is not a single row change, e.g. a bill run over a million entries."""
    return record(
        AuditRecord.Action.EVENT, model, object_id, after=details or None, summary=summary
    )
