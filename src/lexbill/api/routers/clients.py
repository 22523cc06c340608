"""Clients and matters: list, read, create and change them through ``clients.services``.

Every logged-in person sees every client and matter on the web (the client list and the matter
pages are open to all roles), so the API lists them for every token too; who may change them is
the services' business (``Action.MANAGE_CLIENTS``).
"""

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from lexbill.api.lookups import acting_user, referenced, visible
from lexbill.api.schemas import Page
from lexbill.api.schemas_clients import (
    ClientFilters,
    ClientIn,
    ClientOut,
    ClientPatch,
    MatterClose,
    MatterFilters,
    MatterIn,
    MatterOut,
    MatterPatch,
)
from lexbill.api.values import changes_of
from lexbill.clients import services
from lexbill.clients.models import Client, Matter
from lexbill.firm.models import Timekeeper

router = Router()


def _clients() -> QuerySet[Client]:
    return Client.objects.annotate(
        open_matter_count=Count("matters", filter=Q(matters__status=Matter.Status.OPEN))
    )


def _matters() -> QuerySet[Matter]:
    return Matter.objects.select_related("client", "responsible_attorney")


def _attorney(pk: int | None) -> Timekeeper | None:
    return referenced(Timekeeper.objects.all(), pk, "responsible_attorney_id", "timekeeper")


# ---- clients -----------------------------------------------------------------------------------


@router.get("/clients", response=list[ClientOut], summary="List clients")
@paginate(Page)
def list_clients(request: HttpRequest, filters: Query[ClientFilters]) -> Any:
    """Clients by name, then number; ``search`` matches part of the number or the name."""
    clients = Client.objects.annotate(
        open_matter_count=Count("matters", filter=Q(matters__status=Matter.Status.OPEN))
    )
    if filters.search:
        clients = clients.filter(
            Q(number__icontains=filters.search) | Q(name__icontains=filters.search)
        )
    if filters.active is not None:
        clients = (
            clients.filter(open_matter_count__gt=0)
            if filters.active
            else clients.filter(open_matter_count=0)
        )
    return clients.order_by("name", "number", "id")


@router.post("/clients", response={201: ClientOut}, summary="Create a client")
def create_client(request: HttpRequest, payload: ClientIn) -> Status[Client]:
    data = payload.model_dump()
    client = services.create_client(
        acting_user(request), data.pop("number"), data.pop("name"), **data
    )
    return Status(201, visible(_clients(), client.pk, "client"))


@router.get("/clients/{client_id}", response=ClientOut, summary="Read a client")
def read_client(request: HttpRequest, client_id: int) -> Client:
    return visible(_clients(), client_id, "client")


@router.patch("/clients/{client_id}", response=ClientOut, summary="Change a client")
def change_client(request: HttpRequest, client_id: int, payload: ClientPatch) -> Client:
    """Send only the fields to change."""
    client = visible(_clients(), client_id, "client")
    services.update_client(acting_user(request), client, **changes_of(payload))
    return visible(_clients(), client_id, "client")


# ---- matters -----------------------------------------------------------------------------------


@router.get("/matters", response=list[MatterOut], summary="List matters")
@paginate(Page)
def list_matters(request: HttpRequest, filters: Query[MatterFilters]) -> Any:
    """Matters by number."""
    matters = _matters()
    if filters.client is not None:
        matters = matters.filter(client_id=filters.client)
    if filters.status is not None:
        matters = matters.filter(status=filters.status)
    if filters.responsible_attorney is not None:
        matters = matters.filter(responsible_attorney_id=filters.responsible_attorney)
    if filters.practice_area is not None:
        matters = matters.filter(practice_area__iexact=" ".join(filters.practice_area.split()))
    if filters.search:
        matters = matters.filter(
            Q(number__icontains=filters.search) | Q(name__icontains=filters.search)
        )
    return matters.order_by("number", "id")


@router.post("/matters", response={201: MatterOut}, summary="Open a matter")
def open_matter(request: HttpRequest, payload: MatterIn) -> Status[Matter]:
    client = referenced(Client.objects.all(), payload.client_id, "client_id", "client")
    attorney = _attorney(payload.responsible_attorney_id)
    assert client is not None and attorney is not None  # both ids are required
    matter = services.open_matter(
        acting_user(request),
        client,
        payload.number,
        payload.name,
        attorney,
        opened_on=payload.opened_on,
        client_matter_id=payload.client_matter_id,
        task_code_set=payload.task_code_set,
        currency=payload.currency,
        arrangement=payload.arrangement,
        flat_fee=payload.flat_fee,
        fee_cap=payload.fee_cap,
        practice_area=payload.practice_area,
    )
    return Status(201, visible(_matters(), matter.pk, "matter"))


@router.get("/matters/{matter_id}", response=MatterOut, summary="Read a matter")
def read_matter(request: HttpRequest, matter_id: int) -> Matter:
    return visible(_matters(), matter_id, "matter")


@router.patch("/matters/{matter_id}", response=MatterOut, summary="Change a matter")
def change_matter(request: HttpRequest, matter_id: int, payload: MatterPatch) -> Matter:
    """Send only the fields to change; ``null`` clears a flat fee or a fee cap."""
    matter = visible(_matters(), matter_id, "matter")
    changes = changes_of(payload, nullable=frozenset({"flat_fee", "fee_cap"}))
    if "responsible_attorney_id" in changes:
        changes["responsible_attorney"] = _attorney(changes.pop("responsible_attorney_id"))
    services.update_matter(acting_user(request), matter, **changes)
    return visible(_matters(), matter_id, "matter")


@router.post("/matters/{matter_id}/close", response=MatterOut, summary="Close a matter")
def close_matter(request: HttpRequest, matter_id: int, payload: MatterClose) -> Matter:
    """No new work can be recorded on a closed matter; work already recorded is still billed."""
    matter = visible(_matters(), matter_id, "matter")
    services.close_matter(acting_user(request), matter, payload.closed_on)
    return visible(_matters(), matter_id, "matter")
