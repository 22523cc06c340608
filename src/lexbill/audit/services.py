"""What the audit page does beyond reading: exporting the trail (itself recorded) and checking
the chain. Roles are checked here, so the page and any later caller refuse alike."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lexbill.audit.chain import Verification, VerifyProgress, verify_chain
from lexbill.audit.recorder import record_event
from lexbill.audit.selectors import AuditFilters
from lexbill.firm.permissions import Action, require


def record_trail_export(actor: Any, filters: AuditFilters, file_format: str) -> None:
    """An extract of the trail leaves the firm: who took it, and what it selected."""
    require(actor, Action.VIEW_AUDIT_TRAIL)
    with transaction.atomic():
        query = filters.as_query()
        described = ", ".join(f"{k}={v}" for k, v in sorted(query.items())) or "no filter"
        record_event(
            "audit.Trail",
            "",
            f"audit trail exported as {file_format} ({described})",
            format=file_format,
            filters=query,
        )


def verify_trail(actor: Any, progress: VerifyProgress | None = None) -> Verification:
    """Walk the whole chain (``chain.verify_chain``); reading only, so nothing is recorded."""
    require(actor, Action.VERIFY_AUDIT_TRAIL)
    return verify_chain(progress)
