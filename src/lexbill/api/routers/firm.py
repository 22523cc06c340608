"""Timekeepers and rates, through ``firm.services`` and ``billing.rates``.

Who sees what follows the web: every role picks timekeepers on the time form, so every token
lists them (targets only for the roles that see them, ``schemas_firm.sees_targets``); the rate
tables are for the roles that manage rates, while everybody sees a matter's own rates on the
matter page — so other roles see matter-level rates only, and any other rate is a 404 to them.
Rates are effective-dated and never edited: a change is a new rate from a date.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from lexbill.api.lookups import acting_user, referenced, visible
from lexbill.api.schemas import Page
from lexbill.api.schemas_firm import (
    RateChange,
    RateFilters,
    RateIn,
    RateOut,
    TimekeeperFilters,
    TimekeeperIn,
    TimekeeperOut,
    TimekeeperPatch,
)
from lexbill.billing.models import Rate
from lexbill.billing.rates import set_rate
from lexbill.clients.models import Client, Matter
from lexbill.core.errors import InvalidEntry
from lexbill.core.rates import RateLevel
from lexbill.firm import services
from lexbill.firm.models import Timekeeper, User
from lexbill.firm.permissions import Action, allowed, require

router = Router()


# ---- timekeepers -------------------------------------------------------------------------------


def _timekeepers() -> QuerySet[Timekeeper]:
    return Timekeeper.objects.select_related("user")


@router.get("/timekeepers", response=list[TimekeeperOut], summary="List timekeepers")
@paginate(Page)
def list_timekeepers(request: HttpRequest, filters: Query[TimekeeperFilters]) -> Any:
    """Timekeepers by code."""
    keepers = _timekeepers()
    if filters.search:
        keepers = keepers.filter(
            Q(code__icontains=filters.search)
            | Q(first_name__icontains=filters.search)
            | Q(last_name__icontains=filters.search)
        )
    if filters.classification is not None:
        keepers = keepers.filter(classification=filters.classification)
    if filters.active is not None:
        keepers = keepers.filter(active=filters.active)
    return keepers.order_by("code", "id")


@router.post("/timekeepers", response={201: TimekeeperOut}, summary="Create a timekeeper")
def create_timekeeper(request: HttpRequest, payload: TimekeeperIn) -> Status[Timekeeper]:
    actor = acting_user(request)
    require(actor, Action.MANAGE_FIRM)  # before the user lookup, so it reveals no usernames
    user = None
    if payload.username is not None:
        user = User.objects.filter(username=payload.username).first()
        if user is None:
            raise InvalidEntry(f"no user {payload.username!r}", field="username")
        if Timekeeper.objects.filter(user=user).exists():
            raise InvalidEntry(
                f"{user.username} already records time as another timekeeper", field="username"
            )
    keeper = services.create_timekeeper(
        actor,
        payload.code,
        payload.first_name,
        payload.last_name,
        payload.classification,
        user=user,
        billable_target_hours=payload.billable_target_hours,
    )
    return Status(201, visible(_timekeepers(), keeper.pk, "timekeeper"))


@router.get("/timekeepers/{timekeeper_id}", response=TimekeeperOut, summary="Read a timekeeper")
def read_timekeeper(request: HttpRequest, timekeeper_id: int) -> Timekeeper:
    return visible(_timekeepers(), timekeeper_id, "timekeeper")


@router.patch(
    "/timekeepers/{timekeeper_id}",
    response=TimekeeperOut,
    summary="Change a timekeeper's billable-hour target",
)
def change_timekeeper(
    request: HttpRequest, timekeeper_id: int, payload: TimekeeperPatch
) -> Timekeeper:
    keeper = visible(_timekeepers(), timekeeper_id, "timekeeper")
    services.set_billable_target(acting_user(request), keeper, payload.billable_target_hours)
    return visible(_timekeepers(), timekeeper_id, "timekeeper")


# ---- rates -------------------------------------------------------------------------------------


def _rates(user: User) -> QuerySet[Rate]:
    """The rates the caller may read: all of them for rate managers, else matter rates."""
    rates = Rate.objects.all()
    if not allowed(user, Action.MANAGE_RATES):
        rates = rates.filter(level=RateLevel.MATTER)
    return rates


@router.get("/rates", response=list[RateOut], summary="List rates")
@paginate(Page)
def list_rates(request: HttpRequest, filters: Query[RateFilters]) -> Any:
    """Rates by level, currency and the day they take effect. Roles that do not manage rates
    see the matters' own rates only (as on the matter page)."""
    rates = _rates(acting_user(request))
    exact = {
        "level": filters.level,
        "matter_id": filters.matter,
        "client_id": filters.client,
        "timekeeper_id": filters.timekeeper,
        "classification": filters.classification,
        "currency": filters.currency,
        "effective_from__gte": filters.effective_from,
        "effective_from__lte": filters.effective_to,
    }
    rates = rates.filter(**{k: v for k, v in exact.items() if v is not None})
    return rates.order_by("level", "currency", "effective_from", "id")


def _set_rate(request: HttpRequest, payload: RateIn) -> Rate:
    return set_rate(
        acting_user(request),
        payload.level,
        payload.amount,
        payload.effective_from,
        currency=payload.currency,
        matter=referenced(Matter.objects.all(), payload.matter_id, "matter_id", "matter"),
        client=referenced(Client.objects.all(), payload.client_id, "client_id", "client"),
        timekeeper=referenced(
            Timekeeper.objects.all(), payload.timekeeper_id, "timekeeper_id", "timekeeper"
        ),
        classification=payload.classification,
    )


@router.post("/rates", response={201: RateOut}, summary="Add a rate in force from a date")
def create_rate(request: HttpRequest, payload: RateIn) -> Status[Rate]:
    """Rates are never edited: to change one, add a rate for the same key from the day the new
    amount applies (or use ``POST /rates/{id}/change``)."""
    require(acting_user(request), Action.MANAGE_RATES)  # before looking up the ids it names
    return Status(201, _set_rate(request, payload))


@router.get("/rates/{rate_id}", response=RateOut, summary="Read a rate")
def read_rate(request: HttpRequest, rate_id: int) -> Rate:
    return visible(_rates(acting_user(request)), rate_id, "rate")


@router.post(
    "/rates/{rate_id}/change",
    response={201: RateOut},
    summary="Change a rate from a date (a new rate for the same key)",
)
def change_rate(request: HttpRequest, rate_id: int, payload: RateChange) -> Status[Rate]:
    """Adds a rate with the same level, currency and key as ``rate_id``, in force from
    ``effective_from``; ``rate_id`` keeps pricing the work done before that day."""
    actor = acting_user(request)
    old = visible(_rates(actor), rate_id, "rate")
    new = set_rate(
        actor,
        old.level,
        payload.amount,
        payload.effective_from,
        currency=old.currency,
        matter=old.matter,
        client=old.client,
        timekeeper=old.timekeeper,
        classification=old.classification,
    )
    return Status(201, new)
