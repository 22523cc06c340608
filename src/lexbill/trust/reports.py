"""The trust reports: client ledger history, journal, trial balance, dormant balances, refusals.

Each function returns a ``TrustReport`` (title, columns, rows, totals and the balances around
them) that the page, the PDF, the Excel download and ``lexbill trust …`` all print, so the four
never disagree. Figures are sums of postings in SQL (trust.selectors) or one streamed query of
postings with the running balance added up in Python: never a query per row.

Nothing here is stored: run for an earlier date, a report shows the books as they stood then
(postings are immutable and dated, so "as of" is just a date filter).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from lexbill.clients.models import Client
from lexbill.core.errors import InvalidEntry
from lexbill.formats.spreadsheet import Column, ColumnType, Sheet, sheet_bytes
from lexbill.trust.models import (
    LedgerKind,
    RefusedAttempt,
    TrustAccount,
    TrustLedger,
    TrustTransaction,
)
from lexbill.trust.selectors import (
    journal_balance,
    ledger_balance,
    ledgers_with_balances,
    trust_policy,
)

_ZERO = Decimal("0.00")
T = ColumnType

LEDGER = "ledger"
JOURNAL = "journal"
TRIAL_BALANCE = "trial-balance"
DORMANT = "dormant"
REFUSED = "refused"


@dataclass(frozen=True)
class Row:
    """One line of a report: values by column key, the ledger it is about, and a warning."""

    values: dict[str, Any]
    ledger_id: int | None = None
    flag: str = ""  # why the line needs attention, e.g. "negative balance"


@dataclass(frozen=True)
class Figure:
    """A balance printed beside the table (opening, closing, journal balance, difference)."""

    key: str
    label: str
    amount: Decimal | int
    type: ColumnType = ColumnType.MONEY


@dataclass
class TrustReport:
    kind: str  # LEDGER, JOURNAL, … (the URL and file name use it)
    title: str
    currency: str
    criteria: list[tuple[str, str, Any]]  # (key, label, value): what the report was run for
    columns: list[Column]
    rows: list[Row]
    totals: dict[str, Any] | None
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    file_stem: str = ""

    def figure(self, key: str) -> Decimal | int:
        return next(f.amount for f in self.figures if f.key == key)

    @property
    def flagged(self) -> list[Row]:
        return [row for row in self.rows if row.flag]

    def as_json(self) -> dict[str, Any]:
        """Machine-readable: dates ISO, amounts strings (``_print_json`` turns Decimals to str)."""
        return {
            "report": self.kind,
            "title": self.title,
            "currency": self.currency,
            "criteria": {key: value for key, _, value in self.criteria},
            "columns": [
                {"key": c.key, "title": c.title, "type": str(c.type)} for c in self.columns
            ],
            "rows": [
                {**row.values, **({"flag": row.flag} if row.flag else {})} for row in self.rows
            ],
            "totals": self.totals,
            "figures": {f.key: f.amount for f in self.figures},
            "notes": self.notes,
        }

    def sheet(self) -> Sheet:
        heading = [self.title] + [
            f"{label}: {_text(value)}"
            for _, label, value in self.criteria
            if value not in ("", None)
        ]
        return Sheet(
            title=self.title,
            columns=self.columns,
            rows=[row.values for row in self.rows],
            totals=self.totals,
            currency=self.currency,
            heading=heading,
            notes=self.notes,
            extra=[(f.label, f.amount, f.type) for f in self.figures],
        )

    def xlsx(self) -> bytes:
        return sheet_bytes(self.sheet())

    def filename(self, extension: str) -> str:
        return f"{self.file_stem or 'trust-' + self.kind}.{extension}"


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _slug(*parts: Any) -> str:
    text = "-".join(_text(p) for p in parts if p not in (None, ""))
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower()


def ledger_label(ledger: TrustLedger) -> str:
    if ledger.kind == LedgerKind.BUFFER or ledger.matter is None:
        return "Firm bank-charge buffer"
    return f"{ledger.matter.number} {ledger.matter.name}"


def _period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidEntry(f"the period ends ({end}) before it starts ({start})", field="end")


def _in_out(amount: Decimal) -> tuple[Decimal | None, Decimal | None]:
    return (amount, None) if amount > 0 else (None, -amount)


def _kind_label(posting: TrustTransaction) -> str:
    label = posting.get_kind_display()
    if posting.reverses_id is not None:
        label = f"Reversal of no. {posting.reverses_id}"
    return label


# ---- client ledger history -------------------------------------------------------------------

_LEDGER_COLUMNS = [
    Column("entry", "No.", T.INTEGER, width=7),
    Column("date", "Date", T.DATE),
    Column("kind", "Kind", T.TEXT, width=22),
    Column("counterparty", "Payor / payee", T.TEXT, width=26),
    Column("purpose", "Purpose", T.TEXT, width=34),
    Column("reference", "Reference", T.TEXT, width=14),
    Column("in", "In", T.MONEY),
    Column("out", "Out", T.MONEY),
    Column("balance", "Balance", T.MONEY),
]


def _postings(queryset: QuerySet[TrustTransaction]) -> Iterable[TrustTransaction]:
    """One query, streamed: the report never loads a ledger's whole history into memory."""
    return (
        queryset.select_related("ledger__matter", "ledger__client")
        .order_by("entered_on", "id")
        .iterator(chunk_size=2000)
    )


