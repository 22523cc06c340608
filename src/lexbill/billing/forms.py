"""Typed inputs for the billing pages; the services still decide what is allowed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from lexbill.billing.models import LineKind, LineTreatment, PrebillLine, PrebillStatus
from lexbill.clients.models import Client
from lexbill.core.errors import LexbillError
from lexbill.core.increments import hours_to_minutes, minutes_to_hours

INVOICE_STATUSES = ["final", "sent", "partly paid", "paid", "credited"]


class PrebillFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Open (draft, sent back, approved)"), *PrebillStatus.choices]
    )
    q = forms.CharField(required=False, label="Matter or client")


class BillRunForm(forms.Form):
    through = forms.DateField(
        label="Bill work dated on or before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class LineEditForm(forms.Form):
    """One pre-bill line; the names match the services' error fields."""

    units = forms.DecimalField(required=False, label="Hours", min_value=0, decimal_places=4)
    quantity = forms.DecimalField(required=False, label="Quantity", decimal_places=4)
    rate = forms.DecimalField(label="Rate", decimal_places=4)
    narrative = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 40})
    )
    task_code = forms.CharField(required=False, max_length=10, label="Task")
    activity_code = forms.CharField(required=False, max_length=10, label="Activity")
    expense_code = forms.CharField(required=False, max_length=10, label="Expense code")
    adjustment = forms.DecimalField(
        required=False,
        label="Write-down (−) / write-up (+)",
        decimal_places=2,
        initial=Decimal(0),
    )
    reason = forms.CharField(required=False, max_length=200, label="Reason")
    treatment = forms.ChoiceField(choices=LineTreatment.choices)

    def __init__(self, *args: Any, line: PrebillLine, **kwargs: Any) -> None:
        self.line = line
        if not args and "data" not in kwargs:
            kwargs.setdefault(
                "initial",
                {
                    "units": minutes_to_hours(line.minutes) if line.minutes else None,
                    "quantity": line.quantity,
                    "rate": line.rate,
                    "narrative": line.narrative,
                    "task_code": line.task_code,
                    "activity_code": line.activity_code,
                    "expense_code": line.expense_code,
                    "adjustment": line.adjustment,
                    "reason": line.adjustment_reason,
                    "treatment": line.treatment,
                },
            )
        super().__init__(*args, **kwargs)
        if line.kind == LineKind.TIME:
            del self.fields["quantity"], self.fields["expense_code"]
            self.fields["units"].required = True
        else:
            del self.fields["units"], self.fields["task_code"], self.fields["activity_code"]
            self.fields["quantity"].required = True
            self.fields["rate"].label = "Unit cost"
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"line-{line.pk}-{name}")
        for name in ("units", "quantity", "rate", "adjustment"):
            if name in self.fields:
                self.fields[name].widget.attrs.update({"size": 8, "step": "any"})
        for name in ("task_code", "activity_code", "expense_code"):
            if name in self.fields:
                self.fields[name].widget.attrs["size"] = 5
        # The edit row replaces the row whose Edit button had the focus: put the focus on the
        # first field (htmx focuses ``autofocus`` in swapped content), or a keyboard user is lost.
        next(iter(self.fields.values())).widget.attrs["autofocus"] = True

    def clean_units(self) -> int | None:
        hours = self.cleaned_data.get("units")
        if hours is None:
            return None
        minutes = hours * 60
        if minutes != minutes.to_integral_value():
            raise forms.ValidationError("hours must come to whole minutes (e.g. 1.25, 0.1)")
        return int(minutes)


class _OwnIds(forms.Form):
    """Several of these forms share a page and a field name; each gets its own element ids so a
    label (and an error's aria link) points at its own field."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ApproveForm(_OwnIds):
    id_prefix = "approve"
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(_OwnIds):
    id_prefix = "note"
    comment = forms.CharField(
        label="Add a comment", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )


class SendBackForm(_OwnIds):
    id_prefix = "send_back"
    comment = forms.CharField(
        required=False,
        label="What must change",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InvoiceFilterForm(forms.Form):
    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("number"), required=False, empty_label="All clients"
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *[(s, s) for s in INVOICE_STATUSES]]
    )
    issued_from = forms.DateField(
        required=False, label="Issued from", widget=forms.DateInput(attrs={"type": "date"})
    )
    issued_to = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )


class EmailInvoiceForm(forms.Form):
    to = forms.CharField(required=False, max_length=254, label="To")
    message = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Message"
    )


class SplitPartForm(forms.Form):
    """One entry of a split line; the field names are the split service's error fields, with
    ``minutes`` shown as hours."""

    hours = forms.CharField(max_length=12, label="Hours")
    narrative = forms.CharField(max_length=4000, label="Narrative")
    task_code = forms.CharField(required=False, max_length=10, label="Task")
    activity_code = forms.CharField(required=False, max_length=10, label="Activity")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hours"].widget.attrs.update({"size": 6, "inputmode": "decimal"})
        self.fields["narrative"].widget.attrs.update({"size": 48})
        for name in ("task_code", "activity_code"):
            self.fields[name].widget.attrs["size"] = 5

    def clean_hours(self) -> int:
        """Whole minutes, from hours typed the way the pre-bill shows them."""
        try:
            return hours_to_minutes(self.cleaned_data["hours"].strip())
        except LexbillError as exc:
            raise forms.ValidationError(exc.message) from None


SplitPartFormSet = forms.formset_factory(SplitPartForm, extra=0)
