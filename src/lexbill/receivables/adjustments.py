"""Adjustments after billing: credit notes and write-offs, with an approval step above the
firm's threshold, and the collections policy with its list of reasons.

One entry point per kind decides what happens: ``request_credit_note`` and ``request_write_off``
post at once when the amount is within the policy's approval threshold or the person may approve
adjustments, and otherwise record a pending ``AdjustmentRequest`` that changes no balance until
``approve_adjustment`` posts it. The page, the CLI and the API all call these, so they agree.

The amount compared with the threshold is what leaves the balance: a credit note's total with its
tax (for a per-line credit, the sum of its lines and their tax), a write-off's amount, and for
"all that is open" the open balance when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from lexbill.billing.invoicing import creditable_lines, post_credit_note
from lexbill.billing.models import CreditNote, Invoice
from lexbill.core.credit_lines import credit_per_line
from lexbill.core.errors import InvalidEntry, InvalidTransition, PermissionDenied
from lexbill.core.invoice_math import line_tax
from lexbill.core.money import round_money, to_decimal
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, allowed, require
from lexbill.receivables.models import (
    AdjustmentKind,
    AdjustmentReason,
    AdjustmentRequest,
    CollectionsPolicy,
    RequestStatus,
    WriteOff,
)
from lexbill.receivables.selectors import (
    collections_policy,
    ensure_default_reasons,
    invoice_balance,
    reason_for,
)

# The only status changes a request may make; everything else is refused by name.
TRANSITIONS: dict[str, set[str]] = {
    RequestStatus.PENDING: {RequestStatus.APPROVED, RequestStatus.REJECTED},
    RequestStatus.APPROVED: set(),
    RequestStatus.REJECTED: set(),
}


def set_request_status(request: AdjustmentRequest, status: str) -> None:
    if status not in TRANSITIONS[request.status]:
        raise InvalidTransition(
            f"adjustment request {request.pk} is {request.get_status_display().lower()}; "
            f"it cannot become {RequestStatus(status).label.lower()}",
            field="status",
        )
    request.status = status


def _needs_approval(actor: User | None, amount: Decimal) -> bool:
    return amount > collections_policy().approval_threshold and not allowed(
        actor, Action.APPROVE_ADJUSTMENT
    )


def _whole_cents(value: Decimal, invoice: Invoice, field: str = "amount") -> Decimal:
    if value <= 0 or value != round_money(value, invoice.currency):
        raise InvalidEntry("the amount must be positive, in whole cents", field=field)
    return value


def _credit_total(
    invoice: Invoice, amount: Decimal | None, lines: Mapping[int, Decimal]
) -> Decimal:
    """What a credit would take off the balance, tax included, for the threshold check."""
    if lines:
        return sum(
            (v + line_tax(v, invoice.tax_rate_percent, invoice.currency) for v in lines.values()),
            Decimal(0),
        )
    if amount is None:
        return invoice_balance(invoice)
    return amount + line_tax(amount, invoice.tax_rate_percent, invoice.currency)


def request_credit_note(
    actor: User | None,
    invoice: Invoice,
    amount: Decimal | str | None,
    reason_code: str,
    note: str = "",
    *,
    lines: Mapping[int, Decimal | str] | None = None,
    issued_on: date | None = None,
) -> CreditNote | AdjustmentRequest:
    """Credit an invoice (an amount before tax, ``None`` for all that is open, or ``lines``),
    at once or as a pending request, per the approval threshold."""
    require(actor, Action.REQUEST_ADJUSTMENT)
    reason = reason_for(reason_code, AdjustmentKind.CREDIT_NOTE)
    wanted = {int(k): to_decimal(v) for k, v in (lines or {}).items()}
    for line_amount in wanted.values():
        _whole_cents(line_amount, invoice, "lines")
    if wanted:  # each line's own limit first: the message names the line
        credit_per_line(
            creditable_lines(invoice), wanted, invoice.tax_rate_percent, invoice.currency
        )
    value = None if amount is None or wanted else _whole_cents(to_decimal(amount), invoice)
    asked = _credit_total(invoice, value, wanted)
    _fits(invoice, asked)
    if _needs_approval(actor, asked):
        return _request(actor, AdjustmentKind.CREDIT_NOTE, invoice, value, reason, note, wanted)
    return _post_credit(actor, invoice, value, reason, note, wanted, issued_on)


def request_write_off(
    actor: User | None,
    invoice: Invoice,
    amount: Decimal | str | None,
    reason_code: str,
    written_off_on: date | None = None,
    note: str = "",
) -> WriteOff | AdjustmentRequest:
    """Write off part of an invoice's balance (``None``: all that is open), at once or as a
    pending request, per the approval threshold."""
    require(actor, Action.REQUEST_ADJUSTMENT)
    reason = reason_for(reason_code, AdjustmentKind.WRITE_OFF)
    value = None if amount is None else _whole_cents(to_decimal(amount), invoice)
    asked = invoice_balance(invoice) if value is None else value
    _fits(invoice, asked)
    if _needs_approval(actor, asked):
        return _request(actor, AdjustmentKind.WRITE_OFF, invoice, value, reason, note, {})
    return _post_write_off(actor, invoice, value, reason, written_off_on, note, approved_by=None)


def _fits(invoice: Invoice, asked: Decimal) -> None:
    """Refuse at once what could never be posted, rather than queue it for an approver.

    Posting checks again under the invoice's lock: the balance may change while a request waits.
    """
    open_balance = invoice_balance(invoice)
    if open_balance <= 0:
        raise InvalidEntry(f"invoice {invoice.number} has nothing open", field="amount")
    if asked > open_balance:
        raise InvalidEntry(
            f"invoice {invoice.number} has {open_balance} {invoice.currency} open; "
            f"{asked} cannot be taken off it",
            field="amount",
        )


def _request(
    actor: User | None,
    kind: str,
    invoice: Invoice,
    amount: Decimal | None,
    reason: AdjustmentReason,
    note: str,
    lines: Mapping[int, Decimal],
) -> AdjustmentRequest:
    return AdjustmentRequest.objects.create(
        kind=kind,
        invoice=invoice,
        amount=amount,
        line_amounts={str(k): str(v) for k, v in lines.items()},
        reason=reason,
        note=note.strip(),
        requested_at=timezone.now(),
        requested_by=actor,
    )


def _post_credit(
    actor: User | None,
    invoice: Invoice,
    amount: Decimal | None,
    reason: AdjustmentReason,
    note: str,
    lines: Mapping[int, Decimal],
    issued_on: date | None,
) -> CreditNote:
    text = f"{reason.label}: {note.strip()}" if note.strip() else reason.label
    return post_credit_note(
        actor,
        invoice,
        amount,
        text,
        issued_on,
        reason_code=reason.code,
        lines=lines or None,
    )


def _post_write_off(
    actor: User | None,
    invoice: Invoice,
    amount: Decimal | None,
    reason: AdjustmentReason,
    written_off_on: date | None,
    note: str,
    *,
    approved_by: User | None,
) -> WriteOff:
    """Post a write-off, at most the open balance, under the invoice's row lock."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        open_balance = invoice_balance(locked)
        if amount is None:
            if open_balance <= 0:
                raise InvalidEntry(f"invoice {locked.number} has nothing open", field="amount")
            amount = open_balance
        if amount > open_balance:
            raise InvalidEntry(
                f"invoice {locked.number} has {open_balance} {locked.currency} open; "
                f"{amount} cannot be written off",
                field="amount",
            )
        return WriteOff.objects.create(
            invoice=locked,
            kind=AdjustmentKind.WRITE_OFF,
            written_off_on=written_off_on or timezone.localdate(),
            amount=amount,
            reason=reason,
            note=note.strip(),
            created_at=timezone.now(),
            created_by=actor,
            approved_by=approved_by,
        )


