"""Per-line credits: never beyond what is left of a line, tax per line at the invoice's rate."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.credit_lines import CreditableLine, credit_per_line
from lexbill.core.errors import InvalidEntry
from lexbill.core.invoice_math import line_tax

LINES = [
    CreditableLine(11, 1, Decimal("500.00"), Decimal("0")),
    CreditableLine(12, 2, Decimal("390.00"), Decimal("90.00")),
]


def test_each_line_is_credited_with_its_own_tax_in_invoice_order() -> None:
    credits = credit_per_line(
        LINES, {12: Decimal("300.00"), 11: Decimal("33.33")}, Decimal("19"), "USD"
    )
    assert [(c.line_id, c.amount) for c in credits] == [
        (11, Decimal("33.33")),
        (12, Decimal("300.00")),
    ]
    assert [c.tax for c in credits] == [Decimal("6.33"), Decimal("57.00")]


def test_a_line_cannot_be_credited_beyond_what_earlier_credits_left() -> None:
    with pytest.raises(
        InvalidEntry, match=re.escape("line 2 has 300.00 USD left to credit")
    ) as refused:
        credit_per_line(LINES, {12: Decimal("300.01")}, Decimal(0), "USD")
    assert refused.value.line == 2


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ({}, "at least one line"),
        ({99: Decimal("1")}, "not a line of this invoice"),
        ({11: Decimal("0")}, "positive, in whole cents"),
        ({11: Decimal("1.001")}, "positive, in whole cents"),
    ],
)
def test_bad_line_credits_are_refused(wanted: dict[int, Decimal], message: str) -> None:
    with pytest.raises(InvalidEntry, match=message):
        credit_per_line(LINES, wanted, Decimal(0), "USD")


@given(
    amount=st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c).scaleb(-2)),
    rate=st.integers(min_value=0, max_value=2500).map(lambda r: Decimal(r).scaleb(-2)),
)
def test_the_tax_is_the_lines_own_rounded_tax(amount: Decimal, rate: Decimal) -> None:
    (credit,) = credit_per_line(LINES[:1], {11: amount}, rate, "USD")
    assert credit.tax == line_tax(amount, rate, "USD")
    assert credit.amount == amount
