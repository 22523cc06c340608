"""Prompt-payment discount arithmetic: half-up on the total, only within the days, and only
ever closing what a payment leaves open."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.discounts import (
    PromptPaymentTerms,
    cash_to_settle,
    discount_to_post,
    earned_discount,
)
from lexbill.core.errors import InvalidEntry

ISSUED = date(2026, 3, 2)
TWO_PERCENT_TEN_DAYS = PromptPaymentTerms(Decimal("2"), 10)


def test_the_discount_is_the_total_times_the_percent_rounded_half_up() -> None:
    # 2.5% of 1,234.50 is 30.8625 → 30.86; of 1,234.70 it is 30.8675 → 30.87 (half-up)
    terms = PromptPaymentTerms(Decimal("2.5"), 10)
    assert earned_discount(terms, Decimal("1234.50"), ISSUED, ISSUED, "USD") == Decimal("30.86")
    assert earned_discount(terms, Decimal("1234.70"), ISSUED, ISSUED, "USD") == Decimal("30.87")
    # an exact tie: 1% of 0.50 = 0.005 → 0.01, where banker's rounding would give 0.00
    one = PromptPaymentTerms(Decimal("1"), 10)
    assert earned_discount(one, Decimal("0.50"), ISSUED, ISSUED, "USD") == Decimal("0.01")


def test_money_received_after_the_days_or_before_issue_earns_nothing() -> None:
    total = Decimal("1000.00")
    last_day = ISSUED + timedelta(days=10)
    assert earned_discount(TWO_PERCENT_TEN_DAYS, total, ISSUED, last_day, "USD") == Decimal("20.00")
    assert earned_discount(TWO_PERCENT_TEN_DAYS, total, ISSUED, last_day + timedelta(1), "USD") == 0
    assert earned_discount(TWO_PERCENT_TEN_DAYS, total, ISSUED, ISSUED - timedelta(1), "USD") == 0


def test_terms_with_a_zero_percent_or_zero_days_offer_nothing() -> None:
    for terms in (PromptPaymentTerms(Decimal(0), 10), PromptPaymentTerms(Decimal(2), 0)):
        assert not terms.offered
        assert earned_discount(terms, Decimal("100.00"), ISSUED, ISSUED, "USD") == 0


def test_impossible_terms_are_refused() -> None:
    with pytest.raises(InvalidEntry, match="between 0 and 100"):
        PromptPaymentTerms(Decimal("100"), 10)
    with pytest.raises(InvalidEntry, match="negative"):
        PromptPaymentTerms(Decimal("1"), -1)


def test_the_discount_only_closes_what_the_payment_leaves_open() -> None:
    balance, discount = Decimal("1000.00"), Decimal("20.00")
    assert cash_to_settle(balance, discount) == Decimal("980.00")
    assert discount_to_post(balance, discount, Decimal("980.00")) == Decimal("20.00")
    assert discount_to_post(balance, discount, Decimal("990.00")) == Decimal("10.00")
    assert discount_to_post(balance, discount, Decimal("979.99")) == 0  # leaves more open
    assert discount_to_post(balance, discount, balance) == 0  # paid in full anyway
    # a balance no bigger than the discount needs a real payment
    assert cash_to_settle(Decimal("15.00"), discount) == Decimal("15.00")
    assert discount_to_post(Decimal("15.00"), discount, Decimal("0.00")) == 0


cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))


@given(
    total=cents,
    percent=st.integers(min_value=1, max_value=9999).map(lambda p: Decimal(p).scaleb(-2)),
    days=st.integers(min_value=0, max_value=60),
)
def test_the_discount_matches_an_independent_half_up_computation(
    total: Decimal, percent: Decimal, days: int
) -> None:
    terms = PromptPaymentTerms(percent, 30)
    got = earned_discount(terms, total, ISSUED, ISSUED + timedelta(days=days), "USD")
    exact = total * percent / 100
    expected = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if days <= 30 else 0
    assert got == expected
    assert 0 <= got <= total


@given(balance=cents, discount=cents, applied=cents)
def test_payment_plus_discount_never_exceeds_the_balance(
    balance: Decimal, discount: Decimal, applied: Decimal
) -> None:
    applied = min(applied, balance)
    posted = discount_to_post(balance, discount, applied)
    assert 0 <= posted <= discount
    assert applied + posted <= balance
    if posted:
        assert applied + posted == balance
    cash = cash_to_settle(balance, discount)
    assert discount_to_post(balance, discount, cash) + cash == balance or cash == balance
