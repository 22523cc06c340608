"""What every bank statement reader returns, whatever the file looked like.

A statement is the bank's word about one account over a period; its entries are money in
(positive amounts) and money out (negative). The readers know nothing about invoices or clients:
receivables matching and trust reconciliation both build on these records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lexbill.core.errors import LexbillError


class BankStatementError(LexbillError):
    """A statement file that can't be read as a whole; ``line`` is the file's own line number."""


@dataclass(frozen=True)
class BankEntry:
    """One booked movement on the account, as the bank reported it.

    ``line`` is where the entry starts in the file (CSV row, OFX ``<STMTTRN>`` tag, CAMT
    ``<Ntry>`` element), so a person can find it again. ``bank_ref`` is the bank's own unique id
    for the entry when it gives one (OFX FITID, CAMT AcctSvcrRef or NtryRef), else empty.
    """

    line: int
    booked_on: date
    amount: Decimal
    currency: str
    value_on: date | None = None
    bank_ref: str = ""
    end_to_end_id: str = ""
    reference: str = ""
    counterparty: str = ""
    kind: str = ""
    check_number: str = ""

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


@dataclass(frozen=True)
class BankStatement:
    """The account, its currency, the balances and period if the file says, and the entries."""

    format: str
    account_id: str
    currency: str
    entries: tuple[BankEntry, ...]
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    period_start: date | None = None
    period_end: date | None = None

    @property
    def credits(self) -> tuple[BankEntry, ...]:
        return tuple(e for e in self.entries if e.is_credit)


def line_of_offset(text: str, offset: int) -> int:
    """The 1-based line number of a character offset, for errors found by position."""
    return text.count("\n", 0, offset) + 1
