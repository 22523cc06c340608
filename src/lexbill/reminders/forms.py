"""Typed inputs for the reminder pages; the services still decide what is allowed."""

from __future__ import annotations

from django import forms

from lexbill.clients.models import Client
from lexbill.receivables.forms import ClientChoiceField


class LogFilterForm(forms.Form):
    client = ClientChoiceField(
        queryset=Client.objects.order_by("number"),
        to_field_name="number",
        required=False,
        empty_label="All clients",
    )


class RunForm(forms.Form):
    as_of = forms.DateField(
        label="As of", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    offset_days = forms.IntegerField(
        label="Days from the due date",
        help_text="-7 = a week before it is due, 0 = on the due date, 30 = 30 days overdue",
    )
    active = forms.BooleanField(required=False, initial=True)
    subject_template = forms.CharField(label="Subject", max_length=300)
    body_template = forms.CharField(label="Body", widget=forms.Textarea(attrs={"rows": 18}))
    preview_invoice = forms.CharField(
        label="Preview for invoice",
        required=False,
        max_length=40,
        help_text="an invoice number; blank: the oldest invoice still open",
    )


class PaymentInstructionsForm(forms.Form):
    payment_instructions = forms.CharField(
        label="Payment instructions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="shown wherever a template says $payment_instructions",
    )
