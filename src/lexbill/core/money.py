"""Money as exact decimals in a named currency.

Binary floats cannot represent most cent amounts, so every entry point refuses them outright
instead of silently converting; an invoice that is off by a cent is a trust problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lexbill.core.errors import CurrencyMismatch, LexbillError

MINOR_UNITS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "JPY": 0,
}

# Half-up (ties away from zero) at the currency's minor unit, chosen on purpose: it is what
# clients, billing guidelines and e-billing validators expect when they recompute a line.
# Python's Decimal default is half-even (banker's rounding), so always pass ROUNDING explicitly.
ROUNDING = ROUND_HALF_UP

_QUANTUM: dict[str, Decimal] = {
    currency: Decimal(1).scaleb(-places) for currency, places in MINOR_UNITS.items()
}


def _unknown_currency(currency: object) -> LexbillError:
    return LexbillError(f"unknown currency {currency!r}", field="currency")


def minor_unit_places(currency: str) -> int:
    """Refuses unknown codes so a typo cannot quietly price a matter with the wrong precision."""
    places = MINOR_UNITS.get(currency) if isinstance(currency, str) else None
    if places is None:
        raise _unknown_currency(currency)
    return places


def _quantum(currency: str) -> Decimal:
    quantum = _QUANTUM.get(currency) if isinstance(currency, str) else None
    if quantum is None:
        raise _unknown_currency(currency)
    return quantum


def require_decimal(value: object, name: str) -> Decimal:
    """Guards APIs typed ``Decimal`` at runtime, because a float slips past type hints easily."""
    if isinstance(value, Decimal):
        return value
    raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Accepts only representations that are exact; floats already lost the cents."""
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        return Decimal(value)
    else:
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise LexbillError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise LexbillError(f"{value!r} is not a finite number")
    return result


def round_money(value: Decimal, currency: str = "USD") -> Decimal:
    """Rounds to what can actually be invoiced in ``currency``."""
    return require_decimal(value, "value").quantize(_quantum(currency), rounding=ROUNDING)


@dataclass(frozen=True)
class Money:
    """An amount that knows its currency, so mixing currencies fails loudly instead of adding.

    The amount is kept as given (not rounded) so intermediate sums stay exact; call ``rounded``
    at the point where an amount becomes a billed figure.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        minor_unit_places(self.currency)
        require_decimal(self.amount, "amount")
        if not self.amount.is_finite():
            raise LexbillError(f"{self.amount} is not a finite amount", field="amount")

    @classmethod
    def of(cls, value: Decimal | int | str, currency: str) -> Money:
        return cls(to_decimal(value), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0).quantize(_quantum(currency)), currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}", field="currency"
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        # Subtracting from zero rather than negating keeps "-0.00" off printed invoices.
        return Money(Decimal(0) - self.amount, self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount >= other.amount

    def rounded(self) -> Money:
        return Money(round_money(self.amount, self.currency), self.currency)

    def is_zero(self) -> bool:
        return self.amount.is_zero()

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Needs the currency up front so an empty list still has one and a stray item is caught."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total
