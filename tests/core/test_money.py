import operator
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import CurrencyMismatch, LexbillError
from lexbill.core.money import (
    MINOR_UNITS,
    ROUNDING,
    Money,
    minor_unit_places,
    round_money,
    sum_money,
    to_decimal,
)

cents = st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: Decimal(n).scaleb(-2))


def test_a_float_is_refused_everywhere_money_enters() -> None:
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_money(2.675)  # type: ignore[arg-type]


def test_a_bool_is_not_mistaken_for_an_amount() -> None:
    with pytest.raises(TypeError):
        to_decimal(True)


@pytest.mark.parametrize("text", ["", "abc", "1,000.00", "NaN", "Infinity"])
def test_malformed_or_infinite_amounts_are_refused(text: str) -> None:
    with pytest.raises(LexbillError):
        to_decimal(text)


def test_exact_representations_are_accepted() -> None:
    assert to_decimal("12.50") == Decimal("12.50")
    assert to_decimal(" 3 ") == Decimal(3)
    assert to_decimal(7) == Decimal(7)
    assert to_decimal(Decimal("0.1")) == Decimal("0.1")


def test_rounding_is_half_up_not_bankers_rounding() -> None:
    assert ROUNDING == "ROUND_HALF_UP"
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("2.675")) == Decimal("2.68")
    assert round_money(Decimal("0.125")) == Decimal("0.13")
    assert round_money(Decimal("2.665")) == Decimal("2.67")
    assert round_money(Decimal("0.0049")) == Decimal("0.00")


def test_negative_halves_round_away_from_zero() -> None:
    assert round_money(Decimal("-0.005")) == Decimal("-0.01")


def test_yen_rounds_to_whole_units() -> None:
    assert round_money(Decimal("100.5"), "JPY") == Decimal("101")
    assert round_money(Decimal("100.49"), "JPY") == Decimal("100")
    assert minor_unit_places("JPY") == 0


def test_every_listed_currency_but_yen_has_cents() -> None:
    assert {code for code, places in MINOR_UNITS.items() if places != 2} == {"JPY"}


def test_an_unknown_currency_is_refused_on_the_currency_field() -> None:
    with pytest.raises(LexbillError) as caught:
        minor_unit_places("XXX")
    assert caught.value.field == "currency"
    with pytest.raises(LexbillError):
        Money.of("1", "usd")


@given(cents)
def test_rounding_an_already_rounded_amount_changes_nothing(amount: Decimal) -> None:
    assert round_money(amount) == amount


@pytest.mark.parametrize(
    "combine", [operator.add, operator.sub, operator.lt, operator.le, operator.gt, operator.ge]
)
def test_mixing_currencies_raises_rather_than_combining(
    combine: Callable[[Money, Money], object],
) -> None:
    with pytest.raises(CurrencyMismatch):
        combine(Money.of("1.00", "USD"), Money.of("1.00", "EUR"))


def test_money_adds_subtracts_negates_and_compares_within_a_currency() -> None:
    a, b = Money.of("10.25", "USD"), Money.of("0.75", "USD")
    assert a + b == Money.of("11.00", "USD")
    assert a - b == Money.of("9.50", "USD")
    assert -b == Money.of("-0.75", "USD")
    assert b < a
    assert b <= a
    assert a > b
    assert a >= a
    assert Money.of("1.005", "USD").rounded() == Money.of("1.01", "USD")


def test_zero_is_zero_and_never_prints_as_negative() -> None:
    zero = Money.zero("USD")
    assert zero.is_zero()
    assert str(zero) == "0.00 USD"
    assert str(-zero) == "0.00 USD"
    assert not Money.of("0.01", "USD").is_zero()


@given(st.lists(cents))
def test_sum_money_is_the_exact_sum_of_the_amounts(amounts: list[Decimal]) -> None:
    total = sum_money((Money(amount, "EUR") for amount in amounts), "EUR")
    assert total == Money(sum(amounts, Decimal(0)), "EUR")


def test_sum_money_of_nothing_is_zero_in_the_requested_currency() -> None:
    assert sum_money([], "JPY") == Money.zero("JPY")


def test_sum_money_refuses_a_stray_currency() -> None:
    with pytest.raises(CurrencyMismatch):
        sum_money([Money.of("1", "USD"), Money.of("1", "CAD")], "USD")
    with pytest.raises(CurrencyMismatch):
        sum_money([Money.of("1", "CAD")], "USD")
