"""Client statements: the account in a period, from the balance brought forward to the closing
balance, with every movement between, and the invoices still open at the end with their aging.

The running balance is the client's *account* balance, net of unapplied credit: invoices add,
and credit notes, write-offs, discounts and every payment reduce it on the day it is received
(applied to an invoice or not); a reversal (bounced payment) or a refund is a negative payment,
so it adds back. Thus

    closing = brought forward + invoices − credits − payments + reversals + refunds − write-offs

to the cent, and each figure is a sum of posted records by their business date, nothing stored.
Beside it the statement shows the two parts of that figure as of the closing date: the *balance
due on invoices* (what the open invoices add up to, the figure reminders and aging use) and the
*unapplied credit* (money received but not yet put against an invoice);
net = balance due on invoices − unapplied credit.

On one day, charges come before what reduces them: invoices, then credit notes, write-offs and
discounts, then payments, reversals and refunds, each in the order they were recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string

from lexbill.billing.formatting import format_date, format_money
from lexbill.billing.models import CreditNote, Invoice
from lexbill.billing.selectors import client_currencies, client_currency
from lexbill.clients.models import Client
from lexbill.core.aging import AgingTotals, OpenBalance, age_balances
from lexbill.core.errors import InvalidEntry
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import User
from lexbill.receivables.aging import AgedInvoice, aged, with_balances_as_of
from lexbill.receivables.models import Payment, PaymentAllocation, PaymentKind, WriteOff

TEMPLATE = "receivables/statement_pdf.html"

_ZERO = Decimal(0)
_ZERO_SQL = Value(0, output_field=FixedDecimalField(places=2))


def _sum(queryset: Any, amount: str) -> Decimal:
    return Decimal(queryset.aggregate(s=Coalesce(Sum(amount), _ZERO_SQL))["s"])


@dataclass(frozen=True)
class AccountAsOf:
    """The account at the end of a day, in one currency."""

    on: date
    due_on_invoices: Decimal  # what the open invoices add up to
    unapplied_credit: Decimal  # received, not yet allocated to an invoice
    net: Decimal  # due_on_invoices − unapplied_credit, from the movements


# Movement kinds, in the order they are listed on the same day.
INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
WRITE_OFF = "write_off"
DISCOUNT = "discount"
PAYMENT = "payment"
REVERSAL = "reversal"
REFUND = "refund"
_ORDER = {
    k: i
    for i, k in enumerate([INVOICE, CREDIT_NOTE, WRITE_OFF, DISCOUNT, PAYMENT, REVERSAL, REFUND])
}


@dataclass(frozen=True)
class Movement:
    """One line of the statement; ``amount`` is signed: positive raises what the client owes."""

    on: date
    kind: str
    reference: str
    description: str
    amount: Decimal
    seq: int = 0  # the record's id, to keep same-day records in the order they were made

    @property
    def charge(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


@dataclass(frozen=True)
class StatementLine:
    movement: Movement
    balance: Decimal  # the running account balance after it


@dataclass
class Statement:
    """A client's statement for [start, end] in one currency."""

    client: Client
    currency: str
    start: date
    end: date
    brought_forward: AccountAsOf
    lines: list[StatementLine]
    closing: AccountAsOf
    open_invoices: list[AgedInvoice]
    aging: AgingTotals
    totals: dict[str, Decimal] = field(default_factory=dict)  # per movement kind

    @property
    def movements_total(self) -> Decimal:
        return sum((line.movement.amount for line in self.lines), _ZERO)

    @property
    def reconciles(self) -> bool:
        return self.brought_forward.net + self.movements_total == self.closing.net

    def as_json(self) -> dict[str, Any]:
        def acct(a: AccountAsOf) -> dict[str, str]:
            return {
                "on": a.on.isoformat(),
                "balance_due_on_invoices": str(a.due_on_invoices),
                "unapplied_credit": str(a.unapplied_credit),
                "net": str(a.net),
            }

        return {
            "client": self.client.number,
            "client_name": self.client.name,
            "currency": self.currency,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "brought_forward": acct(self.brought_forward),
            "lines": [
                {
                    "date": line.movement.on.isoformat(),
                    "kind": line.movement.kind,
                    "reference": line.movement.reference,
                    "description": line.movement.description,
                    "amount": str(line.movement.amount),
                    "balance": str(line.balance),
                }
                for line in self.lines
            ],
            "totals": {k: str(v) for k, v in self.totals.items()},
            "closing": acct(self.closing),
            "open_invoices": [inv.as_json() for inv in self.open_invoices],
            "aging": self.aging.as_strings(),
        }


def _invoices(client: Client, currency: str) -> Any:
    return Invoice.objects.filter(client=client, currency=currency)


