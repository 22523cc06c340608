"""Recording, working on and resolving client inquiries and disputes.

Each function checks the role, runs in one transaction and is audited by the audit signals (which
cover the disputes app). Status changes go through ``set_status`` and its transition table, and
each one also leaves a note in the dispute's thread, so the conversation reads as a history.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lexbill.billing.invoicing import issue_credit_note
from lexbill.billing.models import Invoice, InvoiceLine
from lexbill.core.errors import InvalidEntry, InvalidTransition, NotFound
from lexbill.core.money import round_money, to_decimal
from lexbill.disputes.models import (
    UNRESOLVED,
    Dispute,
    DisputeKind,
    DisputeNote,
    DisputeStatus,
    ReceivedVia,
)
from lexbill.firm.models import Role, User
from lexbill.firm.permissions import ALLOWED, Action, require
from lexbill.receivables.models import AdjustmentKind

S = DisputeStatus
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.OPEN, S.IN_REVIEW): "start review",
    (S.IN_REVIEW, S.OPEN): "end review",
    (S.OPEN, S.RESOLVED_EXPLAINED): "resolve by explanation",
    (S.IN_REVIEW, S.RESOLVED_EXPLAINED): "resolve by explanation",
    (S.OPEN, S.RESOLVED_CREDITED): "resolve by credit note",
    (S.IN_REVIEW, S.RESOLVED_CREDITED): "resolve by credit note",
    (S.RESOLVED_EXPLAINED, S.OPEN): "reopen",
    (S.RESOLVED_CREDITED, S.OPEN): "reopen",
}


def set_status(dispute: Dispute, new: str, action: str) -> None:
    """The one way a dispute's status changes; anything not in ``TRANSITIONS`` is refused.

    ``action`` is what the person tried ("reopen"), named in the refusal.
    """
    if (dispute.status, new) not in TRANSITIONS:
        raise InvalidTransition(
            f"{dispute.get_kind_display().lower()} {dispute.pk} is "
            f"{dispute.get_status_display().lower()} and cannot {action}",
            field="status",
        )
    dispute.status = new


def _note(dispute: Dispute, author: User | None, text: str) -> DisputeNote:
    return DisputeNote.objects.create(dispute=dispute, author=author, at=timezone.now(), text=text)


def line_of(invoice: Invoice, position: int) -> InvoiceLine:
    """An invoice's line by the number printed beside it."""
    line: InvoiceLine | None = InvoiceLine.objects.filter(
        invoice=invoice, position=position
    ).first()
    if line is None:
        raise NotFound(f"invoice {invoice.number} has no line {position}", field="line")
    return line


def open_dispute(
    actor: User | None,
    invoice: Invoice,
    *,
    kind: str,
    raised_by: str,
    description: str,
    raised_on: date | None = None,
    received_via: str = ReceivedVia.EMAIL,
    amount_disputed: Decimal | str = Decimal(0),
    line: InvoiceLine | None = None,
    assigned_to: User | None = None,
) -> Dispute:
    """Record what a client asked or contested, about the invoice or one of its lines."""
    require(actor, Action.HANDLE_DISPUTES)
    today = timezone.localdate()
    raised_on = raised_on or today
    if kind not in DisputeKind.values:
        raise InvalidEntry(f"{kind!r} is not inquiry or dispute", field="kind")
    if received_via not in ReceivedVia.values:
        choices = ", ".join(ReceivedVia.values)
        raise InvalidEntry(f"{received_via!r} is not one of {choices}", field="received_via")
    if not raised_by.strip():
        raise InvalidEntry("say who raised it (the client's contact)", field="raised_by")
    if not description.strip():
        raise InvalidEntry("describe what the client asks or contests", field="description")
    if raised_on > today:
        raise InvalidEntry(f"{raised_on} is in the future", field="raised_on")
    if raised_on < invoice.issued_on:
        raise InvalidEntry(
            f"{raised_on} is before invoice {invoice.number} was issued ({invoice.issued_on})",
            field="raised_on",
        )
    amount = to_decimal(amount_disputed)
    if amount < 0 or amount != round_money(amount, invoice.currency):
        raise InvalidEntry(
            "the amount disputed must be zero or more, in whole cents", field="amount_disputed"
        )
    if line is not None and line.invoice_id != invoice.pk:
        raise InvalidEntry(f"that line is not on invoice {invoice.number}", field="line")
    ceiling, what = (
        (line.total, f"line {line.position}") if line else (invoice.total, "the invoice")
    )
    if amount > ceiling:
        raise InvalidEntry(
            f"{amount} {invoice.currency} is more than {what} ({ceiling})",
            field="amount_disputed",
        )
    _check_assignee(assigned_to)
    with transaction.atomic():
        return Dispute.objects.create(
            invoice=invoice,
            line=line,
            kind=kind,
            raised_by=raised_by.strip(),
            raised_on=raised_on,
            received_via=received_via,
            description=description.strip(),
            amount_disputed=amount,
            assigned_to=assigned_to,
            created_at=timezone.now(),
            created_by=actor,
        )