def ledger_history(
    ledger: TrustLedger, start: date | None = None, end: date | None = None
) -> TrustReport:
    """Every posting on one client ledger in [start, end], with the balance after each and the
    balances brought forward and carried at the end of the period."""
    _period(start, end)
    end = end or timezone.localdate()
    opening = ledger_balance(ledger, start - timedelta(days=1)) if start else _ZERO
    postings = TrustTransaction.objects.filter(ledger=ledger, entered_on__lte=end)
    if start:
        postings = postings.filter(entered_on__gte=start)
    running, total_in, total_out = opening, _ZERO, _ZERO
    rows = []
    for p in _postings(postings):
        running += p.amount
        money_in, money_out = _in_out(p.amount)
        total_in += money_in or 0
        total_out += money_out or 0
        rows.append(
            Row(
                {
                    "entry": p.pk,
                    "date": p.entered_on,
                    "kind": _kind_label(p),
                    "counterparty": p.counterparty,
                    "purpose": p.purpose,
                    "reference": p.reference,
                    "in": money_in,
                    "out": money_out,
                    "balance": running,
                },
                ledger.pk,
                "negative balance" if running < 0 else "",
            )
        )
    account = ledger.account
    owner = ledger.client.name if ledger.client else account.name
    return TrustReport(
        kind=LEDGER,
        title=f"{'Client ledger' if ledger.matter else 'Ledger'}: {ledger_label(ledger)}",
        currency=account.currency,
        criteria=[
            ("account", "Trust account", account.name),
            ("client", "Client", owner),
            ("matter", "Matter", ledger.matter.number if ledger.matter else ""),
            ("start", "From", start or ""),
            ("end", "To", end),
        ],
        columns=_LEDGER_COLUMNS,
        rows=rows,
        totals={"in": total_in, "out": total_out, "balance": running},
        figures=[
            Figure("opening", "Balance brought forward", opening),
            Figure("in", "Received", total_in),
            Figure("out", "Paid out", total_out),
            Figure("closing", f"Balance on {end.isoformat()}", running),
        ],
        notes=[
            "Reversals are new postings that undo an earlier one; nothing is ever edited away.",
        ],
        file_stem=_slug(
            "trust-ledger", account.name, ledger.matter.number if ledger.matter else "buffer", end
        ),
    )


# ---- trust journal ---------------------------------------------------------------------------

