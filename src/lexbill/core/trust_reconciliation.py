"""Three-way reconciliation of a trust account, and the automatic matching of cleared items.

The three sides of a month's reconciliation (Florida 5-1.2, Washington 1.15A(h)(6), …):

(A) the bank statement balance, plus deposits in transit, less outstanding payments, less IOLTA
    interest held for the bar foundation (the bank credited it; it is nobody's client money);
(B) the trust journal's balance;
(C) the sum of the client ledgers (and the firm's bank-charge buffer ledger).

All three must agree, and no ledger may be negative even when the totals agree. Every difference
is returned with what explains it (bank lines nobody recorded in the journal) and what is left
unexplained, and every problem is said in a plain sentence, beancount-style: the validator
returns all problems at once instead of stopping at the first.

Amounts are signed as the journal signs them: money in positive, money out negative. So an
outstanding check is an ``OpenItem`` with a negative amount, and the adjusted bank balance is
simply the statement balance plus every open item, less the foundation's interest.

Pure: frozen dataclasses in, values out; no Django, no database.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

ZERO = Decimal("0.00")
BANK_AND_JOURNAL = "bank and journal"
JOURNAL_AND_LEDGERS = "journal and ledgers"
# Days between the journal's date and the bank's booking date within which an amount alone may
# pair two items (deposits reach the bank in a day or two; card and ACH debits the same week).
MATCH_WINDOW_DAYS = 5
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True)
class OpenItem:
    """A reconciling item: a posting the bank has not cleared, or a bank line not in the journal.

    ``id`` is the journal posting's (or bank line's) id; ``None`` for IOLTA interest entries,
    which are not journal postings.
    """

    on: date
    amount: Decimal
    description: str
    reference: str = ""
    id: int | None = None


@dataclass(frozen=True)
class LedgerLine:
    ledger_id: int
    name: str
    kind: str  # "client" | "buffer"
    balance: Decimal
    last_activity: date | None


@dataclass(frozen=True)
class Difference:
    """Two sides that disagree: by how much, which items account for it, and what remains."""

    between: str  # "bank and journal" | "journal and ledgers"
    amount: Decimal
    explained_by: tuple[OpenItem, ...]
    unexplained: Decimal


@dataclass(frozen=True)
class ThreeWay:
    period_start: date
    period_end: date
    statement_balance: Decimal
    deposits_in_transit: tuple[OpenItem, ...]
    outstanding_payments: tuple[OpenItem, ...]
    foundation_interest: Decimal  # IOLTA interest held for the bar foundation, subtracted
    adjusted_bank: Decimal
    journal_balance: Decimal
    ledgers: tuple[LedgerLine, ...]
    ledgers_total: Decimal
    unrecorded_bank_items: tuple[OpenItem, ...]  # bank lines up to period_end matched to nothing
    differences: tuple[Difference, ...]
    negative_ledgers: tuple[LedgerLine, ...]
    inactive_ledgers: tuple[LedgerLine, ...]
    reconciled: bool
    problems: tuple[str, ...]  # plain sentences naming every difference / negative ledger


def _total(items: Iterable[OpenItem]) -> Decimal:
    return sum((item.amount for item in items), ZERO)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has at least 28 days")


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def _item_text(item: OpenItem) -> str:
    reference = f" ({item.reference})" if item.reference else ""
    return f"{item.on.isoformat()} {item.description}{reference} {_amount(item.amount)}"


def _unrecorded(items: Sequence[OpenItem]) -> str:
    lines = "; ".join(_item_text(item) for item in items)
    noun = "bank line" if len(items) == 1 else "bank lines"
    return f"{len(items)} {noun} not recorded in the journal: {lines}"


def three_way(
    *,
    period_start: date,
    period_end: date,
    statement_balance: Decimal,
    deposits_in_transit: Sequence[OpenItem],
    outstanding_payments: Sequence[OpenItem],
    foundation_interest: Decimal,
    journal_balance: Decimal,
    ledgers: Sequence[LedgerLine],
    unrecorded_bank_items: Sequence[OpenItem] = (),
    dormant_months: int = 12,
) -> ThreeWay:
    """Compare the three sides; ``outstanding_payments`` carry negative amounts (money out).

    A ledger is inactive when it holds money and nothing was posted to it in the
    ``dormant_months`` months up to ``period_end``.
    """
    adjusted = (
        statement_balance
        + _total(deposits_in_transit)
        + _total(outstanding_payments)
        - foundation_interest
    )
    ledgers_total = sum((line.balance for line in ledgers), ZERO)
    differences: list[Difference] = []
    problems: list[str] = []

    bank_gap = adjusted - journal_balance
    explained = tuple(unrecorded_bank_items)
    rest = bank_gap - _total(explained)
    if bank_gap != 0:
        differences.append(Difference(BANK_AND_JOURNAL, bank_gap, explained, rest))
        sentence = (
            f"The adjusted bank balance ({_amount(adjusted)}) differs from the journal "
            f"({_amount(journal_balance)}) by {_amount(bank_gap)}."
        )
        if explained:
            sentence += f" {_amount(_total(explained))} of it is {_unrecorded(explained)}."
        if rest != 0:
            sentence += f" {_amount(rest)} is not explained by any open item."
        problems.append(sentence)
    elif explained:
        problems.append(
            "The adjusted bank balance equals the journal, but there are "
            f"{_unrecorded(explained)}; record or match them."
        )

    ledger_gap = journal_balance - ledgers_total
    if ledger_gap != 0:
        differences.append(Difference(JOURNAL_AND_LEDGERS, ledger_gap, (), ledger_gap))
        problems.append(
            f"The journal ({_amount(journal_balance)}) differs from the sum of the client "
            f"ledgers ({_amount(ledgers_total)}) by {_amount(ledger_gap)}."
        )

    negative = tuple(line for line in ledgers if line.balance < 0)
    for line in negative:
        problems.append(
            f"The ledger {line.name} is negative ({_amount(line.balance)}): another client's "
            "money paid for it; cover the shortage and explain it."
        )
    cutoff = months_before(period_end, dormant_months)
    inactive = tuple(
        line
        for line in ledgers
        if line.balance != 0 and (line.last_activity is None or line.last_activity <= cutoff)
    )
    return ThreeWay(
        period_start=period_start,
        period_end=period_end,
        statement_balance=statement_balance,
        deposits_in_transit=tuple(deposits_in_transit),
        outstanding_payments=tuple(outstanding_payments),
        foundation_interest=foundation_interest,
        adjusted_bank=adjusted,
        journal_balance=journal_balance,
        ledgers=tuple(ledgers),
        ledgers_total=ledgers_total,
        unrecorded_bank_items=tuple(unrecorded_bank_items),
        differences=tuple(differences),
        negative_ledgers=negative,
        inactive_ledgers=inactive,
        reconciled=not problems,
        problems=tuple(problems),
    )


# --- automatic matching ----------------------------------------------------------------------


class BankLine(NamedTuple):
    """A statement line as the matcher sees it (``reference`` is the remittance text).

    Named tuples rather than frozen dataclasses: a month may hold 100,000 of each, and a
    tuple is made several times faster."""

    id: int
    booked_on: date
    amount: Decimal
    check_number: str = ""
    reference: str = ""


class JournalItem(NamedTuple):
    """A journal posting, or an IOLTA interest entry (``interest``), waiting to clear."""

    id: int
    on: date
    amount: Decimal
    reference: str = ""
    interest: bool = False


def reference_key(text: str) -> str:
    """Check numbers and memos compared without punctuation, case or leading zeros."""
    key = text.upper()
    if not key.isalnum() or not key.isascii():
        key = _NOT_ALNUM.sub("", key)
    return key.lstrip("0") if key.isdigit() else key


_AMBIGUOUS = -1


def _unique_pairs(forward: dict[int, int], backward: dict[int, int]) -> list[tuple[int, int]]:
    """The (bank, journal) positions that are each other's only candidate."""
    return [(b, j) for b, j in forward.items() if j != _AMBIGUOUS and backward[j] == b]


