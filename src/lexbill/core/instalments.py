"""Payment-plan arithmetic: splitting a balance into instalments, and which of them are paid.

Splitting: an equal split gives every instalment the balance divided by their number, rounded
*down* to the minor unit, and puts the remainder (less than one cent per instalment) on the
**last** instalment — "remainder on the last" — so the client is never asked for more early on
and the instalments add up to the balance exactly. Custom amounts must add up exactly too.

Paying: only money received (payment allocations, including negative ones when a payment
bounces) pays instalments, filling them strictly in order, oldest first. Credit notes and
write-offs don't pay an instalment: they lower what is left to pay, taken off the *final*
instalments first (the plan gets shorter, the next instalment the client expects is unchanged).

An instalment is, as of a day:
- ``paid`` — filled on or before its due date (or nothing is left of it after credits);
- ``paid late`` — filled, but after its due date;
- ``due`` — not filled, and its due date has not passed;
- ``late`` — not filled, past its due date but within the plan's grace days;
- ``missed`` — not filled and more than the grace days past its due date.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from lexbill.core.errors import LexbillError
from lexbill.core.money import minor_unit_places, require_decimal

_ZERO = Decimal(0)


class InstalmentStatus(StrEnum):
    DUE = "due"
    PAID = "paid"
    PAID_LATE = "paid late"
    LATE = "late"
    MISSED = "missed"


FILLED = frozenset({InstalmentStatus.PAID, InstalmentStatus.PAID_LATE})


@dataclass(frozen=True)
class Interval:
    """Time between two due dates: whole calendar months, or a number of days."""

    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if (self.months > 0) == (self.days > 0) or self.months < 0 or self.days < 0:
            raise LexbillError("an interval is a number of months or of days", field="every")

    def __str__(self) -> str:
        if self.months:
            return "month" if self.months == 1 else f"{self.months} months"
        return "week" if self.days == 7 else f"{self.days} days"


MONTHLY = Interval(months=1)
WEEKLY = Interval(days=7)

_EVERY = re.compile(r"^\s*(?:(\d+)\s*)?(month|months|week|weeks|day|days|d)\s*$", re.IGNORECASE)


def parse_interval(text: str) -> Interval:
    """``month``, ``week``, ``14days``, ``14 days``, ``2 weeks``, ``3 months``."""
    match = _EVERY.match(text)
    if not match:
        raise LexbillError(
            f"{text!r} is not an interval; say month, week or a number of days like 14days",
            field="every",
        )
    count = int(match.group(1)) if match.group(1) else 1
    unit = match.group(2).lower()
    if count < 1:
        raise LexbillError("an interval must be at least one day", field="every")
    if unit.startswith("month"):
        return Interval(months=count)
    if unit.startswith("week"):
        return Interval(days=7 * count)
    return Interval(days=count)


def _add_months(day: date, months: int, anchor_day: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def due_dates(first_due: date, count: int, every: Interval) -> list[date]:
    """``count`` due dates from ``first_due``; monthly dates keep the first date's day of the
    month, moved back to the month's last day where it has none (31 Jan, 28 Feb, 31 Mar)."""
    if count < 1:
        raise LexbillError("a plan needs at least one instalment", field="instalments")
    if every.months:
        return [_add_months(first_due, i * every.months, first_due.day) for i in range(count)]
    return [first_due + timedelta(days=i * every.days) for i in range(count)]


def _check_balance(balance: Decimal, currency: str) -> Decimal:
    balance = require_decimal(balance, "balance")
    if balance <= 0:
        raise LexbillError("there is no balance to split", field="balance")
    if balance != balance.quantize(_unit(currency)):
        raise LexbillError(f"{balance} is not in whole {currency} minor units", field="balance")
    return balance


def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit_places(currency))


def split_equally(balance: Decimal, count: int, currency: str = "USD") -> list[Decimal]:
    """``count`` instalments, equal to the minor unit, the remainder on the last."""
    balance = _check_balance(balance, currency)
    if count < 1:
        raise LexbillError("a plan needs at least one instalment", field="instalments")
    unit = _unit(currency)
    each = (balance / count).quantize(unit, rounding=ROUND_DOWN)
    if each <= 0:
        raise LexbillError(
            f"{balance} {currency} cannot be split into {count} instalments of at least "
            f"{unit} {currency}",
            field="instalments",
        )
    return [each] * (count - 1) + [balance - each * (count - 1)]


def check_custom_amounts(
    balance: Decimal, amounts: Sequence[Decimal], currency: str = "USD"
) -> list[Decimal]:
    """Instalment amounts chosen by hand: each positive, in whole minor units, adding up to the
    balance exactly. The error names the instalment (as ``line``) that is wrong."""
    balance = _check_balance(balance, currency)
    if not amounts:
        raise LexbillError("a plan needs at least one instalment", field="instalments")
    unit = _unit(currency)
    checked = []
    for number, raw in enumerate(amounts, start=1):
        amount = require_decimal(raw, "amount")
        if amount <= 0:
            raise LexbillError("an instalment must be more than zero", field="amount", line=number)
        if amount != amount.quantize(unit):
            raise LexbillError(
                f"{amount} is not in whole {currency} minor units", field="amount", line=number
            )
        checked.append(amount)
    total = sum(checked, _ZERO)
    if total != balance:
        raise LexbillError(
            f"the instalments add up to {total} {currency}, not the balance of {balance}",
            field="amount",
        )
    return checked


