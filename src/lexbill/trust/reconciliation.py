"""The monthly three-way reconciliation of a trust account: match, compare, sign off.

A bank statement is imported into the trust account's bank account; its lines are matched to
journal postings (and IOLTA interest entries) — automatically where only one pairing is possible,
by hand otherwise. A match *counts* as of a day only when every part of it (each bank line and
each posting) is dated on or before that day; anything else is open as of that day:

* a posting not yet cleared is a deposit in transit (money in) or an outstanding payment (out);
* a bank line not yet in the journal is an unrecorded bank item, which explains a difference.

The arithmetic is ``lexbill.core.trust_reconciliation.three_way``; this module only gathers the
inputs with a handful of set-based queries (no per-row loops: a month of 100,000 postings
reconciles in about a second), and stores matches and sign-offs. A signed month keeps a JSON
snapshot of everything it showed and can't be changed: postings into it are refused by the
services, and its matches can't be undone.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet, Sum
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.banking.models import BankTransaction, CsvMapping, StatementImport
from lexbill.banking.services import ImportResult, import_statement
from lexbill.core.errors import InvalidEntry, InvalidTransition, NotFound, TrustRuleViolation
from lexbill.core.trust_reconciliation import (
    BankLine,
    Difference,
    JournalItem,
    LedgerLine,
    OpenItem,
    ThreeWay,
    match_cleared,
    three_way,
)
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.trust.models import (
    FoundationInterest,
    InterestKind,
    LedgerKind,
    SignedReconciliation,
    TrustAccount,
    TrustClearing,
    TrustLedger,
    TrustTransaction,
)
from lexbill.trust.selectors import (
    foundation_interest_held,
    journal_balance,
    signed_through,
    trust_policy,
)
from lexbill.trust.services import refusals_logged

INTEREST_CREDITED = "IOLTA interest credited (held for the bar foundation)"
INTEREST_REMITTED = "IOLTA interest remitted to the bar foundation"


# --- months ----------------------------------------------------------------------------------


def month_bounds(month: str | date) -> tuple[date, date]:
    """The first and last day of a month given as ``"2026-06"`` or as any date in it."""
    if isinstance(month, str):
        try:
            year, number = (int(part) for part in month.strip().split("-")[:2])
            first = date(year, number, 1)
        except ValueError:
            raise InvalidEntry(f"{month!r} is not a month (YYYY-MM)", field="month") from None
    else:
        first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _month_ends(first: date, last: date) -> list[date]:
    """The last days of every month from ``first``'s through ``last``'s."""
    ends = []
    _, end = month_bounds(first)
    while end <= last:
        ends.append(end)
        _, end = month_bounds(end + timedelta(days=1))
    return ends


# --- what is open as of a day ----------------------------------------------------------------


# Above this many matches straddling the day, the ids stay a subquery instead of a list.
_LATE_IDS_INLINE = 5000


def _late_matches(account: TrustAccount, as_of: date) -> list[Any]:
    """Numbers of matches with a part dated after ``as_of``: as of that day they do not count yet.

    Usually a few (checks cashed after the month's end), so they are fetched once as a list
    for the three queries that need them; many of them stay subqueries.
    """
    queries = [
        BankTransaction.objects.filter(
            bank_account_id=account.bank_account_id,
            booked_on__gt=as_of,
            trust_clearing__isnull=False,
        ).values("trust_clearing__match_no"),
        TrustTransaction.objects.filter(
            account=account, entered_on__gt=as_of, clearing__isnull=False
        ).values("clearing__match_no"),
        FoundationInterest.objects.filter(
            account=account, entered_on__gt=as_of, clearing__isnull=False
        ).values("clearing__match_no"),
    ]
    ids: set[int] = set()
    for query in queries:
        ids.update(row[0] for row in query.values_list()[: _LATE_IDS_INLINE + 1])
        if len(ids) > _LATE_IDS_INLINE:
            return queries
    return [sorted(ids)] if ids else []


def _uncleared(queryset: QuerySet[Any], late: list[Any], relation: str) -> Any:
    """Rows not matched, or matched only by a match that does not count yet."""
    condition = Q(**{f"{relation}__isnull": True})
    for ids in late:
        condition |= Q(**{f"{relation}__match_no__in": ids})
    return queryset.filter(condition)


def _statement_balance(account: TrustAccount, period_end: date) -> Decimal:
    found = (
        StatementImport.objects.filter(
            bank_account_id=account.bank_account_id,
            period_end=period_end,
            closing_balance__isnull=False,
        )
        .order_by("-imported_at", "-id")
        .values_list("closing_balance", flat=True)
        .first()
    )
    if found is None:
        raise InvalidEntry(
            f"no statement of {account.name} ends on {period_end} with a closing balance; "
            "import the month's statement or give the statement balance",
            field="statement_balance",
        )
    return Decimal(found)


_LEDGER_FIELDS = ("id", "kind", "client__name", "matter__number", "matter__name")


def _ledger_name(row: dict[str, Any]) -> str:
    if row["kind"] == LedgerKind.BUFFER:
        return "Firm bank-charge buffer"
    return f"{row['client__name']}, {row['matter__number']} {row['matter__name']}"


def _posting_item(row: dict[str, Any]) -> OpenItem:
    party = f" {row['counterparty']}" if row["counterparty"] else ""
    kind = str(row["kind"]).replace("_", " ")
    return OpenItem(
        on=row["entered_on"],
        amount=Decimal(row["amount"]),
        description=f"{kind}{party}".strip(),
        reference=row["reference"],
        id=row["id"],
    )


def _interest_item(row: dict[str, Any]) -> OpenItem:
    credited = row["kind"] == InterestKind.CREDITED
    amount = Decimal(row["amount"])
    return OpenItem(
        on=row["entered_on"],
        amount=amount if credited else -amount,
        description=INTEREST_CREDITED if credited else INTEREST_REMITTED,
        reference=row["reference"],
    )


def _bank_item(row: dict[str, Any]) -> OpenItem:
    words = [row["kind"], row["payer_name"], " ".join(str(row["reference"]).split())]
    return OpenItem(
        on=row["booked_on"],
        amount=Decimal(row["amount"]),
        description=" ".join(w for w in words if w)[:200] or "bank line",
        reference=row["check_number"] or row["bank_ref"],
        id=row["id"],
    )


def three_way_for(
    account: TrustAccount, period_end: date, statement_balance: Decimal | None = None
) -> ThreeWay:
    """The account's three-way reconciliation as of ``period_end`` (its month's last day).

    The statement balance is the one given, else the closing balance of the imported statement
    that ends on ``period_end``.
    """
    period_start = period_end.replace(day=1)
    balance = (
        _statement_balance(account, period_end) if statement_balance is None else statement_balance
    )
    late = _late_matches(account, period_end)
    postings = _uncleared(
        TrustTransaction.objects.filter(account=account, entered_on__lte=period_end),
        late,
        "clearing",
    ).values("id", "entered_on", "amount", "kind", "counterparty", "reference")
    interest = _uncleared(
        FoundationInterest.objects.filter(account=account, entered_on__lte=period_end),
        late,
        "clearing",
    ).values("id", "entered_on", "amount", "kind", "reference")
    bank = _uncleared(
        BankTransaction.objects.filter(
            bank_account_id=account.bank_account_id, booked_on__lte=period_end
        ),
        late,
        "trust_clearing",
    ).values(
        "id", "booked_on", "amount", "kind", "payer_name", "reference", "check_number", "bank_ref"
    )
    open_items = [_posting_item(r) for r in postings.order_by("entered_on", "id")]
    open_items += [_interest_item(r) for r in interest.order_by("entered_on", "id")]
    # every ledger's balance and last posting in one grouped pass over the journal: a
    # correlated subquery per ledger (``ledgers_with_balances``) costs 0.45 s for 5,000 ledgers
    # on PostgreSQL
    sums = {
        row["ledger_id"]: (row["balance"], row["last"])
        for row in TrustTransaction.objects.filter(
            ledger__account=account, entered_on__lte=period_end
        )
        .order_by()
        .values("ledger_id")
        .annotate(balance=Sum("amount"), last=Max("entered_on"))
    }
    rows = (
        TrustLedger.objects.filter(account=account, opened_on__lte=period_end)
        .order_by("kind", "matter__number")
        .values(*_LEDGER_FIELDS)
    )
    ledgers = []
    for row in rows:
        total, last = sums.get(row["id"], (None, None))
        ledgers.append(
            LedgerLine(
                ledger_id=row["id"],
                name=_ledger_name(row),
                kind=row["kind"],
                balance=Decimal(total) if total is not None else Decimal("0.00"),
                last_activity=last,
            )
        )
    return three_way(
        period_start=period_start,
        period_end=period_end,
        statement_balance=balance,
        deposits_in_transit=[i for i in open_items if i.amount > 0],
        outstanding_payments=[i for i in open_items if i.amount < 0],
        foundation_interest=foundation_interest_held(account, period_end),
        journal_balance=journal_balance(account, period_end),
        ledgers=ledgers,
        unrecorded_bank_items=[_bank_item(r) for r in bank.order_by("booked_on", "id")],
        dormant_months=trust_policy().dormant_months,
    )


# --- the whole firm --------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountMonth:
    """One account's reconciliation in the firm-wide summary, or why it could not be made."""

    account: TrustAccount
    three_way: ThreeWay | None
    missing: str = ""  # e.g. no statement balance for the month
    signed: SignedReconciliation | None = None


