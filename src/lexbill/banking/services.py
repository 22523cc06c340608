"""Bank statements in, payments out: import, match, queue, post — each change checked and audited.

The file is read completely before anything is written (a malformed file changes nothing), then
the statement's lines are stored in one transaction under a lock on the bank account, so two
imports of overlapping statements can't both add a line. Matching suggestions are computed by the
pure ``lexbill.core.deposit_matching``; posting goes through ``receivables.services.post_payment``
so a bank deposit is booked exactly like a payment typed in by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.banking.models import (
    POSTABLE,
    BankAccount,
    BankTransaction,
    CsvMapping,
    StatementFormat,
    StatementImport,
    TransactionStatus,
)
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import open_invoices, with_balances
from lexbill.clients.models import Client
from lexbill.core.deposit_matching import (
    AUTO_MATCH_SCORE,
    Candidate,
    Deposit,
    OpenBook,
    OpenItem,
    allocate_in_order,
    match_deposit,
)
from lexbill.core.errors import AllocationError, InvalidEntry, InvalidTransition, LexbillError
from lexbill.core.money import to_decimal
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.formats.bank import (
    BankEntry,
    BankStatement,
    BankStatementError,
    CsvLayout,
    read_statement,
)
from lexbill.receivables.models import PaymentMethod
from lexbill.receivables.services import post_payment

# --- accounts and CSV mappings --------------------------------------------------------------


def create_bank_account(
    actor: User | None, name: str, *, currency: str = "USD", number: str = ""
) -> BankAccount:
    require(actor, Action.IMPORT_BANK_STATEMENTS)
    name = name.strip()
    currency = currency.strip().upper()
    if not name:
        raise InvalidEntry("a bank account needs a name", field="name")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidEntry(f"{currency!r} is not a currency code like USD", field="currency")
    if BankAccount.objects.filter(name=name).exists():
        raise InvalidEntry(f"there is already a bank account named {name!r}", field="name")
    return BankAccount.objects.create(name=name, currency=currency, number=number.strip())


def save_csv_mapping(
    actor: User | None,
    bank_account: BankAccount,
    name: str,
    settings: dict[str, object],
    *,
    make_default: bool = True,
) -> CsvMapping:
    """Create or replace the account's mapping of that name; the layout is checked first."""
    require(actor, Action.IMPORT_BANK_STATEMENTS)
    name = name.strip()
    if not name:
        raise InvalidEntry("a mapping needs a name", field="name")
    settings = {k: v for k, v in settings.items() if k != "currency"}
    layout = CsvLayout.from_dict({**settings, "currency": bank_account.currency})
    values = {f: getattr(layout, f) for f in CsvMapping.LAYOUT_FIELDS}
    with transaction.atomic():
        mapping, _ = CsvMapping.objects.update_or_create(
            bank_account=bank_account, name=name, defaults=values
        )
        if make_default and bank_account.default_mapping_id != mapping.pk:
            bank_account.default_mapping = mapping
            bank_account.save(update_fields=["default_mapping"])
    return mapping


# --- import ---------------------------------------------------------------------------------


