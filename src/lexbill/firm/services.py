"""Changes to the firm: its policy, users, timekeepers and gapless number sequences."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from lexbill.core.errors import InvalidEntry, NotFound
from lexbill.core.increments import ALLOWED_INCREMENT_MINUTES, Rounding
from lexbill.firm.models import Classification, Firm, NumberSequence, Role, Timekeeper, User
from lexbill.firm.permissions import Action, require


def get_firm() -> Firm:
    firm = Firm.objects.order_by("pk").first()
    if firm is None:
        raise NotFound("no firm is set up yet: run `lexbill demo` or `lexbill setup`")
    return firm


def configure_firm(actor: User | None, **policy: Any) -> Firm:
    """Create or change the firm's policy; unknown increments and roundings are refused."""
    require(actor, Action.MANAGE_FIRM)
    increment = policy.get("increment_minutes")
    if increment is not None and increment not in ALLOWED_INCREMENT_MINUTES:
        raise InvalidEntry(
            f"billing increment must be one of {ALLOWED_INCREMENT_MINUTES} minutes",
            field="increment_minutes",
        )
    if "time_rounding" in policy:
        try:
            Rounding(policy["time_rounding"])
        except ValueError:
            raise InvalidEntry(
                f"unknown rounding {policy['time_rounding']!r}", field="time_rounding"
            ) from None
    for field in ("invoice_number_format", "credit_note_number_format"):
        if field in policy:
            _check_number_format(policy[field], field)
    with transaction.atomic():
        firm = Firm.objects.select_for_update().order_by("pk").first() or Firm()
        for key, value in policy.items():
            setattr(firm, key, value)
        firm.full_clean()
        firm.save()
    return firm


def _check_number_format(fmt: str, field: str) -> None:
    if "{seq" not in fmt:
        raise InvalidEntry("the number format must contain {seq}", field=field)
    try:
        fmt.format(seq=1, year=2000)
    except (KeyError, ValueError, IndexError) as exc:
        raise InvalidEntry(f"invalid number format: {exc}", field=field) from None


def next_number(sequence: str, fmt: str, on: date) -> str:
    """The next number of a gapless sequence; call inside the transaction that uses it.

    The row lock makes concurrent finalizations wait for each other, and a rolled-back
    transaction gives its number back, so no number is ever skipped or used twice.
    """
    NumberSequence.objects.get_or_create(name=sequence)
    seq = NumberSequence.objects.select_for_update().get(name=sequence)
    seq.last_value += 1
    seq.save(update_fields=["last_value"])
    return fmt.format(seq=seq.last_value, year=on.year)


def create_user(
    actor: User | None,
    username: str,
    password: str,
    role: str,
    *,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    require(actor, Action.MANAGE_FIRM)
    if role not in Role.values:
        raise InvalidEntry(f"unknown role {role!r}; one of {', '.join(Role.values)}", field="role")
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=role == Role.ADMINISTRATOR,
        is_superuser=role == Role.ADMINISTRATOR,
    )
    user.set_password(password)
    user.save()
    return user


def create_timekeeper(
    actor: User | None,
    code: str,
    first_name: str,
    last_name: str,
    classification: str,
    *,
    user: User | None = None,
    billable_target_hours: int | None = None,
) -> Timekeeper:
    require(actor, Action.MANAGE_FIRM)
    _check_target(billable_target_hours)
    if classification not in Classification.values:
        raise InvalidEntry(
            f"unknown classification {classification!r}; one of {', '.join(Classification.values)}",
            field="classification",
        )
    if Timekeeper.objects.filter(code=code).exists():
        raise InvalidEntry(f"timekeeper ID {code} is taken", field="code")
    if user is not None and Timekeeper.objects.filter(user=user).exists():
        raise InvalidEntry(f"{user.username} is already a timekeeper", field="user")
    return Timekeeper.objects.create(
        code=code,
        first_name=first_name,
        last_name=last_name,
        classification=classification,
        user=user,
        billable_target_hours=billable_target_hours,
    )


# A year has 8,784 hours at most: a target above it is a typo (monthly hours in cents, say).
MAX_TARGET_HOURS = 8784


def _check_target(hours: int | None) -> None:
    if hours is None:
        return
    if not isinstance(hours, int) or isinstance(hours, bool) or not 0 < hours <= MAX_TARGET_HOURS:
        raise InvalidEntry(
            f"a billable-hour target is a whole number of hours a year, 1 to {MAX_TARGET_HOURS}"
            f" (blank for none), not {hours!r}",
            field="billable_target_hours",
        )


def set_billable_target(
    actor: User | None, timekeeper: Timekeeper, hours: int | None
) -> Timekeeper:
    """Change a timekeeper's annual billable-hour target (None = no target); audited like any
    change to the firm's records, so a report's utilization can be traced to the target used."""
    require(actor, Action.MANAGE_FIRM)
    _check_target(hours)
    timekeeper.billable_target_hours = hours
    timekeeper.save(update_fields=["billable_target_hours"])
    return timekeeper
