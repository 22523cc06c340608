"""Read queries for the bank pages and commands: accounts, imports, the matching queue."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from lexbill.banking.models import (
    POSTABLE,
    BankAccount,
    BankTransaction,
    StatementImport,
    TransactionStatus,
)


def accounts() -> QuerySet[BankAccount]:
    return BankAccount.objects.select_related("default_mapping").annotate(
        queued=Count(
            "transactions",
            filter=Q(transactions__status=TransactionStatus.UNMATCHED, transactions__amount__gt=0),
        ),
        ready=Count("transactions", filter=Q(transactions__status__in=POSTABLE)),
    )


def recent_imports(limit: int = 50) -> QuerySet[StatementImport]:
    return StatementImport.objects.select_related("bank_account", "imported_by")[:limit]


def queue() -> QuerySet[BankTransaction]:
    """Credits waiting for a person, oldest first."""
    return BankTransaction.objects.filter(
        status=TransactionStatus.UNMATCHED, amount__gt=0
    ).select_related("bank_account", "statement_import")


def ready_to_post() -> QuerySet[BankTransaction]:
    return BankTransaction.objects.filter(status__in=POSTABLE).select_related(
        "client", "bank_account"
    )


def import_lines(statement_import: StatementImport) -> QuerySet[BankTransaction]:
    return statement_import.transactions.select_related("client", "payment").order_by("line_no")
