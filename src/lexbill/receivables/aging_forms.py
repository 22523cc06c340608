"""Typed inputs for the aging report and the client statement pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from lexbill.receivables.aging import GroupBy

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AgingForm(forms.Form):
    as_of = forms.DateField(label="As of", widget=_DATE, required=False)
    by = forms.ChoiceField(
        label="Group by",
        choices=[
            (GroupBy.CLIENT, "Client"),
            (GroupBy.MATTER, "Matter"),
            (GroupBy.ATTORNEY, "Responsible attorney"),
        ],
        required=False,
    )
    client = forms.CharField(label="Client no.", max_length=20, required=False)
    attorney = forms.CharField(label="Attorney code", max_length=20, required=False)
    currency = forms.CharField(max_length=3, required=False)

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()


class AgingCellForm(AgingForm):
    key = forms.CharField(max_length=40, required=False)
    bucket = forms.CharField(max_length=12, required=False)


class StatementForm(forms.Form):
    start = forms.DateField(label="From", widget=_DATE)
    end = forms.DateField(label="To", widget=_DATE)
    currency = forms.CharField(max_length=3, required=False, help_text="if billed in several")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if start and end and end < start:
            self.add_error("end", "The period ends before it starts.")
        data["currency"] = str(data.get("currency") or "").strip().upper()
        return data


class StatementSendForm(StatementForm):
    to = forms.EmailField(label="Send to", required=False, help_text="blank: the billing e-mail")
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
