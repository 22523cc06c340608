"""Typed inputs of the late-charges page."""

from __future__ import annotations

from django import forms

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AssessForm(forms.Form):
    as_of = forms.DateField(
        label="As of",
        widget=_DATE,
        help_text="charges run through this day; each invoice from the day after its last charge",
    )


class ChargeFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "All"), ("pending", "Waiting for a bill"), ("billed", "Billed")],
        required=False,
    )