def approve_adjustment(
    actor: User | None, request: AdjustmentRequest, note: str = "", on: date | None = None
) -> AdjustmentRequest:
    """Post the requested credit note or write-off (dated ``on``, default today) and link it.

    The requester may not approve their own request. The amount is checked against the balance
    as it is now; if it no longer fits, nothing is posted and the request stays pending.
    """
    require(actor, Action.APPROVE_ADJUSTMENT)
    with transaction.atomic():
        locked = (
            AdjustmentRequest.objects.select_for_update()
            .select_related("invoice", "reason")
            .get(pk=request.pk)
        )
        _not_own(actor, locked)
        set_request_status(locked, RequestStatus.APPROVED)
        lines = {int(k): to_decimal(v) for k, v in locked.line_amounts.items()}
        if locked.kind == AdjustmentKind.CREDIT_NOTE:
            locked.credit_note = _post_credit(
                locked.requested_by,
                locked.invoice,
                locked.amount,
                locked.reason,
                locked.note,
                lines,
                on,
            )
        else:
            locked.write_off = _post_write_off(
                locked.requested_by,
                locked.invoice,
                locked.amount,
                locked.reason,
                on,
                locked.note,
                approved_by=actor,
            )
        _decide(locked, actor, note)
    return locked


def reject_adjustment(
    actor: User | None, request: AdjustmentRequest, note: str = ""
) -> AdjustmentRequest:
    """Refuse a request; nothing is posted. The requester may not decide their own request."""
    require(actor, Action.APPROVE_ADJUSTMENT)
    with transaction.atomic():
        locked = AdjustmentRequest.objects.select_for_update().get(pk=request.pk)
        _not_own(actor, locked)
        set_request_status(locked, RequestStatus.REJECTED)
        _decide(locked, actor, note)
    return locked