@dataclass(frozen=True)
class ScheduledInstalment:
    sequence: int
    due_on: date
    amount: Decimal


def schedule(
    balance: Decimal,
    first_due: date,
    *,
    count: int | None = None,
    every: Interval = MONTHLY,
    amounts: Sequence[Decimal] | None = None,
    currency: str = "USD",
) -> list[ScheduledInstalment]:
    """The instalments of a plan: ``count`` equal ones, or the given ``amounts``, on due dates
    ``every`` interval from ``first_due``."""
    if amounts is not None:
        if count is not None and count != len(amounts):
            raise LexbillError(
                f"{count} instalments asked for but {len(amounts)} amounts given",
                field="instalments",
            )
        parts = check_custom_amounts(balance, amounts, currency)
    else:
        if count is None:
            raise LexbillError("say how many instalments, or their amounts", field="instalments")
        parts = split_equally(balance, count, currency)
    dates = due_dates(first_due, len(parts), every)
    return [
        ScheduledInstalment(sequence=i, due_on=day, amount=amount)
        for i, (day, amount) in enumerate(zip(dates, parts, strict=True), start=1)
    ]


@dataclass(frozen=True)
class MoneyIn:
    """Money applied to a plan's invoices on a business day; negative when a payment bounced."""

    on: date
    amount: Decimal


@dataclass(frozen=True)
class InstalmentState:
    sequence: int
    due_on: date
    amount: Decimal  # as scheduled
    owed: Decimal  # after credits and write-offs taken off the final instalments
    paid: Decimal  # money received towards it
    paid_on: date | None  # the day it was filled, if it is
    status: InstalmentStatus

    @property
    def unpaid(self) -> Decimal:
        return self.owed - self.paid


def _owed_after_reductions(amounts: Sequence[Decimal], reductions: Decimal) -> list[Decimal]:
    owed = list(amounts)
    left = max(reductions, _ZERO)
    for i in range(len(owed) - 1, -1, -1):
        if left <= 0:
            break
        take = min(left, owed[i])
        owed[i] -= take
        left -= take
    return owed


def _daily_totals(money: Iterable[MoneyIn], as_of: date) -> list[tuple[date, Decimal]]:
    by_day: dict[date, Decimal] = {}
    for item in money:
        if item.on <= as_of:
            by_day[item.on] = by_day.get(item.on, _ZERO) + require_decimal(item.amount, "amount")
    running, totals = _ZERO, []
    for day in sorted(by_day):
        running += by_day[day]
        totals.append((day, running))
    return totals


def _filled_on(totals: Sequence[tuple[date, Decimal]], threshold: Decimal) -> date | None:
    """The day the running total last rose to ``threshold`` and stayed there, if it did."""
    reached: date | None = None
    for day, running in totals:
        if running >= threshold:
            if reached is None:
                reached = day
        else:
            reached = None
    return reached


def instalment_states(
    instalments: Sequence[ScheduledInstalment],
    money: Iterable[MoneyIn],
    as_of: date,
    *,
    grace_days: int = 0,
    reductions: Decimal = _ZERO,
) -> list[InstalmentState]:
    """The state of each instalment as of a day, from the money received up to that day.

    ``reductions`` is what credit notes and write-offs took off the plan's invoices by then.
    """
    ordered = sorted(instalments, key=lambda i: i.sequence)
    owed = _owed_after_reductions([i.amount for i in ordered], reductions)
    totals = _daily_totals(money, as_of)
    received = totals[-1][1] if totals else _ZERO
    states = []
    threshold = _ZERO
    for item, owe in zip(ordered, owed, strict=True):
        before = threshold
        threshold += owe
        paid = min(max(received - before, _ZERO), owe)
        filled_on = None if owe == 0 else _filled_on(totals, threshold)
        if owe == 0 or filled_on is not None:
            late = filled_on is not None and filled_on > item.due_on
            status = InstalmentStatus.PAID_LATE if late else InstalmentStatus.PAID
        elif as_of <= item.due_on:
            status = InstalmentStatus.DUE
        elif as_of <= item.due_on + timedelta(days=grace_days):
            status = InstalmentStatus.LATE
        else:
            status = InstalmentStatus.MISSED
        states.append(
            InstalmentState(
                sequence=item.sequence,
                due_on=item.due_on,
                amount=item.amount,
                owed=owe,
                paid=paid,
                paid_on=filled_on,
                status=status,
            )
        )
    return states


def in_good_standing(states: Iterable[InstalmentState]) -> bool:
    """No instalment missed: the client keeps to the plan (late within grace is tolerated)."""
    return all(s.status != InstalmentStatus.MISSED for s in states)


def all_paid(states: Iterable[InstalmentState]) -> bool:
    return all(s.status in FILLED for s in states)


def next_unpaid(states: Iterable[InstalmentState]) -> InstalmentState | None:
    return next((s for s in states if s.status not in FILLED), None)