def _net_as_of(client: Client, currency: str, on: date) -> Decimal:
    """invoiced − credited − written off − received (payments signed), all dated by ``on``."""
    invoices = _invoices(client, currency)
    invoiced = _sum(invoices.filter(issued_on__lte=on), "total")
    credited = _sum(CreditNote.objects.filter(invoice__in=invoices, issued_on__lte=on), "total")
    written_off = _sum(
        WriteOff.objects.filter(invoice__in=invoices, written_off_on__lte=on), "amount"
    )
    received = _sum(
        Payment.objects.filter(client=client, currency=currency, received_on__lte=on), "amount"
    )
    return invoiced - credited - written_off - received


def _account_as_of(client: Client, currency: str, on: date) -> AccountAsOf:
    due = _sum(with_balances_as_of(_invoices(client, currency), on), "balance_as_of")
    received = _sum(
        Payment.objects.filter(client=client, currency=currency, received_on__lte=on), "amount"
    )
    allocated = _sum(
        PaymentAllocation.objects.filter(
            payment__client=client, payment__currency=currency, applied_on__lte=on
        ),
        "amount",
    )
    return AccountAsOf(on, due, received - allocated, _net_as_of(client, currency, on))


def _movements(client: Client, currency: str, start: date, end: date) -> list[Movement]:
    invoices = _invoices(client, currency)
    moves: list[Movement] = []
    for inv in invoices.filter(issued_on__range=(start, end)).select_related("matter"):
        moves.append(
            Movement(
                inv.issued_on,
                INVOICE,
                inv.number,
                f"Invoice {inv.number} · {inv.matter.number} {inv.matter.name}",
                inv.total,
                inv.pk,
            )
        )
    for cn in CreditNote.objects.filter(
        invoice__in=invoices, issued_on__range=(start, end)
    ).select_related("invoice"):
        moves.append(
            Movement(
                cn.issued_on,
                CREDIT_NOTE,
                cn.number,
                f"Credit note on invoice {cn.invoice.number}: {cn.reason}".rstrip(": "),
                -cn.total,
                cn.pk,
            )
        )
    for wo in WriteOff.objects.filter(
        invoice__in=invoices, written_off_on__range=(start, end)
    ).select_related("invoice", "reason"):
        kind = DISCOUNT if wo.kind == DISCOUNT else WRITE_OFF
        label = "Prompt-payment discount" if kind == DISCOUNT else "Write-off"
        moves.append(
            Movement(
                wo.written_off_on,
                kind,
                wo.invoice.number,
                f"{label} on invoice {wo.invoice.number}: {wo.reason.label}",
                -wo.amount,
                wo.pk,
            )
        )
    for p in Payment.objects.filter(
        client=client, currency=currency, received_on__range=(start, end)
    ).select_related("corrects"):
        if p.kind == PaymentKind.REVERSAL:
            kind, what = REVERSAL, "Payment returned (reversed)"
        elif p.kind == PaymentKind.REFUND:
            kind, what = REFUND, "Refund of credit"
        else:
            kind, what = PAYMENT, f"Payment received, {p.get_method_display().lower()}"
        detail = p.reference or (p.corrects.reference if p.corrects else "")
        text = f"{what} {detail}".strip()
        if p.reason:
            text += f": {p.reason}"
        moves.append(Movement(p.received_on, kind, p.reference, text, -p.amount, p.pk))
    moves.sort(key=lambda m: (m.on, _ORDER[m.kind], m.seq))
    return moves


def default_period(today: date) -> tuple[date, date]:
    """The current month to date: a statement made on any day shows this month's activity, with
    everything before it in the balance brought forward."""
    return today.replace(day=1), today


def build_statement(
    client: Client, start: date, end: date, currency: str | None = None
) -> Statement:
    """The statement of ``client``'s account in ``currency`` (its only one if not named) for the
    days ``start`` to ``end`` inclusive."""
    if end < start:
        raise InvalidEntry(
            f"the statement period ends ({end}) before it starts ({start})", field="end"
        )
    currency = client_currency(client, currency.upper() if currency else None)
    if currency not in client_currencies(client) and client_currencies(client):
        raise InvalidEntry(f"client {client.number} has nothing in {currency}", field="currency")
    brought_forward = _account_as_of(client, currency, start - timedelta(days=1))
    running = brought_forward.net
    lines = []
    totals: dict[str, Decimal] = {}
    for move in _movements(client, currency, start, end):
        running += move.amount
        lines.append(StatementLine(move, running))
        totals[move.kind] = totals.get(move.kind, _ZERO) + move.amount
    closing = _account_as_of(client, currency, end)
    open_qs = (
        with_balances_as_of(_invoices(client, currency), end)
        .exclude(balance_as_of=0)  # type: ignore[misc]
        .select_related("client", "matter")
        .order_by("due_on", "number")
    )
    open_invoices = aged(open_qs, end)
    aging = age_balances((OpenBalance(i.balance, i.due_on) for i in open_invoices), end, currency)
    return Statement(
        client, currency, start, end, brought_forward, lines, closing, open_invoices, aging, totals
    )


# ---- printing --------------------------------------------------------------------------------

