"""Recording and correcting time and expenses, with every rule checked before anything is saved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from lexbill.audit.context import acting_as, current_actor, current_channel
from lexbill.audit.models import AuditRecord
from lexbill.audit.recorder import record_event
from lexbill.billing.rates import rate_for
from lexbill.clients.models import Matter
from lexbill.core.errors import InvalidEntry, LexbillError, NoRateInForce, NotFound
from lexbill.core.increments import billed_minutes
from lexbill.core.money import to_decimal
from lexbill.entries.models import Billable, BillingState, Expense, TimeEntry, TravelClass
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


def _check_code_set(task: str, matter: Matter, line: int | None) -> None:
    """A matter billed under one UTBMS code set (the client's e-billing system enforces it)
    takes task codes from that set only."""
    code = lookup(task, CodeKind.TASK) if task else None
    if code is not None and matter.task_code_set and code.code_set != matter.task_code_set:
        raise InvalidEntry(
            f"{task} is a {code.code_set} task code; matter {matter.number} is billed with "
            f"{matter.task_code_set} codes",
            field="task_code",
            line=line,
        )


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
    _check_code_set(task, draft.matter, line)
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
    receipt: bool = False
    """A receipt is attached or on file (clients want one above an amount)."""
    persons: int = 1
    """People the expense covers: a client caps meals per person."""
    travel_class: str = ""
    """Fare class of an airfare or rail ticket; blank for anything else."""


MAX_PERSONS = 500


def _check_expense_facts(draft: ExpenseDraft, line: int | None) -> tuple[bool, int, str]:
    """The receipt flag, people covered and fare class, as the guideline rules will read them."""
    if not isinstance(draft.receipt, bool):
        raise InvalidEntry("receipt is yes or no", field="receipt", line=line)
    persons = draft.persons
    if isinstance(persons, bool) or not isinstance(persons, int):
        raise InvalidEntry("people covered is a whole number", field="persons", line=line)
    if not 1 <= persons <= MAX_PERSONS:
        raise InvalidEntry(
            f"people covered must be between 1 and {MAX_PERSONS}", field="persons", line=line
        )
    fare = str(draft.travel_class or "").strip().lower()
    if fare not in TravelClass.values:
        allowed = ", ".join(v for v in TravelClass.values if v)
        raise InvalidEntry(
            f"unknown travel class {draft.travel_class!r} (use {allowed} or leave it blank)",
            field="travel_class",
            line=line,
        )
    return draft.receipt, persons, fare


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
    receipt, persons, fare = _check_expense_facts(draft, line)
    return Expense(
        matter=draft.matter,
        timekeeper=draft.timekeeper,
        date=draft.date,
        expense_code=code,
        quantity=quantity,
        unit_cost=unit_cost,
        description=draft.description.strip(),
        billable=draft.billable,
        receipt=receipt,
        persons=persons,
        travel_class=fare,
    )


def record_expense(actor: User | None, draft: ExpenseDraft) -> Expense:
    require(actor, Action.RECORD_WORK)
    expense = _check_expense(draft, None)
    expense.created_by = actor
    expense.save()
    return expense


_EDITABLE_EXPENSE_FIELDS = {
    "matter",
    "timekeeper",
    "date",
    "expense_code",
    "quantity",
    "unit_cost",
    "description",
    "billable",
    "receipt",
    "persons",
    "travel_class",
}


def _unbilled_expense(expense: Expense) -> Expense:
    current = Expense.objects.select_for_update().get(pk=expense.pk)
    if current.state != BillingState.UNBILLED:
        raise InvalidEntry(
            f"expense {current.pk} is {current.state}; correct it on its pre-bill", field="state"
        )
    return current


def correct_expense(actor: User | None, expense: Expense, **changes: object) -> Expense:
    """Like time, an expense on a pre-bill is corrected there, and a billed one never changes;
    the corrected expense passes every check a new one does."""
    require(actor, Action.RECORD_WORK)
    unknown = set(changes) - _EDITABLE_EXPENSE_FIELDS
    if unknown:
        raise InvalidEntry(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    with transaction.atomic():
        current = _unbilled_expense(expense)
        values = {field: getattr(current, field) for field in _EDITABLE_EXPENSE_FIELDS}
        checked = _check_expense(ExpenseDraft(**{**values, **changes}), None)
        for field in _EDITABLE_EXPENSE_FIELDS:
            setattr(current, field, getattr(checked, field))
        current.save()
    return current


def delete_expense(actor: User | None, expense: Expense) -> None:
    """Only unbilled expenses go; the audit record keeps what was deleted."""
    require(actor, Action.RECORD_WORK)
    with transaction.atomic():
        _unbilled_expense(expense).delete()


def record_expense_batch(actor: User | None, drafts: Sequence[ExpenseDraft]) -> int:
    require(actor, Action.RECORD_WORK)
    expenses = [_check_expense(d, n) for n, d in enumerate(drafts, start=1)]
    for expense in expenses:
        expense.created_by = actor
    with transaction.atomic():
        Expense.objects.bulk_create(expenses, batch_size=1000)
        record_event("entries.Expense", "", f"{len(expenses)} expenses recorded in one batch")
    return len(expenses)


# --- bulk changes from the time list, with an undo ---------------------------------------------

BULK_CHANGE_OBJECT = "bulk-change"
BULK_UNDO_OBJECT = "bulk-undo"
_BULK_FIELDS = ("matter_id", "task_code", "billable")


@dataclass(frozen=True)
class BulkChange:
    """What one bulk action did; ``event_id`` is the audit event that holds the undo data."""

    event_id: int
    entry_ids: tuple[int, ...]
    summary: str


def _bulk_values(entry: TimeEntry) -> dict[str, object]:
    return {field: getattr(entry, field) for field in _BULK_FIELDS}


def _locked_unbilled(entry_ids: Sequence[int]) -> list[TimeEntry]:
    """Lock the rows first so a bill run cannot take them between the check and the write."""
    ids = sorted({int(pk) for pk in entry_ids})
    entries = list(
        TimeEntry.objects.select_for_update()
        .select_related("matter", "timekeeper")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    found = {e.pk for e in entries}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise NotFound(f"time entry {missing[0]} does not exist", field="entry_ids")
    for entry in entries:
        if entry.state != BillingState.UNBILLED:
            raise InvalidEntry(
                f"time entry {entry.pk} is {entry.state}; only unbilled work can be changed",
                field="state",
            )
    return entries


def _recheck(entry: TimeEntry, firm: Firm, matter: Matter, task_code: str, billable: str) -> str:
    """Run the same rules as recording does; name the entry so a bulk refusal is traceable."""
    draft = TimeDraft(
        matter=matter,
        timekeeper=entry.timekeeper,
        work_date=entry.work_date,
        duration_seconds=entry.duration_seconds,
        narrative=entry.narrative,
        task_code=task_code,
        activity_code=entry.activity_code,
        billable=billable,
    )
    try:
        return _check_time(draft, firm, None).task_code
    except LexbillError as exc:
        raise type(exc)(f"time entry {entry.pk}: {exc.message}", field=exc.field) from None


def bulk_change_entries(
    actor: User | None,
    entry_ids: Sequence[int],
    *,
    task_code: str | None = None,
    matter: Matter | None = None,
    billable: str | None = None,
) -> BulkChange:
    """Change task code, matter and/or billable status of many unbilled entries at once.

    All or nothing: every entry is checked by the rules that recording uses (open matter, known
    code, a rate in force on the new matter) before any is written. The rows are written with one
    UPDATE per field set instead of per-row saves, so the audit trail gets one event, and that
    event keeps each entry's previous values, which is what ``undo_last_bulk_change`` restores.
    """
    require(actor, Action.RECORD_WORK)
    if task_code is None and matter is None and billable is None:
        raise InvalidEntry("choose a change to make", field="action")
    if not entry_ids:
        raise InvalidEntry("select at least one time entry", field="entry_ids")
    firm = get_firm()
    with transaction.atomic():
        if matter is not None:
            # the stored matter, locked: the caller's copy may predate a close
            matter = Matter.objects.select_for_update().get(pk=matter.pk)
        entries = _locked_unbilled(entry_ids)
        previous: dict[str, dict[str, object]] = {}
        for entry in entries:
            previous[str(entry.pk)] = _bulk_values(entry)
            new_matter = matter if matter is not None else entry.matter
            new_billable = billable if billable is not None else entry.billable
            new_task = _recheck(
                entry,
                firm,
                new_matter,
                task_code if task_code is not None else entry.task_code,
                new_billable,
            )
            entry.matter = new_matter
            entry.task_code = new_task
            entry.billable = new_billable
        TimeEntry.objects.bulk_update(entries, ["matter", "task_code", "billable"], batch_size=500)
        applied: dict[str, object] = {}
        if task_code is not None:
            applied["task_code"] = entries[0].task_code
        if matter is not None:
            applied["matter_id"] = matter.pk
        if billable is not None:
            applied["billable"] = billable
        described = ", ".join(
            f"{k.removesuffix('_id')} → {matter.number if k == 'matter_id' and matter else v}"
            for k, v in applied.items()
        )
        summary = f"{len(entries)} time entries changed: {described}"
        with acting_as(actor or current_actor(), current_channel()):
            event = record_event(
                "entries.TimeEntry",
                BULK_CHANGE_OBJECT,
                summary,
                kind="bulk_change",
                changes=applied,
                undo=previous,
            )
    return BulkChange(event.pk, tuple(e.pk for e in entries), summary)


def _latest_bulk_event(actor: User | None) -> AuditRecord | None:
    """The actor's newest bulk change that has no undo event pointing at it yet."""
    events = AuditRecord.objects.filter(
        model="entries.TimeEntry", object_id=BULK_CHANGE_OBJECT, actor=actor
    ).order_by("-at", "-id")[:50]
    candidates = list(events)
    if not candidates:
        return None
    undone = {
        int(after["undoes"])
        for after in AuditRecord.objects.filter(
            model="entries.TimeEntry", object_id=BULK_UNDO_OBJECT, actor=actor
        ).values_list("after", flat=True)[:1000]
        if after and "undoes" in after
    }
    return next((e for e in candidates if e.pk not in undone), None)


def undo_last_bulk_change(actor: User | None) -> BulkChange:
    """Put back what the actor's last bulk change replaced, if nothing has touched it since.

    Refused (nothing restored) when an entry has been pre-billed or billed meanwhile, or changed
    again by someone, or when the old values would now break a rule (a matter closed since).
    """
    require(actor, Action.RECORD_WORK)
    firm = get_firm()
    with transaction.atomic():
        event = _latest_bulk_event(actor)
        if event is None or not event.after:
            raise NotFound("there is no bulk change of yours to undo", field="undo")
        undo: dict[str, dict[str, object]] = event.after.get("undo", {})
        applied: dict[str, object] = event.after.get("changes", {})
        try:
            entries = _locked_unbilled([int(pk) for pk in undo])
        except LexbillError as exc:
            raise InvalidEntry(
                f"cannot undo “{event.summary}”: {exc.message}", field="undo"
            ) from None
        matters = Matter.objects.in_bulk(
            {int(str(v["matter_id"])) for v in undo.values() if v.get("matter_id") is not None}
        )
        for entry in entries:
            if any(getattr(entry, k) != v for k, v in applied.items()):
                raise InvalidEntry(
                    f"cannot undo “{event.summary}”: time entry {entry.pk} has been changed since",
                    field="undo",
                )
            old = undo[str(entry.pk)]
            old_matter = matters[int(str(old["matter_id"]))]
            try:
                _recheck(entry, firm, old_matter, str(old["task_code"]), str(old["billable"]))
            except LexbillError as exc:
                raise InvalidEntry(
                    f"cannot undo “{event.summary}”: {exc.message}", field="undo"
                ) from None
            entry.matter = old_matter
            entry.task_code = str(old["task_code"])
            entry.billable = str(old["billable"])
        TimeEntry.objects.bulk_update(entries, ["matter", "task_code", "billable"], batch_size=500)
        summary = f"undone: {event.summary}"
        with acting_as(actor or current_actor(), current_channel()):
            undo_event = record_event(
                "entries.TimeEntry", BULK_UNDO_OBJECT, summary, kind="bulk_undo", undoes=event.pk
            )
    return BulkChange(undo_event.pk, tuple(e.pk for e in entries), summary)
