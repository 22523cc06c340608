"""Collected cash shared over timekeepers: exact to the cent, proportional within one cent."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.shares import largest_remainder

weights = st.dictionaries(st.text(min_size=1, max_size=3), st.integers(-(10**6), 10**7), max_size=8)


@given(st.integers(-(10**9), 10**9), weights)
def test_shares_sum_exactly_and_stay_within_one_unit(amount: int, w: dict[str, int]) -> None:
    shares = largest_remainder(amount, w, "—")
    assert sum(shares.values()) == amount
    total = sum(w.values())
    if total == 0:
        assert shares == {"—": amount}
        return
    assert set(shares) == set(w)
    for key, weight in w.items():
        exact = Fraction(amount * weight, total)
        assert abs(shares[key] - exact) < 1


def test_a_worked_example() -> None:
    # 100.00 over 1/3 each: 33.34, 33.33, 33.33, the extra cent to the first key
    assert largest_remainder(10000, {"A": 1, "B": 1, "C": 1}, "—") == {
        "A": 3334,
        "B": 3333,
        "C": 3333,
    }
    assert largest_remainder(-10000, {"A": 1, "B": 1, "C": 1}, "—") == {
        "A": -3333,
        "B": -3333,
        "C": -3334,
    }
    # a fee cap line without a timekeeper takes its share back
    assert largest_remainder(100000, {"PW": 150000, "—": -50000}, "—") == {
        "PW": 150000,
        "—": -50000,
    }