_KIND_TOTAL_LABELS = {
    INVOICE: "Invoices",
    CREDIT_NOTE: "Credit notes",
    WRITE_OFF: "Write-offs",
    DISCOUNT: "Discounts",
    PAYMENT: "Payments received",
    REVERSAL: "Payments returned",
    REFUND: "Refunds",
}


def _lines_of(text: str) -> list[str]:
    return [part.strip() for part in text.splitlines() if part.strip()]


def statement_context(statement: Statement) -> dict[str, Any]:
    """Everything the statement templates print, formatted, so they hold no arithmetic."""
    from lexbill.core.aging import BUCKETS
    from lexbill.firm.services import get_firm

    cur = statement.currency

    def money(amount: Decimal | None) -> str:
        return "" if amount is None else format_money(amount, cur)

    firm = get_firm()
    client = statement.client
    return {
        "title": f"Statement {client.number} {statement.start:%Y-%m-%d} – {statement.end:%Y-%m-%d}",
        "statement": statement,
        "currency": cur,
        "firm": {
            "name": firm.name,
            "address_lines": _lines_of(firm.address),
            "phone": firm.phone,
            "email": firm.email,
            "tax_id": firm.tax_id,
        },
        "client": {
            "number": client.number,
            "name": client.name,
            "address_lines": _lines_of(client.address),
            "billing_contact": client.billing_contact,
            "billing_email": client.billing_email,
        },
        "start": format_date(statement.start),
        "end": format_date(statement.end),
        "brought_forward": money(statement.brought_forward.net),
        "brought_forward_on": format_date(statement.brought_forward.on),
        "rows": [
            {
                "date": format_date(line.movement.on),
                "reference": line.movement.reference,
                "description": line.movement.description,
                "charge": money(line.movement.charge),
                "credit": money(line.movement.credit),
                "balance": money(line.balance),
            }
            for line in statement.lines
        ],
        "kind_totals": [
            {"label": _KIND_TOTAL_LABELS[k], "amount": money(v)}
            for k, v in sorted(statement.totals.items(), key=lambda kv: _ORDER[kv[0]])
        ],
        "closing": money(statement.closing.net),
        "due_on_invoices": money(statement.closing.due_on_invoices),
        "unapplied_credit": money(statement.closing.unapplied_credit),
        "open_invoices": [
            {
                "number": inv.number,
                "matter": f"{inv.matter_number} {inv.matter_name}",
                "issued_on": format_date(inv.issued_on),
                "due_on": format_date(inv.due_on),
                "days_past_due": max(inv.days_past_due, 0),
                "bucket": inv.bucket_label,
                "balance": money(inv.balance),
            }
            for inv in statement.open_invoices
        ],
        "aging": [
            {"label": b.label, "amount": money(statement.aging.amounts[b.key])} for b in BUCKETS
        ],
        "aging_total": money(statement.aging.total),
    }


def statement_html(statement: Statement) -> str:
    return render_to_string(TEMPLATE, statement_context(statement))


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a PDF, rendered offline like invoices (no URL is ever fetched)."""
    from lexbill.billing.pdf import html_to_pdf

    return html_to_pdf(statement_html(statement))


def client_statement_pdf(
    client: Client, start: date, end: date, currency: str | None = None
) -> bytes:
    return statement_pdf(build_statement(client, start, end, currency))


def statement_filename(statement: Statement) -> str:
    return f"statement-{statement.client.number}-{statement.currency}-{statement.end:%Y-%m-%d}.pdf"


def movements_of(statement: Statement) -> Iterable[Movement]:
    return (line.movement for line in statement.lines)


def send_statement(
    actor: User | None, statement: Statement, to: str | None = None, message: str = ""
) -> str:
    """E-mail the statement PDF to ``to`` (default: the client's billing e-mail), record the
    sending as an audit event, and return the address it went to.

    Uses the same mail settings and failure handling as invoices (billing.email)."""
    from lexbill.audit.recorder import record_event
    from lexbill.billing.email import recipient_for, send_with_pdf
    from lexbill.firm.permissions import Action, require
    from lexbill.firm.services import get_firm

    require(actor, Action.SEND_REMINDERS)
    client = statement.client
    recipient = recipient_for(client, to)
    firm = get_firm()
    closing = format_money(statement.closing.net, statement.currency)
    body = message.strip() or (
        f"Please find attached the statement of your account with {firm.name} for "
        f"{format_date(statement.start)} to {format_date(statement.end)}. "
        f"The balance on {format_date(statement.end)} is {closing}."
    )
    send_with_pdf(
        recipient,
        f"Statement of account {client.number} from {firm.name}",
        body,
        statement_filename(statement),
        statement_pdf(statement),
    )
    record_event(
        "clients.Client",
        client.pk,
        f"statement {statement.start}–{statement.end} {statement.currency} e-mailed to {recipient}",
        kind="statement_sent",
        client=client.number,
        currency=statement.currency,
        start=statement.start.isoformat(),
        end=statement.end.isoformat(),
        closing=str(statement.closing.net),
        recipient=recipient,
    )
    return recipient
