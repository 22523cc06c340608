"""The `lexbill trust` commands, registered on the main command by lexbill.cli.

    lexbill trust open-account IOLTA --kind pooled --bank-account "IOLTA - Harbor Trust"
    lexbill trust buffer-deposit 250.00 --account IOLTA
    lexbill trust retainer C001-001 25000.00 --kind evergreen --minimum 15000.00
    lexbill --user clara trust deposit C001-001 25000.00 --payor "Acme Corp" --method wire \\
        --reference "WIRE 0412"
    lexbill --user sam trust disburse C001-001 1200.00 --payee "Court clerk" \\
        --purpose "filing fee" --reference 1043
    lexbill --user sam trust transfer C001-001 2026-00012 --notice-sent-on 2026-04-02
    lexbill trust balance C001-001
    lexbill --user carol trust reverse 17 --reason "check returned NSF"

Every command calls one trust service (roles enforced, refusals logged by the service) and
takes --json. ``--account`` may be left out when there is only one place the money can be: the
firm's only trust account, or the only account holding the matter's ledger. Errors go to stderr
with exit code 1, naming the field, and change nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table

from lexbill.cli import JsonOpt, _acting, _money, _print_json, command, out

app = typer.Typer(no_args_is_help=True, help="Trust (IOLTA) accounts, ledgers and reconciliation.")

Opt = typer.Option
AccountOpt = Annotated[
    str, Opt("--account", help="Trust account name (may be left out when only one fits).")
]


def _today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def _day(text: str | None, field: str) -> date:
    from lexbill.core.errors import InvalidEntry

    if not text:
        return _today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidEntry(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def _amount(text: str, field: str = "amount") -> Decimal:
    from lexbill.core.errors import InvalidEntry
    from lexbill.core.money import to_decimal

    try:
        return to_decimal(text.replace(",", ""))
    except Exception:
        raise InvalidEntry(f"{text!r} is not an amount", field=field) from None


# --- looking things up -----------------------------------------------------------------------


def _matter(number: str) -> Any:
    from lexbill.clients.models import Matter
    from lexbill.core.errors import NotFound

    found = Matter.objects.select_related("client").filter(number=number).first()
    if found is None:
        raise NotFound(f"no matter {number}", field="matter")
    return found


def _named_account(name: str) -> Any:
    from lexbill.core.errors import NotFound
    from lexbill.trust.models import TrustAccount

    found = TrustAccount.objects.select_related("bank_account", "client").filter(name=name).first()
    if found is None:
        known = ", ".join(TrustAccount.objects.values_list("name", flat=True)) or "none yet"
        raise NotFound(f"no trust account named {name!r} (accounts: {known})", field="account")
    return found


def _only_account(name: str) -> Any:
    """The account named, or the firm's only active trust account."""
    from lexbill.core.errors import InvalidEntry
    from lexbill.trust.models import TrustAccount

    if name:
        return _named_account(name)
    accounts = list(TrustAccount.objects.filter(active=True)[:2])
    if len(accounts) != 1:
        raise InvalidEntry(
            "name the trust account with --account"
            + ("" if accounts else " (none is open yet: see `lexbill trust open-account`)"),
            field="account",
        )
    return accounts[0]


def _account_for_deposit(name: str, matter: Any) -> Any:
    """The account named; else the one account already holding the matter's ledger; else the
    client's separate account or the firm's only pooled one when exactly one of those fits."""
    from django.db.models import Q

    from lexbill.core.errors import InvalidEntry
    from lexbill.trust.models import AccountKind, TrustAccount, TrustLedger

    if name:
        return _named_account(name)
    held = list(
        TrustLedger.objects.filter(matter=matter, account__active=True).select_related("account")
    )
    if len(held) == 1:
        return held[0].account
    if not held:
        fitting = list(
            TrustAccount.objects.filter(active=True).filter(
                Q(kind=AccountKind.POOLED) | Q(kind=AccountKind.SEPARATE, client=matter.client)
            )[:2]
        )
        if len(fitting) == 1:
            return fitting[0]
    raise InvalidEntry(
        f"name the trust account for {matter.number} with --account", field="account"
    )