@dataclass(frozen=True)
class SideTotals:
    """The three sides added up over every account in one currency."""

    currency: str
    statement_balance: Decimal
    foundation_interest: Decimal
    adjusted_bank: Decimal
    journal_balance: Decimal
    ledgers_total: Decimal

    @property
    def agree(self) -> bool:
        return self.adjusted_bank == self.journal_balance == self.ledgers_total


@dataclass(frozen=True)
class FirmWide:
    period_end: date
    accounts: tuple[AccountMonth, ...]
    totals: tuple[SideTotals, ...]  # one per currency, over the accounts that could be computed
    reconciled: bool  # every account computed and reconciled
    problems: tuple[str, ...]  # each account's problems, prefixed with its name


def firm_wide(
    period_end: date, statement_balances: Mapping[int, Decimal] | None = None
) -> FirmWide:
    """Every active trust account's reconciliation for the month, and the sides' totals.

    An account's statement balance is the one given in ``statement_balances`` (by account id),
    else the one its month was signed with, else its imported statement's closing balance; an
    account with none of these is listed as missing and leaves the firm's month unreconciled.
    """
    given_balances = statement_balances or {}
    rows: list[AccountMonth] = []
    problems: list[str] = []
    signed = {
        s.account_id: s
        for s in SignedReconciliation.objects.filter(period_end=period_end).select_related(
            "signed_by"
        )
    }
    for account in TrustAccount.objects.filter(active=True, opened_on__lte=period_end):
        kept = signed.get(account.pk)
        given = given_balances.get(account.pk)
        if given is None and kept is not None:
            given = Decimal(kept.statement_balance)
        try:
            result = three_way_for(account, period_end, given)
        except InvalidEntry as error:
            rows.append(AccountMonth(account, None, error.message, kept))
            problems.append(f"{account.name}: {error.message}.")
            continue
        rows.append(AccountMonth(account, result, "", kept))
        problems.extend(f"{account.name}: {p}" for p in result.problems)
    totals: dict[str, list[Decimal]] = {}
    for row in rows:
        if row.three_way is None:
            continue
        w = row.three_way
        sums = totals.setdefault(row.account.currency, [Decimal("0.00")] * 5)
        for i, value in enumerate(
            (
                w.statement_balance,
                w.foundation_interest,
                w.adjusted_bank,
                w.journal_balance,
                w.ledgers_total,
            )
        ):
            sums[i] += value
    return FirmWide(
        period_end=period_end,
        accounts=tuple(rows),
        totals=tuple(SideTotals(currency, *sums) for currency, sums in sorted(totals.items())),
        reconciled=not problems,
        problems=tuple(problems),
    )


