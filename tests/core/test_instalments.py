"""Payment-plan arithmetic: splits that add up to the cent, and instalments filled in order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import LexbillError
from lexbill.core.instalments import (
    FILLED,
    MONTHLY,
    WEEKLY,
    InstalmentStatus,
    Interval,
    MoneyIn,
    ScheduledInstalment,
    all_paid,
    check_custom_amounts,
    due_dates,
    in_good_standing,
    instalment_states,
    next_unpaid,
    parse_interval,
    schedule,
    split_equally,
)

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))
DAY = date(2026, 5, 1)


def _plan(*amounts: str, first: date = DAY) -> list[ScheduledInstalment]:
    days = due_dates(first, len(amounts), MONTHLY)
    return [
        ScheduledInstalment(i, d, Decimal(a))
        for i, (d, a) in enumerate(zip(days, amounts, strict=True), 1)
    ]


@given(balance=cents, count=st.integers(min_value=1, max_value=60))
def test_an_equal_split_adds_up_to_the_balance_and_only_the_last_differs(
    balance: Decimal, count: int
) -> None:
    if balance * 100 < count:
        with pytest.raises(LexbillError, match="cannot be split"):
            split_equally(balance, count)
        return
    parts = split_equally(balance, count)
    assert len(parts) == count
    assert sum(parts, Decimal(0)) == balance
    assert all(p > 0 and p == p.quantize(Decimal("0.01")) for p in parts)
    assert len(set(parts[:-1])) <= 1
    # the remainder on the last is less than one cent per instalment
    assert Decimal(0) <= parts[-1] - parts[0] < Decimal("0.01") * count


def test_the_remainder_goes_on_the_last_instalment() -> None:
    assert split_equally(Decimal("100.00"), 3) == [
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    ]


def test_a_currency_without_cents_splits_in_whole_units() -> None:
    assert split_equally(Decimal("1000"), 3, "JPY") == [Decimal(333), Decimal(333), Decimal(334)]


@given(st.lists(cents, min_size=1, max_size=12))
def test_custom_amounts_must_add_up_exactly(amounts: list[Decimal]) -> None:
    balance = sum(amounts, Decimal(0))
    assert check_custom_amounts(balance, amounts) == amounts
    with pytest.raises(LexbillError, match="add up to"):
        check_custom_amounts(balance + Decimal("0.01"), amounts)


def test_a_wrong_custom_amount_is_named_by_its_place() -> None:
    with pytest.raises(LexbillError) as caught:
        check_custom_amounts(Decimal("100"), [Decimal("50"), Decimal("0"), Decimal("50")])
    assert (caught.value.line, caught.value.field) == (2, "amount")
    with pytest.raises(LexbillError) as caught:
        check_custom_amounts(Decimal("100"), [Decimal("50.005"), Decimal("49.995")])
    assert caught.value.line == 1


def test_monthly_due_dates_keep_the_day_or_the_month_end() -> None:
    assert due_dates(date(2026, 1, 31), 4, MONTHLY) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert due_dates(date(2026, 11, 15), 3, MONTHLY)[-1] == date(2027, 1, 15)
    assert due_dates(DAY, 3, WEEKLY) == [DAY, DAY + timedelta(7), DAY + timedelta(14)]


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("month", Interval(months=1)),
        ("3 months", Interval(months=3)),
        ("week", Interval(days=7)),
        ("2weeks", Interval(days=14)),
        ("14days", Interval(days=14)),
        ("10 days", Interval(days=10)),
    ],
)
def test_intervals_are_read_as_people_write_them(text: str, interval: Interval) -> None:
    assert parse_interval(text) == interval


@pytest.mark.parametrize("text", ["fortnightly", "0days", "-3 days", ""])
def test_an_unknown_interval_is_refused(text: str) -> None:
    with pytest.raises(LexbillError) as caught:
        parse_interval(text)
    assert caught.value.field == "every"


def test_a_schedule_pairs_amounts_with_due_dates() -> None:
    plan = schedule(Decimal("1000.00"), DAY, count=3, every=parse_interval("14days"))
    assert [(p.sequence, p.due_on) for p in plan] == [
        (1, DAY),
        (2, DAY + timedelta(14)),
        (3, DAY + timedelta(28)),
    ]
    assert sum((p.amount for p in plan), Decimal(0)) == Decimal("1000.00")
    with pytest.raises(LexbillError, match="3 instalments asked for but 2"):
        schedule(Decimal(10), DAY, count=3, amounts=[Decimal(5), Decimal(5)])


def test_payments_fill_instalments_in_order_and_on_time_or_late() -> None:
    plan = _plan("100.00", "100.00", "100.00")  # due 1 May, 1 June, 1 July
    money = [MoneyIn(date(2026, 4, 28), Decimal("100.00")), MoneyIn(date(2026, 6, 5), Decimal(150))]
    states = instalment_states(plan, money, date(2026, 6, 10), grace_days=10)
    assert [s.status for s in states] == [
        InstalmentStatus.PAID,
        InstalmentStatus.PAID_LATE,
        InstalmentStatus.DUE,
    ]
    assert states[1].paid_on == date(2026, 6, 5)
    assert [s.paid for s in states] == [Decimal(100), Decimal(100), Decimal(50)]
    assert states[2].unpaid == Decimal(50)
    assert next_unpaid(states) == states[2]


def test_an_unpaid_instalment_is_late_within_grace_then_missed() -> None:
    plan = _plan("100.00")
    due = plan[0].due_on
    status = [
        instalment_states(plan, [], day, grace_days=10)[0].status
        for day in (due, due + timedelta(1), due + timedelta(10), due + timedelta(11))
    ]
    assert status == ["due", "late", "late", "missed"]
    assert not in_good_standing(instalment_states(plan, [], due + timedelta(11), grace_days=10))


def test_a_bounced_payment_unfills_and_a_later_payment_fills_late() -> None:
    plan = _plan("100.00")
    money = [
        MoneyIn(date(2026, 4, 30), Decimal(100)),
        MoneyIn(date(2026, 5, 6), Decimal(-100)),  # NSF
    ]
    assert instalment_states(plan, money, date(2026, 5, 5))[0].status == "paid"
    assert instalment_states(plan, money, date(2026, 5, 7), grace_days=10)[0].status == "late"
    again = [*money, MoneyIn(date(2026, 5, 9), Decimal(100))]
    state = instalment_states(plan, again, date(2026, 5, 9))[0]
    assert (state.status, state.paid_on) == ("paid late", date(2026, 5, 9))


def test_credits_shorten_the_plan_from_its_end() -> None:
    plan = _plan("100.00", "100.00", "100.00")
    states = instalment_states(plan, [], DAY, reductions=Decimal("150.00"))
    assert [s.owed for s in states] == [Decimal(100), Decimal(50), Decimal(0)]
    assert [s.status for s in states] == ["due", "due", "paid"]
    paid = instalment_states(plan, [MoneyIn(DAY, Decimal(150))], DAY, reductions=Decimal(150))
    assert all_paid(paid)


def test_money_after_the_day_asked_about_is_not_counted() -> None:
    plan = _plan("100.00")
    later = [MoneyIn(DAY + timedelta(1), Decimal(100))]
    assert instalment_states(plan, later, DAY)[0].status == "due"


@given(
    amounts=st.lists(cents, min_size=1, max_size=8),
    payments=st.lists(
        st.tuples(st.integers(min_value=0, max_value=300), cents), min_size=0, max_size=10
    ),
    grace=st.integers(min_value=0, max_value=30),
    day=st.integers(min_value=0, max_value=400),
)
def test_paid_instalments_come_first_and_nothing_is_paid_beyond_what_came_in(
    amounts: list[Decimal], payments: list[tuple[int, Decimal]], grace: int, day: int
) -> None:
    plan = _plan(*[str(a) for a in amounts])
    money = [MoneyIn(DAY + timedelta(d), a) for d, a in payments]
    as_of = DAY + timedelta(day)
    states = instalment_states(plan, money, as_of, grace_days=grace)
    filled = [s.status in FILLED for s in states]
    assert filled == sorted(filled, reverse=True)  # a prefix of the plan is paid
    received = sum((m.amount for m in money if m.on <= as_of), Decimal(0))
    assert sum((s.paid for s in states), Decimal(0)) == min(received, sum(amounts, Decimal(0)))
    for s in states:
        assert (s.status in FILLED) == (s.unpaid == 0)


@given(
    amounts=st.lists(cents, min_size=1, max_size=6),
    payments=st.lists(
        st.tuples(st.integers(min_value=0, max_value=200), cents), min_size=0, max_size=6
    ),
    grace=st.integers(min_value=0, max_value=20),
)
def test_statuses_only_move_forward_as_days_pass(
    amounts: list[Decimal], payments: list[tuple[int, Decimal]], grace: int
) -> None:
    """due → late → missed, and once paid (with no money taken back) it stays paid."""
    order = {"due": 0, "late": 1, "missed": 2, "paid late": 3, "paid": 3}
    plan = _plan(*[str(a) for a in amounts])
    money = [MoneyIn(DAY + timedelta(d), a) for d, a in payments]
    previous = [-1] * len(plan)
    for day in range(0, 260, 7):
        states = instalment_states(plan, money, DAY + timedelta(day), grace_days=grace)
        now = [order[s.status] for s in states]
        assert all(n >= p for n, p in zip(now, previous, strict=True))
        previous = now
