"""Accounts-receivable aging: which bucket an open balance falls in, as of any date.

Days past due are counted as ``as_of - due_on``; an invoice not yet due (zero or fewer days) is
*current*. The buckets are fixed by the industry's report: current, 1–30, 31–60, 61–90, 91–120
and over 120 days past due.

The SQL side never does date arithmetic of its own (SQLite and PostgreSQL disagree on it):
``bucket_ranges(as_of)`` turns the buckets into plain ``due_on`` date ranges, so a query buckets
invoices with ``BETWEEN`` comparisons that mean the same on every database. Amounts are kept per
currency; ``AgingTotals`` refuses to add two currencies together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from lexbill.core.errors import CurrencyMismatch, LexbillError
from lexbill.core.money import require_decimal, round_money

_ZERO = Decimal(0)


@dataclass(frozen=True)
class Bucket:
    """Days past due from ``low`` to ``high`` inclusive; ``high`` None means no upper end and
    ``low`` None no lower end (current: not due yet, or due today)."""

    key: str
    label: str
    low: int | None
    high: int | None

    def holds(self, days_past_due: int) -> bool:
        return (self.low is None or days_past_due >= self.low) and (
            self.high is None or days_past_due <= self.high
        )


BUCKETS: tuple[Bucket, ...] = (
    Bucket("current", "Current", None, 0),
    Bucket("d1_30", "1–30", 1, 30),
    Bucket("d31_60", "31–60", 31, 60),
    Bucket("d61_90", "61–90", 61, 90),
    Bucket("d91_120", "91–120", 91, 120),
    Bucket("over_120", "Over 120", 121, None),
)
BUCKET_KEYS: tuple[str, ...] = tuple(b.key for b in BUCKETS)
_BY_KEY: dict[str, Bucket] = {b.key: b for b in BUCKETS}


def bucket(key: str) -> Bucket:
    """The bucket named ``key``; an unknown name is a user's typo, refused with the field."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise LexbillError(
            f"unknown aging bucket {key!r}; one of {', '.join(BUCKET_KEYS)}", field="bucket"
        ) from None


def days_past_due(due_on: date, as_of: date) -> int:
    return (as_of - due_on).days


def bucket_for(days: int) -> Bucket:
    """The one bucket that holds ``days`` past due (zero or negative: current)."""
    for candidate in BUCKETS:
        if candidate.holds(days):
            return candidate
    raise AssertionError(f"the buckets leave a gap at {days} days")  # pragma: no cover


@dataclass(frozen=True)
class DueRange:
    """The ``due_on`` dates that fall in a bucket as of a date; None is an open end."""

    bucket: Bucket
    due_from: date | None
    due_to: date | None

    def holds(self, due_on: date) -> bool:
        return (self.due_from is None or due_on >= self.due_from) and (
            self.due_to is None or due_on <= self.due_to
        )


def bucket_ranges(as_of: date) -> tuple[DueRange, ...]:
    """Each bucket as a range of due dates: days past due in [low, high] means
    due_on in [as_of − high, as_of − low]. The ranges cover every date once, without gaps."""
    return tuple(
        DueRange(
            b,
            None if b.high is None else as_of - timedelta(days=b.high),
            None if b.low is None else as_of - timedelta(days=b.low),
        )
        for b in BUCKETS
    )


@dataclass
class AgingTotals:
    """Six bucket amounts and their total, in one currency."""

    currency: str
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKET_KEYS, _ZERO))

    def __post_init__(self) -> None:
        # an empty bucket reads "0.00" like the others (in the currency's minor unit), not "0"
        zero = round_money(_ZERO, self.currency)
        self.amounts = {key: amount + zero for key, amount in self.amounts.items()}

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), round_money(_ZERO, self.currency))

    def add(self, bucket_key: str, amount: Decimal, currency: str | None = None) -> None:
        if currency is not None and currency != self.currency:
            raise CurrencyMismatch(
                f"cannot add {currency} to {self.currency} aging", field="currency"
            )
        require_decimal(amount, "amount")
        self.amounts[bucket(bucket_key).key] += amount

    def merge(self, other: AgingTotals) -> None:
        for key, amount in other.amounts.items():
            self.add(key, amount, other.currency)

    def as_strings(self) -> dict[str, str]:
        """For JSON: amounts as exact decimal strings, never floats."""
        return {**{k: str(v) for k, v in self.amounts.items()}, "total": str(self.total)}


@dataclass(frozen=True)
class AgingRow:
    """One line of the report: a client, matter or attorney, in one currency."""

    key: str  # the client number, matter number or timekeeper code
    label: str  # the name shown beside it
    totals: AgingTotals

    @property
    def currency(self) -> str:
        return self.totals.currency


@dataclass(frozen=True)
class OpenBalance:
    """One invoice's balance as of the report date, with its due date."""

    balance: Decimal
    due_on: date


def age_balances(balances: Iterable[OpenBalance], as_of: date, currency: str) -> AgingTotals:
    """Put each balance in the bucket its days past due select; zero balances add nothing."""
    totals = AgingTotals(currency)
    for item in balances:
        totals.add(bucket_for(days_past_due(item.due_on, as_of)).key, item.balance)
    return totals


def totals_by_currency(rows: Iterable[AgingRow]) -> dict[str, AgingTotals]:
    """The report's totals line, one per currency, in currency order."""
    out: dict[str, AgingTotals] = {}
    for row in rows:
        out.setdefault(row.currency, AgingTotals(row.currency)).merge(row.totals)
    return dict(sorted(out.items()))


def totals_from_mapping(currency: str, amounts: Mapping[str, Decimal]) -> AgingTotals:
    totals = AgingTotals(currency)
    for key, amount in amounts.items():
        totals.add(key, amount)
    return totals