# --- statements and matching -----------------------------------------------------------------


def import_trust_statement(
    actor: User | None,
    account: TrustAccount,
    data: bytes,
    format: str,
    *,
    mapping: CsvMapping | None = None,
    file_name: str = "",
) -> ImportResult:
    """Import a statement into the trust account's bank account, then match what is certain.

    ``matched`` in the result is the number of matches made automatically; ``queued`` the
    account's bank lines through the statement's last day still waiting for a match.
    """
    require(actor, Action.RECONCILE_TRUST)
    result = import_statement(
        actor, account.bank_account, data, format, mapping=mapping, file_name=file_name
    )
    record = result.statement_import
    through = record.period_end or record.transactions.aggregate(d=Max("booked_on"))["d"]
    if through is None:
        return result
    matched = auto_match(actor, account, through)
    waiting = unmatched(account, through)[0].count()
    return dataclasses.replace(result, matched=matched, queued=waiting)


def unmatched(
    account: TrustAccount, through: date
) -> tuple[QuerySet[BankTransaction], QuerySet[TrustTransaction], QuerySet[FoundationInterest]]:
    """Bank lines, postings and interest entries dated up to ``through`` not in any match."""
    return (
        BankTransaction.objects.filter(
            bank_account_id=account.bank_account_id,
            booked_on__lte=through,
            trust_clearing__isnull=True,
        ).order_by("booked_on", "id"),
        TrustTransaction.objects.filter(
            account=account, entered_on__lte=through, clearing__isnull=True
        )
        .select_related("ledger__matter", "ledger__client")
        .order_by("entered_on", "id"),
        FoundationInterest.objects.filter(
            account=account, entered_on__lte=through, clearing__isnull=True
        ).order_by("entered_on", "id"),
    )


