"""The reminder schedule without a database: which rule applies, and the wording's placeholders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import InvalidEntry
from lexbill.core.reminder_schedule import (
    PLACEHOLDERS,
    DueItem,
    Sender,
    check_template,
    describe_offset,
    latest_applicable,
    reminder_values,
    render_template,
    rule_applies,
    template_problem,
)

DEFAULT = (-7, 0, 30, 60, 90)
DUE = date(2026, 4, 1)


def _day(d: date) -> str:
    return d.isoformat()


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount}"


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (DUE - timedelta(days=8), None),
        (DUE - timedelta(days=7), -7),
        (DUE - timedelta(days=1), -7),
        (DUE, 0),
        (DUE + timedelta(days=29), 0),
        (DUE + timedelta(days=30), 30),
        (DUE + timedelta(days=45), 30),
        (DUE + timedelta(days=60), 60),
        (DUE + timedelta(days=400), 90),
    ],
)
def test_a_run_acts_on_the_latest_rule_that_applies(as_of: date, expected: int | None) -> None:
    assert latest_applicable(DEFAULT, DUE, as_of) == expected


def test_a_rule_before_the_due_date_goes_stale_once_the_date_has_passed() -> None:
    assert rule_applies(-7, DUE, DUE - timedelta(days=3))
    assert not rule_applies(-7, DUE, DUE)
    # a schedule with only a "coming due" rule says nothing once the invoice is due
    assert latest_applicable([-7], DUE, DUE + timedelta(days=2)) is None


@given(
    offsets=st.sets(st.integers(min_value=-60, max_value=365), min_size=1, max_size=8),
    days=st.integers(min_value=-400, max_value=800),
)
def test_the_rule_chosen_applies_and_no_later_rule_does(offsets: set[int], days: int) -> None:
    as_of = DUE + timedelta(days=days)
    chosen = latest_applicable(offsets, DUE, as_of)
    applicable = {o for o in offsets if rule_applies(o, DUE, as_of)}
    if chosen is None:
        assert not applicable
    else:
        assert chosen in applicable
        assert all(o <= chosen for o in applicable)
        assert days >= chosen


def test_an_unknown_placeholder_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidEntry) as refused:
        check_template("Dear $client, you owe $amount_due", "body_template")
    assert refused.value.field == "body_template"
    assert "$client" in refused.value.message
    assert "unknown placeholder" in refused.value.message


def test_a_lone_dollar_sign_is_refused_and_a_doubled_one_is_a_dollar() -> None:
    assert template_problem("Pay $5 now") is not None
    assert template_problem("Pay $$5 now") is None
    assert render_template("Pay $$5 now", {}) == "Pay $5 now"


def test_every_documented_placeholder_is_accepted_in_both_spellings() -> None:
    text = " ".join(f"${name} ${{{name}}}" for name in PLACEHOLDERS)
    assert template_problem(text) is None


def test_templates_only_substitute_names_never_attributes() -> None:
    # ``$client_name.__class__`` is the value followed by literal text, not an attribute lookup
    rendered = render_template("$client_name.__class__", {"client_name": "Acme"})
    assert rendered == "Acme.__class__"
    assert template_problem("${client_name.__class__}") is not None


def test_the_values_list_each_item_and_total_per_currency() -> None:
    items = [
        DueItem("2026-00002", DUE + timedelta(days=10), Decimal("200.00"), "USD", ("2026-00002",)),
        DueItem("2026-00001", DUE, Decimal("500.00"), "USD", ("2026-00001",)),
        DueItem("2026-00003", DUE, Decimal("80.00"), "EUR", ("2026-00003",)),
        DueItem(
            "Instalment 2 of payment plan 4",
            DUE,
            Decimal("50.00"),
            "USD",
            ("2026-00004", "2026-00005"),
            instalment="Instalment 2 of payment plan 4",
        ),
    ]
    as_of = DUE + timedelta(days=31)
    values = reminder_values(
        client_name="Acme Corp",
        contact_name="",
        items=items,
        as_of=as_of,
        sender=Sender("Hale & Ward LLP", "billing@hw.example", payment_instructions="IBAN X"),
        money=_money,
        day=_day,
    )
    assert set(values) == set(PLACEHOLDERS)
    assert values["contact_name"] == "Acme Corp"  # no contact recorded: the client's name
    usd = sum((i.amount_due for i in items if i.currency == "USD"), Decimal(0))
    assert values["total_due"] == f"EUR 80.00 and USD {usd}"
    assert values["invoice_numbers"].split(", ") == [
        "2026-00001",
        "2026-00003",
        "2026-00004",
        "2026-00005",
        "2026-00002",
    ]
    assert len(values["items"].splitlines()) == len(items)
    assert (
        values["instalments"].count("\n") == 0 and "2026-00004, 2026-00005" in values["instalments"]
    )
    assert values["days_overdue"] == str((as_of - DUE).days)
    assert values["payment_instructions"] == "IBAN X"


def test_a_reminder_about_nothing_is_refused() -> None:
    with pytest.raises(InvalidEntry):
        reminder_values(
            client_name="Acme",
            contact_name="",
            items=[],
            as_of=DUE,
            sender=Sender("Firm"),
            money=_money,
            day=_day,
        )


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (-7, "7 days before due"),
        (-1, "1 day before due"),
        (0, "on the due date"),
        (30, "30 days overdue"),
    ],
)
def test_a_rule_says_in_words_when_it_applies(offset: int, words: str) -> None:
    assert describe_offset(offset) == words


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["USD", "EUR"]),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
            st.integers(min_value=-30, max_value=200),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_total_due_is_each_currency_summed_to_the_cent(
    rows: list[tuple[str, Decimal, int]],
) -> None:
    items = [
        DueItem(f"INV-{n}", DUE + timedelta(days=d), amount, currency, (f"INV-{n}",))
        for n, (currency, amount, d) in enumerate(rows)
    ]
    values = reminder_values(
        client_name="Acme",
        contact_name="Road Runner",
        items=items,
        as_of=DUE,
        sender=Sender("Firm"),
        money=_money,
        day=_day,
    )
    expected = []
    for currency in ("EUR", "USD"):
        amounts = [amount for c, amount, _ in rows if c == currency]
        if amounts:
            total = Decimal(0)
            for amount in amounts:
                total += amount
            expected.append(f"{currency} {total}")
    assert values["amount_due"] == " and ".join(expected)
    assert len(values["items"].splitlines()) == len(rows)
    assert values["earliest_due_date"] == _day(DUE + timedelta(days=min(d for *_, d in rows)))
