"""Rate intervals against the RateBook itself, day by day: the intervals must give the same
rate the book resolves on every day, and no interval where the book has none."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from lexbill.core.rates import RateBook, RateLevel, RateQuery, RateRow
from lexbill.core.standard_rates import WorkKey, agreed_intervals, standard_intervals

START = date(2026, 1, 1)
CLASSES = {1: "partner", 2: "associate", 3: "paralegal"}


@st.composite
def rate_rows(draw: st.DrawFn, levels: tuple[RateLevel, ...]) -> list[RateRow]:
    rows: dict[tuple[object, ...], RateRow] = {}
    for _ in range(draw(st.integers(0, 12))):
        level = draw(st.sampled_from(levels))
        day = START + timedelta(days=draw(st.integers(0, 60)))
        amount = Decimal(draw(st.integers(0, 90000))).scaleb(-2)
        currency = draw(st.sampled_from(["USD", "JPY"]))
        by_tk = level == RateLevel.TIMEKEEPER or (
            level != RateLevel.CLASSIFICATION and draw(st.booleans())
        )
        who: dict[str, object] = (
            {"timekeeper_id": draw(st.sampled_from(sorted(CLASSES)))}
            if by_tk
            else {"classification": draw(st.sampled_from(sorted(set(CLASSES.values()))))}
        )
        scope: dict[str, object] = {}
        if level == RateLevel.MATTER:
            scope = {"matter_id": draw(st.sampled_from([10, 11]))}
        elif level == RateLevel.CLIENT:
            scope = {"client_id": 20}
        row = RateRow(level, amount, currency, day, **who, **scope)  # type: ignore[arg-type]
        rows[(level, day, currency, tuple(who.items()), tuple(scope.items()))] = row
    return list(rows.values())


def _days() -> list[date]:
    return [START + timedelta(days=n) for n in range(-2, 70)]


@settings(max_examples=60, deadline=None)
@given(rate_rows((RateLevel.TIMEKEEPER, RateLevel.CLASSIFICATION, RateLevel.MATTER)))
def test_standard_intervals_agree_with_the_standard_levels_of_the_book(rows: list[RateRow]) -> None:
    book = RateBook(r for r in rows if r.level != RateLevel.MATTER)  # overrides are not standard
    intervals = standard_intervals(rows, CLASSES)
    for tk, cls in CLASSES.items():
        for currency in ("USD", "JPY"):
            mine = [i for i in intervals if i.timekeeper_id == tk and i.currency == currency]
            for day in _days():
                want = book.resolve(RateQuery(day, 10, 20, tk, cls, currency))
                got = [i.amount for i in mine if i.start <= day < i.end]
                assert got == ([want.amount] if want else [])


@settings(max_examples=60, deadline=None)
@given(rate_rows(tuple(RateLevel)))
def test_agreed_intervals_agree_with_the_book(rows: list[RateRow]) -> None:
    book = RateBook(rows)
    keys = [
        WorkKey(m, 20, tk, cls, cur)
        for m in (10, 11)
        for tk, cls in CLASSES.items()
        for cur in ("USD", "JPY")
    ]
    intervals = agreed_intervals(rows, keys)
    for key in keys:
        mine = [iv for k, iv in intervals if k == key]
        for day in _days():
            want = book.resolve(
                RateQuery(
                    day, key.matter_id, 20, key.timekeeper_id, key.classification, key.currency
                )
            )
            got = [i.amount for i in mine if i.start <= day < i.end]
            assert got == ([want.amount] if want else [])
