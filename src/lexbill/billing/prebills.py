"""Reviewing a pre-bill: line edits and splits, write-downs, no-charge, hold, approval and
send-back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from lexbill.audit.context import acting_as, current_actor, current_channel
from lexbill.audit.recorder import record_event
from lexbill.billing.formatting import format_date, format_money
from lexbill.billing.models import (
    LineKind,
    LineTreatment,
    Prebill,
    PrebillComment,
    PrebillLine,
    PrebillStatus,
)
from lexbill.billing.selectors import previously_billed_fees
from lexbill.clients.models import Matter
from lexbill.core.errors import InvalidEntry, InvalidTransition, PermissionDenied
from lexbill.core.increments import format_hours
from lexbill.core.invoice_math import (
    InvoiceTotals,
    LineInput,
    expense_amount,
    fee_cap_adjustment,
    flat_fee_adjustment,
    invoice_totals,
    time_amount,
)
from lexbill.core.invoice_math import LineKind as CoreKind
from lexbill.core.money import round_money, to_decimal
from lexbill.core.splitting import share_adjustment, share_amount, share_whole
from lexbill.entries.models import BillingState, Expense, TimeEntry
from lexbill.firm.models import Role, Timekeeper, User
from lexbill.firm.permissions import Action, require
from lexbill.formats.utbms import CodeKind, lookup

S = PrebillStatus
# The allowed status changes; everything else is refused by name.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.APPROVED): "approve",
    (S.RETURNED, S.APPROVED): "approve",
    (S.DRAFT, S.RETURNED): "send back",
    (S.APPROVED, S.RETURNED): "send back",
    (S.APPROVED, S.FINALIZED): "finalize",
    (S.DRAFT, S.CANCELLED): "cancel",
    (S.RETURNED, S.CANCELLED): "cancel",
}
EDITABLE = {S.DRAFT, S.RETURNED}


def set_status(prebill: Prebill, new: str) -> None:
    if (prebill.status, new) not in TRANSITIONS:
        raise InvalidTransition(
            f"pre-bill {prebill.pk} is {prebill.get_status_display().lower()} and cannot become "
            f"{S(new).label.lower()}",
            field="status",
        )
    prebill.status = new


def require_prebill_access(actor: User | None, prebill: Prebill, action: Action) -> None:
    """Attorneys act only on the pre-bills of matters they are responsible for."""
    require(actor, action)
    if actor is not None and actor.role == Role.ATTORNEY:
        tk = getattr(actor, "timekeeper", None)
        if tk is None or prebill.matter.responsible_attorney_id != tk.pk:
            raise PermissionDenied(
                f"{actor.username} is not the responsible attorney of matter "
                f"{prebill.matter.number}"
            )


def require_not_only_own_time(actor: User | None, prebill: Prebill) -> None:
    """Separation of duties: nobody but an administrator approves a bill of only their own time.

    A pre-bill whose time lines are all the approver's own (their linked timekeeper's) is refused;
    one with anybody else's time, or with no time at all, may be approved as usual.
    """
    if actor is None or actor.role == Role.ADMINISTRATOR:
        return
    tk = Timekeeper.objects.filter(user=actor).only("pk", "code").first()
    if tk is None:
        return
    time_lines = prebill.lines.filter(kind=LineKind.TIME)
    if time_lines.exists() and not time_lines.exclude(timekeeper=tk).exists():
        raise PermissionDenied(
            f"{actor.username} may not approve pre-bill {prebill.pk}: all of its time is their "
            f"own ({tk.code}); another approver (a coordinator, the responsible attorney or an "
            "administrator) must approve it"
        )


def _locked_line(actor: User | None, line: PrebillLine) -> PrebillLine:
    locked = (
        PrebillLine.objects.select_for_update().select_related("prebill__matter").get(pk=line.pk)
    )
    prebill = Prebill.objects.select_for_update().get(pk=locked.prebill_id)
    require_prebill_access(actor, prebill, Action.EDIT_PREBILL)
    if prebill.status not in EDITABLE:
        raise InvalidTransition(
            f"pre-bill {prebill.pk} is {prebill.status}; send it back before editing",
            field="status",
        )
    return locked


def edit_line(
    actor: User | None,
    line: PrebillLine,
    *,
    minutes: int | None = None,
    quantity: Decimal | str | None = None,
    rate: Decimal | str | None = None,
    narrative: str | None = None,
    task_code: str | None = None,
    activity_code: str | None = None,
    expense_code: str | None = None,
    rate_source: str = "edited",
) -> PrebillLine:
    """Change what a line bills; the amount is recomputed, the entry keeps what was worked.

    A changed rate shows ``rate_source`` beside it instead of its rate level, so a reviewer sees
    why it differs from the rate table ("edited", or the guideline rule that capped it)."""
    with transaction.atomic():
        locked = _locked_line(actor, line)
        currency = locked.prebill.matter.currency
        if locked.kind == LineKind.LATE_CHARGE and (quantity is not None or rate is not None):
            raise InvalidEntry(
                "a late charge is computed by the firm's policy: write it down, mark it no "
                "charge or hold it instead of changing its amount",
                field="rate" if rate is not None else "quantity",
            )
        if minutes is not None:
            if locked.kind != LineKind.TIME or minutes <= 0 or minutes > 24 * 60:
                raise InvalidEntry("units must be between 0 and 24 hours", field="units")
            locked.minutes = minutes
        if quantity is not None:
            qty = to_decimal(quantity)
            if locked.kind != LineKind.EXPENSE or qty <= 0:
                raise InvalidEntry("quantity must be more than zero", field="quantity")
            locked.quantity = qty
        if rate is not None:
            new_rate = to_decimal(rate)
            if new_rate < 0 or new_rate != new_rate.quantize(Decimal("0.0001")):
                raise InvalidEntry("rate must be zero or more, at most 4 decimals", field="rate")
            locked.rate = new_rate
            locked.rate_source = rate_source[:40]
        if narrative is not None:
            if not narrative.strip():
                raise InvalidEntry("a narrative is required", field="narrative")
            locked.narrative = narrative.strip()
        for value, kind, field in (
            (task_code, CodeKind.TASK, "task_code"),
            (activity_code, CodeKind.ACTIVITY, "activity_code"),
            (expense_code, CodeKind.EXPENSE, "expense_code"),
        ):
            if value is not None:
                code = value.strip().upper()
                if code and lookup(code, kind) is None:
                    raise InvalidEntry(f"unknown UTBMS {kind} code {code!r}", field=field)
                setattr(locked, field, code)
        locked.amount = _line_amount(locked, currency)
        _check_adjustment(locked)
        locked.save()
    return locked


def _line_amount(line: PrebillLine, currency: str) -> Decimal:
    if line.kind == LineKind.TIME:
        return time_amount(line.minutes or 0, line.rate, currency)
    return expense_amount(line.quantity or Decimal(0), line.rate, currency)


def _check_adjustment(line: PrebillLine) -> None:
    if line.amount + line.adjustment < 0:
        raise InvalidEntry("a write-down cannot exceed the line's amount", field="adjustment")


def adjust_line(
    actor: User | None, line: PrebillLine, adjustment: Decimal | str, reason: str
) -> PrebillLine:
    """Write a line down (negative) or up (positive); the reason is kept and shown on review."""
    value = to_decimal(adjustment)
    with transaction.atomic():
        locked = _locked_line(actor, line)
        currency = locked.prebill.matter.currency
        if value != round_money(value, currency):
            raise InvalidEntry(
                f"adjustment must be in whole {currency} minor units", field="adjustment"
            )
        if value != 0 and not reason.strip():
            raise InvalidEntry("a write-down or write-up needs a reason", field="reason")
        locked.adjustment = value
        locked.adjustment_reason = reason.strip() if value else ""
        _check_adjustment(locked)
        locked.save()
    return locked


def set_line_treatment(actor: User | None, line: PrebillLine, treatment: str) -> PrebillLine:
    """Bill, no-charge (printed at zero) or hold (left for a later bill when this one is final)."""
    if treatment not in LineTreatment.values:
        raise InvalidEntry(f"unknown treatment {treatment!r}", field="treatment")
    with transaction.atomic():
        locked = _locked_line(actor, line)
        locked.treatment = treatment
        locked.save()
    return locked


@dataclass(frozen=True)
class SplitPart:
    """One entry a line is split into, as the user confirmed it. Codes left ``None`` keep the
    line's; an empty string clears them."""

    minutes: int
    narrative: str
    task_code: str | None = None
    activity_code: str | None = None


