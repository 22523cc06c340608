"""The signed three-way reconciliation as a PDF: printed from the sign-off's snapshot only.

Nothing is recomputed or looked up in the live books (not even the firm's name or the account's):
the PDF printed years later shows exactly what the coordinator signed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from lexbill.billing.formatting import format_amount, format_date
from lexbill.trust.models import SignedReconciliation
from lexbill.trust.reconciliation import three_way_from_snapshot

TEMPLATE = "trust/reconciliation_pdf.html"


def reconciliation_context(signed: SignedReconciliation) -> dict[str, Any]:
    """Every figure the template prints, formatted here so the template holds no arithmetic."""
    snapshot: dict[str, Any] = signed.snapshot
    account = snapshot["account"]
    currency = account["currency"]
    result = three_way_from_snapshot(snapshot)

    def money(amount: Decimal) -> str:
        return format_amount(amount, currency)

    def items(rows: Any) -> list[dict[str, str]]:
        return [
            {
                "on": format_date(row.on),
                "description": row.description,
                "reference": row.reference,
                "amount": money(row.amount),
            }
            for row in rows
        ]

    in_transit = sum((i.amount for i in result.deposits_in_transit), Decimal(0))
    outstanding = sum((i.amount for i in result.outstanding_payments), Decimal(0))
    return {
        "title": f"Trust reconciliation {account['name']} {result.period_end:%Y-%m}",
        "firm": snapshot.get("firm", {"name": "", "address_lines": []}),
        "account": account,
        "currency": currency,
        "period_start": format_date(result.period_start),
        "period_end": format_date(result.period_end),
        "statement_balance": money(result.statement_balance),
        "deposits_in_transit": items(result.deposits_in_transit),
        "deposits_in_transit_total": money(in_transit),
        "outstanding_payments": items(result.outstanding_payments),
        "outstanding_payments_total": money(outstanding),
        "foundation_interest": money(-result.foundation_interest),
        "adjusted_bank": money(result.adjusted_bank),
        "journal_balance": money(result.journal_balance),
        "ledgers": [
            {
                "name": line.name,
                "kind": "firm buffer" if line.kind == "buffer" else "client",
                "last_activity": format_date(line.last_activity) if line.last_activity else "—",
                "balance": money(line.balance),
            }
            for line in result.ledgers
        ],
        "ledgers_total": money(result.ledgers_total),
        "inactive_ledgers": [line.name for line in result.inactive_ledgers],
        "signed_by": snapshot.get("signed_by", {}).get("name", ""),
        "signed_by_username": snapshot.get("signed_by", {}).get("username", ""),
        "signed_at": signed.signed_at.strftime("%Y-%m-%d %H:%M UTC"),
        "note": signed.note,
    }


def reconciliation_html(signed: SignedReconciliation) -> str:
    return render_to_string(TEMPLATE, reconciliation_context(signed))


def reconciliation_pdf(signed: SignedReconciliation) -> bytes:
    """The signed month as a PDF, rendered offline like invoices (no URL is ever fetched)."""
    from lexbill.billing.pdf import html_to_pdf

    return html_to_pdf(reconciliation_html(signed))
