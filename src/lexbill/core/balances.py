"""What a client owes, derived from posted records rather than stored, so it cannot drift."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lexbill.core.money import require_decimal


def invoice_balance(total: Decimal, credited: Decimal, paid: Decimal) -> Decimal:
    """Credit notes and payments reduce an invoice; the invoice itself is never edited."""
    require_decimal(total, "total")
    require_decimal(credited, "credited")
    require_decimal(paid, "paid")
    return total - credited - paid


@dataclass(frozen=True)
class AccountBalance:
    """A client's account; ``paid`` counts allocated payments only, unapplied money is apart."""

    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    unapplied: Decimal

    def __post_init__(self) -> None:
        for name in ("invoiced", "credited", "paid", "unapplied"):
            require_decimal(getattr(self, name), name)

    @property
    def balance_due(self) -> Decimal:
        """What open invoices add up to; unapplied money has not been put against any of them."""
        return self.invoiced - self.credited - self.paid

    @property
    def net(self) -> Decimal:
        """What the client would owe if unapplied money were allocated; negative means in credit."""
        return self.balance_due - self.unapplied
