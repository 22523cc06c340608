"""Retainers, and the replenishment an evergreen matter's invoice asks for.

An evergreen retainer keeps a minimum in trust: each invoice is paid from trust, and the client
tops the ledger back up. The amount asked for is fixed on the invoice as it is issued
(``Replenishment``), so the printed invoice, its reminders and a later reprint all agree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from lexbill.billing.models import Invoice
from lexbill.clients.models import Matter
from lexbill.core.errors import InvalidEntry
from lexbill.core.money import round_money, to_decimal
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.trust.models import Replenishment, Retainer, RetainerKind, TrustAccount, TrustLedger
from lexbill.trust.selectors import ledger_balance


def replenishment_due(minimum: Decimal, trust_balance: Decimal, invoice_due: Decimal) -> Decimal:
    """What brings trust back to ``minimum`` once this invoice is paid out of it (never < 0)."""
    return max(Decimal(0), minimum - (trust_balance - invoice_due))


def record_retainer(
    actor: User | None,
    matter: Matter,
    account: TrustAccount,
    kind: str,
    amount: Decimal | str,
    agreed_on: date,
    *,
    minimum_balance: Decimal | str = Decimal(0),
    note: str = "",
) -> Retainer:
    """Record (or change) what the engagement asks the client to keep in trust for a matter."""
    require(actor, Action.MANAGE_RETAINERS)
    if kind not in RetainerKind.values:
        raise InvalidEntry(f"{kind!r} is not a retainer kind", field="kind")
    value = to_decimal(amount)
    minimum = to_decimal(minimum_balance)
    if value <= 0 or round_money(value, account.currency) != value:
        raise InvalidEntry(f"{value} is not a retainer amount", field="amount")
    if minimum < 0 or round_money(minimum, account.currency) != minimum:
        raise InvalidEntry(f"{minimum} is not a minimum balance", field="minimum_balance")
    if kind == RetainerKind.EVERGREEN and minimum <= 0:
        raise InvalidEntry("an evergreen retainer needs a minimum balance", field="minimum_balance")
    if kind == RetainerKind.STANDARD:
        minimum = Decimal(0)
    if matter.currency != account.currency:
        raise InvalidEntry(
            f"{matter.number} is billed in {matter.currency}, {account.name} holds "
            f"{account.currency}",
            field="account",
        )
    with transaction.atomic():
        retainer, _ = Retainer.objects.update_or_create(
            matter=matter,
            defaults={
                "account": account,
                "kind": kind,
                "amount": value,
                "minimum_balance": minimum,
                "agreed_on": agreed_on,
                "note": note.strip()[:300],
            },
        )
    return retainer


def request_replenishment(invoice: Invoice) -> Replenishment | None:
    """Fix the replenishment on an evergreen matter's invoice as it is issued (a finalize hook)."""
    retainer = Retainer.objects.filter(
        matter_id=invoice.matter_id, kind=RetainerKind.EVERGREEN
    ).first()
    if retainer is None:
        return None
    ledger = TrustLedger.objects.filter(
        account_id=retainer.account_id, matter_id=invoice.matter_id
    ).first()
    balance = ledger_balance(ledger) if ledger is not None else Decimal(0)
    due = Decimal(invoice.total)
    return Replenishment.objects.create(
        invoice=invoice,
        retainer=retainer,
        minimum_balance=retainer.minimum_balance,
        trust_balance=balance,
        invoice_due=due,
        amount=replenishment_due(Decimal(retainer.minimum_balance), balance, due),
    )