def _checked_parts(line: PrebillLine, parts: Sequence[SplitPart]) -> list[SplitPart]:
    """Every part as it will be stored, or the first problem, named by field and part number
    (``line`` is the part's number, as it is a row's number in a batch of entries)."""
    if len(parts) < 2:
        raise InvalidEntry("split a line into at least two parts", field="parts")
    checked = []
    for number, part in enumerate(parts, start=1):
        minutes = part.minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            raise InvalidEntry(
                f"part {number}: the hours must be more than zero", field="minutes", line=number
            )
        narrative = part.narrative.strip()
        if not narrative:
            raise InvalidEntry(
                f"part {number}: a narrative is required", field="narrative", line=number
            )
        codes: dict[str, str] = {}
        for value, kind, field in (
            (part.task_code, CodeKind.TASK, "task_code"),
            (part.activity_code, CodeKind.ACTIVITY, "activity_code"),
        ):
            code = getattr(line, field) if value is None else value.strip().upper()
            if code and lookup(code, kind) is None:
                raise InvalidEntry(
                    f"part {number}: unknown UTBMS {kind} code {code!r}", field=field, line=number
                )
            codes[field] = code
        checked.append(SplitPart(minutes, narrative, codes["task_code"], codes["activity_code"]))
    total = sum(part.minutes for part in checked)
    billed = line.minutes or 0
    if total != billed:
        raise InvalidEntry(
            f"the parts come to {format_hours(total)} h ({total} min) but the line bills "
            f"{format_hours(billed)} h ({billed} min); they must add up to it exactly",
            field="minutes",
        )
    return checked


