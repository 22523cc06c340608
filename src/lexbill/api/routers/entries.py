"""Time entries and expenses through ``entries.services``: record, correct, delete, list.

Every role records work and sees the time and expense lists on the web, so every token reads
them too. Recording honours ``Idempotency-Key``: an integration that retries after a timeout
must not bill the same hour twice. Work on a pre-bill or an invoice is corrected there, not
here: the services refuse it (422, field ``state``).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from lexbill.api.idempotency import run_idempotent
from lexbill.api.lookups import acting_user, own_timekeeper, referenced, visible
from lexbill.api.schemas import Page
from lexbill.api.schemas_entries import (
    ExpenseFilters,
    ExpenseIn,
    ExpenseOut,
    ExpensePatch,
    TimeEntryIn,
    TimeEntryOut,
    TimeEntryPatch,
    TimeFilters,
)
from lexbill.api.values import changes_of
from lexbill.clients.models import Matter
from lexbill.core.errors import InvalidEntry
from lexbill.core.increments import hours_to_seconds
from lexbill.entries import services
from lexbill.entries.models import Expense, TimeEntry
from lexbill.firm.models import Timekeeper, User

router = Router()

IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "Send a unique key (a UUID) to make a retry safe: the same key and "
            "body give the first response again instead of recording the work twice.",
        }
    ]
}


def _time() -> QuerySet[TimeEntry]:
    return TimeEntry.objects.select_related("matter", "timekeeper", "created_by")


def _expenses() -> QuerySet[Expense]:
    return Expense.objects.select_related("matter", "timekeeper", "created_by")


def _matter(pk: int | None) -> Matter | None:
    return referenced(Matter.objects.all(), pk, "matter_id", "matter")


def _timekeeper(pk: int | None) -> Timekeeper | None:
    return referenced(Timekeeper.objects.all(), pk, "timekeeper_id", "timekeeper")


def _own_or_named(user: User, pk: int | None) -> Timekeeper:
    keeper = _timekeeper(pk) if pk is not None else own_timekeeper(user)
    if keeper is None:
        raise InvalidEntry(
            "name the timekeeper: you record time as no timekeeper of your own",
            field="timekeeper_id",
        )
    return keeper


def _given(conditions: dict[str, Any]) -> dict[str, Any]:
    """The filter conditions the query string sets (a filter left out matches everything)."""
    return {name: value for name, value in conditions.items() if value is not None}


# ---- time --------------------------------------------------------------------------------------


@router.get("/time-entries", response=list[TimeEntryOut], summary="List time entries")
@paginate(Page)
def list_time(request: HttpRequest, filters: Query[TimeFilters]) -> Any:
    """Newest work first (work date, then id, descending)."""
    entries = _time().filter(
        **_given(
            {
                "matter_id": filters.matter,
                "matter__client_id": filters.client,
                "timekeeper_id": filters.timekeeper,
                "work_date__gte": filters.date_from,
                "work_date__lte": filters.date_to,
                "state": filters.state,
                "billable": filters.billable,
                "task_code": filters.task_code.strip().upper() if filters.task_code else None,
            },
        )
    )
    return entries.order_by("-work_date", "-id")


@router.post(
    "/time-entries",
    response={201: TimeEntryOut},
    summary="Record time",
    openapi_extra=IDEMPOTENCY_DOC,
)
def record_time(request: HttpRequest, payload: TimeEntryIn) -> HttpResponse:
    user = acting_user(request)

    def create() -> tuple[int, TimeEntryOut]:
        matter = _matter(payload.matter_id)
        assert matter is not None  # matter_id is required
        entry = services.record_time(
            user,
            services.TimeDraft(
                matter=matter,
                timekeeper=_own_or_named(user, payload.timekeeper_id),
                work_date=payload.work_date,
                duration_seconds=hours_to_seconds(payload.hours),
                narrative=payload.narrative,
                task_code=payload.task_code,
                activity_code=payload.activity_code,
                billable=payload.billable,
            ),
        )
        return 201, TimeEntryOut.from_orm(visible(_time(), entry.pk, "time entry"))

    return run_idempotent(request, create)


@router.get("/time-entries/{entry_id}", response=TimeEntryOut, summary="Read a time entry")
def read_time(request: HttpRequest, entry_id: int) -> TimeEntry:
    return visible(_time(), entry_id, "time entry")


@router.patch("/time-entries/{entry_id}", response=TimeEntryOut, summary="Correct a time entry")
def correct_time(request: HttpRequest, entry_id: int, payload: TimeEntryPatch) -> TimeEntry:
    """Send only the fields to change; unbilled work only."""
    entry = visible(_time(), entry_id, "time entry")
    changes = _as_objects(changes_of(payload))
    if "hours" in changes:
        changes["duration_seconds"] = hours_to_seconds(changes.pop("hours"))
    services.correct_time(acting_user(request), entry, **changes)
    return visible(_time(), entry_id, "time entry")


def _as_objects(changes: dict[str, Any]) -> dict[str, Any]:
    """A patch's ``matter_id`` and ``timekeeper_id`` as the objects the services take."""
    if "matter_id" in changes:
        changes["matter"] = _matter(changes.pop("matter_id"))
    if "timekeeper_id" in changes:
        changes["timekeeper"] = _timekeeper(changes.pop("timekeeper_id"))
    return changes