def match_cleared(
    bank: Sequence[BankLine], journal: Sequence[JournalItem], window_days: int = MATCH_WINDOW_DAYS
) -> list[tuple[BankLine, JournalItem]]:
    """Pairs a machine may match without asking: one bank line to one journal item.

    First the same amount and the same check number or reference (the journal's reference is
    the bank's check number, or a word of the bank's remittance text); then, among what is
    left, the same amount within ``window_days`` of each other. A pair is taken only when
    neither side has another candidate: two $500 deposits on one day wait for a person.
    Items are told apart by position, so a posting and an interest entry may share an id.

    Each side's candidate is kept as one position, or ``_AMBIGUOUS`` once a second one turns up
    (the same as a set of candidates of size one, without 200,000 small sets).
    """
    keys: dict[str, str] = {}  # text → key, as most words recur ("DEPOSIT", "CHECK")

    def key_of(text: str) -> str:
        key = keys[text] = reference_key(text)
        return key

    # journal references by key, each with the amounts it was entered with
    by_key: dict[str, list[tuple[Decimal, int]]] = {}
    for j, item in enumerate(journal):
        if item.reference and (key := key_of(item.reference)):
            found = by_key.get(key)
            if found is None:
                by_key[key] = [(item.amount, j)]
            else:
                found.append((item.amount, j))
    forward: dict[int, int] = {}
    backward: dict[int, int] = {}
    known = keys.get
    candidates = by_key.get
    for b, line in enumerate(bank):
        reference = line.reference
        for text in (line.check_number, reference, *reference.split()):
            said = known(text)
            if said is None:
                said = key_of(text)
            found = candidates(said) if said else None
            if found is None:
                continue
            amount = line.amount
            for entered, j in found:
                if entered == amount:
                    seen = forward.get(b)
                    if seen is None:
                        forward[b] = j
                    elif seen != j:
                        forward[b] = _AMBIGUOUS
                    seen = backward.get(j)
                    if seen is None:
                        backward[j] = b
                    elif seen != b:
                        backward[j] = _AMBIGUOUS
    pairs = _unique_pairs(forward, backward)
    used_bank = {b for b, _ in pairs}
    used_journal = {j for _, j in pairs}

    # second pass: amount and date only, over what the references did not settle
    dated: dict[Decimal, list[tuple[int, int]]] = defaultdict(list)  # amount → (ordinal, j)
    for j, item in enumerate(journal):
        if j not in used_journal:
            dated[item.amount].append((item.on.toordinal(), j))
    for entries in dated.values():
        entries.sort()
    forward, backward = {}, {}
    for b, line in enumerate(bank):
        if b in used_bank or line.amount not in dated:
            continue
        entries = dated[line.amount]
        day = line.booked_on.toordinal()
        start = bisect.bisect_left(entries, (day - window_days, -1)) if len(entries) > 1 else 0
        for ordinal, j in entries[start:]:
            if ordinal > day + window_days:
                break
            if ordinal < day - window_days:
                continue
            seen = forward.get(b)
            if seen is None:
                forward[b] = j
            elif seen != j:
                forward[b] = _AMBIGUOUS
            seen = backward.get(j)
            if seen is None:
                backward[j] = b
            elif seen != b:
                backward[j] = _AMBIGUOUS
    pairs.extend(_unique_pairs(forward, backward))
    return [(bank[b], journal[j]) for b, j in pairs]