def _new_row(original: TimeEntry | PrebillLine) -> None:
    """Make ``original`` (a fresh copy read for the purpose) save as a new row: every column is
    copied, including any a later migration adds, and only what differs is then set."""
    original.pk = None
    original._state.adding = True


def split_prebill_line(
    actor: User | None, line: PrebillLine, parts: Sequence[SplitPart]
) -> list[PrebillLine]:
    """Split a time line (a block-billed entry) into one line per part, for a reviewer who
    confirmed or edited the parts; returns the parts' lines, the original line first.

    The part minutes must add up to exactly what the line bills, so no time is billed more or
    less. The line's amount and write-down are shared out in proportion to the minutes (the
    amount rounded down, the write-down half-up, remainders on the last part) so the lines add
    up to the original to the cent, and the pre-bill's fees and adjustments do not change. Tax,
    taxed per line, can move by a cent for a client that is taxed.

    The time entry behind the line is split too, so work in progress and the entry's history
    stay true: the original entry becomes the first part, a new entry (state pre-billed,
    recorded at the original's time, so the split is not taken for late time) each other
    part, its raw seconds and billed minutes shared out in proportion. Every row change is
    audited, the split is recorded as one event beside them, and a pre-bill comment says what
    was split. Nothing changes when any part is refused.
    """
    with acting_as(actor or current_actor(), current_channel()), transaction.atomic():
        locked = _locked_line(actor, line)
        if locked.kind != LineKind.TIME:
            raise InvalidEntry("only a time line can be split", field="kind")
        checked = _checked_parts(locked, parts)
        prebill = locked.prebill
        currency = prebill.matter.currency
        weights = [part.minutes for part in checked]
        amounts = share_amount(Decimal(locked.amount), weights, currency)
        adjustments = share_adjustment(Decimal(locked.adjustment), amounts, weights, currency)
        entries = _split_entry(actor, locked, checked)
        before = {"minutes": locked.minutes, "narrative": locked.narrative}
        result: list[PrebillLine] = []
        for index, part in enumerate(checked):
            row = locked if index == 0 else PrebillLine.objects.get(pk=locked.pk)
            if index:
                _new_row(row)
            row.minutes = part.minutes
            row.narrative = part.narrative
            row.task_code = part.task_code or ""
            row.activity_code = part.activity_code or ""
            row.amount = amounts[index]
            row.adjustment = adjustments[index]
            row.adjustment_reason = locked.adjustment_reason if adjustments[index] else ""
            if entries is not None:
                row.time_entry = entries[index]
            row.save()
            result.append(row)
        keeper = locked.timekeeper.code if locked.timekeeper else "no timekeeper"
        summary = f"Line of {format_date(locked.date)} ({keeper}) split into {len(result)} entries"
        record_event(
            "billing.PrebillLine",
            locked.pk,
            summary,
            kind="split",
            prebill=prebill.pk,
            before=before,
            lines=[row.pk for row in result],
            time_entries=[entry.pk for entry in entries] if entries is not None else [],
            minutes=weights,
            amounts=[str(a) for a in amounts],
            adjustments=[str(a) for a in adjustments],
        )
        listed = "\n".join(
            f"{index}. {format_hours(row.minutes or 0)} h {row.narrative}"
            for index, row in enumerate(result, start=1)
        )
        comment_on_prebill(actor, prebill, f"{summary}:\n{listed}")
    return result