def _interest_signed(kind: str, amount: Decimal) -> Decimal:
    return amount if kind == InterestKind.CREDITED else -amount


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while 200,000 small objects are made and dropped: they hold
    no cycles, and the collector's passes over them would cost a third of the matching."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _raw_rows(rows: QuerySet[Any, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A ``values_list``'s rows fetched with the plain cursor: the ORM's per-value converters
    would double the time of 100,000 rows. Amounts come back as integer cents
    (``FixedDecimalField``); a date may come back as text (``_day``)."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched: list[tuple[Any, ...]] = cursor.fetchall()
    return fetched


def _day(value: Any) -> date:
    return value if value.__class__ is date else date.fromisoformat(value)


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def auto_match(actor: User | None, account: TrustAccount, through: date) -> int:
    """Match every unambiguous pair up to ``through``; the number of matches made.

    One pass over three queries and a dictionary, then one bulk insert of a row per pair.
    Pairs entirely inside a signed month are left alone (that month is kept as signed).
    """
    require(actor, Action.RECONCILE_TRUST)
    with transaction.atomic():
        TrustAccount.objects.select_for_update().get(pk=account.pk)
        bank_q, postings_q, interest_q = unmatched(account, through)
        with _collector_paused():
            # one pass from the cursor's rows to the matcher's tuples (no rows in between);
            # unsorted, as the pairs found don't depend on the order (a sort of 100,000 rows
            # spills to disk with PostgreSQL's default work_mem)
            bank = [
                BankLine(
                    pk, _day(day), _cents(cents), check or "", f"{ref or ''} {e2e or ''}".strip()
                )
                for pk, day, cents, check, ref, e2e in _raw_rows(
                    bank_q.order_by().values_list(
                        "id", "booked_on", "amount", "check_number", "reference", "end_to_end_id"
                    )
                )
            ]
            journal = [
                JournalItem(pk, _day(day), _cents(cents), ref or "")
                for pk, day, cents, ref in _raw_rows(
                    postings_q.order_by().values_list("id", "entered_on", "amount", "reference")
                )
            ]
            journal += [
                JournalItem(pk, day, _interest_signed(kind, Decimal(amount)), ref, interest=True)
                for pk, day, amount, kind, ref in interest_q.values_list(
                    "id", "entered_on", "amount", "kind", "reference"
                )
            ]
            matches = match_cleared(bank, journal)
            closed = signed_through(account)
            pairs = (
                matches
                if closed is None
                else [
                    (line, item) for line, item in matches if max(line.booked_on, item.on) > closed
                ]
            )
            if not pairs:
                return 0
            _insert_matches(actor, pairs)
        record_event(
            "trust.TrustAccount",
            account.pk,
            f"{len(pairs)} bank lines of {account.name} matched automatically through {through}",
            matched=len(pairs),
            through=through.isoformat(),
        )
    return len(pairs)


_CLEARING_COLUMNS = (
    "match_no", "bank_transaction_id", "trust_transaction_id", "foundation_interest_id",
    "matched_at", "matched_by_id", "automatic",
)  # fmt: skip