def _ledger(matter: Any, name: str) -> Any:
    """The matter's ledger in the account named, or in the only account holding one."""
    from lexbill.core.errors import InvalidEntry, NotFound
    from lexbill.trust.models import TrustLedger

    ledgers = TrustLedger.objects.filter(matter=matter).select_related("account", "matter")
    if name:
        ledgers = ledgers.filter(account__name=name)
    found = list(ledgers[:2])
    if not found:
        where = f" in {name}" if name else ""
        raise NotFound(f"{matter.number} has no trust ledger{where}", field="matter")
    if len(found) > 1:
        raise InvalidEntry(
            f"{matter.number} has ledgers in several trust accounts: name one with --account",
            field="account",
        )
    return found[0]


def _invoice(number: str) -> Any:
    from lexbill.billing.models import Invoice
    from lexbill.core.errors import NotFound

    found = Invoice.objects.select_related("matter").filter(number=number).first()
    if found is None:
        raise NotFound(f"no invoice {number}", field="invoice")
    return found


def _open_balance(invoice: Any) -> Decimal:
    from lexbill.billing.models import Invoice
    from lexbill.billing.selectors import with_balances

    balance: Decimal = with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance  # type: ignore[attr-defined]
    return balance


# --- what is printed -------------------------------------------------------------------------


def _posting(t: Any) -> dict[str, Any]:
    ledger = t.ledger
    return {
        "id": t.pk,
        "account": t.account.name,
        "ledger": ledger.matter.number if ledger.matter_id else "buffer",
        "kind": t.kind,
        "entered_on": t.entered_on,
        "available_on": t.available_on,
        "amount": t.amount,
        "currency": t.currency,
        "method": t.method,
        "counterparty": t.counterparty,
        "purpose": t.purpose,
        "reference": t.reference,
        "invoice": t.invoice.number if t.invoice_id else None,
        "payment": t.payment_id,
        "reverses": t.reverses_id,
        "posted_by": t.posted_by.username if t.posted_by_id else None,
    }


def _print_posting(t: Any, as_json: bool, what: str) -> None:
    row = _posting(t)
    if as_json:
        _print_json(row)
        return
    hold = (
        f", available {row['available_on']}"
        if row["available_on"] and row["available_on"] > row["entered_on"]
        else ""
    )
    out.print(
        f"{what} {row['id']}: {row['currency']} {_money(row['amount'])} on {row['entered_on']} "
        f"({row['account']}, {row['ledger']}{hold})",
        highlight=False,
    )


def _interest_row(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "account": entry.account.name,
        "kind": f"foundation interest {entry.kind}",
        "entered_on": entry.entered_on,
        "amount": entry.amount,
        "currency": entry.account.currency,
        "reference": entry.reference,
    }


# --- accounts --------------------------------------------------------------------------------


