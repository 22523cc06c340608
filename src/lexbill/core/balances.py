"""What a client owes, derived from posted records rather than stored, so it cannot drift."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lexbill.core.money import require_decimal


def invoice_balance(
    total: Decimal, credited: Decimal, paid: Decimal, written_off: Decimal = Decimal(0)
) -> Decimal:
    """Credit notes, payments and write-offs reduce an invoice; the invoice is never edited."""
    require_decimal(total, "total")
    require_decimal(credited, "credited")
    require_decimal(paid, "paid")
    require_decimal(written_off, "written_off")
    return total - credited - paid - written_off


@dataclass(frozen=True)
class AccountBalance:
    """A client's account; ``paid`` counts allocated payments only, unapplied money is apart."""

    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    unapplied: Decimal
    written_off: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name in ("invoiced", "credited", "paid", "unapplied", "written_off"):
            require_decimal(getattr(self, name), name)

    @property
    def balance_due(self) -> Decimal:
        """What open invoices add up to; unapplied money has not been put against any of them."""
        return self.invoiced - self.credited - self.paid - self.written_off

    @property
    def net(self) -> Decimal:
        """What the client would owe if unapplied money were allocated; negative means in credit."""
        return self.balance_due - self.unapplied
