"""Reads about inquiries and disputes shared by pages, the CLI and the reminder run."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import QuerySet

from lexbill.disputes.models import UNRESOLVED, Dispute, DisputeKind


def disputed_invoice_ids(invoice_ids: Iterable[int] | None = None) -> set[int]:
    """Invoices with an unresolved *dispute* (open or in review), optionally among
    ``invoice_ids``. An inquiry is only a question and does not stop reminders; a dispute about
    one line holds up the whole invoice it is on."""
    disputed = set(
        Dispute.objects.filter(kind=DisputeKind.DISPUTE, status__in=UNRESOLVED)
        .values_list("invoice_id", flat=True)
        .distinct()
    )
    # Unresolved disputes are few; intersecting here keeps a reminder run over 100,000
    # invoices from sending them all as query parameters.
    return disputed if invoice_ids is None else disputed.intersection(invoice_ids)


def disputes_list(
    *,
    unresolved_only: bool = True,
    assigned_to_id: int | None = None,
    client_id: int | None = None,
    kind: str | None = None,
    invoice_id: int | None = None,
) -> QuerySet[Dispute]:
    """Inquiries and disputes, oldest raised first (the order they should be worked in)."""
    disputes = Dispute.objects.select_related(
        "invoice__client", "line", "assigned_to", "credit_note"
    ).order_by("raised_on", "id")
    if unresolved_only:
        disputes = disputes.filter(status__in=UNRESOLVED)
    if assigned_to_id is not None:
        disputes = disputes.filter(assigned_to_id=assigned_to_id)
    if client_id is not None:
        disputes = disputes.filter(invoice__client_id=client_id)
    if kind:
        disputes = disputes.filter(kind=kind)
    if invoice_id is not None:
        disputes = disputes.filter(invoice_id=invoice_id)
    return disputes


def age_in_days(dispute: Dispute, today: date) -> int:
    """Days since the client raised it; what the open list is sorted and judged by."""
    return (today - dispute.raised_on).days


def open_disputes_by_age(
    today: date,
    *,
    assigned_to_id: int | None = None,
    client_id: int | None = None,
    kind: str | None = None,
) -> list[tuple[Dispute, int]]:
    """Unresolved inquiries and disputes with their age in days, oldest first."""
    return [
        (d, age_in_days(d, today))
        for d in disputes_list(assigned_to_id=assigned_to_id, client_id=client_id, kind=kind)
    ]
