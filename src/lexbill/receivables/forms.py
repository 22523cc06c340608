"""Typed inputs for the receivables pages; the services still decide what is allowed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import QueryDict

from lexbill.clients.models import Client
from lexbill.receivables.models import AdjustmentKind, AdjustmentReason, PaymentMethod

# a payment from trust is made on the trust pages, as half of a fee transfer
METHODS = [(v, label) for v, label in PaymentMethod.choices if v != PaymentMethod.TRUST]
ALLOCATION_PREFIX = "alloc-"
LINE_PREFIX = "line-"
_DATE = forms.DateInput(attrs={"type": "date"})


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
    reference = forms.CharField(
        required=False, max_length=100, help_text="check number, bank or card reference"
    )
    payer_name = forms.CharField(
        required=False,
        max_length=200,
        label="Payer",
        help_text="who sent the money, as the bank shows it",
    )
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


class ReverseForm(forms.Form):
    reversed_on = forms.DateField(label="Bounced / reversed on", widget=_DATE)
    reason = forms.CharField(max_length=300, initial="NSF: returned unpaid")


class RefundForm(forms.Form):
    amount = forms.DecimalField(decimal_places=2, min_value=Decimal("0.01"))
    refunded_on = forms.DateField(label="Refunded on", widget=_DATE)
    method = forms.ChoiceField(choices=METHODS)
    reference = forms.CharField(required=False, max_length=100)
    reason = forms.CharField(required=False, max_length=300)


class ReasonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: AdjustmentReason) -> str:
        return f"{obj.label} ({obj.code})"


def _reasons(kind: str) -> ReasonChoiceField:
    from lexbill.receivables.selectors import adjustment_reasons

    return ReasonChoiceField(
        queryset=adjustment_reasons(kind), to_field_name="code", empty_label="—", label="Reason"
    )


class _AdjustmentForm(forms.Form):
    kind = ""
    amount = forms.DecimalField(required=False, decimal_places=2, min_value=Decimal("0.01"))
    all_open = forms.BooleanField(required=False, label="All that is open")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"] = _reasons(self.kind)
        self.order_fields(["amount", "all_open", "reason", "written_off_on", "note"])


class CreditRequestForm(_AdjustmentForm):
    """A whole or partial credit (amount before tax), or per line through ``line-<id>`` inputs."""

    kind = AdjustmentKind.CREDIT_NOTE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = "Amount before tax"
        self.line_amounts: dict[int, Decimal] = {}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = {
            key[len(LINE_PREFIX) :]: str(self.data.get(key, "")).strip()
            for key in self.data
            if key.startswith(LINE_PREFIX)
        }
        for line_id, value in raw.items():
            if not value:
                continue
            try:
                amount = Decimal(value.replace(",", ""))
            except InvalidOperation:
                self.add_error(None, f"{value!r} for line #{line_id} is not an amount")
                return data
            if not amount.is_finite() or amount < 0 or not line_id.isdigit():
                self.add_error(None, f"the credit for line #{line_id} must be zero or more")
                return data
            if amount:
                self.line_amounts[int(line_id)] = amount
        chosen = sum(
            [bool(self.line_amounts), bool(data.get("all_open")), data.get("amount") is not None]
        )
        if chosen != 1 and "amount" not in self.errors:
            self.add_error(
                "amount", "give an amount, tick “All that is open”, or fill in line amounts"
            )
        return data


class WriteOffForm(_AdjustmentForm):
    kind = AdjustmentKind.WRITE_OFF
    written_off_on = forms.DateField(label="Written off on", widget=_DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("all_open") == (data.get("amount") is not None)
        ) and "amount" not in self.errors:
            self.add_error("amount", "give an amount, or tick “All that is open”")
        return data


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=1000, label="Note")


class PolicyForm(forms.Form):
    approval_threshold = forms.DecimalField(
        decimal_places=2, min_value=0, help_text="credits and write-offs above this need approval"
    )
    prompt_discount_percent = forms.DecimalField(
        decimal_places=4,
        min_value=0,
        max_value=Decimal("99.9999"),
        label="Prompt-payment discount %",
        help_text="0 = no discount",
    )
    prompt_discount_days = forms.IntegerField(
        min_value=0, label="Discount days", help_text="paid in full within this many days of issue"
    )
    late_charge_annual_percent = forms.DecimalField(
        decimal_places=4, min_value=0, label="Late charge, % a year", help_text="simple interest"
    )
    late_charge_flat_fee = forms.DecimalField(
        decimal_places=2, min_value=0, label="Late fee (flat)"
    )
    late_charge_grace_days = forms.IntegerField(min_value=0, label="Grace days")
    late_charge_minimum_balance = forms.DecimalField(
        decimal_places=2, min_value=0, label="Minimum overdue balance"
    )


class ReasonForm(forms.Form):
    code = forms.CharField(max_length=20, help_text="e.g. COURTESY; an existing code is updated")
    label = forms.CharField(max_length=200)
    applies_to = forms.ChoiceField(
        choices=[("any", "Credit notes and write-offs"), *AdjustmentKind.choices]
    )
    active = forms.BooleanField(required=False, initial=True, label="Offered in the pick lists")
