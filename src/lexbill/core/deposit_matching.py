"""Which open invoices a bank deposit pays: candidates, scores, and when a machine may decide.

Evidence, strongest first:

* an invoice number written in the remittance text (several numbers: each is paid, oldest first);
* the amount equals one invoice's open balance exactly;
* the amount equals everything a client owes in the currency;
* the payer's name resembles the client's (case, punctuation and "Inc", "LLC", "GmbH"… ignored).

Evidence for the same client and the same invoices adds up. A deposit is matched automatically
only when the best candidate clears ``AUTO_MATCH_SCORE`` and no other comes within
``AUTO_MATCH_MARGIN`` of it; otherwise a person chooses from the top candidates. An amount alone,
or a name alone, is never enough: the same fee is billed to many clients, and payers' names are
spelled every which way.

A plan never allocates more than the deposit, nor more than an invoice's balance; what is left
over (an over-payment matched by reference) becomes the client's unapplied credit when posted.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher

REFERENCE_SCORE = 100
REFERENCE_SUM_BONUS = 20
EXACT_BALANCE_SCORE = 60
CLIENT_TOTAL_SCORE = 50
NAME_SCORE = 30
NAME_SIMILARITY = 0.85
AUTO_MATCH_SCORE = 80
AUTO_MATCH_MARGIN = 20
SHOWN_CANDIDATES = 3


@dataclass(frozen=True)
class OpenItem:
    """An invoice with money owing, as the matcher sees it."""

    invoice_number: str
    client_id: int
    client_name: str
    issued_on: date
    balance: Decimal
    currency: str


@dataclass(frozen=True)
class Deposit:
    amount: Decimal
    currency: str
    text: str
    payer_name: str


@dataclass(frozen=True)
class Candidate:
    """A client and how much of the deposit each of its invoices would get."""

    client_id: int
    client_name: str
    allocations: tuple[tuple[str, Decimal], ...]
    score: int
    reasons: tuple[str, ...]

    @property
    def allocated(self) -> Decimal:
        return sum((amount for _, amount in self.allocations), Decimal(0))


@dataclass(frozen=True)
class MatchResult:
    """``chosen`` is set only when the evidence is unambiguous; ``candidates`` best first."""

    chosen: Candidate | None
    candidates: tuple[Candidate, ...]


_SUFFIXES = {
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "plc",
    "pc",
    "pllc",
    "gmbh",
    "ag",
    "kg",
    "sa",
    "sarl",
    "bv",
    "nv",
    "the",
    "and",
}


def normalise_name(name: str) -> str:
    """Lower case, no accents or punctuation, corporate suffixes dropped: "Acme, Inc." → "acme"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain.replace("&", " and ")).split()
    kept = [w for w in words if w not in _SUFFIXES]
    return " ".join(kept or words)


def name_similarity(payer: str, client: str) -> float:
    """0..1; 1 when one normalised name's words all appear in the other's."""
    a, b = normalise_name(payer), normalise_name(client)
    if not a or not b:
        return 0.0
    if a == b or set(a.split()) <= set(b.split()) or set(b.split()) <= set(a.split()):
        return 1.0
    matcher = SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() < NAME_SIMILARITY or matcher.quick_ratio() < NAME_SIMILARITY:
        return 0.0
    return matcher.ratio()


_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*")


def reference_tokens(text: str) -> set[str]:
    """Words of a remittance text that could be invoice numbers, in upper case.

    "INV#2026-00001," gives "INV", "2026-00001"; "INV2026-00001" gives "INV2026-00001" and, with
    its letter prefix dropped, "2026-00001".
    """
    found = set()
    for match in _TOKEN.finditer(text):
        token = match.group(0).upper().rstrip(".")
        found.add(token)
        bare = re.sub(r"^[A-Z]+", "", token).lstrip("-#/.")
        if bare:
            found.add(bare)
    return found


class OpenBook:
    """Open items indexed once for a whole statement: by number, by balance, by client."""

    def __init__(self, items: Iterable[OpenItem]) -> None:
        self.by_number: dict[tuple[str, str], OpenItem] = {}
        self.by_balance: dict[tuple[str, Decimal], list[OpenItem]] = defaultdict(list)
        self.by_client: dict[tuple[str, int], list[OpenItem]] = defaultdict(list)
        self.client_names: dict[int, str] = {}
        for item in sorted(items, key=lambda i: (i.issued_on, i.invoice_number)):
            if item.balance <= 0:
                continue
            self.by_number[(item.currency, item.invoice_number.upper())] = item
            self.by_balance[(item.currency, item.balance)].append(item)
            self.by_client[(item.currency, item.client_id)].append(item)
            self.client_names[item.client_id] = item.client_name

    def consume(self, currency: str, allocations: Iterable[tuple[str, Decimal]]) -> None:
        """Take a chosen plan's money off the balances, so the next deposit can't claim it too."""
        for number, amount in allocations:
            item = self.by_number.pop((currency, number.upper()), None)
            if item is None:
                continue
            self.by_balance[(currency, item.balance)].remove(item)
            siblings = self.by_client[(currency, item.client_id)]
            position = siblings.index(item)
            left = item.balance - amount
            if left > 0:
                rest = replace(item, balance=left)
                siblings[position] = rest
                self.by_number[(currency, number.upper())] = rest
                self.by_balance[(currency, left)].append(rest)
            else:
                del siblings[position]

    def client_total(self, currency: str, client_id: int) -> Decimal:
        return sum((i.balance for i in self.by_client[(currency, client_id)]), Decimal(0))


