"""Typed inputs for the payment-plan pages; create_plan still decides what is allowed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from lexbill.billing.models import Invoice
from lexbill.web.templatetags.lexbill import money_text


class PlanForm(forms.Form):
    invoices = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        help_text="open invoices of one currency; their balances make the plan's total",
    )
    count = forms.IntegerField(
        label="Instalments",
        min_value=1,
        max_value=120,
        required=False,
        help_text="equal instalments, the remainder on the last",
    )
    amounts = forms.CharField(
        label="Or these amounts",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="one amount per line, adding up to the total, instead of equal instalments",
    )
    first_due = forms.DateField(
        label="First instalment due", widget=forms.DateInput(attrs={"type": "date"})
    )
    every = forms.CharField(
        initial="month", max_length=20, help_text="month, week, or a number of days like 14days"
    )
    grace_days = forms.IntegerField(
        label="Grace days",
        initial=10,
        min_value=0,
        max_value=365,
        help_text="days past due before an unpaid instalment counts as missed",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, open_invoices: list[Invoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoices"].choices = [  # type: ignore[attr-defined]
            (
                inv.number,
                f"{inv.number} · issued {inv.issued_on:%Y-%m-%d} · due {inv.due_on:%Y-%m-%d} · "
                f"balance {money_text(inv.balance, inv.currency)}",  # type: ignore[attr-defined]
            )
            for inv in open_invoices
        ]

    def clean_amounts(self) -> list[Decimal] | None:
        text = self.cleaned_data["amounts"].strip()
        if not text:
            return None
        amounts = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                amounts.append(Decimal(raw.replace(",", "").strip()))
            except InvalidOperation:
                message = f"line {number}: {raw.strip()!r} is not an amount"
                raise forms.ValidationError(message) from None
        return amounts

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("count") and not data.get("amounts"):
            self.add_error("count", "Say how many instalments, or list their amounts.")
        return data
