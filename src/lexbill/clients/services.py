"""Opening, changing and closing clients and matters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from lexbill.clients.models import Client, Matter
from lexbill.core.errors import InvalidEntry
from lexbill.core.money import minor_unit_places, to_decimal
from lexbill.firm.models import Timekeeper, User
from lexbill.firm.permissions import Action, require


def create_client(
    actor: User | None,
    number: str,
    name: str,
    *,
    address: str = "",
    billing_contact: str = "",
    billing_email: str = "",
    tax_rate_percent: Decimal | str | int = 0,
    tax_label: str = "Tax",
    tax_id: str = "",
) -> Client:
    require(actor, Action.MANAGE_CLIENTS)
    if Client.objects.filter(number=number).exists():
        raise InvalidEntry(f"client number {number} is taken", field="number")
    tax = to_decimal(tax_rate_percent)
    if not Decimal(0) <= tax < Decimal(100):
        raise InvalidEntry("tax rate must be between 0 and 100 percent", field="tax_rate_percent")
    return Client.objects.create(
        number=number,
        name=name,
        address=address,
        billing_contact=billing_contact,
        billing_email=billing_email,
        tax_rate_percent=tax,
        tax_label=tax_label,
        tax_id=tax_id,
    )


def _check_code_set(code_set: str) -> None:
    allowed = {value for value, _label in Matter._meta.get_field("task_code_set").choices or ()}
    if code_set and code_set not in allowed:
        raise InvalidEntry(f"unknown UTBMS task code set {code_set!r}", field="task_code_set")


def open_matter(
    actor: User | None,
    client: Client,
    number: str,
    name: str,
    responsible_attorney: Timekeeper,
    *,
    opened_on: date,
    client_matter_id: str = "",
    task_code_set: str = "",
    currency: str = "USD",
    arrangement: str = Matter.Arrangement.HOURLY,
    flat_fee: Decimal | str | None = None,
    fee_cap: Decimal | str | None = None,
) -> Matter:
    require(actor, Action.MANAGE_CLIENTS)
    minor_unit_places(currency)  # refuses unknown currencies
    _check_code_set(task_code_set)
    if Matter.objects.filter(number=number).exists():
        raise InvalidEntry(f"matter number {number} is taken", field="number")
    if arrangement not in Matter.Arrangement.values:
        raise InvalidEntry(f"unknown billing arrangement {arrangement!r}", field="arrangement")
    fee = to_decimal(flat_fee) if flat_fee is not None else None
    cap = to_decimal(fee_cap) if fee_cap is not None else None
    if arrangement == Matter.Arrangement.FLAT_FEE and (fee is None or fee <= 0):
        raise InvalidEntry("a flat-fee matter needs a positive flat fee", field="flat_fee")
    if arrangement == Matter.Arrangement.CAPPED and (cap is None or cap <= 0):
        raise InvalidEntry("a capped matter needs a positive fee cap", field="fee_cap")
    return Matter.objects.create(
        client=client,
        number=number,
        name=name,
        responsible_attorney=responsible_attorney,
        opened_on=opened_on,
        client_matter_id=client_matter_id,
        task_code_set=task_code_set,
        currency=currency,
        arrangement=arrangement,
        flat_fee=fee,
        fee_cap=cap,
    )


def close_matter(actor: User | None, matter: Matter, closed_on: date) -> Matter:
    """Closing stops new work; work already recorded can still be billed."""
    require(actor, Action.MANAGE_CLIENTS)
    with transaction.atomic():
        matter = Matter.objects.select_for_update().get(pk=matter.pk)
        matter.status = Matter.Status.CLOSED
        matter.closed_on = closed_on
        matter.save()
    return matter


CLIENT_FIELDS = frozenset(
    {
        "number",
        "name",
        "address",
        "billing_contact",
        "billing_email",
        "tax_rate_percent",
        "tax_label",
        "tax_id",
    }
)
MATTER_FIELDS = frozenset(
    {
        "name",
        "client_matter_id",
        "task_code_set",
        "responsible_attorney",
        "arrangement",
        "flat_fee",
        "fee_cap",
    }
)


def update_client(actor: User | None, client: Client, **changes: object) -> Client:
    """Change a client's facts, checked as ``create_client`` checks them."""
    require(actor, Action.MANAGE_CLIENTS)
    unknown = set(changes) - CLIENT_FIELDS
    if unknown:
        raise InvalidEntry(f"cannot change {', '.join(sorted(unknown))}", field=min(unknown))
    number = changes.get("number", client.number)
    if number != client.number and Client.objects.filter(number=number).exists():
        raise InvalidEntry(f"client number {number} is taken", field="number")
    if "tax_rate_percent" in changes:
        tax = to_decimal(changes["tax_rate_percent"])  # type: ignore[arg-type]
        if not Decimal(0) <= tax < Decimal(100):
            raise InvalidEntry(
                "tax rate must be between 0 and 100 percent", field="tax_rate_percent"
            )
        changes["tax_rate_percent"] = tax
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        for name, value in changes.items():
            setattr(client, name, value)
        client.save()
    return client


def update_matter(actor: User | None, matter: Matter, **changes: object) -> Matter:
    """Change a matter's name, references, attorney or arrangement, checked as at opening."""
    require(actor, Action.MANAGE_CLIENTS)
    unknown = set(changes) - MATTER_FIELDS
    if unknown:
        raise InvalidEntry(f"cannot change {', '.join(sorted(unknown))}", field=min(unknown))
    _check_code_set(str(changes.get("task_code_set", matter.task_code_set)))
    arrangement = changes.get("arrangement", matter.arrangement)
    if arrangement not in Matter.Arrangement.values:
        raise InvalidEntry(f"unknown billing arrangement {arrangement!r}", field="arrangement")
    raw_fee = changes.get("flat_fee", matter.flat_fee)
    raw_cap = changes.get("fee_cap", matter.fee_cap)
    fee = to_decimal(raw_fee) if raw_fee is not None else None  # type: ignore[arg-type]
    cap = to_decimal(raw_cap) if raw_cap is not None else None  # type: ignore[arg-type]
    if arrangement == Matter.Arrangement.FLAT_FEE and (fee is None or fee <= 0):
        raise InvalidEntry("a flat-fee matter needs a positive flat fee", field="flat_fee")
    if arrangement == Matter.Arrangement.CAPPED and (cap is None or cap <= 0):
        raise InvalidEntry("a capped matter needs a positive fee cap", field="fee_cap")
    with transaction.atomic():
        matter = Matter.objects.select_for_update().get(pk=matter.pk)
        for name, value in changes.items():
            setattr(matter, name, value)
        matter.flat_fee = fee
        matter.fee_cap = cap
        matter.save()
    return matter