def _split_entry(
    actor: User | None, line: PrebillLine, parts: list[SplitPart]
) -> list[TimeEntry] | None:
    """The line's time entry as one entry per part (None for a line without an entry)."""
    if line.time_entry_id is None:
        return None
    entry = TimeEntry.objects.select_for_update().get(pk=line.time_entry_id)
    weights = [part.minutes for part in parts]
    seconds = share_whole(entry.duration_seconds, weights)
    billed = share_whole(entry.billed_minutes, weights)
    recorded_at = entry.created_at
    entries: list[TimeEntry] = []
    for index, part in enumerate(parts):
        row = entry if index == 0 else TimeEntry.objects.get(pk=entry.pk)
        if index:
            _new_row(row)
            row.state = BillingState.PREBILLED
            row.created_by = actor
        row.duration_seconds = seconds[index]
        row.billed_minutes = billed[index]
        row.narrative = part.narrative
        row.task_code = part.task_code or ""
        row.activity_code = part.activity_code or ""
        row.save()
        entries.append(row)
    # auto_now_add stamps the new rows "now"; the work was recorded when the original was.
    TimeEntry.objects.filter(pk__in=[e.pk for e in entries[1:]]).update(created_at=recorded_at)
    for row in entries[1:]:
        row.created_at = recorded_at
    return entries


def _comment(prebill: Prebill, actor: User | None, action: str, text: str, at: datetime) -> None:
    if text.strip():
        PrebillComment.objects.create(
            prebill=prebill, author=actor, action=action, text=text, at=at
        )


def comment_on_prebill(actor: User | None, prebill: Prebill, text: str) -> PrebillComment:
    """A reviewer's note or question on a pre-bill, at any stage, kept with its history.

    Anyone who may edit the pre-bill may comment; a comment changes no figure, so it is allowed
    on approved and finalized pre-bills too (a note for the next bill, an answer to a query).
    """
    text = text.strip()
    if not text:
        raise InvalidEntry("write a comment first", field="comment")
    require_prebill_access(actor, prebill, Action.EDIT_PREBILL)
    return PrebillComment.objects.create(
        prebill=prebill, author=actor, action="comment", text=text, at=timezone.now()
    )


APPROVAL_CHECKS: list[Callable[[Prebill], None]] = []
"""Further conditions on approval, registered by other apps (the client's billing guidelines):
each raises a LexbillError saying what stops the pre-bill. Billing itself knows none of them."""


