"""Recording and correcting time and expenses, with every rule checked before anything is saved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from lexbill.audit.recorder import record_event
from lexbill.billing.rates import rate_for
from lexbill.clients.models import Matter
from lexbill.core.errors import InvalidEntry, LexbillError, NoRateInForce
from lexbill.core.increments import billed_minutes
from lexbill.core.money import to_decimal
from lexbill.entries.models import Billable, BillingState, Expense, TimeEntry
from lexbill.firm.models import Firm, Timekeeper, User
from lexbill.firm.permissions import Action, require
from lexbill.firm.services import get_firm
from lexbill.formats.utbms import CodeKind, lookup

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class TimeDraft:
    """A time entry as typed or imported, before the rules have accepted it."""

    matter: Matter
    timekeeper: Timekeeper
    work_date: date
    duration_seconds: int
    narrative: str
    task_code: str = ""
    activity_code: str = ""
    billable: str = Billable.BILLABLE


def _check_code(code: str, kind: CodeKind, field: str, line: int | None) -> str:
    code = code.strip().upper()
    if code and lookup(code, kind) is None:
        raise InvalidEntry(f"unknown UTBMS {kind} code {code!r}", field=field, line=line)
    return code


def _check_matter_open(matter: Matter, line: int | None) -> None:
    if not matter.is_open:
        raise InvalidEntry(
            f"matter {matter.number} is closed; no new work can be recorded on it",
            field="matter",
            line=line,
        )


def _check_time(draft: TimeDraft, firm: Firm, line: int | None) -> TimeEntry:
    _check_matter_open(draft.matter, line)
    if draft.duration_seconds <= 0:
        raise InvalidEntry("duration must be more than zero", field="duration", line=line)
    if draft.duration_seconds > DAY_SECONDS:
        raise InvalidEntry("duration is more than 24 hours", field="duration", line=line)
    if not draft.narrative.strip():
        raise InvalidEntry("a narrative is required", field="narrative", line=line)
    if draft.billable not in Billable.values:
        raise InvalidEntry(
            f"unknown billable status {draft.billable!r}", field="billable", line=line
        )
    task = _check_code(draft.task_code, CodeKind.TASK, "task_code", line)
    activity = _check_code(draft.activity_code, CodeKind.ACTIVITY, "activity_code", line)
    if (
        draft.billable != Billable.NON_BILLABLE
        and rate_for(draft.matter, draft.timekeeper, draft.work_date) is None
    ):
        raise NoRateInForce(
            f"no rate is in force for {draft.timekeeper.code} on matter {draft.matter.number} "
            f"on {draft.work_date}",
            field="rate",
            line=line,
        )
    return TimeEntry(
        matter=draft.matter,
        timekeeper=draft.timekeeper,
        work_date=draft.work_date,
        duration_seconds=draft.duration_seconds,
        billed_minutes=billed_minutes(
            draft.duration_seconds, firm.increment_minutes, firm.rounding
        ),
        narrative=draft.narrative.strip(),
        task_code=task,
        activity_code=activity,
        billable=draft.billable,
    )


def _seconds_recorded(timekeeper_id: int, day: date, exclude_pk: int | None) -> int:
    recorded = TimeEntry.objects.filter(timekeeper_id=timekeeper_id, work_date=day)
    if exclude_pk is not None:
        recorded = recorded.exclude(pk=exclude_pk)
    return int(recorded.aggregate(s=Sum("duration_seconds"))["s"] or 0)


def _check_day_totals(
    entries: Sequence[TimeEntry], lines: Sequence[int | None], exclude_pk: int | None = None
) -> None:
    """No timekeeper works more than 24 hours in a day, counting what is already recorded.

    ``exclude_pk`` leaves out the stored version of an entry being corrected.
    """
    running: dict[tuple[int, date], int] = {}
    for entry, line in zip(entries, lines, strict=True):
        key = (entry.timekeeper_id, entry.work_date)
        if key not in running:
            running[key] = _seconds_recorded(*key, exclude_pk)
        running[key] += entry.duration_seconds
        if running[key] > DAY_SECONDS:
            raise InvalidEntry(
                f"{entry.timekeeper.code} would have more than 24 hours on {entry.work_date}",
                field="duration",
                line=line,
            )


def record_time(actor: User | None, draft: TimeDraft) -> TimeEntry:
    require(actor, Action.RECORD_WORK)
    firm = get_firm()
    entry = _check_time(draft, firm, None)
    entry.created_by = actor
    with transaction.atomic():
        Timekeeper.objects.select_for_update().get(pk=draft.timekeeper.pk)
        _check_day_totals([entry], [None])
        entry.save()
    return entry


def record_time_batch(actor: User | None, drafts: Sequence[TimeDraft]) -> int:
    """All or nothing: the first broken draft (numbered from 1) is named and nothing is saved."""
    require(actor, Action.RECORD_WORK)
    firm = get_firm()
    entries = [_check_time(d, firm, n) for n, d in enumerate(drafts, start=1)]
    for entry in entries:
        entry.created_by = actor
    with transaction.atomic():
        tk_ids = sorted({e.timekeeper_id for e in entries})
        list(Timekeeper.objects.select_for_update().filter(pk__in=tk_ids))
        _check_day_totals(entries, list(range(1, len(entries) + 1)))
        TimeEntry.objects.bulk_create(entries, batch_size=1000)
        record_event("entries.TimeEntry", "", f"{len(entries)} time entries recorded in one batch")
    return len(entries)


_EDITABLE_TIME_FIELDS = {
    "work_date",
    "duration_seconds",
    "narrative",
    "task_code",
    "activity_code",
    "billable",
}


def correct_time(actor: User | None, entry: TimeEntry, **changes: object) -> TimeEntry:
    """Work on a pre-bill is corrected on the pre-bill; billed work is never changed."""
    require(actor, Action.RECORD_WORK)
    unknown = set(changes) - _EDITABLE_TIME_FIELDS - {"matter", "timekeeper"}
    if unknown:
        raise InvalidEntry(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    with transaction.atomic():
        current = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        if current.state != BillingState.UNBILLED:
            raise InvalidEntry(
                f"time entry {current.pk} is {current.state}; correct it on its pre-bill",
                field="state",
            )
        draft = TimeDraft(
            matter=changes.get("matter", current.matter),  # type: ignore[arg-type]
            timekeeper=changes.get("timekeeper", current.timekeeper),  # type: ignore[arg-type]
            work_date=changes.get("work_date", current.work_date),  # type: ignore[arg-type]
            duration_seconds=changes.get("duration_seconds", current.duration_seconds),  # type: ignore[arg-type]
            narrative=changes.get("narrative", current.narrative),  # type: ignore[arg-type]
            task_code=changes.get("task_code", current.task_code),  # type: ignore[arg-type]
            activity_code=changes.get("activity_code", current.activity_code),  # type: ignore[arg-type]
            billable=changes.get("billable", current.billable),  # type: ignore[arg-type]
        )
        checked = _check_time(draft, get_firm(), None)
        Timekeeper.objects.select_for_update().get(pk=draft.timekeeper.pk)
        _check_day_totals([checked], [None], exclude_pk=current.pk)
        for field in (*_EDITABLE_TIME_FIELDS, "matter", "timekeeper", "billed_minutes"):
            setattr(current, field, getattr(checked, field))
        current.save()
    return current


def delete_time(actor: User | None, entry: TimeEntry) -> None:
    require(actor, Action.RECORD_WORK)
    with transaction.atomic():
        current = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        if current.state != BillingState.UNBILLED:
            raise InvalidEntry(f"time entry {current.pk} is {current.state}", field="state")
        current.delete()


@dataclass(frozen=True)
class ExpenseDraft:
    matter: Matter
    date: date
    expense_code: str
    quantity: Decimal | str | int
    unit_cost: Decimal | str | int
    description: str
    timekeeper: Timekeeper | None = None
    billable: str = Billable.BILLABLE


def _check_expense(draft: ExpenseDraft, line: int | None) -> Expense:
    _check_matter_open(draft.matter, line)
    code = _check_code(draft.expense_code, CodeKind.EXPENSE, "expense_code", line)
    if not code:
        raise InvalidEntry("an expense code is required", field="expense_code", line=line)
    try:
        quantity = to_decimal(draft.quantity)
        unit_cost = to_decimal(draft.unit_cost)
    except LexbillError as exc:
        raise InvalidEntry(exc.message, field="quantity", line=line) from None
    if quantity <= 0:
        raise InvalidEntry("quantity must be more than zero", field="quantity", line=line)
    if unit_cost < 0:
        raise InvalidEntry("unit cost cannot be negative", field="unit_cost", line=line)
    if quantity != quantity.quantize(Decimal("0.0001")) or unit_cost != unit_cost.quantize(
        Decimal("0.0001")
    ):
        raise InvalidEntry("at most 4 decimal places", field="unit_cost", line=line)
    if not draft.description.strip():
        raise InvalidEntry("a description is required", field="description", line=line)
    if draft.billable not in Billable.values:
        raise InvalidEntry(
            f"unknown billable status {draft.billable!r}", field="billable", line=line
        )
    return Expense(
        matter=draft.matter,
        timekeeper=draft.timekeeper,
        date=draft.date,
        expense_code=code,
        quantity=quantity,
        unit_cost=unit_cost,
        description=draft.description.strip(),
        billable=draft.billable,
    )


def record_expense(actor: User | None, draft: ExpenseDraft) -> Expense:
    require(actor, Action.RECORD_WORK)
    expense = _check_expense(draft, None)
    expense.created_by = actor
    expense.save()
    return expense


def record_expense_batch(actor: User | None, drafts: Sequence[ExpenseDraft]) -> int:
    require(actor, Action.RECORD_WORK)
    expenses = [_check_expense(d, n) for n, d in enumerate(drafts, start=1)]
    for expense in expenses:
        expense.created_by = actor
    with transaction.atomic():
        Expense.objects.bulk_create(expenses, batch_size=1000)
        record_event("entries.Expense", "", f"{len(expenses)} expenses recorded in one batch")
    return len(expenses)
