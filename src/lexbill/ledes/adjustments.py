"""Invoice-level discounts and fee caps as the IF/IE lines LEDES expresses them with.

LEDES has no invoice discount field: an invoice-level reduction is a line of its own, type IF
(on fees) or IE (on expenses), with the amount in LINE_ITEM_ADJUSTMENT_AMOUNT and no units or
unit cost. These helpers compute that amount from the lines already on the invoice, with the
same rounding the writer uses, so the written total is the one the firm's invoice shows.
Line-level write-downs need no helper: they are a negative ``adjustment`` on the line itself.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from lexbill.ledes.arithmetic import CONTEXT, line_amount, round_cents, sum_amounts
from lexbill.ledes.model import LineItem, LineType


def subtotal(lines: Iterable[LineItem], *types: LineType) -> Decimal:
    """Sum of the rounded line amounts (before tax) of the lines of ``types``."""
    wanted = set(types)
    return sum_amounts(line_amount(line) for line in lines if line.type in wanted)


def invoice_adjustment(
    line_type: LineType,
    number: str,
    date: datetime.date,
    amount: Decimal,
    description: str,
) -> LineItem:
    """An IF or IE line of ``amount`` (negative for a reduction), in the adjustment form."""
    if line_type not in (LineType.FEE_ADJUSTMENT, LineType.EXPENSE_ADJUSTMENT):
        raise ValueError("an invoice-level adjustment is an IF or IE line")
    return LineItem(
        number=number,
        type=line_type,
        date=date,
        adjustment=round_cents(amount),
        description=description,
    )


def percentage_discount(
    lines: Iterable[LineItem],
    rate: Decimal,
    number: str,
    date: datetime.date,
    *,
    on: LineType = LineType.FEE,
    description: str = "",
) -> LineItem | None:
    """An IF (fees) or IE (expenses) line taking ``rate`` (0.1 for 10%) off the subtotal.

    ``None`` when the discount rounds to nothing, since a zero line only adds noise.
    """
    if not 0 <= rate <= 1:
        raise ValueError("a discount rate is a fraction between 0 and 1")
    base = subtotal(lines, on)
    amount = round_cents(CONTEXT.multiply(base, rate))
    if not amount:
        return None
    kind = LineType.FEE_ADJUSTMENT if on is LineType.FEE else LineType.EXPENSE_ADJUSTMENT
    text = description or f"Discount of {(rate * 100).normalize():f}% on {on.name.lower()}s"
    return invoice_adjustment(kind, number, date, -amount, text)


def fee_cap(
    lines: Iterable[LineItem],
    cap: Decimal,
    number: str,
    date: datetime.date,
    *,
    description: str = "",
) -> LineItem | None:
    """The IF line bringing fees (with any IF lines already there) down to ``cap``, if above."""
    fees = subtotal(lines, LineType.FEE, LineType.FEE_ADJUSTMENT)
    if fees <= cap:
        return None
    text = description or f"Fees capped at {cap:f}"
    return invoice_adjustment(
        LineType.FEE_ADJUSTMENT, number, date, CONTEXT.subtract(cap, fees), text
    )
