"""The three-way arithmetic and the automatic matcher, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.trust_reconciliation import (
    BANK_AND_JOURNAL,
    JOURNAL_AND_LEDGERS,
    BankLine,
    JournalItem,
    LedgerLine,
    OpenItem,
    ThreeWay,
    match_cleared,
    months_before,
    reference_key,
    three_way,
)

D = Decimal
START, END = date(2006, 9, 1), date(2006, 9, 30)


def _ledger(n: int, name: str, balance: str, kind: str = "client", last: date = END) -> LedgerLine:
    return LedgerLine(n, name, kind, D(balance), last)


# the Law Society of BC's Rule 3-65 sample: the pooled account
POOLED_LEDGERS = [
    _ledger(1, "I.M. Lawyer", "300.00", "buffer"),
    _ledger(2, "Injured, John", "40000.00"),
]
INTEREST_LINE = OpenItem(END, D("91.66"), "interest credited", "INT-09", 77)


def _pooled(**changes: object) -> ThreeWay:
    inputs: dict[str, object] = {
        "period_start": START,
        "period_end": END,
        "statement_balance": D("40391.66"),
        "deposits_in_transit": (),
        "outstanding_payments": (),
        "foundation_interest": D("91.66"),
        "journal_balance": D("300.00") + D("40000.00"),
        "ledgers": POOLED_LEDGERS,
    }
    inputs.update(changes)
    return three_way(**inputs)  # type: ignore[arg-type]


def test_the_published_pooled_account_reconciles_at_the_adjusted_balance() -> None:
    result = _pooled()
    assert result.adjusted_bank == result.journal_balance == result.ledgers_total
    assert result.adjusted_bank == D("40391.66") - D("91.66")
    assert result.reconciled and result.problems == ()


def test_leaving_out_the_interest_names_a_difference_explained_by_the_bank_line() -> None:
    result = _pooled(foundation_interest=D("0.00"), unrecorded_bank_items=[INTEREST_LINE])
    assert not result.reconciled
    (difference,) = result.differences
    assert difference.between == BANK_AND_JOURNAL
    assert difference.amount == INTEREST_LINE.amount
    assert difference.explained_by == (INTEREST_LINE,) and difference.unexplained == 0
    assert "91.66" in result.problems[0] and "INT-09" in result.problems[0]


def test_a_difference_no_open_item_explains_is_said_to_be_unexplained() -> None:
    result = _pooled(statement_balance=D("40401.66"))
    (difference,) = result.differences
    assert difference.unexplained == difference.amount == D("10.00")
    assert "not explained" in result.problems[0]


def test_a_negative_ledger_fails_even_when_the_three_totals_agree() -> None:
    ledgers = [
        *POOLED_LEDGERS,
        _ledger(3, "Doe, Jane", "-250.00"),
        _ledger(4, "Roe, Rick", "250.00"),
    ]
    result = _pooled(ledgers=ledgers)
    assert result.adjusted_bank == result.journal_balance == result.ledgers_total
    assert result.differences == ()
    assert [line.name for line in result.negative_ledgers] == ["Doe, Jane"]
    assert not result.reconciled
    assert "Doe, Jane" in result.problems[0] and "negative" in result.problems[0]


def test_journal_and_ledgers_disagreeing_is_its_own_difference() -> None:
    result = _pooled(ledgers=POOLED_LEDGERS[1:])
    (difference,) = result.differences
    assert difference.between == JOURNAL_AND_LEDGERS and difference.amount == D("300.00")


def test_unrecorded_lines_that_cancel_out_still_keep_the_month_open() -> None:
    lines = [OpenItem(END, D("50.00"), "in"), OpenItem(END, D("-50.00"), "out")]
    result = _pooled(unrecorded_bank_items=lines)
    assert result.differences == () and not result.reconciled
    assert "2 bank lines not recorded" in result.problems[0]


def test_a_balance_untouched_for_the_dormancy_period_is_inactive() -> None:
    old = date(2005, 9, 30)
    ledgers = [
        _ledger(1, "Old", "10.00", last=old),
        _ledger(2, "Empty", "0.00", last=old),
        _ledger(3, "Recent", "5.00", last=old + timedelta(days=1)),
        _ledger(4, "Never", "1.00", last=None),  # type: ignore[arg-type]
    ]
    result = three_way(
        period_start=START, period_end=END, statement_balance=D("16.00"),
        deposits_in_transit=(), outstanding_payments=(), foundation_interest=D(0),
        journal_balance=D("16.00"), ledgers=ledgers, dormant_months=12,
    )  # fmt: skip
    assert [line.name for line in result.inactive_ledgers] == ["Old", "Never"]
    assert result.reconciled  # inactive balances are reported, not a failure


def test_months_before_keeps_the_day_or_takes_the_shorter_months_last() -> None:
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)
    assert months_before(date(2024, 2, 29), -12) == date(2025, 2, 28)


money = st.decimals(min_value=D("-100000"), max_value=D("100000"), places=2)


@given(
    statement=money,
    in_transit=st.lists(money.filter(lambda a: a > 0), max_size=5),
    outstanding=st.lists(money.filter(lambda a: a < 0), max_size=5),
    interest=money.filter(lambda a: a >= 0),
    balances=st.lists(money, min_size=1, max_size=6),
)
def test_the_sides_always_satisfy_the_defining_sums(
    statement: Decimal,
    in_transit: list[Decimal],
    outstanding: list[Decimal],
    interest: Decimal,
    balances: list[Decimal],
) -> None:
    ledgers = [_ledger(i, f"L{i}", str(b)) for i, b in enumerate(balances)]
    journal = sum(balances, D(0))
    result = three_way(
        period_start=START, period_end=END, statement_balance=statement,
        deposits_in_transit=[OpenItem(END, a, "dep") for a in in_transit],
        outstanding_payments=[OpenItem(END, a, "chk") for a in outstanding],
        foundation_interest=interest, journal_balance=journal, ledgers=ledgers,
    )  # fmt: skip
    assert (
        result.adjusted_bank
        == statement + sum(in_transit, D(0)) + sum(outstanding, D(0)) - interest
    )
    assert result.ledgers_total == journal
    gap = result.adjusted_bank - journal
    assert result.reconciled == (gap == 0 and all(b >= 0 for b in balances))
    assert sum((d.amount for d in result.differences), D(0)) == gap
    assert len(result.problems) == (gap != 0) + sum(1 for b in balances if b < 0)


# --- matching ----------------------------------------------------------------------------------


def _bank(n: int, day: int, amount: str, check: str = "", text: str = "") -> BankLine:
    return BankLine(n, date(2026, 9, day), D(amount), check, text)


def _post(n: int, day: int, amount: str, ref: str = "", interest: bool = False) -> JournalItem:
    return JournalItem(n, date(2026, 9, day), D(amount), ref, interest)


def _ids(pairs: list[tuple[BankLine, JournalItem]]) -> set[tuple[int, int, bool]]:
    return {(b.id, j.id, j.interest) for b, j in pairs}


def test_a_check_number_pairs_a_check_whatever_the_dates_and_other_amounts() -> None:
    bank = [_bank(1, 28, "-500.00", "001042"), _bank(2, 3, "-500.00", "1043")]
    journal = [_post(10, 1, "-500.00", "1043"), _post(11, 2, "-500.00", "1042")]
    assert _ids(match_cleared(bank, journal)) == {(1, 11, False), (2, 10, False)}


def test_a_reference_word_in_the_remittance_text_pairs_a_wire() -> None:
    bank = [_bank(1, 20, "2500.00", text="FEDWIRE CREDIT MEMO W-4471 SMITH")]
    journal = [_post(10, 2, "2500.00", "w-4471"), _post(11, 2, "2500.00", "W-9999")]
    assert _ids(match_cleared(bank, journal)) == {(1, 10, False)}


def test_two_equal_deposits_within_the_window_wait_for_a_person() -> None:
    bank = [_bank(1, 10, "500.00"), _bank(2, 11, "500.00")]
    journal = [_post(10, 10, "500.00"), _post(11, 10, "500.00")]
    assert match_cleared(bank, journal) == []


def test_an_amount_alone_pairs_only_within_the_window() -> None:
    bank = [_bank(1, 10, "75.00"), _bank(2, 25, "80.00")]
    journal = [_post(10, 8, "75.00"), _post(11, 10, "80.00")]
    assert _ids(match_cleared(bank, journal)) == {(1, 10, False)}


def test_interest_entries_are_told_apart_from_postings_with_the_same_id() -> None:
    bank = [_bank(1, 30, "91.66"), _bank(2, 30, "-10.00")]
    journal = [_post(5, 30, "91.66", interest=True), _post(5, 30, "-10.00")]
    assert _ids(match_cleared(bank, journal)) == {(1, 5, True), (2, 5, False)}


def test_reference_keys_ignore_punctuation_case_and_leading_zeros() -> None:
    assert reference_key("00 1042") == reference_key("1042") == "1042"
    assert reference_key("w-4471") == "W4471"


@given(
    st.lists(
        st.tuples(st.integers(1, 28), st.sampled_from(["10.00", "20.00", "-5.00", "99.99"])),
        max_size=25,
    ),
    st.lists(
        st.tuples(st.integers(1, 28), st.sampled_from(["10.00", "20.00", "-5.00", "99.99"])),
        max_size=25,
    ),
)
def test_matches_are_one_to_one_with_equal_amounts_and_never_ambiguous(
    bank_rows: list[tuple[int, str]], journal_rows: list[tuple[int, str]]
) -> None:
    bank = [_bank(i, d, a) for i, (d, a) in enumerate(bank_rows)]
    journal = [_post(i, d, a) for i, (d, a) in enumerate(journal_rows)]
    pairs = match_cleared(bank, journal)
    assert len({b.id for b, _ in pairs}) == len({j.id for _, j in pairs}) == len(pairs)
    for line, item in pairs:
        assert line.amount == item.amount
        assert abs((line.booked_on - item.on).days) <= 5
        rivals = [
            j for j in journal if j.amount == line.amount and abs((j.on - line.booked_on).days) <= 5
        ]
        assert rivals == [item]  # no other journal item could have been meant