def _insert_matches(actor: User | None, pairs: Sequence[tuple[BankLine, JournalItem]]) -> None:
    """One row per automatic match (both sides on it), named by its bank line's id.

    Inserted without model instances (``bulk_create`` would spend most of 100,000 matches' time
    building them): on PostgreSQL streamed with ``COPY … FROM STDIN`` as one block of text (no
    statement to parse, no parameter arrays to dump), elsewhere one prepared ``INSERT`` run for
    every row. The values are ints, ``NULL`` and one timestamp: nothing needs escaping.
    """
    table = connection.ops.quote_name(TrustClearing._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in _CLEARING_COLUMNS)
    now = timezone.now()
    by = actor.pk if actor is not None else None
    if connection.vendor == "postgresql":
        who = "\\N" if by is None else str(by)
        tail = f"\t{now.isoformat()}\t{who}\tt\n"
        data = "".join(
            [
                f"{line.id}\t{line.id}\t\\N\t{item.id}{tail}"
                if item.interest
                else f"{line.id}\t{line.id}\t{item.id}\t\\N{tail}"
                for line, item in pairs
            ]
        )
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write(data)
        return
    stamp = TrustClearing._meta.get_field("matched_at").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (line.id, line.id, None, item.id, stamp, by, True)
                if item.interest
                else (line.id, line.id, item.id, None, stamp, by, True)
                for line, item in pairs
            ],
        )


def _by_ids(queryset: QuerySet[Any], ids: Sequence[int], what: str) -> list[Any]:
    wanted = set(ids)
    found = list(queryset.filter(pk__in=wanted))
    missing = wanted - {row.pk for row in found}
    if missing:
        raise NotFound(
            f"no {what} {', '.join(str(i) for i in sorted(missing))} in this account",
            field=what.replace(" ", "_"),
        )
    return found


@refusals_logged("match")
def match_by_hand(
    actor: User | None,
    account: TrustAccount,
    *,
    bank_ids: Sequence[int],
    posting_ids: Sequence[int],
    interest_ids: Sequence[int] = (),
) -> int:
    """Match bank lines to postings (and interest entries) a person picked; the sums must agree.
    The match's number (its smallest bank line's id).

    Interest credited counts plus, interest remitted minus, as on the statement. The match is
    stored as rows pairing its bank lines and journal entries in order, as many rows as the
    longer side; where one side runs out a row holds the other side only.
    """
    require(actor, Action.RECONCILE_TRUST)
    if not bank_ids or not (posting_ids or interest_ids):
        raise InvalidEntry(
            "a match needs at least one bank line and one posting or interest entry",
            field="bank_ids" if not bank_ids else "posting_ids",
        )
    with transaction.atomic():
        TrustAccount.objects.select_for_update().get(pk=account.pk)
        lines = _by_ids(
            BankTransaction.objects.filter(bank_account_id=account.bank_account_id),
            bank_ids,
            "bank line",
        )
        postings = _by_ids(TrustTransaction.objects.filter(account=account), posting_ids, "posting")
        interest = _by_ids(
            FoundationInterest.objects.filter(account=account), interest_ids, "interest entry"
        )
        taken = [
            f"bank line {pk}"
            for pk in TrustClearing.objects.filter(bank_transaction__in=lines).values_list(
                "bank_transaction_id", flat=True
            )
        ]
        taken += [
            f"posting {pk}"
            for pk in TrustClearing.objects.filter(trust_transaction__in=postings).values_list(
                "trust_transaction_id", flat=True
            )
        ]
        taken += [
            f"interest entry {pk}"
            for pk in TrustClearing.objects.filter(foundation_interest__in=interest).values_list(
                "foundation_interest_id", flat=True
            )
        ]
        if taken:
            raise InvalidTransition(f"already matched: {', '.join(taken)}", field="bank_ids")
        bank_total = sum((Decimal(r.amount) for r in lines), Decimal("0.00"))
        journal_total = sum((Decimal(r.amount) for r in postings), Decimal("0.00")) + sum(
            (_interest_signed(r.kind, Decimal(r.amount)) for r in interest), Decimal("0.00")
        )
        if bank_total != journal_total:
            raise TrustRuleViolation(
                f"the bank lines add up to {bank_total:,.2f} and the journal entries to "
                f"{journal_total:,.2f}: a match must balance",
                field="bank_ids",
            )
        closed = signed_through(account)
        days = [r.booked_on for r in lines] + [r.entered_on for r in (*postings, *interest)]
        if closed is not None and max(days) <= closed:
            raise TrustRuleViolation(
                f"every part is dated in a month signed off through {closed}; "
                "that reconciliation is kept as signed",
                field="bank_ids",
            )
        lines.sort(key=lambda r: r.pk)
        entries: list[tuple[TrustTransaction | None, FoundationInterest | None]] = [
            (r, None) for r in sorted(postings, key=lambda r: r.pk)
        ] + [(None, r) for r in sorted(interest, key=lambda r: r.pk)]
        match_no: int = lines[0].pk
        now = timezone.now()
        TrustClearing.objects.bulk_create(
            [
                TrustClearing(
                    match_no=match_no,
                    bank_transaction=lines[i] if i < len(lines) else None,
                    trust_transaction=entries[i][0] if i < len(entries) else None,
                    foundation_interest=entries[i][1] if i < len(entries) else None,
                    matched_at=now,
                    matched_by=actor,
                    automatic=False,
                )
                for i in range(max(len(lines), len(entries)))
            ]
        )
        record_event(
            "trust.TrustClearing",
            match_no,
            f"{len(lines)} bank lines matched by hand to {len(postings) + len(interest)} "
            f"journal entries of {account.name} ({bank_total:,.2f})",
            bank_lines=[r.pk for r in lines],
            postings=[r.pk for r in postings],
            interest=[r.pk for r in interest],
            amount=str(bank_total),
        )
    return match_no