def _check_assignee(user: User | None) -> None:
    if user is None:
        return
    if not user.is_active or Role(user.role) not in ALLOWED[Action.HANDLE_DISPUTES]:
        raise InvalidEntry(
            f"{user.username} ({user.get_role_display()}) does not work on disputes",
            field="assigned_to",
        )


def _locked(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update().select_related("invoice").get(pk=dispute.pk)


def assign(actor: User | None, dispute: Dispute, user: User | None) -> Dispute:
    """Give an unresolved inquiry or dispute to a team member (``None``: nobody)."""
    require(actor, Action.HANDLE_DISPUTES)
    _check_assignee(user)
    with transaction.atomic():
        locked = _locked(dispute)
        if locked.status not in UNRESOLVED:
            raise InvalidTransition(
                f"{locked.get_kind_display().lower()} {locked.pk} is resolved; reopen it first",
                field="assigned_to",
            )
        locked.assigned_to = user
        locked.save(update_fields=["assigned_to"])
        _note(locked, actor, f"Assigned to {user.username}." if user else "Unassigned.")
    return locked


def add_note(actor: User | None, dispute: Dispute, text: str) -> DisputeNote:
    require(actor, Action.HANDLE_DISPUTES)
    if not text.strip():
        raise InvalidEntry("a note needs some text", field="text")
    with transaction.atomic():
        return _note(_locked(dispute), actor, text.strip())


def _move(actor: User | None, dispute: Dispute, new: str, action: str, note: str) -> Dispute:
    with transaction.atomic():
        locked = _locked(dispute)
        set_status(locked, new, action)
        locked.save(update_fields=["status"])
        _note(locked, actor, note)
    return locked


def start_review(actor: User | None, dispute: Dispute) -> Dispute:
    require(actor, Action.HANDLE_DISPUTES)
    return _move(actor, dispute, S.IN_REVIEW, "start review", "Review started.")


def end_review(actor: User | None, dispute: Dispute) -> Dispute:
    require(actor, Action.HANDLE_DISPUTES)
    return _move(actor, dispute, S.OPEN, "end review", "Back to open.")


def resolve_by_explanation(actor: User | None, dispute: Dispute, explanation: str) -> Dispute:
    """Close it with the answer given to the client; the invoice stands as billed."""
    require(actor, Action.RESOLVE_DISPUTE)
    if not explanation.strip():
        raise InvalidEntry("write the explanation given to the client", field="explanation")
    with transaction.atomic():
        locked = _locked(dispute)
        set_status(locked, S.RESOLVED_EXPLAINED, "resolve by explanation")
        locked.resolution = explanation.strip()
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.save()
        _note(locked, actor, f"Resolved by explanation: {locked.resolution}")
    return locked


def resolve_by_credit(
    actor: User | None,
    dispute: Dispute,
    amount: Decimal | str,
    reason: str,
    *,
    issued_on: date | None = None,
) -> Dispute:
    """Close it by crediting ``amount`` (before tax, tax credited at the invoice's rate) on the
    invoice: the credit note and the resolution are made together or not at all."""
    require(actor, Action.RESOLVE_DISPUTE)
    require(actor, Action.ISSUE_CREDIT)
    if not reason.strip():
        raise InvalidEntry("a credit note needs a reason", field="reason")
    with transaction.atomic():
        locked = _locked(dispute)
        set_status(locked, S.RESOLVED_CREDITED, "resolve by credit note")
        credit = issue_credit_note(
            actor,
            locked.invoice,
            to_decimal(amount),
            reason.strip(),
            issued_on=issued_on,
            reason_code=_dispute_reason_code(),
        )
        locked.credit_note = credit
        locked.resolution = reason.strip()
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.save()
        _note(
            locked,
            actor,
            f"Resolved by credit note {credit.number} of {credit.total} "
            f"{locked.invoice.currency}: {locked.resolution}",
        )
    return locked


def reopen(actor: User | None, dispute: Dispute, reason: str) -> Dispute:
    """The client came back: the dispute is open again. A credit note already issued stands
    (it is a posted record); the earlier resolution stays in the notes and the audit log."""
    require(actor, Action.HANDLE_DISPUTES)
    if not reason.strip():
        raise InvalidEntry("say why it is reopened", field="reason")
    with transaction.atomic():
        locked = _locked(dispute)
        earlier = locked.get_status_display()
        set_status(locked, S.OPEN, "reopen")
        locked.resolution = ""
        locked.resolved_at = None
        locked.resolved_by = None
        locked.credit_note = None
        locked.save()
        _note(locked, actor, f"Reopened (was {earlier.lower()}): {reason.strip()}")
    return locked


FEE_DISPUTE = "FEE_DISPUTE"


def _dispute_reason_code() -> str:
    """Credits that settle a dispute are reported under the firm's fee-dispute reason, while
    the firm keeps it active (a retired reason is not forced on new credits)."""
    from lexbill.receivables.selectors import adjustment_reasons

    found = adjustment_reasons(AdjustmentKind.CREDIT_NOTE).filter(code=FEE_DISPUTE).first()
    return found.code if found else ""
