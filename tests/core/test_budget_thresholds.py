from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.budget_thresholds import (
    format_alert_percents,
    highest_crossed,
    parse_alert_percents,
)
from lexbill.core.errors import LexbillError


def test_parses_sorted_unique() -> None:
    assert parse_alert_percents(" 100, 80 ,80%") == (Decimal(80), Decimal(100))
    assert parse_alert_percents("75.5") == (Decimal("75.5"),)
    assert format_alert_percents((Decimal("75.50"), Decimal("1E+2"))) == "75.5,100"


@pytest.mark.parametrize("bad", ["", " ", "80,,100", "abc", "0", "-5", "80,x", "1001", "nan"])
def test_refuses_bad_input(bad: str) -> None:
    with pytest.raises(LexbillError) as err:
        parse_alert_percents(bad)
    assert err.value.field == "budget_alert_percents"


@given(st.lists(st.integers(1, 1000), min_size=1, max_size=6))
def test_round_trip(values: list[int]) -> None:
    parsed = parse_alert_percents(",".join(map(str, values)))
    assert parsed == tuple(Decimal(v) for v in sorted(set(values)))
    assert format_alert_percents(parsed) == ",".join(str(v) for v in sorted(set(values)))


@given(st.integers(0, 2000), st.lists(st.integers(1, 1000), min_size=1, max_size=4))
def test_highest_crossed(used: int, values: list[int]) -> None:
    thresholds = tuple(Decimal(v) for v in sorted(set(values)))
    below = [t for t in thresholds if t <= used]
    assert highest_crossed(Decimal(used), thresholds) == (max(below) if below else None)
    assert highest_crossed(None, thresholds) is None
