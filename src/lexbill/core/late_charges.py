"""Late charges on an overdue invoice: simple interest by days overdue, and a one-time fee.

The arithmetic, named so a client can redo it:

* **Day count: actual/365.** Each calendar day the balance is overdue earns
  ``balance × annual_percent / 100 / 365``, leap years included (a 366th day earns one more
  day's interest, as actual/365 means).
* **Simple interest** on what was actually outstanding each day: the window is cut wherever a
  payment, credit or write-off (or an NSF reversal, which raises the balance) changes the
  balance, and each piece earns ``balance × annual_percent / 100 × days / 365``.
* **Rounding once per charge**, half-up to the currency's minor unit (``round_money``), on the
  sum of the pieces; never per day or per piece, so a charge is within half a cent of the exact
  figure.
* A balance event counts from its own business date: money applied on the 15th stops interest
  on the 15th.
* No interest on a day whose balance is zero or less, or below the policy's minimum balance.
* Interest starts the day after ``due_on + grace_days``; nothing is charged before it.
* The flat fee is charged once per invoice, with the first charge for a window that has at least
  one chargeable day.

Everything here is pure: dates, decimals and frozen records in, a computation out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from lexbill.core.errors import InvalidEntry
from lexbill.core.money import require_decimal, round_money

_ZERO = Decimal(0)
_PERCENT = Decimal(100)
DAYS_PER_YEAR = Decimal(365)
"""actual/365: every calendar day counts, and a year is taken as 365 days."""


@dataclass(frozen=True)
class LateChargePolicy:
    """The firm's terms for late charges (receivables.CollectionsPolicy, as values)."""

    annual_percent: Decimal
    flat_fee: Decimal
    grace_days: int
    minimum_balance: Decimal

    def __post_init__(self) -> None:
        for name in ("annual_percent", "flat_fee", "minimum_balance"):
            if require_decimal(getattr(self, name), name) < 0:
                raise InvalidEntry(f"{name.replace('_', ' ')} cannot be negative", field=name)
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int):
            raise TypeError("grace_days must be an int")
        if self.grace_days < 0:
            raise InvalidEntry("grace days cannot be negative", field="grace_days")

    @property
    def charges_anything(self) -> bool:
        return self.annual_percent > 0 or self.flat_fee > 0


@dataclass(frozen=True)
class BalanceEvent:
    """A change to what the invoice owes, on its business date: negative for a payment, credit
    or write-off, positive for a reversed (NSF) payment."""

    on: date
    change: Decimal

    def __post_init__(self) -> None:
        require_decimal(self.change, "change")


@dataclass(frozen=True)
class BalancePeriod:
    """Days in the window over which the balance did not change, and what they earned."""

    start: date
    end: date
    balance: Decimal
    chargeable: bool
    interest: Decimal
    """Unrounded: only the charge's total is rounded."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class LateChargeComputation:
    """One assessment of one invoice over ``[period_from, period_to]`` (both days included)."""

    period_from: date
    period_to: date
    periods: tuple[BalancePeriod, ...]
    annual_percent: Decimal
    interest: Decimal
    flat_fee: Decimal

    @property
    def amount(self) -> Decimal:
        return self.interest + self.flat_fee

    @property
    def chargeable_days(self) -> int:
        return sum(p.days for p in self.periods if p.chargeable)

    @property
    def is_zero(self) -> bool:
        return self.amount == 0


def first_chargeable_day(due_on: date, grace_days: int) -> date:
    """The first day interest can accrue: the day after the due date plus the grace days."""
    return due_on + timedelta(days=grace_days + 1)


def balance_on(opening: Decimal, events: Sequence[BalanceEvent], day: date) -> Decimal:
    """What the invoice owed at the end of ``day``: events dated on or before it count."""
    return opening + sum((e.change for e in events if e.on <= day), _ZERO)


def daily_interest(balance: Decimal, annual_percent: Decimal, days: int) -> Decimal:
    """Unrounded simple interest, actual/365: ``balance × annual_percent / 100 × days / 365``."""
    return balance * annual_percent / _PERCENT * days / DAYS_PER_YEAR


def balance_periods(
    opening: Decimal, events: Sequence[BalanceEvent], start: date, end: date
) -> list[tuple[date, date, Decimal]]:
    """``[start, end]`` cut into runs of days with one balance each, in order."""
    cuts = sorted({e.on for e in events if start < e.on <= end})
    bounds = [start, *cuts, end + timedelta(days=1)]
    return [
        (first, after - timedelta(days=1), balance_on(opening, events, first))
        for first, after in pairwise(bounds)
    ]


def compute_late_charge(
    *,
    opening: Decimal,
    events: Sequence[BalanceEvent],
    due_on: date,
    window_from: date,
    window_to: date,
    policy: LateChargePolicy,
    fee_already_charged: bool,
    currency: str,
) -> LateChargeComputation:
    """The charge for the days of ``[window_from, window_to]`` the invoice was overdue.

    ``opening`` is what the invoice charged that bears interest (its total), ``events`` every
    change to that since (any dates; those after ``window_to`` are ignored). A window that ends
    before the first chargeable day charges nothing.
    """
    require_decimal(opening, "opening")
    if window_to < window_from:
        raise InvalidEntry(
            f"the window ends ({window_to}) before it starts ({window_from})", field="window_to"
        )
    start = max(window_from, first_chargeable_day(due_on, policy.grace_days))
    periods: list[BalancePeriod] = []
    exact = _ZERO
    if start <= window_to:
        for first, last, balance in balance_periods(opening, events, start, window_to):
            chargeable = balance > 0 and balance >= policy.minimum_balance
            days = (last - first).days + 1
            interest = daily_interest(balance, policy.annual_percent, days) if chargeable else _ZERO
            exact += interest
            periods.append(BalancePeriod(first, last, balance, chargeable, interest))
    any_chargeable = any(p.chargeable for p in periods)
    fee = policy.flat_fee if any_chargeable and not fee_already_charged else _ZERO
    return LateChargeComputation(
        period_from=window_from,
        period_to=window_to,
        periods=tuple(periods),
        annual_percent=policy.annual_percent,
        interest=round_money(exact, currency),
        flat_fee=round_money(fee, currency),
    )
