"""``{% invoice_disputes_panel invoice %}``: the invoice page's inquiries and disputes, with the
button that records a new one; kept here so the billing template needs only one line."""

from __future__ import annotations

from typing import Any

from django import template

from lexbill.billing.models import Invoice
from lexbill.disputes.selectors import disputes_list
from lexbill.web.templatetags.lexbill import may

register = template.Library()


@register.inclusion_tag("disputes/_invoice_panel.html", takes_context=True)
def invoice_disputes_panel(context: template.Context, invoice: Invoice) -> dict[str, Any]:
    user = context.get("user")
    return {
        "invoice": invoice,
        "disputes": list(disputes_list(unresolved_only=False, invoice_id=invoice.pk)),
        "can_record": may(user, "record and work on inquiries and disputes"),
    }