_JOURNAL_COLUMNS = [
    Column("entry", "No.", T.INTEGER, width=7),
    Column("date", "Date", T.DATE),
    Column("ledger", "Ledger", T.TEXT, width=30),
    Column("client", "Client", T.TEXT, width=22),
    Column("kind", "Kind", T.TEXT, width=22),
    Column("counterparty", "Source / payee", T.TEXT, width=24),
    Column("purpose", "Purpose", T.TEXT, width=30),
    Column("reference", "Reference", T.TEXT, width=14),
    Column("in", "In", T.MONEY),
    Column("out", "Out", T.MONEY),
    Column("balance", "Balance", T.MONEY),
]


def month_to_date(today: date) -> tuple[date, date]:
    return today.replace(day=1), today


def journal(
    account: TrustAccount,
    start: date,
    end: date,
    client: Client | None = None,
) -> TrustReport:
    """Every receipt and disbursement of one trust account in [start, end], in date order, with
    the running balance of the account (of the client's ledgers when ``client`` is given)."""
    _period(start, end)
    before = start - timedelta(days=1)
    everything = TrustTransaction.objects.filter(account=account)
    if client is not None:
        everything = everything.filter(ledger__client=client)
        opening = sum(
            (
                row.balance  # type: ignore[attr-defined]
                for row in ledgers_with_balances(account, before).filter(client=client)
            ),
            _ZERO,
        )
    else:
        opening = journal_balance(account, before)
    running, total_in, total_out = opening, _ZERO, _ZERO
    rows = []
    for p in _postings(everything.filter(entered_on__range=(start, end))):
        running += p.amount
        money_in, money_out = _in_out(p.amount)
        total_in += money_in or 0
        total_out += money_out or 0
        rows.append(
            Row(
                {
                    "entry": p.pk,
                    "date": p.entered_on,
                    "ledger": ledger_label(p.ledger),
                    "client": p.ledger.client.name if p.ledger.client else "",
                    "matter": p.ledger.matter.number if p.ledger.matter else "",
                    "kind": _kind_label(p),
                    "counterparty": p.counterparty,
                    "purpose": p.purpose,
                    "reference": p.reference,
                    "in": money_in,
                    "out": money_out,
                    "balance": running,
                },
                p.ledger_id,
            )
        )
    return TrustReport(
        kind=JOURNAL,
        title=f"Trust journal: {account.name}",
        currency=account.currency,
        criteria=[
            ("account", "Trust account", account.name),
            ("client", "Client", client.number if client else ""),
            ("start", "From", start),
            ("end", "To", end),
        ],
        columns=_JOURNAL_COLUMNS,
        rows=rows,
        totals={"in": total_in, "out": total_out, "balance": running},
        figures=[
            Figure("opening", f"Balance on {before.isoformat()}", opening),
            Figure("in", "Receipts", total_in),
            Figure("out", "Disbursements", total_out),
            Figure("closing", f"Balance on {end.isoformat()}", running),
        ],
        notes=["IOLTA interest is the bar foundation's and never enters the journal."]
        if account.kind == "pooled"
        else [],
        file_stem=_slug("trust-journal", account.name, client.number if client else "", start, end),
    )


# ---- trial balance of client ledgers ---------------------------------------------------------

_TRIAL_COLUMNS = [
    Column("ledger", "Ledger", T.TEXT, width=34),
    Column("client", "Client", T.TEXT, width=26),
    Column("opened_on", "Opened", T.DATE),
    Column("last_activity", "Last activity", T.DATE, width=13),
    Column("balance", "Balance", T.MONEY),
]


