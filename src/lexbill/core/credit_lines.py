"""Crediting an invoice line by line: how much of each line may still be credited, and its tax.

A line can be credited in several credit notes, but never beyond its own total; tax is credited
per line at the invoice's rate and rounded half-up, the way the invoice taxed the line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from lexbill.core.errors import InvalidEntry
from lexbill.core.invoice_math import line_tax
from lexbill.core.money import require_decimal, round_money


@dataclass(frozen=True)
class CreditableLine:
    """An invoice line as a credit sees it: its total and what earlier credit notes took."""

    line_id: int
    position: int
    total: Decimal
    credited: Decimal

    def __post_init__(self) -> None:
        require_decimal(self.total, "total")
        require_decimal(self.credited, "credited")

    @property
    def creditable(self) -> Decimal:
        return self.total - self.credited


@dataclass(frozen=True)
class LineCredit:
    line_id: int
    amount: Decimal
    tax: Decimal


def credit_per_line(
    lines: Sequence[CreditableLine],
    wanted: Mapping[int, Decimal],
    tax_rate_percent: Decimal,
    currency: str,
) -> list[LineCredit]:
    """The credit lines for ``wanted`` (line id → amount before tax), in invoice order.

    Refuses an unknown line, an amount that is not positive whole cents, and an amount above
    what is left of the line, naming the line by its position on the invoice.
    """
    by_id = {line.line_id: line for line in lines}
    if not wanted:
        raise InvalidEntry("choose at least one line to credit", field="lines")
    for line_id in wanted:
        if line_id not in by_id:
            raise InvalidEntry(f"line #{line_id} is not a line of this invoice", field="lines")
    credits: list[LineCredit] = []
    for line in sorted((by_id[i] for i in wanted), key=lambda ln: ln.position):
        amount = require_decimal(wanted[line.line_id], "amount")
        if amount <= 0 or amount != round_money(amount, currency):
            raise InvalidEntry(
                f"the credit for line {line.position} must be positive, in whole cents",
                field="lines",
                line=line.position,
            )
        if amount > line.creditable:
            raise InvalidEntry(
                f"line {line.position} has {line.creditable} {currency} left to credit, "
                f"not {amount}",
                field="lines",
                line=line.position,
            )
        credits.append(
            LineCredit(line.line_id, amount, line_tax(amount, tax_rate_percent, currency))
        )
    return credits