def _not_own(actor: User | None, request: AdjustmentRequest) -> None:
    if actor is not None and request.requested_by_id == actor.pk:
        raise PermissionDenied(
            f"{actor.username} requested adjustment {request.pk} and may not decide it; "
            "another approver must"
        )


def _decide(request: AdjustmentRequest, actor: User | None, note: str) -> None:
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.decision_note = note.strip()
    request.save()


# The collections policy and its reasons.

POLICY_FIELDS = (
    "approval_threshold",
    "prompt_discount_percent",
    "prompt_discount_days",
    "late_charge_annual_percent",
    "late_charge_flat_fee",
    "late_charge_grace_days",
    "late_charge_minimum_balance",
)


def update_collections_policy(actor: User | None, **values: Any) -> CollectionsPolicy:
    """Change the policy's settings; unknown names and negative figures are refused."""
    require(actor, Action.MANAGE_COLLECTIONS)
    with transaction.atomic():
        policy = collections_policy()
        policy = CollectionsPolicy.objects.select_for_update().get(pk=policy.pk)
        for name, value in values.items():
            if name not in POLICY_FIELDS:
                raise InvalidEntry(f"{name!r} is not a policy setting", field=name)
            if isinstance(value, int):
                if value < 0:
                    raise InvalidEntry("cannot be negative", field=name)
            else:
                value = to_decimal(value)
                if value < 0:
                    raise InvalidEntry("cannot be negative", field=name)
            setattr(policy, name, value)
        if policy.prompt_discount_percent >= 100:
            raise InvalidEntry("a discount must be less than 100%", field="prompt_discount_percent")
        policy.save()
    return policy


def save_adjustment_reason(
    actor: User | None,
    code: str,
    label: str,
    applies_to: str = "any",
    active: bool = True,
) -> AdjustmentReason:
    """Add a reason to the firm's list, or change its label, scope or whether it is offered.

    Reasons are retired (``active=False``), never deleted: posted adjustments refer to them.
    """
    require(actor, Action.MANAGE_COLLECTIONS)
    code = code.strip().upper()
    if not code or not code.replace("_", "").isalnum() or len(code) > 20:
        raise InvalidEntry("a reason code is up to 20 letters, digits or underscores", field="code")
    if not label.strip():
        raise InvalidEntry("a reason needs a label", field="label")
    if applies_to not in {"any", *AdjustmentKind.values}:
        raise InvalidEntry(f"{applies_to!r} is not a kind of adjustment", field="applies_to")
    ensure_default_reasons()
    reason, _ = AdjustmentReason.objects.update_or_create(
        code=code, defaults={"label": label.strip(), "applies_to": applies_to, "active": active}
    )
    return reason
