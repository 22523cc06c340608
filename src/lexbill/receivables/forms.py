"""Typed inputs for the receivables pages; post_payment still decides what is allowed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.http import QueryDict

from lexbill.clients.models import Client

METHODS = [
    ("check", "Check"),
    ("wire", "Wire transfer"),
    ("ach", "ACH"),
    ("card", "Card"),
    ("cash", "Cash"),
    ("other", "Other"),
]
ALLOCATION_PREFIX = "alloc-"


class ClientChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Client) -> str:
        return f"{obj.number} {obj.name}"


class PaymentForm(forms.Form):
    client = ClientChoiceField(
        queryset=Client.objects.order_by("number"), to_field_name="number", empty_label="—"
    )
    amount = forms.DecimalField(decimal_places=2, min_value=Decimal("0.01"))
    received_on = forms.DateField(
        label="Received on", widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.ChoiceField(choices=METHODS)
    reference = forms.CharField(required=False, max_length=100)
    currency = forms.CharField(
        required=False, max_length=3, help_text="only for a client billed in several currencies"
    )


class PaymentFilterForm(forms.Form):
    client = ClientChoiceField(
        queryset=Client.objects.order_by("number"),
        to_field_name="number",
        required=False,
        empty_label="All clients",
    )


def posted_allocations(data: QueryDict) -> tuple[dict[str, str], list[tuple[str, Decimal]], str]:
    """The allocation inputs as typed (for redisplay), the non-zero ones parsed, and an error."""
    raw = {
        key[len(ALLOCATION_PREFIX) :]: str(data.get(key, "")).strip()
        for key in data
        if key.startswith(ALLOCATION_PREFIX)
    }
    parsed: list[tuple[str, Decimal]] = []
    for number, value in raw.items():
        if not value:
            continue
        try:
            amount = Decimal(value.replace(",", ""))
        except InvalidOperation:
            return raw, [], f"{value!r} for invoice {number} is not an amount"
        if not amount.is_finite() or amount < 0:
            return raw, [], f"the allocation to invoice {number} must be zero or more"
        if amount:
            parsed.append((number, amount))
    return raw, parsed, ""