def trial_balance(account: TrustAccount, as_of: date, client: Client | None = None) -> TrustReport:
    """Every ledger's balance on ``as_of`` (one query), their total, and the journal balance
    on the same day (a second, independent sum): the two must agree to the cent. The firm's
    bank-charge buffer is listed apart from client money because the journal holds it too."""
    ledgers = (
        ledgers_with_balances(account, as_of)
        .filter(opened_on__lte=as_of)
        .exclude(balance=0)  # type: ignore[misc]
        .order_by("kind", "client__name", "matter__number")
    )
    if client is not None:
        ledgers = ledgers.filter(client=client)
    rows, total, negatives, client_total = [], _ZERO, 0, _ZERO
    for ledger in ledgers:
        balance: Decimal = ledger.balance  # type: ignore[attr-defined]
        total += balance
        if ledger.kind == LedgerKind.CLIENT:
            client_total += balance
        negatives += balance < 0
        rows.append(
            Row(
                {
                    "ledger": ledger_label(ledger),
                    "client": ledger.client.name if ledger.client else "(firm money)",
                    "matter": ledger.matter.number if ledger.matter else "",
                    "opened_on": ledger.opened_on,
                    "last_activity": ledger.last_activity,  # type: ignore[attr-defined]
                    "balance": balance,
                },
                ledger.pk,
                "negative balance" if balance < 0 else "",
            )
        )
    figures = [
        Figure("client_ledgers", "Client ledgers", client_total),
        Figure("buffer", "Firm bank-charge buffer", total - client_total),
        Figure("ledgers_total", "Total of ledgers", total),
    ]
    notes = ["Ledgers with a zero balance on the date are not listed."]
    if client is None:
        journal_total = journal_balance(account, as_of)
        figures += [
            Figure("journal", f"Journal balance on {as_of.isoformat()}", journal_total),
            Figure("difference", "Difference (journal − ledgers)", journal_total - total),
        ]
        if journal_total != total:
            notes.insert(0, "The ledgers do not add up to the journal: investigate at once.")
    figures.append(Figure("negative", "Ledgers below zero", negatives, ColumnType.INTEGER))
    if negatives:
        notes.insert(0, f"{negatives} ledger(s) below zero: a client's money paid for another.")
    return TrustReport(
        kind=TRIAL_BALANCE,
        title=f"Trial balance of client ledgers: {account.name}",
        currency=account.currency,
        criteria=[
            ("account", "Trust account", account.name),
            ("client", "Client", client.number if client else ""),
            ("as_of", "As of", as_of),
        ],
        columns=_TRIAL_COLUMNS,
        rows=rows,
        totals={"balance": total},
        figures=figures,
        notes=notes,
        file_stem=_slug(
            "trust-trial-balance", account.name, client.number if client else "", as_of
        ),
    )


# ---- dormant balances ------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, or that month's last day when it has no such day."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def whole_months(since: date, until: date) -> int:
    """Completed calendar months from ``since`` to ``until`` (Jan 31 → Feb 28 is 0, → Mar 1: 1)."""
    months = (until.year - since.year) * 12 + until.month - since.month
    if months > 0 and months_before(until, months) < since:
        months -= 1
    return max(months, 0)


_DORMANT_COLUMNS = [
    Column("account", "Trust account", T.TEXT, width=18),
    Column("ledger", "Ledger", T.TEXT, width=32),
    Column("client", "Client", T.TEXT, width=26),
    Column("last_activity", "Last activity", T.DATE, width=13),
    Column("months_idle", "Months idle", T.INTEGER, width=12),
    Column("balance", "Balance", T.MONEY, currency_key="currency"),
]