def allocate_in_order(
    amount: Decimal, items: Sequence[OpenItem]
) -> tuple[tuple[str, Decimal], ...]:
    """Pay the items in the order given, each up to its balance, until the amount runs out."""
    left = amount
    plan = []
    for item in items:
        if left <= 0:
            break
        paid = min(left, item.balance)
        plan.append((item.invoice_number, paid))
        left -= paid
    return tuple(plan)


class _Evidence:
    """Scores gathered per (client, invoices) plan, merged when two clues agree."""

    def __init__(self, book: OpenBook, deposit: Deposit) -> None:
        self.book = book
        self.deposit = deposit
        self.plans: dict[tuple[int, tuple[str, ...]], list[OpenItem]] = {}
        self.scores: dict[tuple[int, tuple[str, ...]], int] = defaultdict(int)
        self.reasons: dict[tuple[int, tuple[str, ...]], list[str]] = defaultdict(list)

    def add(self, client_id: int, items: Sequence[OpenItem], score: int, reason: str) -> None:
        ordered = sorted(items, key=lambda i: (i.issued_on, i.invoice_number))
        key = (client_id, tuple(i.invoice_number for i in ordered))
        self.plans[key] = ordered
        self.scores[key] += score
        self.reasons[key].append(reason)

    def candidates(self) -> list[Candidate]:
        found = []
        for key, items in self.plans.items():
            client_id = key[0]
            found.append(
                Candidate(
                    client_id=client_id,
                    client_name=self.book.client_names[client_id],
                    allocations=allocate_in_order(self.deposit.amount, items),
                    score=self.scores[key],
                    reasons=tuple(self.reasons[key]),
                )
            )
        found.sort(key=lambda c: (-c.score, c.client_name, c.allocations))
        return found


def _by_reference(evidence: _Evidence) -> None:
    deposit, book = evidence.deposit, evidence.book
    named: dict[int, list[OpenItem]] = defaultdict(list)
    for token in reference_tokens(deposit.text):
        item = book.by_number.get((deposit.currency, token))
        if item is not None:
            named[item.client_id].append(item)
    for client_id, items in named.items():
        numbers = ", ".join(sorted(i.invoice_number for i in items))
        score = REFERENCE_SCORE
        total = sum((i.balance for i in items), Decimal(0))
        if total == deposit.amount:
            score += REFERENCE_SUM_BONUS
        evidence.add(client_id, items, score, f"invoice {numbers} named in the reference")


def _by_amount(evidence: _Evidence) -> None:
    deposit, book = evidence.deposit, evidence.book
    for item in book.by_balance.get((deposit.currency, deposit.amount), []):
        evidence.add(
            item.client_id,
            [item],
            EXACT_BALANCE_SCORE,
            f"amount equals the balance of invoice {item.invoice_number}",
        )
    for (currency, client_id), items in book.by_client.items():
        if currency != deposit.currency or len(items) < 2:
            continue
        if book.client_total(currency, client_id) == deposit.amount:
            evidence.add(client_id, items, CLIENT_TOTAL_SCORE, "amount equals all the client owes")


def _by_name(evidence: _Evidence) -> None:
    deposit, book = evidence.deposit, evidence.book
    if not deposit.payer_name.strip():
        return
    similar = {
        client_id
        for (currency, client_id) in book.by_client
        if currency == deposit.currency
        and name_similarity(deposit.payer_name, book.client_names[client_id]) >= NAME_SIMILARITY
    }
    for key in list(evidence.plans):
        if key[0] in similar:
            evidence.scores[key] += NAME_SCORE
            evidence.reasons[key].append("payer name resembles the client's")
    for client_id in similar - {key[0] for key in evidence.plans}:
        evidence.add(
            client_id,
            book.by_client[(deposit.currency, client_id)],
            NAME_SCORE,
            "payer name resembles the client's (oldest invoices first)",
        )


def match_deposit(deposit: Deposit, book: OpenBook) -> MatchResult:
    """Candidates for one incoming payment, and the one chosen if the evidence is unambiguous."""
    if deposit.amount <= 0:
        return MatchResult(None, ())
    evidence = _Evidence(book, deposit)
    _by_reference(evidence)
    _by_amount(evidence)
    _by_name(evidence)
    ranked = evidence.candidates()
    chosen = None
    if ranked and ranked[0].score >= AUTO_MATCH_SCORE:
        runner_up = ranked[1].score if len(ranked) > 1 else 0
        if ranked[0].score - runner_up >= AUTO_MATCH_MARGIN:
            chosen = ranked[0]
    return MatchResult(chosen, tuple(ranked[:SHOWN_CANDIDATES]))
