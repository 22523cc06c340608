"""Trust balances, always sums of postings computed in SQL, as of any date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from lexbill.clients.models import Matter
from lexbill.fields import FixedDecimalField
from lexbill.trust.models import (
    FoundationInterest,
    InterestKind,
    LedgerKind,
    SignedReconciliation,
    TrustAccount,
    TrustLedger,
    TrustPolicy,
    TrustTransaction,
)

_MONEY = FixedDecimalField(places=2)
_ZERO = Value(0, output_field=_MONEY)


def trust_policy() -> TrustPolicy:
    """The firm's one trust policy row, made with the defaults the first time it is asked for."""
    policy, _ = TrustPolicy.objects.get_or_create(singleton=True)
    return policy


def _sum(postings: QuerySet[TrustTransaction]) -> Decimal:
    total: Decimal = postings.aggregate(s=Coalesce(Sum("amount"), _ZERO))["s"]
    return total


def ledger_balance(ledger: TrustLedger, as_of: date | None = None) -> Decimal:
    postings = TrustTransaction.objects.filter(ledger=ledger)
    if as_of is not None:
        postings = postings.filter(entered_on__lte=as_of)
    return _sum(postings)


def cleared_balance(ledger: TrustLedger, on: date) -> Decimal:
    """What may be paid out on ``on``: every outflow counts, a deposit only once available.

    A deposit's reversal carries the deposit's ``available_on``, so it takes back only money
    that was counted; outflows have no ``available_on`` and always count.
    """
    return _sum(
        TrustTransaction.objects.filter(ledger=ledger).filter(
            Q(available_on__isnull=True) | Q(available_on__lte=on)
        )
    )


def journal_balance(account: TrustAccount, as_of: date | None = None) -> Decimal:
    postings = TrustTransaction.objects.filter(account=account)
    if as_of is not None:
        postings = postings.filter(entered_on__lte=as_of)
    return _sum(postings)


def foundation_interest_held(account: TrustAccount, as_of: date | None = None) -> Decimal:
    """IOLTA interest credited by the bank and not yet remitted to the bar foundation."""
    rows = FoundationInterest.objects.filter(account=account)
    if as_of is not None:
        rows = rows.filter(entered_on__lte=as_of)
    sums = rows.aggregate(
        credited=Coalesce(Sum("amount", filter=Q(kind=InterestKind.CREDITED)), _ZERO),
        remitted=Coalesce(Sum("amount", filter=Q(kind=InterestKind.REMITTED)), _ZERO),
    )
    held: Decimal = sums["credited"] - sums["remitted"]
    return held


def ledgers_with_balances(
    account: TrustAccount | None = None, as_of: date | None = None
) -> QuerySet[TrustLedger]:
    """Ledgers annotated with ``balance`` and ``last_activity`` as of a date, in one query."""
    postings = TrustTransaction.objects.filter(ledger=OuterRef("pk"))
    if as_of is not None:
        postings = postings.filter(entered_on__lte=as_of)
    total = postings.order_by().values("ledger").annotate(s=Sum("amount")).values("s")
    last = postings.order_by().values("ledger").annotate(d=Max("entered_on")).values("d")
    ledgers = TrustLedger.objects.select_related("account", "matter", "client")
    if account is not None:
        ledgers = ledgers.filter(account=account)
    return ledgers.annotate(
        balance=Coalesce(Subquery(total, output_field=_MONEY), _ZERO),
        last_activity=Subquery(last),
    )


def buffer_ledger(account: TrustAccount) -> TrustLedger:
    ledger, _ = TrustLedger.objects.get_or_create(
        account=account, kind=LedgerKind.BUFFER, defaults={"opened_on": account.opened_on}
    )
    return ledger


def matter_ledger(account: TrustAccount, matter: Matter, opened_on: date) -> TrustLedger:
    ledger, _ = TrustLedger.objects.get_or_create(
        account=account,
        matter=matter,
        defaults={"kind": LedgerKind.CLIENT, "client_id": matter.client_id, "opened_on": opened_on},
    )
    return ledger


def signed_through(account: TrustAccount) -> date | None:
    """The last day of the latest month signed off for the account: earlier days are closed."""
    latest: date | None = SignedReconciliation.objects.filter(account=account).aggregate(
        d=Max("period_end")
    )["d"]
    return latest
