from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import LexbillError, NoRateInForce
from lexbill.core.rates import (
    RateBook,
    RateLevel,
    RateQuery,
    RateRow,
    ResolvedRate,
    resolve_rate_reference,
)

START = date(2024, 1, 1)
CLASSIFICATIONS = ("partner", "associate")
CURRENCIES = ("USD", "EUR")

# Small id spaces so generated rows and queries collide often enough to exercise precedence.
days = st.integers(min_value=0, max_value=40).map(lambda n: START + timedelta(days=n))
matter_ids = st.integers(min_value=1, max_value=3)
client_ids = st.integers(min_value=1, max_value=2)
timekeeper_ids = st.integers(min_value=1, max_value=3)
classifications = st.sampled_from(CLASSIFICATIONS)
currencies = st.sampled_from(CURRENCIES)
amounts = st.integers(min_value=0, max_value=100_000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def rate_rows(draw: st.DrawFn) -> RateRow:
    level = draw(st.sampled_from(RateLevel))
    if level in (RateLevel.MATTER, RateLevel.CLIENT):
        by_timekeeper = draw(st.booleans())
    else:
        by_timekeeper = level == RateLevel.TIMEKEEPER
    return RateRow(
        level=level,
        amount=draw(amounts),
        currency=draw(currencies),
        effective_from=draw(days),
        matter_id=draw(matter_ids) if level == RateLevel.MATTER else None,
        client_id=draw(client_ids) if level == RateLevel.CLIENT else None,
        timekeeper_id=draw(timekeeper_ids) if by_timekeeper else None,
        classification=None if by_timekeeper else draw(classifications),
        rate_id=draw(st.integers(min_value=1, max_value=10**6)),
    )


def _same_key_and_day(row: RateRow) -> tuple[object, ...]:
    return (
        row.level,
        row.matter_id,
        row.client_id,
        row.timekeeper_id,
        row.classification,
        row.currency,
        row.effective_from,
    )


rate_tables = st.lists(rate_rows(), max_size=40, unique_by=_same_key_and_day)
queries = st.builds(
    RateQuery,
    work_date=days,
    matter_id=matter_ids,
    client_id=client_ids,
    timekeeper_id=timekeeper_ids,
    classification=classifications,
    currency=currencies,
)


@st.composite
def tables_with_a_query(draw: st.DrawFn) -> tuple[list[RateRow], RateQuery]:
    """Often aims the query at a row in the table, so most examples resolve to something."""
    rows = draw(rate_tables)
    q = draw(queries)
    aim_at_a_row: bool = draw(st.booleans())
    if rows and aim_at_a_row:
        anchor = draw(st.sampled_from(rows))
        q = replace(
            q,
            work_date=max(q.work_date, anchor.effective_from),
            currency=anchor.currency,
            matter_id=anchor.matter_id or q.matter_id,
            client_id=anchor.client_id or q.client_id,
            timekeeper_id=anchor.timekeeper_id or q.timekeeper_id,
            classification=anchor.classification or q.classification,
        )
    return rows, q


# Precedence written out independently of the module under test: lower rank is more specific.
RANK = {
    (RateLevel.MATTER, "timekeeper"): 0,
    (RateLevel.MATTER, "classification"): 1,
    (RateLevel.CLIENT, "timekeeper"): 2,
    (RateLevel.CLIENT, "classification"): 3,
    (RateLevel.TIMEKEEPER, "timekeeper"): 4,
    (RateLevel.CLASSIFICATION, "classification"): 5,
}


def _rank(row: RateRow) -> int:
    return RANK[(row.level, "timekeeper" if row.timekeeper_id is not None else "classification")]


def _in_force_for(row: RateRow, q: RateQuery) -> bool:
    if row.currency != q.currency or row.effective_from > q.work_date:
        return False
    if row.matter_id is not None and row.matter_id != q.matter_id:
        return False
    if row.client_id is not None and row.client_id != q.client_id:
        return False
    if row.timekeeper_id is not None:
        return row.timekeeper_id == q.timekeeper_id
    return row.classification == q.classification


@given(tables_with_a_query(), st.lists(queries, max_size=10))
def test_the_rate_book_agrees_with_the_brute_force_reference(
    table_and_query: tuple[list[RateRow], RateQuery], more_queries: list[RateQuery]
) -> None:
    rows, aimed = table_and_query
    book = RateBook(rows)
    for q in [aimed, *more_queries]:
        assert book.resolve(q) == resolve_rate_reference(rows, q)


@given(tables_with_a_query())
def test_the_resolved_rate_comes_from_the_most_specific_level_in_force(
    table_and_query: tuple[list[RateRow], RateQuery],
) -> None:
    rows, q = table_and_query
    resolved = RateBook(rows).resolve(q)
    in_force = [row for row in rows if _in_force_for(row, q)]
    if resolved is None:
        assert in_force == []
        return
    winning_rank = RANK[(resolved.level, resolved.keyed_by)]
    assert all(_rank(row) >= winning_rank for row in in_force)
    same_key = [row for row in in_force if _rank(row) == winning_rank]
    latest = max(same_key, key=lambda row: row.effective_from)
    assert (resolved.rate_id, resolved.amount, resolved.effective_from) == (
        latest.rate_id,
        latest.amount,
        latest.effective_from,
    )


@given(tables_with_a_query())
def test_a_rate_taking_effect_after_the_work_date_is_never_used(
    table_and_query: tuple[list[RateRow], RateQuery],
) -> None:
    rows, q = table_and_query
    resolved = RateBook(rows).resolve(q)
    if resolved is not None:
        assert resolved.effective_from <= q.work_date


@given(tables_with_a_query())
def test_only_rates_in_the_matter_currency_are_used(
    table_and_query: tuple[list[RateRow], RateQuery],
) -> None:
    rows, q = table_and_query
    resolved = RateBook(rows).resolve(q)
    if resolved is not None:
        assert resolved.currency == q.currency
    others = [row for row in rows if row.currency != q.currency]
    assert RateBook(others).resolve(q) is None


def _query(**changes: object) -> RateQuery:
    fields: dict[str, object] = {
        "work_date": date(2024, 6, 1),
        "matter_id": 10,
        "client_id": 20,
        "timekeeper_id": 30,
        "classification": "partner",
        "currency": "USD",
    }
    fields.update(changes)
    return RateQuery(**fields)  # type: ignore[arg-type]


def _row(level: RateLevel, amount: str, **keys: object) -> RateRow:
    keys.setdefault("effective_from", date(2024, 1, 1))
    return RateRow(level=level, amount=Decimal(amount), currency="USD", **keys)  # type: ignore[arg-type]


LADDER = [
    _row(RateLevel.MATTER, "600", matter_id=10, timekeeper_id=30, rate_id=1),
    _row(RateLevel.MATTER, "550", matter_id=10, classification="partner", rate_id=2),
    _row(RateLevel.CLIENT, "500", client_id=20, timekeeper_id=30, rate_id=3),
    _row(RateLevel.CLIENT, "450", client_id=20, classification="partner", rate_id=4),
    _row(RateLevel.TIMEKEEPER, "400", timekeeper_id=30, rate_id=5),
    _row(RateLevel.CLASSIFICATION, "350", classification="partner", rate_id=6),
]


def test_each_level_falls_back_to_the_next_most_specific_one() -> None:
    sources = []
    for dropped in range(len(LADDER)):
        resolved = RateBook(LADDER[dropped:]).resolve(_query())
        assert resolved is not None
        assert resolved.amount == LADDER[dropped].amount
        sources.append(resolved.source)
    assert sources == [
        "matter/timekeeper",
        "matter/classification",
        "client/timekeeper",
        "client/classification",
        "timekeeper",
        "classification",
    ]


def test_overrides_for_another_matter_client_or_timekeeper_do_not_apply() -> None:
    rows = [
        _row(RateLevel.MATTER, "600", matter_id=11, timekeeper_id=30),
        _row(RateLevel.CLIENT, "500", client_id=21, timekeeper_id=30),
        _row(RateLevel.MATTER, "550", matter_id=10, timekeeper_id=31),
        _row(RateLevel.CLIENT, "450", client_id=20, classification="associate"),
        _row(RateLevel.TIMEKEEPER, "400", timekeeper_id=30),
    ]
    resolved = RateBook(rows).resolve(_query())
    assert resolved is not None
    assert resolved.source == "timekeeper"


def test_a_future_matter_rate_does_not_hide_one_already_in_force() -> None:
    rows = [
        _row(
            RateLevel.MATTER, "600", matter_id=10, timekeeper_id=30, effective_from=date(2025, 1, 1)
        ),
        _row(RateLevel.MATTER, "550", matter_id=10, classification="partner"),
    ]
    resolved = RateBook(rows).resolve(_query())
    assert resolved is not None
    assert (resolved.amount, resolved.source) == (Decimal("550"), "matter/classification")


def test_the_latest_rate_in_force_on_the_work_date_wins_within_a_key() -> None:
    rows = [
        _row(RateLevel.TIMEKEEPER, "300", timekeeper_id=30, effective_from=date(2023, 1, 1)),
        _row(RateLevel.TIMEKEEPER, "400", timekeeper_id=30, effective_from=date(2024, 1, 1)),
        _row(RateLevel.TIMEKEEPER, "500", timekeeper_id=30, effective_from=date(2025, 1, 1)),
    ]
    book = RateBook(rows)

    def amount_on(day: date) -> Decimal | None:
        resolved = book.resolve(_query(work_date=day))
        return None if resolved is None else resolved.amount

    assert amount_on(date(2022, 12, 31)) is None
    assert amount_on(date(2023, 1, 1)) == Decimal("300")
    assert amount_on(date(2023, 12, 31)) == Decimal("300")
    assert amount_on(date(2024, 1, 1)) == Decimal("400")
    assert amount_on(date(2030, 1, 1)) == Decimal("500")


def test_a_rate_in_another_currency_is_ignored() -> None:
    euro = RateRow(RateLevel.TIMEKEEPER, Decimal(400), "EUR", date(2024, 1, 1), timekeeper_id=30)
    assert RateBook([euro]).resolve(_query()) is None
    assert RateBook([euro]).resolve(_query(currency="EUR")) == ResolvedRate(
        amount=Decimal(400),
        currency="EUR",
        level=RateLevel.TIMEKEEPER,
        keyed_by="timekeeper",
        rate_id=None,
        effective_from=date(2024, 1, 1),
    )


def test_unpriceable_work_raises_no_rate_in_force_naming_who_what_and_when() -> None:
    with pytest.raises(NoRateInForce) as caught:
        RateBook([]).resolve_or_raise(_query())
    message = str(caught.value)
    assert caught.value.field == "rate"
    assert "timekeeper 30" in message
    assert "matter 10" in message
    assert "2024-06-01" in message


def test_resolve_or_raise_returns_the_rate_when_there_is_one() -> None:
    assert RateBook(LADDER).resolve_or_raise(_query()).rate_id == 1


def test_two_rates_for_the_same_key_and_day_are_refused_rather_than_guessed() -> None:
    rows = [
        _row(RateLevel.TIMEKEEPER, "400", timekeeper_id=30, rate_id=1),
        _row(RateLevel.TIMEKEEPER, "450", timekeeper_id=30, rate_id=2),
    ]
    with pytest.raises(LexbillError) as caught:
        RateBook(rows)
    assert caught.value.field == "effective_from"
    with pytest.raises(LexbillError):
        resolve_rate_reference(rows, _query())


@pytest.mark.parametrize(
    "keys",
    [
        {"level": RateLevel.MATTER, "timekeeper_id": 30},
        {"level": RateLevel.MATTER, "matter_id": 10},
        {"level": RateLevel.MATTER, "matter_id": 10, "timekeeper_id": 30, "classification": "p"},
        {"level": RateLevel.MATTER, "matter_id": 10, "client_id": 20, "timekeeper_id": 30},
        {"level": RateLevel.CLIENT, "classification": "partner"},
        {"level": RateLevel.CLIENT, "client_id": 20},
        {"level": RateLevel.TIMEKEEPER, "classification": "partner"},
        {"level": RateLevel.TIMEKEEPER, "timekeeper_id": 30, "classification": "partner"},
        {"level": RateLevel.TIMEKEEPER, "timekeeper_id": 30, "matter_id": 10},
        {"level": RateLevel.CLASSIFICATION, "timekeeper_id": 30},
        {"level": RateLevel.CLASSIFICATION, "classification": " "},
        {"level": "firm", "classification": "partner"},
    ],
)
def test_a_rate_row_whose_keys_do_not_fit_its_level_is_refused(keys: dict[str, object]) -> None:
    with pytest.raises(LexbillError):
        RateRow(amount=Decimal(100), currency="USD", effective_from=date(2024, 1, 1), **keys)  # type: ignore[arg-type]


def test_a_rate_cannot_be_negative_a_float_or_in_an_unknown_currency() -> None:
    with pytest.raises(LexbillError):
        _row(RateLevel.TIMEKEEPER, "-1", timekeeper_id=30)
    with pytest.raises(TypeError):
        RateRow(RateLevel.TIMEKEEPER, 100.0, "USD", date(2024, 1, 1), timekeeper_id=30)  # type: ignore[arg-type]
    with pytest.raises(LexbillError):
        RateRow(RateLevel.TIMEKEEPER, Decimal(100), "XYZ", date(2024, 1, 1), timekeeper_id=30)


def test_a_rate_takes_effect_on_a_day_not_at_a_moment() -> None:
    with pytest.raises(TypeError):
        RateRow(RateLevel.TIMEKEEPER, Decimal(100), "USD", datetime(2024, 1, 1), timekeeper_id=30)  # noqa: DTZ001


def test_a_level_given_as_stored_text_is_read_as_the_level() -> None:
    row = RateRow("client", Decimal(100), "USD", date(2024, 1, 1), client_id=1, timekeeper_id=2)  # type: ignore[arg-type]
    assert row.level is RateLevel.CLIENT