@app.command("accounts")
@command
def accounts(as_json: JsonOpt = False) -> None:
    """List the trust accounts with their journal balance, the firm's buffer and IOLTA interest."""
    from lexbill.firm.permissions import Action, require
    from lexbill.trust.models import TrustAccount
    from lexbill.trust.selectors import (
        buffer_ledger,
        foundation_interest_held,
        journal_balance,
        ledger_balance,
    )

    with _acting() as user:
        require(user, Action.VIEW_TRUST)
        rows: list[dict[str, Any]] = [
            {
                "name": a.name,
                "kind": a.kind,
                "client": a.client.number if a.client is not None else None,
                "bank_account": a.bank_account.name,
                "currency": a.currency,
                "opened_on": a.opened_on,
                "active": a.active,
                "journal_balance": journal_balance(a),
                "buffer": ledger_balance(buffer_ledger(a)),
                "foundation_interest_held": foundation_interest_held(a),
            }
            for a in TrustAccount.objects.select_related("bank_account", "client")
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("Account", "Kind", "Client", "Bank account", "Journal", "Buffer", "IOLTA int.")
    for r in rows:
        table.add_row(
            r["name"],
            r["kind"],
            r["client"] or "",
            r["bank_account"],
            f"{r['currency']} {_money(r['journal_balance'])}",
            _money(r["buffer"]),
            _money(r["foundation_interest_held"]),
        )
    out.print(table)
    if not rows:
        out.print("no trust account yet: see `lexbill trust open-account`")


@app.command("open-account")
@command
def open_account(
    name: Annotated[str, typer.Argument(help="The trust account's name, e.g. IOLTA.")],
    bank_account: Annotated[
        str, Opt("--bank-account", help="The firm's bank account holding the money.")
    ],
    kind: Annotated[str, Opt(help="pooled (IOLTA) or separate (one client).")] = "pooled",
    client: Annotated[str, Opt(help="Client number, for a separate account.")] = "",
    opened_on: Annotated[str | None, Opt("--opened-on", help="YYYY-MM-DD; today.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a trust account over one of the firm's bank accounts (see `lexbill bank account`)."""
    from lexbill.banking.models import BankAccount
    from lexbill.clients.models import Client
    from lexbill.core.errors import NotFound
    from lexbill.trust.services import open_trust_account

    day = _day(opened_on, "opened_on")
    bank = BankAccount.objects.filter(name=bank_account).first()
    if bank is None:
        raise NotFound(f"no bank account named {bank_account!r}", field="bank_account")
    holder = None
    if client:
        holder = Client.objects.filter(number=client).first()
        if holder is None:
            raise NotFound(f"no client {client}", field="client")
    with _acting() as user:
        account = open_trust_account(user, name, kind, bank, day, client=holder)
    row = {
        "id": account.pk,
        "name": account.name,
        "kind": account.kind,
        "bank_account": bank.name,
        "currency": account.currency,
        "client": holder.number if holder else None,
        "opened_on": account.opened_on,
    }
    if as_json:
        _print_json(row)
    else:
        out.print(f"trust account {account.name} ({account.get_kind_display()}) opened")


# --- money in --------------------------------------------------------------------------------


@app.command("deposit")
@command
def deposit_command(
    matter: Annotated[str, typer.Argument(help="Matter number.")],
    amount: Annotated[str, typer.Argument(help="Amount received, e.g. 2500.00.")],
    payor: Annotated[str, Opt(help="Who paid the money in.")],
    account: AccountOpt = "",
    on: Annotated[str | None, Opt("--on", help="Date received (YYYY-MM-DD); today.")] = None,
    method: Annotated[
        str, Opt(help="check, certified_check, cashiers_check, wire, ach, cash, transfer.")
    ] = "check",
    reference: Annotated[str, Opt(help="Check number or wire memo.")] = "",
    purpose: Annotated[str, Opt(help="What the money is for.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record client money received into trust for a matter (held until a check clears)."""
    from lexbill.trust.services import deposit

    found = _matter(matter)
    value = _amount(amount)
    day = _day(on, "received_on")
    with _acting() as user:
        posting = deposit(
            user,
            _account_for_deposit(account, found),
            found,
            value,
            day,
            payor=payor,
            method=method,
            reference=reference,
            purpose=purpose,
        )
    _print_posting(posting, as_json, "deposit")


@app.command("buffer-deposit")
@command
def buffer_deposit(
    amount: Annotated[str, typer.Argument(help="Firm money for bank charges.")],
    account: AccountOpt = "",
    on: Annotated[str | None, Opt("--on", help="YYYY-MM-DD; today.")] = None,
    reference: Annotated[str, Opt(help="Transfer reference.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Put firm money into an account's bank-charge buffer (never above the policy's cap)."""
    from lexbill.trust.services import deposit_firm_funds

    value = _amount(amount)
    day = _day(on, "on")
    with _acting() as user:
        posting = deposit_firm_funds(user, _only_account(account), value, day, reference=reference)
    _print_posting(posting, as_json, "buffer deposit")


@app.command("buffer-withdraw")
@command
def buffer_withdraw(
    amount: Annotated[str, typer.Argument(help="Firm money to take back.")],
    account: AccountOpt = "",
    on: Annotated[str | None, Opt("--on", help="YYYY-MM-DD; today.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Take the firm's own money back out of an account's buffer."""
    from lexbill.trust.services import withdraw_firm_funds

    value = _amount(amount)
    day = _day(on, "on")
    with _acting() as user:
        posting = withdraw_firm_funds(user, _only_account(account), value, day)
    _print_posting(posting, as_json, "buffer withdrawal")


@app.command("interest")
@command
def interest(
    amount: Annotated[str, typer.Argument(help="Interest the bank credited.")],
    account: AccountOpt = "",
    matter: Annotated[
        str, Opt(help="Separate account: the matter the client's interest goes to.")
    ] = "",
    on: Annotated[str | None, Opt("--on", help="YYYY-MM-DD; today.")] = None,
    reference: Annotated[str, Opt(help="Bank reference.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record interest the bank credited (IOLTA: the bar foundation's; separate: the client's).

    IOLTA interest never enters a ledger: it is held for the foundation until remitted. A
    separate account's interest goes to the matter's ledger.
    """
    from lexbill.trust.models import TrustTransaction
    from lexbill.trust.services import record_interest

    value = _amount(amount)
    day = _day(on, "on")
    found = _matter(matter) if matter else None
    with _acting() as user:
        entry = record_interest(
            user, _only_account(account), value, day, matter=found, reference=reference
        )
    if isinstance(entry, TrustTransaction):
        _print_posting(entry, as_json, "client interest")
        return
    row = _interest_row(entry)
    if as_json:
        _print_json(row)
    else:
        out.print(
            f"IOLTA interest {row['currency']} {_money(row['amount'])} on {row['entered_on']} "
            f"held for the bar foundation ({row['account']})",
            highlight=False,
        )


@app.command("remit-interest")
@command
def remit_interest(
    amount: Annotated[str, typer.Argument(help="Interest paid over to the bar foundation.")],
    account: AccountOpt = "",
    on: Annotated[str | None, Opt("--on", help="YYYY-MM-DD; today.")] = None,
    reference: Annotated[str, Opt(help="Bank reference.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record the bank remitting held IOLTA interest to the bar foundation."""
    from lexbill.trust.services import remit_foundation_interest

    value = _amount(amount)
    day = _day(on, "on")
    with _acting() as user:
        entry = remit_foundation_interest(user, _only_account(account), value, day, reference)
    row = _interest_row(entry)
    if as_json:
        _print_json(row)
    else:
        out.print(
            f"IOLTA interest {row['currency']} {_money(row['amount'])} remitted on "
            f"{row['entered_on']} ({row['account']})",
            highlight=False,
        )


# --- money out -------------------------------------------------------------------------------


@app.command("disburse")
@command
def disburse_command(
    matter: Annotated[str, typer.Argument(help="Matter number.")],
    amount: Annotated[str, typer.Argument(help="Amount paid out.")],
    payee: Annotated[str, Opt(help="Who is paid.")],
    purpose: Annotated[str, Opt(help="What the payment is for.")],
    account: AccountOpt = "",
    on: Annotated[str | None, Opt("--on", help="Date paid (YYYY-MM-DD); today.")] = None,
    method: Annotated[str, Opt(help="check, wire, ach, transfer…")] = "check",
    reference: Annotated[str, Opt(help="Check number or wire memo (required for both).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Pay a third party out of the matter's trust ledger (only from cleared funds)."""
    from lexbill.trust.services import disburse

    found = _matter(matter)
    value = _amount(amount)
    day = _day(on, "paid_on")
    with _acting() as user:
        posting = disburse(
            user,
            _ledger(found, account),
            value,
            day,
            payee=payee,
            purpose=purpose,
            method=method,
            reference=reference,
        )
    _print_posting(posting, as_json, "disbursement")


@app.command("transfer")
@command
def transfer_command(
    matter: Annotated[str, typer.Argument(help="Matter number.")],
    invoice: Annotated[str, typer.Argument(help="The matter's final invoice the fees are for.")],
    amount: Annotated[
        str | None, typer.Argument(help="Amount; the invoice's open balance if left out.")
    ] = None,
    notice_sent_on: Annotated[
        str | None,
        Opt("--notice-sent-on", help="When the client was told (YYYY-MM-DD); the transfer day."),
    ] = None,
    notice_method: Annotated[str, Opt("--notice-method", help="How the client was told.")] = (
        "e-mail"
    ),
    account: AccountOpt = "",
    on: Annotated[str | None, Opt("--on", help="Transfer date (YYYY-MM-DD); today.")] = None,
    reference: Annotated[str, Opt(help="Transfer reference.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Move earned fees from trust to operating, paying the invoice in the same step."""
    from lexbill.trust.services import transfer_earned_fees

    found = _matter(matter)
    bill = _invoice(invoice)
    day = _day(on, "transferred_on")
    notice = _day(notice_sent_on, "notice_sent_on") if notice_sent_on else day
    with _acting() as user:
        value = _amount(amount) if amount is not None else _open_balance(bill)
        posting = transfer_earned_fees(
            user,
            _ledger(found, account),
            bill,
            value,
            day,
            notice_sent_on=notice,
            notice_method=notice_method,
            reference=reference,
        )
    _print_posting(posting, as_json, f"fee transfer for invoice {bill.number}:")


@app.command("refund")
@command
def refund_command(
    matter: Annotated[str, typer.Argument(help="Matter number.")],
    amount: Annotated[str, typer.Argument(help="Unearned money returned to the client.")],
    account: AccountOpt = "",
    on: Annotated[str | None, Opt("--on", help="Date paid (YYYY-MM-DD); today.")] = None,
    method: Annotated[str, Opt(help="check, wire, ach…")] = "check",
    reference: Annotated[str, Opt(help="Check number (required for a check).")] = "",
    purpose: Annotated[str, Opt(help="Why.")] = "refund of unearned funds",
    as_json: JsonOpt = False,
) -> None:
    """Return unearned trust money to the client."""
    from lexbill.trust.services import refund

    found = _matter(matter)
    value = _amount(amount)
    day = _day(on, "paid_on")
    with _acting() as user:
        posting = refund(
            user,
            _ledger(found, account),
            value,
            day,
            method=method,
            reference=reference,
            purpose=purpose,
        )
    _print_posting(posting, as_json, "refund")


@app.command("bank-charge")
@command
def bank_charge_command(
    amount: Annotated[str, typer.Argument(help="The bank's fee.")],
    account: AccountOpt = "",
    on: Annotated[str | None, Opt("--on", help="YYYY-MM-DD; today.")] = None,
    purpose: Annotated[str, Opt(help="What the bank charged for.")] = "bank service charge",
    reference: Annotated[str, Opt(help="Bank reference.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record a bank fee, paid from the firm's buffer (never from client money)."""
    from lexbill.trust.services import bank_charge

    value = _amount(amount)
    day = _day(on, "on")
    with _acting() as user:
        posting = bank_charge(
            user, _only_account(account), value, day, purpose=purpose, reference=reference
        )
    _print_posting(posting, as_json, "bank charge")


@app.command("reverse")
@command
def reverse_command(
    posting: Annotated[int, typer.Argument(help="The trust transaction's id.")],
    reason: Annotated[str, Opt(help="Why, e.g. 'check returned NSF'.")],
    on: Annotated[str | None, Opt("--on", help="YYYY-MM-DD; today.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reverse a trust transaction with its opposite (a bounced deposit, a voided check)."""
    from lexbill.core.errors import NotFound
    from lexbill.trust.models import TrustTransaction
    from lexbill.trust.services import reverse

    day = _day(on, "reversed_on")
    original = TrustTransaction.objects.select_related("ledger").filter(pk=posting).first()
    if original is None:
        raise NotFound(f"no trust transaction {posting}", field="id")
    with _acting() as user:
        reversal = reverse(user, original, day, reason)
    _print_posting(reversal, as_json, f"transaction {posting} reversed by")


# --- retainers and balances ------------------------------------------------------------------


@app.command("retainer")
@command
def retainer_command(
    matter: Annotated[str, typer.Argument(help="Matter number.")],
    amount: Annotated[str, typer.Argument(help="The retainer the client agreed to deposit.")],
    kind: Annotated[str, Opt(help="standard or evergreen.")] = "standard",
    minimum: Annotated[
        str, Opt("--minimum", help="Evergreen: the trust balance to keep after each bill.")
    ] = "0",
    account: AccountOpt = "",
    agreed_on: Annotated[str | None, Opt("--agreed-on", help="YYYY-MM-DD; today.")] = None,
    note: Annotated[str, Opt(help="e.g. the engagement letter's date.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record (or change) a matter's retainer, standard or evergreen.

    An evergreen retainer makes each invoice of the matter ask for the deposit that brings
    trust back to the minimum.
    """
    from lexbill.trust.retainers import record_retainer

    found = _matter(matter)
    value = _amount(amount)
    floor = _amount(minimum, "minimum_balance")
    day = _day(agreed_on, "agreed_on")
    with _acting() as user:
        retainer = record_retainer(
            user,
            found,
            _account_for_deposit(account, found),
            kind,
            value,
            day,
            minimum_balance=floor,
            note=note,
        )
    row = {
        "matter": found.number,
        "account": retainer.account.name,
        "kind": retainer.kind,
        "amount": retainer.amount,
        "minimum_balance": retainer.minimum_balance,
        "agreed_on": retainer.agreed_on,
        "note": retainer.note,
    }
    if as_json:
        _print_json(row)
    else:
        floor_text = (
            f", minimum {_money(retainer.minimum_balance)}" if retainer.minimum_balance else ""
        )
        out.print(
            f"{retainer.get_kind_display()} of {_money(retainer.amount)}{floor_text} recorded for "
            f"{found.number} ({retainer.account.name})",
            highlight=False,
        )


@app.command("balance")
@command
def balance_command(
    matter: Annotated[str, typer.Argument(help="Matter number.")],
    account: AccountOpt = "",
    on: Annotated[
        str | None, Opt("--on", help="Balance as of, and funds cleared on (YYYY-MM-DD); today.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A matter's trust balance and the part of it cleared to be paid out, per account."""
    from lexbill.core.errors import NotFound
    from lexbill.firm.permissions import Action, require
    from lexbill.trust.models import Retainer, TrustLedger
    from lexbill.trust.selectors import cleared_balance, ledger_balance

    found = _matter(matter)
    day = _day(on, "on")
    with _acting() as user:
        require(user, Action.VIEW_TRUST)
        ledgers = TrustLedger.objects.filter(matter=found).select_related("account")
        if account:
            ledgers = ledgers.filter(account=_named_account(account))
        rows = []
        for ledger in ledgers:
            balance = ledger_balance(ledger, day)
            rows.append(
                {
                    "matter": found.number,
                    "account": ledger.account.name,
                    "currency": ledger.account.currency,
                    "on": day,
                    "balance": balance,
                    "cleared": min(balance, cleared_balance(ledger, day)),
                }
            )
        retainer = Retainer.objects.filter(matter=found).first()
    if not rows:
        raise NotFound(f"{found.number} has no trust ledger", field="matter")
    if as_json:
        data: dict[str, Any] = {"matter": found.number, "on": day, "ledgers": rows}
        data["retainer"] = (
            {
                "kind": retainer.kind,
                "amount": retainer.amount,
                "minimum_balance": retainer.minimum_balance,
            }
            if retainer
            else None
        )
        _print_json(data)
        return
    for r in rows:
        held = r["balance"] - r["cleared"]
        out.print(
            f"{r['matter']} in {r['account']} on {r['on']}: balance {r['currency']} "
            f"{_money(r['balance'])}, cleared {_money(r['cleared'])}"
            + (f" ({_money(held)} on hold)" if held else ""),
            highlight=False,
        )
    if retainer is not None and retainer.minimum_balance:
        out.print(f"evergreen retainer: keep {_money(retainer.minimum_balance)} in trust")


def _register_parts() -> None:
    """Reconciliation and reports keep their commands in their own modules."""
    from lexbill.trust.reconcile_cli import register as reconcile_commands
    from lexbill.trust.report_cli import register as report_commands

    reconcile_commands(app)
    report_commands(app)


_register_parts()
