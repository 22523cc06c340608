"""``{% matter_trust_panel matter %}`` and ``{% invoice_trust_panel invoice %}``: the trust money
of a matter on its page, and the "apply trust funds" form on an open invoice's page; kept here so
the clients and billing templates need one line each."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from lexbill.billing.models import Invoice
from lexbill.clients.models import Matter
from lexbill.trust.forms import ApplyTrustForm, today
from lexbill.trust.models import Retainer, RetainerKind, TrustLedger
from lexbill.trust.selectors import cleared_balance, ledgers_with_balances
from lexbill.web.templatetags.lexbill import may

register = template.Library()


def _ledgers(matter_id: int) -> list[dict[str, Any]]:
    day = today()
    return [
        {
            "ledger": ledger,
            "balance": ledger.balance,  # type: ignore[attr-defined]
            "cleared": cleared_balance(ledger, day),
        }
        for ledger in ledgers_with_balances().filter(matter_id=matter_id)
    ]


@register.inclusion_tag("trust/_matter_panel.html", takes_context=True)
def matter_trust_panel(context: template.Context, matter: Matter) -> dict[str, Any]:
    user = context.get("user")
    if not may(user, "view trust ledgers and reports"):
        return {"show": False}
    ledgers = _ledgers(matter.pk)
    retainer = Retainer.objects.filter(matter=matter).select_related("account").first()
    held = sum((row["balance"] for row in ledgers), Decimal(0))
    gap = None
    if retainer is not None and retainer.kind == RetainerKind.EVERGREEN:
        gap = held - Decimal(retainer.minimum_balance)
    return {
        "show": True,
        "user": user,
        "matter": matter,
        "ledgers": ledgers,
        "retainer": retainer,
        "gap": gap,
        "short": -gap if gap is not None and gap < 0 else None,
    }


@register.inclusion_tag("trust/_invoice_panel.html", takes_context=True)
def invoice_trust_panel(context: template.Context, invoice: Invoice) -> dict[str, Any]:
    """Offered when the invoice is open, its matter has trust money and the user may pay it."""
    user = context.get("user")
    balance = getattr(invoice, "balance", None)
    if not may(user, "pay out of trust") or balance is None or balance <= 0:
        return {"show": False}
    ledgers = [row for row in _ledgers(invoice.matter_id) if row["balance"] > 0]
    if not ledgers:
        return {"show": False}
    first: TrustLedger = ledgers[0]["ledger"]
    initial = {
        "ledger": first,
        "amount": max(Decimal(0), min(Decimal(balance), ledgers[0]["cleared"])),
    }
    return {
        "show": True,
        "invoice": invoice,
        "ledgers": ledgers,
        "form": ApplyTrustForm(invoice=invoice, initial=initial),
        "csrf_token": context.get("csrf_token"),
    }
