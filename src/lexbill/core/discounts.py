"""Prompt-payment discounts: what an invoice earns when it is paid in full within the terms.

The rule (documented in docs/receivables/payments-and-adjustments.md):

* The firm's terms are a percent and a number of days; either at zero means no discount.
* An invoice earns ``round_money(total × percent / 100)`` — half-up at the currency's minor unit,
  the project's one rounding mode — when a payment received no later than ``days`` days after the
  invoice's issue date pays what is left of it, less that discount.
* The discount only closes an invoice the payment settles: it never exceeds what the payment
  leaves open, and a payment that leaves more open than the discount earns nothing. An invoice
  whose open balance is no more than the discount earns nothing either (a payment must
  contribute), so a stray later receipt cannot write off a small remainder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lexbill.core.errors import InvalidEntry
from lexbill.core.money import require_decimal, round_money

_ZERO = Decimal(0)
_PERCENT = Decimal(100)


@dataclass(frozen=True)
class PromptPaymentTerms:
    """The firm's offer: ``percent`` off an invoice paid within ``days`` of its issue date."""

    percent: Decimal
    days: int

    def __post_init__(self) -> None:
        require_decimal(self.percent, "percent")
        if self.percent < 0 or self.percent >= _PERCENT:
            raise InvalidEntry(
                f"a prompt-payment discount of {self.percent}% is not between 0 and 100",
                field="prompt_discount_percent",
            )
        if self.days < 0:
            raise InvalidEntry("discount days cannot be negative", field="prompt_discount_days")

    @property
    def offered(self) -> bool:
        return self.percent > 0 and self.days > 0


def earned_discount(
    terms: PromptPaymentTerms,
    total: Decimal,
    issued_on: date,
    received_on: date,
    currency: str,
) -> Decimal:
    """The discount an invoice of ``total`` earns for money received on ``received_on``.

    Zero when the terms are off or the money came too late (or, absurdly, before issue).
    """
    require_decimal(total, "total")
    if not terms.offered or total <= 0:
        return _ZERO
    waited = (received_on - issued_on).days
    if waited < 0 or waited > terms.days:
        return _ZERO
    return round_money(total * terms.percent / _PERCENT, currency)


def cash_to_settle(balance: Decimal, discount: Decimal) -> Decimal:
    """What the client must pay to settle an invoice with ``balance`` open, given the discount.

    The full balance when the discount would leave nothing for the payment to do.
    """
    require_decimal(balance, "balance")
    require_decimal(discount, "discount")
    if discount <= 0 or balance <= discount:
        return balance
    return balance - discount


def discount_to_post(balance: Decimal, discount: Decimal, applied: Decimal) -> Decimal:
    """The write-off that closes an invoice once ``applied`` of this payment is put on it.

    It is what the payment leaves open, provided the discount covers it and the payment did
    some of the work; otherwise zero (the invoice stays partly open, or was paid in full).
    """
    require_decimal(balance, "balance")
    require_decimal(discount, "discount")
    require_decimal(applied, "applied")
    left = balance - applied
    if discount <= 0 or applied <= 0 or balance <= discount or left <= 0 or left > discount:
        return _ZERO
    return left