def match_account(match_no: int) -> TrustAccount:
    """The trust account a match belongs to: its bank line's (the match is named by it)."""
    account = TrustAccount.objects.filter(
        bank_account__transactions__trust_clearing__match_no=match_no,
        bank_account__transactions__pk=match_no,
    ).first()
    if account is None:
        raise NotFound(f"no match {match_no}", field="match")
    return account


def _match_days(match_no: int) -> list[date]:
    days: list[date] = []
    for row in TrustClearing.objects.filter(match_no=match_no).values_list(
        "bank_transaction__booked_on",
        "trust_transaction__entered_on",
        "foundation_interest__entered_on",
    ):
        days += [day for day in row if day is not None]
    return days


@refusals_logged("unmatch")
def unmatch(actor: User | None, account: TrustAccount, match_no: int) -> None:
    """Undo a match (the postings and bank lines are open again), unless a signed month used it."""
    require(actor, Action.RECONCILE_TRUST)
    with transaction.atomic():
        account = TrustAccount.objects.select_for_update().get(pk=account.pk)
        rows = TrustClearing.objects.filter(match_no=match_no)
        if not rows.filter(
            bank_transaction_id=match_no,
            bank_transaction__bank_account_id=account.bank_account_id,
        ).exists():
            raise NotFound(f"no match {match_no} in {account.name}", field="match")
        closed = signed_through(account)
        days = _match_days(match_no)
        if closed is not None and days and min(days) <= closed:
            raise TrustRuleViolation(
                f"match {match_no} has a part dated in a month signed off through {closed}; "
                "a signed reconciliation can't be changed",
                field="match",
            )
        rows.delete()
        record_event(
            "trust.TrustClearing",
            match_no,
            f"match {match_no} of {account.name} undone",
            account=account.pk,
        )


# --- sign-off --------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def snapshot_of(
    account: TrustAccount, result: ThreeWay, signed_by: User | None = None
) -> dict[str, Any]:
    """Every field of the ThreeWay (Decimals as strings, dates ISO), plus the account, the firm
    and the signer as they were, so the printed record never depends on later edits."""
    from lexbill.firm.services import get_firm

    data: dict[str, Any] = _jsonable(dataclasses.asdict(result))
    firm = get_firm()
    data["firm"] = {
        "name": firm.name,
        "address_lines": [line.strip() for line in firm.address.splitlines() if line.strip()],
    }
    data["signed_by"] = (
        {"username": signed_by.username, "name": signed_by.get_full_name() or signed_by.username}
        if signed_by is not None
        else {"username": "", "name": "the system"}
    )
    data["account"] = {
        "id": account.pk,
        "name": account.name,
        "kind": account.kind,
        "kind_display": account.get_kind_display(),
        "currency": account.currency,
        "bank_account": account.bank_account.name,
        "bank_number": account.bank_account.number,
        "client": account.client.name if account.client is not None else "",
    }
    return data


