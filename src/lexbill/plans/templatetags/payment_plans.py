"""``{% invoice_plan_note invoice %}``: "on payment plan N" on the invoice page, a link."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from lexbill.billing.models import Invoice
from lexbill.plans.selectors import active_plan_of_invoices

register = template.Library()


@register.simple_tag
def invoice_plan_note(invoice: Invoice) -> SafeString | str:
    plan_id = active_plan_of_invoices([invoice.pk]).get(invoice.pk)
    if plan_id is None:
        return ""
    return format_html(
        ' · <a href="{}" data-testid="invoice-plan">on payment plan {}</a>',
        reverse("plans:plan-detail", args=[plan_id]),
        plan_id,
    )