def _key(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def _check_statement(bank_account: BankAccount, statement: BankStatement) -> None:
    if statement.currency and statement.currency != bank_account.currency:
        raise BankStatementError(
            f"the statement is in {statement.currency}, the account {bank_account.name} in "
            f"{bank_account.currency}",
            field="currency",
        )
    ours, theirs = _key(bank_account.number), _key(statement.account_id)
    if ours and theirs and not (ours.endswith(theirs) or theirs.endswith(ours)):
        raise BankStatementError(
            f"the statement is for account {statement.account_id}, not {bank_account.name} "
            f"({bank_account.number})",
            field="account",
        )


LARGEST_AMOUNT = Decimal("1e15")
"""Far above any real statement line, far below what a 2-place BIGINT column holds (9.2e16)."""
_TEXT_FIELDS = ("bank_ref", "end_to_end_id", "reference", "counterparty", "kind", "check_number")


def _check_amount(amount: Decimal | None, *, line: int | None, field: str) -> None:
    if amount is None:
        return
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2 or abs(amount) >= LARGEST_AMOUNT:
        raise BankStatementError(
            f"{amount} is not an amount in cents this ledger can hold", line=line, field=field
        )


def _check_storable(statement: BankStatement) -> None:
    """Refuse, naming line and field, what the readers accept but a column cannot store (found
    by fuzzing: 500.001, a 30-digit amount, a NUL byte, a 4-letter currency) — otherwise the
    database, not the rules, would refuse it, with an error no user can act on."""
    _check_amount(statement.opening_balance, line=None, field="opening_balance")
    _check_amount(statement.closing_balance, line=None, field="closing_balance")
    for entry in statement.entries:
        _check_amount(entry.amount, line=entry.line, field="amount")
        if entry.currency and not re.fullmatch(r"[A-Z]{3}", entry.currency):
            raise BankStatementError(
                f"{entry.currency[:20]!r} is not a currency code like USD",
                line=entry.line,
                field="currency",
            )
        for name in _TEXT_FIELDS:
            if "\x00" in getattr(entry, name):
                raise BankStatementError(
                    "the text holds a NUL byte: the file is damaged or not text",
                    line=entry.line,
                    field=name,
                )


def fingerprints(entries: Sequence[BankEntry]) -> list[str]:
    """One stable key per entry: the bank's id, else what the line says plus its occurrence.

    Two identical lines in one file (two $50 deposits on a day, no id) are told apart by their
    order, so the same two lines in an overlapping statement are recognised, not added again.
    """
    keys = []
    seen_ids: dict[str, int] = {}
    occurrences: Counter[tuple[str, ...]] = Counter()
    for entry in entries:
        if entry.bank_ref:
            if entry.bank_ref in seen_ids:
                raise BankStatementError(
                    f"the bank id {entry.bank_ref!r} appears twice (lines "
                    f"{seen_ids[entry.bank_ref]} and {entry.line})",
                    line=entry.line,
                    field="bank_ref",
                )
            seen_ids[entry.bank_ref] = entry.line
            key = f"id:{entry.bank_ref}"
            keys.append(
                key if len(key) <= 160 else "id#" + hashlib.sha256(key.encode()).hexdigest()
            )
            continue
        said = (
            entry.booked_on.isoformat(),
            str(entry.amount),
            entry.currency,
            " ".join(entry.reference.split()),
            " ".join(entry.counterparty.split()),
            entry.check_number,
        )
        occurrence = occurrences[said]
        occurrences[said] += 1
        digest = hashlib.sha256("|".join([*said, str(occurrence)]).encode()).hexdigest()
        keys.append(f"h:{digest}")
    return keys


@dataclass(frozen=True)
class ImportResult:
    statement_import: StatementImport
    new: int
    known: int
    matched: int
    queued: int


def import_statement(
    actor: User | None,
    bank_account: BankAccount,
    data: bytes,
    format: str,
    *,
    mapping: CsvMapping | None = None,
    file_name: str = "",
) -> ImportResult:
    """Read a statement file and add the lines this account hasn't seen, then suggest matches.

    All or nothing: a file that can't be read in full is refused before anything is written.
    """
    require(actor, Action.IMPORT_BANK_STATEMENTS)
    if format not in StatementFormat.values:
        raise BankStatementError(f"unknown statement format {format!r}", field="format")
    if format == StatementFormat.CSV:
        mapping = mapping or bank_account.default_mapping
        if mapping is None:
            raise BankStatementError(
                f"choose or define a CSV mapping for {bank_account.name}", field="mapping"
            )
        if mapping.bank_account_id != bank_account.pk:
            raise BankStatementError(
                f"mapping {mapping.name!r} belongs to another account", field="mapping"
            )
    layout = mapping.layout() if mapping is not None and format == "csv" else None
    statement = read_statement(data, format, layout=layout, account_id=bank_account.number)
    _check_statement(bank_account, statement)
    _check_storable(statement)
    keys = fingerprints(statement.entries)
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().get(pk=bank_account.pk)
        known = set(
            BankTransaction.objects.filter(bank_account=account, fingerprint__in=keys).values_list(
                "fingerprint", flat=True
            )
        )
        fresh = [(e, k) for e, k in zip(statement.entries, keys, strict=True) if k not in known]
        record = StatementImport.objects.create(
            bank_account=account,
            format=format,
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            mapping=mapping if format == "csv" else None,
            imported_at=timezone.now(),
            imported_by=actor,
            period_start=statement.period_start,
            period_end=statement.period_end,
            opening_balance=statement.opening_balance,
            closing_balance=statement.closing_balance,
            entry_count=len(statement.entries),
            new_count=len(fresh),
            known_count=len(statement.entries) - len(fresh),
            credit_count=sum(1 for e, _ in fresh if e.is_credit),
        )
        # a trust account's deposits are client money, never receipts for the firm's invoices
        trust = hasattr(account, "trust_account")
        created = BankTransaction.objects.bulk_create(
            [_transaction(record, entry, key, trust) for entry, key in fresh]
        )
        matched = 0 if trust else _suggest([t for t in created if t.is_credit])
        record.matched_count = matched
        record.save(update_fields=["matched_count"])
        queued = sum(1 for t in created if t.status == TransactionStatus.UNMATCHED)
        record_event(
            "banking.StatementImport",
            record.pk,
            f"statement {file_name or format} imported into {account.name}: "
            f"{len(fresh)} new, {record.known_count} already known, {matched} matched",
            new=len(fresh),
            known=record.known_count,
            matched=matched,
            queued=queued,
            sha256=record.sha256,
        )
    return ImportResult(record, len(fresh), record.known_count, matched, queued)


TRUST_NOTE = "trust account: cleared in the trust reconciliation, not a receipt for invoices"


def _transaction(
    record: StatementImport, entry: BankEntry, key: str, trust: bool
) -> BankTransaction:
    credit = entry.is_credit and not trust
    return BankTransaction(
        statement_import=record,
        bank_account_id=record.bank_account_id,
        line_no=entry.line,
        booked_on=entry.booked_on,
        value_on=entry.value_on,
        amount=entry.amount,
        currency=entry.currency or record.bank_account.currency,
        kind=entry.kind[:40],
        bank_ref=entry.bank_ref[:100],
        end_to_end_id=entry.end_to_end_id[:200],
        reference=entry.reference,
        payer_name=entry.counterparty[:200],
        check_number=entry.check_number[:40],
        fingerprint=key,
        status=TransactionStatus.UNMATCHED if credit else TransactionStatus.IGNORED,
        note="" if credit else TRUST_NOTE if trust else "money out: not a receipt",
    )


# --- matching -------------------------------------------------------------------------------


def _open_book(currencies: Iterable[str]) -> tuple[OpenBook, dict[int, str]]:
    """Every open invoice in the currencies, less what matched-but-unposted lines already claim."""
    rows = (
        with_balances(Invoice.objects.filter(currency__in=set(currencies)))
        .filter(balance__gt=0)  # type: ignore[misc]
        .values_list("number", "client_id", "client__name", "issued_on", "balance", "currency")
    )
    book = OpenBook(OpenItem(*row) for row in rows)
    claimed = BankTransaction.objects.filter(status__in=POSTABLE, currency__in=set(currencies))
    for currency, allocations in claimed.values_list("currency", "allocations"):
        book.consume(currency, [(n, Decimal(a)) for n, a in allocations])
    numbers = dict(Client.objects.filter(pk__in=set(book.client_names)).values_list("pk", "number"))
    return book, numbers


def _stored(candidate: Candidate, numbers: dict[int, str]) -> dict[str, object]:
    return {
        "client_id": candidate.client_id,
        "client_number": numbers.get(candidate.client_id, ""),
        "client_name": candidate.client_name,
        "allocations": [[n, str(a)] for n, a in candidate.allocations],
        "score": candidate.score,
        "reasons": list(candidate.reasons),
    }


def _deposit(txn: BankTransaction) -> Deposit:
    text = " ".join([txn.reference, txn.end_to_end_id, txn.payer_name])
    return Deposit(Decimal(txn.amount), txn.currency, text, txn.payer_name)


def _suggest(credits: Sequence[BankTransaction]) -> int:
    """Match what is unambiguous, queue the rest with candidates; returns how many matched."""
    if not credits:
        return 0
    book, numbers = _open_book({t.currency for t in credits})
    now = timezone.now()
    matched = 0
    for txn in sorted(credits, key=lambda t: (t.booked_on, t.line_no)):
        result = match_deposit(_deposit(txn), book)
        txn.candidates = [_stored(c, numbers) for c in result.candidates]
        if result.chosen is not None:
            book.consume(txn.currency, result.chosen.allocations)
            txn.status = TransactionStatus.MATCHED
            txn.client_id = result.chosen.client_id
            txn.allocations = [[n, str(a)] for n, a in result.chosen.allocations]
            txn.note = "; ".join(result.chosen.reasons)
            txn.matched_at = now
            matched += 1
        else:
            txn.status = TransactionStatus.UNMATCHED
            txn.client = None
            txn.allocations = []
            txn.note = _why_queued(result.candidates)
        txn.save(
            update_fields=["candidates", "status", "client", "allocations", "note", "matched_at"]
        )
    return matched


def _why_queued(candidates: Sequence[Candidate]) -> str:
    if not candidates:
        return "no open invoice fits: match by hand or ignore"
    if candidates[0].score < AUTO_MATCH_SCORE:
        return "not sure enough to match automatically: check the suggestions"
    return "several candidates are close: choose one"


def rematch_queue(actor: User | None) -> int:
    """Suggest again for every queued credit (after new invoices or payments); returns matched."""
    require(actor, Action.IMPORT_BANK_STATEMENTS)
    with transaction.atomic():
        queued = list(
            BankTransaction.objects.select_for_update().filter(
                status=TransactionStatus.UNMATCHED, amount__gt=0
            )
        )
        return _suggest(queued)


def _locked(txn: BankTransaction) -> BankTransaction:
    return BankTransaction.objects.select_for_update().get(pk=txn.pk)


def match_by_hand(
    actor: User | None,
    txn: BankTransaction,
    client: Client,
    allocations: Sequence[tuple[str, Decimal | str]] | None = None,
) -> BankTransaction:
    """A person says whose money this is and which invoices it pays (None: oldest first).

    An empty list keeps the whole deposit as the client's unapplied credit.
    """
    require(actor, Action.IMPORT_BANK_STATEMENTS)
    with transaction.atomic():
        locked = _locked(txn)
        if locked.status == TransactionStatus.POSTED:
            raise InvalidTransition("this deposit is already posted as a payment", field="status")
        if not locked.is_credit:
            raise InvalidEntry("money out can't be matched to invoices", field="amount")
        amount = Decimal(locked.amount)
        invoices = open_invoices(client, locked.currency)
        if allocations is None:
            plan = allocate_in_order(
                amount,
                [
                    OpenItem(
                        i.number,
                        client.pk,
                        client.name,
                        i.issued_on,
                        i.balance,  # type: ignore[attr-defined]
                        i.currency,
                    )
                    for i in invoices
                ],
            )
        else:
            plan = _checked(amount, locked.currency, client, invoices, allocations)
        locked.status = TransactionStatus.CONFIRMED
        locked.client = client
        locked.allocations = [[n, str(a)] for n, a in plan]
        locked.note = ""
        locked.matched_at = timezone.now()
        locked.matched_by = actor
        locked.save()
    return locked


def _checked(
    amount: Decimal,
    currency: str,
    client: Client,
    invoices: Sequence[Invoice],
    allocations: Sequence[tuple[str, Decimal | str]],
) -> tuple[tuple[str, Decimal], ...]:
    balance = {i.number: Decimal(i.balance) for i in invoices}  # type: ignore[attr-defined]
    plan: list[tuple[str, Decimal]] = []
    for number, value in allocations:
        paid = to_decimal(value)
        if number not in balance:
            raise AllocationError(
                f"invoice {number} is not an open {currency} invoice of {client.name}",
                field="allocation",
            )
        if any(n == number for n, _ in plan):
            raise AllocationError(f"invoice {number} is named twice", field="allocation")
        if paid <= 0 or paid > balance[number]:
            raise AllocationError(
                f"{paid} for invoice {number} must be more than zero and at most its balance "
                f"of {balance[number]}",
                field="allocation",
            )
        plan.append((number, paid))
    total = sum((a for _, a in plan), Decimal(0))
    if total > amount:
        raise AllocationError(
            f"the allocations total {total}, more than the deposit of {amount}",
            field="allocation",
        )
    return tuple(plan)


def ignore(actor: User | None, txn: BankTransaction, reason: str) -> BankTransaction:
    """Not a client payment (a refund from a supplier, a transfer between our own accounts)."""
    require(actor, Action.IMPORT_BANK_STATEMENTS)
    reason = reason.strip()
    if not reason:
        raise InvalidEntry("say why this deposit is ignored", field="reason")
    with transaction.atomic():
        locked = _locked(txn)
        if locked.status == TransactionStatus.POSTED:
            raise InvalidTransition("this deposit is already posted as a payment", field="status")
        locked.status = TransactionStatus.IGNORED
        locked.client = None
        locked.allocations = []
        locked.note = reason[:300]
        locked.matched_by = actor
        locked.matched_at = timezone.now()
        locked.save()
    return locked


# --- posting --------------------------------------------------------------------------------


def payment_method(txn: BankTransaction) -> str:
    """Check, wire or ACH, from what the bank called the transaction."""
    kind = txn.kind.upper()
    text = f"{kind} {txn.reference}".upper()
    if txn.check_number or "CHECK" in kind or "CHEQUE" in kind or kind.endswith("-CHQD"):
        return PaymentMethod.CHECK
    if "WIRE" in text or "FEDWIRE" in text or "XBCT" in kind:
        return PaymentMethod.WIRE
    return PaymentMethod.ACH


@dataclass
class PostResult:
    posted: list[BankTransaction] = field(default_factory=list)
    requeued: list[tuple[BankTransaction, str]] = field(default_factory=list)


def post_matched(actor: User | None, transaction_ids: Iterable[int] | None = None) -> PostResult:
    """Post every matched deposit as a payment, each exactly once; misfits go back to the queue.

    Each deposit is posted in its own transaction with its row locked, and marked posted with its
    payment in that same transaction: running this twice, or twice at once, posts nothing twice.
    A deposit whose invoice was paid or credited meanwhile returns to the queue with the reason.
    """
    require(actor, Action.POST_PAYMENT)
    pending = BankTransaction.objects.filter(status__in=POSTABLE)
    if transaction_ids is not None:
        pending = pending.filter(pk__in=list(transaction_ids))
    result = PostResult()
    for pk in pending.order_by("booked_on", "id").values_list("pk", flat=True):
        with transaction.atomic():
            txn = BankTransaction.objects.select_for_update().get(pk=pk)
            if txn.status not in POSTABLE:
                continue  # someone else posted or changed it first
            try:
                if txn.client_id is None:
                    raise InvalidEntry("no client chosen", field="client")
                with transaction.atomic():
                    payment = post_payment(
                        actor,
                        txn.client,  # type: ignore[arg-type]
                        Decimal(txn.amount),
                        txn.booked_on,
                        allocations=[(n, Decimal(a)) for n, a in txn.allocations],
                        method=payment_method(txn),
                        reference=(txn.bank_ref or txn.end_to_end_id or txn.check_number)[:100],
                        currency=txn.currency,
                        payer_name=txn.payer_name,
                    )
            except LexbillError as exc:
                txn.status = TransactionStatus.UNMATCHED
                txn.note = f"not posted: {exc.message}"[:300]
                txn.client = None
                txn.allocations = []
                txn.save()
                result.requeued.append((txn, exc.message))
                continue
            txn.status = TransactionStatus.POSTED
            txn.payment = payment
            txn.save()
            result.posted.append(txn)
    if result.posted or result.requeued:
        record_event(
            "banking.BankTransaction",
            "",
            f"{len(result.posted)} bank deposits posted as payments, "
            f"{len(result.requeued)} returned to the queue",
            posted=[t.pk for t in result.posted],
            requeued=[t.pk for t, _ in result.requeued],
        )
    return result