def three_way_from_snapshot(data: dict[str, Any]) -> ThreeWay:
    """The ThreeWay a sign-off stored, rebuilt exactly (for pages and the PDF)."""

    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    def item(d: dict[str, Any]) -> OpenItem:
        on = date.fromisoformat(d["on"])
        return OpenItem(on, Decimal(d["amount"]), d["description"], d["reference"], d["id"])

    def ledger(d: dict[str, Any]) -> LedgerLine:
        return LedgerLine(
            d["ledger_id"], d["name"], d["kind"], Decimal(d["balance"]), day(d["last_activity"])
        )

    def items(key: str, d: dict[str, Any] = data) -> tuple[OpenItem, ...]:
        return tuple(item(x) for x in d[key])

    return ThreeWay(
        period_start=date.fromisoformat(data["period_start"]),
        period_end=date.fromisoformat(data["period_end"]),
        statement_balance=Decimal(data["statement_balance"]),
        deposits_in_transit=items("deposits_in_transit"),
        outstanding_payments=items("outstanding_payments"),
        foundation_interest=Decimal(data["foundation_interest"]),
        adjusted_bank=Decimal(data["adjusted_bank"]),
        journal_balance=Decimal(data["journal_balance"]),
        ledgers=tuple(ledger(x) for x in data["ledgers"]),
        ledgers_total=Decimal(data["ledgers_total"]),
        unrecorded_bank_items=items("unrecorded_bank_items"),
        differences=tuple(
            Difference(
                d["between"],
                Decimal(d["amount"]),
                items("explained_by", d),
                Decimal(d["unexplained"]),
            )
            for d in data["differences"]
        ),
        negative_ledgers=tuple(ledger(x) for x in data["negative_ledgers"]),
        inactive_ledgers=tuple(ledger(x) for x in data["inactive_ledgers"]),
        reconciled=bool(data["reconciled"]),
        problems=tuple(data["problems"]),
    )


@refusals_logged("sign off")
def sign_off(
    actor: User | None,
    account: TrustAccount,
    period_end: date,
    *,
    statement_balance: Decimal | None = None,
    note: str = "",
) -> SignedReconciliation:
    """Sign the month off: only a reconciled month with no negative ledger, months in order.

    What the coordinator saw is stored as a snapshot; the month is closed to postings from then.
    """
    require(actor, Action.SIGN_OFF_RECONCILIATION)
    start, end = month_bounds(period_end)
    if end != period_end:
        raise InvalidEntry(
            f"a reconciliation is signed for a whole month, to {end}", field="period_end"
        )
    if end >= timezone.localdate():
        raise InvalidEntry(f"the month to {end} has not ended yet", field="period_end")
    with transaction.atomic():
        locked = TrustAccount.objects.select_for_update().get(pk=account.pk)
        if end < month_bounds(locked.opened_on)[1]:
            raise InvalidEntry(
                f"{locked.name} was opened on {locked.opened_on}", field="period_end"
            )
        closed = signed_through(locked)
        if closed is not None and end <= closed:
            raise InvalidTransition(
                f"{locked.name} is already signed off through {closed}", field="period_end"
            )
        previous = start - timedelta(days=1)
        if previous >= locked.opened_on and closed != previous:
            raise InvalidTransition(
                f"sign off {locked.name} month by month: the month to {previous} is not signed yet",
                field="period_end",
            )
        result = three_way_for(locked, end, statement_balance)
        if not result.reconciled:
            raise TrustRuleViolation(
                f"{locked.name} does not reconcile to {end}: " + " ".join(result.problems),
                field="statement_balance",
            )
        signed = SignedReconciliation.objects.create(
            account=locked,
            period_start=start,
            period_end=end,
            statement_balance=result.statement_balance,
            adjusted_bank_balance=result.adjusted_bank,
            journal_balance=result.journal_balance,
            ledgers_total=result.ledgers_total,
            snapshot=snapshot_of(locked, result, actor),
            note=note.strip(),
            signed_at=timezone.now(),
            signed_by=actor,
        )
        record_event(
            "trust.SignedReconciliation",
            signed.pk,
            f"{locked.name} reconciled and signed off to {end} at {result.journal_balance:,.2f}",
            account=locked.pk,
            period_end=end.isoformat(),
            balance=str(result.journal_balance),
        )
    return signed


def unreconciled_months(today: date) -> list[tuple[TrustAccount, date]]:
    """(account, month end) for every month ended before today's month and not signed off."""
    last = today.replace(day=1) - timedelta(days=1)
    signed: set[tuple[int, date]] = set(
        SignedReconciliation.objects.values_list("account_id", "period_end")
    )
    months = []
    for account in TrustAccount.objects.filter(active=True, opened_on__lte=last):
        for end in _month_ends(account.opened_on, last):
            if (account.pk, end) not in signed:
                months.append((account, end))
    return months