@router.delete("/time-entries/{entry_id}", response={204: None}, summary="Delete a time entry")
def delete_time(request: HttpRequest, entry_id: int) -> Status[None]:
    """Unbilled work only; the audit trail keeps what was deleted."""
    entry = visible(_time(), entry_id, "time entry")
    services.delete_time(acting_user(request), entry)
    return Status(204, None)


# ---- expenses ----------------------------------------------------------------------------------


@router.get("/expenses", response=list[ExpenseOut], summary="List expenses")
@paginate(Page)
def list_expenses(request: HttpRequest, filters: Query[ExpenseFilters]) -> Any:
    """Newest first (date, then id, descending)."""
    expenses = _expenses().filter(
        **_given(
            {
                "matter_id": filters.matter,
                "matter__client_id": filters.client,
                "timekeeper_id": filters.timekeeper,
                "date__gte": filters.date_from,
                "date__lte": filters.date_to,
                "state": filters.state,
                "billable": filters.billable,
                "expense_code": filters.expense_code.strip().upper()
                if filters.expense_code
                else None,
            },
        )
    )
    return expenses.order_by("-date", "-id")


@router.post(
    "/expenses",
    response={201: ExpenseOut},
    summary="Record an expense",
    openapi_extra=IDEMPOTENCY_DOC,
)
def record_expense(request: HttpRequest, payload: ExpenseIn) -> HttpResponse:
    user = acting_user(request)

    def create() -> tuple[int, ExpenseOut]:
        matter = _matter(payload.matter_id)
        assert matter is not None  # matter_id is required
        expense = services.record_expense(
            user,
            services.ExpenseDraft(
                matter=matter,
                timekeeper=_timekeeper(payload.timekeeper_id),
                date=payload.date,
                expense_code=payload.expense_code,
                quantity=payload.quantity,
                unit_cost=payload.unit_cost,
                description=payload.description,
                billable=payload.billable,
                receipt=payload.receipt,
                persons=payload.persons,
                travel_class=payload.travel_class,
            ),
        )
        return 201, ExpenseOut.from_orm(visible(_expenses(), expense.pk, "expense"))

    return run_idempotent(request, create)


@router.get("/expenses/{expense_id}", response=ExpenseOut, summary="Read an expense")
def read_expense(request: HttpRequest, expense_id: int) -> Expense:
    return visible(_expenses(), expense_id, "expense")


@router.patch("/expenses/{expense_id}", response=ExpenseOut, summary="Correct an expense")
def correct_expense(request: HttpRequest, expense_id: int, payload: ExpensePatch) -> Expense:
    """Send only the fields to change; ``timekeeper_id: null`` clears the timekeeper."""
    expense = visible(_expenses(), expense_id, "expense")
    changes = _as_objects(changes_of(payload, nullable=frozenset({"timekeeper_id"})))
    services.correct_expense(acting_user(request), expense, **changes)
    return visible(_expenses(), expense_id, "expense")


@router.delete("/expenses/{expense_id}", response={204: None}, summary="Delete an expense")
def delete_expense(request: HttpRequest, expense_id: int) -> Status[None]:
    """Unbilled expenses only; the audit trail keeps what was deleted."""
    expense = visible(_expenses(), expense_id, "expense")
    services.delete_expense(acting_user(request), expense)
    return Status(204, None)