def dormant_balances(
    as_of: date,
    months: int | None = None,
    account: TrustAccount | None = None,
    client: Client | None = None,
) -> TrustReport:
    """Client ledgers holding money with no posting for ``months`` (the policy's dormancy
    period unless given) up to ``as_of``: money to return to its owner, or eventually to
    report as unclaimed property."""
    months = trust_policy().dormant_months if months is None else months
    if months < 1:
        raise InvalidEntry("dormancy is at least one month", field="months")
    cutoff = months_before(as_of, months)
    ledgers = (
        ledgers_with_balances(account, as_of)
        .filter(kind=LedgerKind.CLIENT, last_activity__lte=cutoff)  # type: ignore[misc]
        .exclude(balance=0)
        .order_by("account__name", "last_activity", "matter__number")
    )
    if client is not None:
        ledgers = ledgers.filter(client=client)
    rows: list[Row] = []
    by_currency: dict[str, Decimal] = {}
    for ledger in ledgers:
        balance: Decimal = ledger.balance  # type: ignore[attr-defined]
        last: date = ledger.last_activity  # type: ignore[attr-defined]
        currency = ledger.account.currency
        by_currency[currency] = by_currency.get(currency, _ZERO) + balance
        rows.append(
            Row(
                {
                    "account": ledger.account.name,
                    "ledger": ledger_label(ledger),
                    "client": ledger.client.name if ledger.client else "",
                    "matter": ledger.matter.number if ledger.matter else "",
                    "last_activity": last,
                    "months_idle": whole_months(last, as_of),
                    "balance": balance,
                    "currency": currency,
                },
                ledger.pk,
                "negative balance" if balance < 0 else "",
            )
        )
    currency = account.currency if account else (next(iter(by_currency)) if by_currency else "USD")
    single = len(by_currency) <= 1
    figures = [Figure("ledgers", "Dormant ledgers", len(rows), ColumnType.INTEGER)]
    figures += [
        Figure(f"total_{cur}", f"Total {cur}", amount) for cur, amount in by_currency.items()
    ]
    return TrustReport(
        kind=DORMANT,
        title="Dormant trust balances",
        currency=currency,
        criteria=[
            ("account", "Trust account", account.name if account else "all accounts"),
            ("client", "Client", client.number if client else ""),
            ("months", "Months without activity", months),
            ("as_of", "As of", as_of),
        ],
        columns=_DORMANT_COLUMNS,
        rows=rows,
        totals={"balance": by_currency.get(currency, _ZERO)} if single else None,
        figures=figures,
        notes=[f"No posting since {cutoff.isoformat()} or earlier, and money still held."],
        file_stem=_slug("trust-dormant", account.name if account else "", months, as_of),
    )


# ---- refused attempts ------------------------------------------------------------------------

_REFUSED_COLUMNS = [
    Column("attempted_at", "When", T.DATETIME),
    Column("user", "Who", T.TEXT, width=14),
    Column("operation", "Operation", T.TEXT, width=18),
    Column("account", "Trust account", T.TEXT, width=16),
    Column("ledger", "Ledger", T.TEXT, width=30),
    Column("amount", "Amount", T.MONEY, currency_key="currency"),
    Column("reason", "Reason", T.TEXT, width=60),
]


def refused_attempts(start: date, end: date, account: TrustAccount | None = None) -> TrustReport:
    """Every trust operation the rules or the roles refused in [start, end] (local days), oldest
    first: what a reviewer reads to see who tried what, and why it was stopped."""
    _period(start, end)
    attempts = RefusedAttempt.objects.filter(
        attempted_at__date__gte=start, attempted_at__date__lte=end
    ).select_related("user", "account", "ledger__matter", "ledger__account")
    if account is not None:
        attempts = attempts.filter(Q(account=account) | Q(ledger__account=account))
    rows = []
    for a in attempts.order_by("attempted_at", "id").iterator(chunk_size=2000):
        where = a.account or (a.ledger.account if a.ledger else None)
        rows.append(
            Row(
                {
                    "attempted_at": timezone.localtime(a.attempted_at),
                    "user": a.user.username if a.user else "(system)",
                    "operation": a.operation,
                    "account": where.name if where else "",
                    "ledger": ledger_label(a.ledger) if a.ledger else "",
                    "amount": a.amount,
                    "currency": where.currency if where else "USD",
                    "reason": a.reason,
                },
                a.ledger_id,
            )
        )
    return TrustReport(
        kind=REFUSED,
        title="Refused trust operations",
        currency=account.currency if account else "USD",
        criteria=[
            ("account", "Trust account", account.name if account else "all accounts"),
            ("start", "From", start),
            ("end", "To", end),
        ],
        columns=_REFUSED_COLUMNS,
        rows=rows,
        totals=None,
        figures=[Figure("count", "Refused attempts", len(rows), ColumnType.INTEGER)],
        notes=["A refused operation changed nothing; it is kept here for review."],
        file_stem=_slug("trust-refused", account.name if account else "", start, end),
    )
