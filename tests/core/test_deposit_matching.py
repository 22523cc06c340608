"""Matching bank deposits to open invoices: decide alone only when the evidence is unambiguous."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.deposit_matching import (
    AUTO_MATCH_SCORE,
    Deposit,
    OpenBook,
    OpenItem,
    match_deposit,
    name_similarity,
    normalise_name,
    reference_tokens,
)

D = Decimal


def _item(number: str, client: int, name: str, balance: str, day: int = 1) -> OpenItem:
    return OpenItem(number, client, name, date(2026, 1, day), D(balance), "USD")


BOOK = [
    _item("2026-00001", 1, "Acme Corp", "500.00", 2),
    _item("2026-00004", 1, "Acme Corp", "1000.00", 5),
    _item("2026-00002", 2, "Globex GmbH", "1250.00", 3),
    _item("2026-00003", 2, "Globex GmbH", "250.00", 4),
    _item("2026-00005", 3, "Initech, LLC", "500.00", 6),
]


def _match(amount: str, text: str = "", payer: str = "", book: list[OpenItem] = BOOK):  # type: ignore[no-untyped-def]
    return match_deposit(Deposit(D(amount), "USD", text, payer), OpenBook(book))


def test_an_invoice_number_in_the_reference_is_enough_on_its_own() -> None:
    result = _match("500.00", "INV 2026-00001 PAYMENT")
    assert result.chosen is not None
    assert result.chosen.client_id == 1
    assert result.chosen.allocations == (("2026-00001", D("500.00")),)


def test_several_numbers_are_each_paid_oldest_first_when_the_amount_is_their_sum() -> None:
    result = _match("1500.00", "Invoices 2026-00003, 2026-00002")
    assert result.chosen is not None
    assert result.chosen.allocations == (("2026-00002", D("1250.00")), ("2026-00003", D("250.00")))


def test_an_overpayment_by_reference_allocates_the_balance_and_leaves_the_rest() -> None:
    result = _match("800.00", "re INV#2026-00001")
    assert result.chosen is not None
    assert result.chosen.allocations == (("2026-00001", D("500.00")),)
    assert result.chosen.allocated == D("500.00")


def test_a_number_glued_to_its_prefix_is_still_found() -> None:
    assert "2026-00004" in reference_tokens("INV2026-00004.")
    result = _match("1000.00", "INV2026-00004")
    assert result.chosen is not None and result.chosen.allocations[0][0] == "2026-00004"


def test_an_exact_amount_alone_is_not_enough_when_two_invoices_owe_it() -> None:
    result = _match("500.00", "thank you")
    assert result.chosen is None
    assert {c.client_id for c in result.candidates} == {1, 3}


def test_an_exact_amount_alone_is_not_enough_even_when_unique() -> None:
    result = _match("250.00", "")
    assert result.chosen is None
    assert result.candidates[0].allocations == (("2026-00003", D("250.00")),)
    assert result.candidates[0].score < AUTO_MATCH_SCORE


def test_an_exact_amount_and_the_payer_name_together_decide() -> None:
    result = _match("500.00", "", "INITECH LLC")
    assert result.chosen is not None
    assert result.chosen.client_id == 3


def test_the_amount_of_everything_a_client_owes_and_its_name_decide() -> None:
    result = _match("1500.00", "", "Globex G.m.b.H.")
    assert result.chosen is not None
    assert result.chosen.allocations == (("2026-00002", D("1250.00")), ("2026-00003", D("250.00")))


def test_a_name_alone_queues_the_deposit_with_the_client_suggested() -> None:
    result = _match("42.00", "", "ACME CORPORATION")
    assert result.chosen is None
    assert result.candidates[0].client_id == 1
    assert result.candidates[0].allocations == (("2026-00001", D("42.00")),)


def test_references_to_two_clients_are_ambiguous() -> None:
    result = _match("1750.00", "2026-00001 2026-00002")
    assert result.chosen is None
    assert {c.client_id for c in result.candidates} == {1, 2}


def test_a_deposit_in_another_currency_matches_nothing() -> None:
    result = match_deposit(Deposit(D("500.00"), "EUR", "2026-00001", "Acme"), OpenBook(BOOK))
    assert result == match_deposit(Deposit(D("1"), "EUR", "", ""), OpenBook([]))
    assert result.candidates == ()


def test_a_debit_is_never_matched() -> None:
    assert _match("-500.00", "2026-00001").candidates == ()


def test_a_consumed_invoice_is_not_offered_to_the_next_deposit() -> None:
    book = OpenBook(BOOK)
    first = match_deposit(Deposit(D("500.00"), "USD", "2026-00001", ""), book)
    assert first.chosen is not None
    book.consume("USD", first.chosen.allocations)
    second = match_deposit(Deposit(D("500.00"), "USD", "2026-00001", "Acme Corp"), book)
    assert all("2026-00001" not in dict(c.allocations) for c in second.candidates)


def test_names_are_compared_without_case_punctuation_or_corporate_suffixes() -> None:
    assert normalise_name("Acme, Inc.") == normalise_name("ACME INC") == "acme"
    assert normalise_name("Müller & Söhne KG") == "muller sohne"
    assert name_similarity("Smith & Jones LLP", "Smith and Jones") == 1.0
    assert name_similarity("Globex", "Initech") < 0.85


numbers = st.integers(min_value=1, max_value=8)
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: D(c) / 100)


@given(
    balances=st.lists(st.tuples(numbers, cents), min_size=1, max_size=12),
    amount=cents,
    named=st.lists(st.integers(min_value=0, max_value=11), max_size=4),
    payer=st.sampled_from(["", "Client 1", "Client 2 Inc", "someone"]),
)
def test_a_plan_never_allocates_more_than_the_deposit_or_a_balance(
    balances: list[tuple[int, Decimal]], amount: Decimal, named: list[int], payer: str
) -> None:
    items = [
        OpenItem(
            f"N-{i:04d}", client, f"Client {client}", date(2026, 1, 1) + timedelta(i), b, "USD"
        )
        for i, (client, b) in enumerate(balances)
    ]
    text = " ".join(items[i].invoice_number for i in named if i < len(items))
    result = match_deposit(Deposit(amount, "USD", text, payer), OpenBook(items))
    balance_of = {i.invoice_number: i.balance for i in items}
    client_of = {i.invoice_number: i.client_id for i in items}
    for candidate in result.candidates:
        assert candidate.allocated <= amount
        assert all(0 < paid <= balance_of[n] for n, paid in candidate.allocations)
        assert {client_of[n] for n, _ in candidate.allocations} == {candidate.client_id}
    if result.chosen is not None:
        assert result.chosen == result.candidates[0]
        assert result.chosen.score >= AUTO_MATCH_SCORE
