"""Opening, changing and closing clients and matters, and the facts about them that client
billing guidelines need: matter budgets, approved timekeepers, notices of rate increases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from lexbill.clients.models import ApprovedTimekeeper, Client, Matter, MatterBudget, RateNotice
from lexbill.core.errors import InvalidEntry, LexbillError, NotFound
from lexbill.core.money import minor_unit_places, to_decimal
from lexbill.firm.models import Timekeeper, User
from lexbill.firm.permissions import Action, require
from lexbill.formats.utbms import CodeKind, all_codes


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
    late_charges_allowed: bool = False,
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
        late_charges_allowed=late_charges_allowed,
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
    practice_area: str = "",
) -> Matter:
    require(actor, Action.MANAGE_CLIENTS)
    minor_unit_places(currency)  # refuses unknown currencies
    practice_area = _practice_area(practice_area)
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
        practice_area=practice_area,
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
        "late_charges_allowed",
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
        "practice_area",
    }
)


def _practice_area(value: object) -> str:
    """Free text the firm types (Litigation, Corporate…), trimmed so reports group it once."""
    text = " ".join(str(value or "").split())
    if len(text) > 60:
        raise InvalidEntry("a practice area has at most 60 characters", field="practice_area")
    return text


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
    if "practice_area" in changes:
        changes["practice_area"] = _practice_area(changes["practice_area"])
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


# ---- facts the client's billing guidelines need -----------------------------------------------
# Each change is one row created, changed or deleted in one transaction, so the audit signals
# record it with the actor and channel; nothing here is set-based.


def _budget_phase(matter: Matter, phase: str) -> str:
    """A UTBMS phase (L200) or task code (L210) of the matter's code set, or blank."""
    phase = phase.strip().upper()
    if not phase:
        return ""
    code = all_codes().get(phase)
    if code is None or code.kind != CodeKind.TASK:
        raise InvalidEntry(f"{phase!r} is not a UTBMS phase or task code", field="phase")
    if matter.task_code_set and code.code_set != matter.task_code_set:
        raise InvalidEntry(
            f"{phase} is a {code.code_set} code; matter {matter.number} is billed with "
            f"{matter.task_code_set} codes",
            field="phase",
        )
    return phase


def _budget_amount(matter: Matter, amount: Decimal | str | int) -> Decimal:
    try:
        value = to_decimal(amount)
    except (LexbillError, TypeError):
        raise InvalidEntry(f"{amount!r} is not an amount", field="amount") from None
    places = minor_unit_places(matter.currency)
    if value <= 0:
        raise InvalidEntry("a budget must be more than zero", field="amount")
    if value != round(value, places):
        raise InvalidEntry(
            f"{matter.currency} amounts have {places} decimal places at most", field="amount"
        )
    return value


def set_matter_budget(
    actor: User | None, matter: Matter, phase: str, amount: Decimal | str | int
) -> MatterBudget:
    """Set the whole matter's budget (blank ``phase``) or one phase's, replacing the one set
    before: a budget is revised by the client, not added to."""
    require(actor, Action.MANAGE_CLIENTS)
    phase = _budget_phase(matter, phase)
    value = _budget_amount(matter, amount)
    with transaction.atomic():
        Matter.objects.select_for_update().get(pk=matter.pk)
        budget = MatterBudget.objects.filter(matter=matter, phase=phase).first()
        if budget is None:
            return MatterBudget.objects.create(matter=matter, phase=phase, amount=value)
        budget.amount = value
        budget.save()
    return budget


def remove_matter_budget(actor: User | None, matter: Matter, phase: str) -> None:
    require(actor, Action.MANAGE_CLIENTS)
    phase = phase.strip().upper()
    with transaction.atomic():
        budget = MatterBudget.objects.select_for_update().filter(matter=matter, phase=phase).first()
        if budget is None:
            what = f"phase {phase}" if phase else "the matter"
            raise NotFound(f"matter {matter.number} has no budget for {what}", field="phase")
        budget.delete()


def approve_timekeeper(
    actor: User | None,
    client: Client,
    timekeeper: Timekeeper,
    approved_on: date,
    note: str = "",
) -> ApprovedTimekeeper:
    """Record that the client approved the timekeeper to bill it. From the first approval on,
    the client's approved-timekeepers rule flags work by anyone not approved."""
    require(actor, Action.MANAGE_CLIENTS)
    if len(note) > 200:
        raise InvalidEntry("a note is at most 200 characters", field="note")
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)
        if ApprovedTimekeeper.objects.filter(client=client, timekeeper=timekeeper).exists():
            raise InvalidEntry(
                f"{timekeeper.code} is already approved by client {client.number}",
                field="timekeeper",
            )
        return ApprovedTimekeeper.objects.create(
            client=client, timekeeper=timekeeper, approved_on=approved_on, note=note.strip()
        )


def withdraw_timekeeper_approval(
    actor: User | None, client: Client, timekeeper: Timekeeper
) -> None:
    """The client no longer approves the timekeeper; withdrawing the last approval leaves the
    client without a list, and then nobody is flagged."""
    require(actor, Action.MANAGE_CLIENTS)
    with transaction.atomic():
        approval = (
            ApprovedTimekeeper.objects.select_for_update()
            .filter(client=client, timekeeper=timekeeper)
            .first()
        )
        if approval is None:
            raise NotFound(
                f"{timekeeper.code} is not approved by client {client.number}", field="timekeeper"
            )
        approval.delete()


def record_rate_notice(
    actor: User | None,
    client: Client,
    effective_from: date,
    given_on: date,
    timekeeper: Timekeeper | None = None,
    note: str = "",
) -> RateNotice:
    """Record when the client was told of a rate increase taking effect on ``effective_from``,
    for one timekeeper or (no timekeeper) for all. Rates are the rate managers' business, and
    the notice decides whether a new rate is payable, so the same role records it."""
    require(actor, Action.MANAGE_RATES)
    if len(note) > 200:
        raise InvalidEntry("a note is at most 200 characters", field="note")
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)
        if RateNotice.objects.filter(
            client=client, timekeeper=timekeeper, effective_from=effective_from
        ).exists():
            who = timekeeper.code if timekeeper else "every timekeeper"
            raise InvalidEntry(
                f"a notice of the {effective_from.isoformat()} increase for {who} is already "
                "recorded; remove it first to correct it",
                field="effective_from",
            )
        return RateNotice.objects.create(
            client=client,
            timekeeper=timekeeper,
            effective_from=effective_from,
            given_on=given_on,
            note=note.strip(),
        )


def remove_rate_notice(actor: User | None, notice: RateNotice) -> None:
    require(actor, Action.MANAGE_RATES)
    with transaction.atomic():
        RateNotice.objects.select_for_update().get(pk=notice.pk).delete()