def approve_prebill(actor: User | None, prebill: Prebill, comment: str = "") -> Prebill:
    with transaction.atomic():
        locked = Prebill.objects.select_for_update().select_related("matter").get(pk=prebill.pk)
        require_prebill_access(actor, locked, Action.APPROVE_PREBILL)
        require_not_only_own_time(actor, locked)
        for check in APPROVAL_CHECKS:
            check(locked)
        set_status(locked, S.APPROVED)
        now = timezone.now()
        locked.approved_at = now
        locked.approved_by = actor
        locked.save()
        _comment(locked, actor, "approve", comment, now)
    return locked


def send_back_prebill(actor: User | None, prebill: Prebill, comment: str) -> Prebill:
    if not comment.strip():
        raise InvalidEntry("say what must change when sending a pre-bill back", field="comment")
    with transaction.atomic():
        locked = Prebill.objects.select_for_update().select_related("matter").get(pk=prebill.pk)
        require_prebill_access(actor, locked, Action.APPROVE_PREBILL)
        set_status(locked, S.RETURNED)
        locked.approved_at = None
        locked.approved_by = None
        locked.save()
        _comment(locked, actor, "send back", comment, timezone.now())
    return locked


def cancel_prebill(actor: User | None, prebill: Prebill, comment: str = "") -> Prebill:
    """Drop a pre-bill: its work returns to WIP for the next bill run."""
    with transaction.atomic():
        locked = Prebill.objects.select_for_update().select_related("matter").get(pk=prebill.pk)
        require_prebill_access(actor, locked, Action.RUN_BILLS)
        set_status(locked, S.CANCELLED)
        locked.save()
        set_entry_state(locked.lines.all(), BillingState.UNBILLED)
        _comment(locked, actor, "cancel", comment, timezone.now())
    return locked


def set_entry_state(lines: QuerySet[PrebillLine], state: BillingState) -> None:
    """Move the time entries and expenses behind ``lines`` to ``state``, in two UPDATEs."""
    TimeEntry.objects.filter(pk__in=lines.values("time_entry_id")).update(state=state)
    Expense.objects.filter(pk__in=lines.values("expense_id")).update(state=state)


@dataclass(frozen=True)
class PrebillFigures:
    """What the pre-bill will invoice, computed exactly as finalization will."""

    totals: InvoiceTotals
    fee_adjustment: Decimal
    fee_adjustment_label: str
    held: int


def fee_adjustment_for(matter: Matter, fees: Decimal) -> tuple[Decimal, str]:
    """Flat fees and fee caps are invoice-level fee adjustments, never edits to the lines."""
    if matter.arrangement == Matter.Arrangement.FLAT_FEE and matter.flat_fee is not None:
        adj = flat_fee_adjustment(fees, matter.flat_fee, previously_billed_fees(matter))
        return adj, f"Flat fee of {format_money(matter.flat_fee, matter.currency)}"
    if matter.arrangement == Matter.Arrangement.CAPPED and matter.fee_cap is not None:
        adj = fee_cap_adjustment(fees, matter.fee_cap, previously_billed_fees(matter))
        return adj, f"Fee cap of {format_money(matter.fee_cap, matter.currency)}"
    return Decimal(0), ""


def line_inputs(lines: list[PrebillLine]) -> list[LineInput]:
    return [
        LineInput(
            kind=CoreKind(line.kind),
            amount=line.amount,
            adjustment=line.adjustment,
            no_charge=line.treatment == LineTreatment.NO_CHARGE,
        )
        for line in lines
    ]


def prebill_figures(prebill: Prebill) -> PrebillFigures:
    lines = list(prebill.lines.all())
    billed = [line for line in lines if line.treatment != LineTreatment.HOLD]
    inputs = line_inputs(billed)
    matter = prebill.matter
    fees = sum((i.total for i in inputs if i.kind == CoreKind.TIME), Decimal(0))
    adj, label = fee_adjustment_for(matter, fees)
    if adj:
        inputs.append(LineInput(kind=CoreKind.FEE_ADJUSTMENT, amount=adj))
    totals = invoice_totals(inputs, matter.currency, matter.client.tax_rate_percent)
    return PrebillFigures(totals, adj, label, held=len(lines) - len(billed))
