"""Typed inputs for the dispute pages; the services still decide what is allowed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from lexbill.billing.models import InvoiceLine
from lexbill.clients.models import Client
from lexbill.disputes.models import DisputeKind, ReceivedVia
from lexbill.firm.models import User
from lexbill.firm.permissions import ALLOWED, Action


def _handlers() -> Any:
    roles = [r.value for r in ALLOWED[Action.HANDLE_DISPUTES]]
    return User.objects.filter(is_active=True, role__in=roles).order_by("username")


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


class DisputeForm(forms.Form):
    kind = forms.ChoiceField(
        choices=DisputeKind.choices,
        initial=DisputeKind.INQUIRY,
        widget=forms.RadioSelect,
        help_text="an inquiry is a question; a dispute contests an amount and stops reminders",
    )
    line = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="About", help_text="or one line"
    )
    raised_by = forms.CharField(label="Raised by", max_length=200, help_text="the client's contact")
    raised_on = forms.DateField(label="Raised on", widget=forms.DateInput(attrs={"type": "date"}))
    received_via = forms.ChoiceField(label="Received by", choices=ReceivedVia.choices)
    amount_disputed = forms.DecimalField(
        label="Amount disputed", decimal_places=2, min_value=Decimal(0), initial=Decimal(0)
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    assigned_to = UserChoiceField(
        queryset=User.objects.none(), required=False, empty_label="nobody yet", label="Assign to"
    )

    def __init__(self, *args: Any, lines: list[InvoiceLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [  # type: ignore[attr-defined]
            ("", "the whole invoice"),
            *[(ln.position, f"line {ln.position}: {ln.narrative[:60]}") for ln in lines],
        ]
        self.fields["assigned_to"].queryset = _handlers()  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    assigned_to = UserChoiceField(
        queryset=User.objects.none(), required=False, empty_label="nobody", label="Assign to"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = _handlers()  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    how = forms.ChoiceField(
        label="Resolve by",
        choices=[("explain", "Explanation"), ("credit", "Credit note")],
        widget=forms.RadioSelect,
        initial="explain",
    )
    explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="what the client was told",
    )
    amount = forms.DecimalField(
        label="Credit amount",
        required=False,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="before tax; tax is credited at the invoice's rate",
    )
    reason = forms.CharField(label="Credit reason", required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("how") == "explain" and not (data.get("explanation") or "").strip():
            self.add_error("explanation", "Write the explanation given to the client.")
        if data.get("how") == "credit":
            if data.get("amount") is None:
                self.add_error("amount", "Say how much to credit.")
            if not (data.get("reason") or "").strip():
                self.add_error("reason", "A credit note needs a reason.")
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=500)


class DisputeFilterForm(forms.Form):
    mine = forms.BooleanField(required=False, label="Assigned to me")
    kind = forms.ChoiceField(required=False, choices=[("", "Both kinds"), *DisputeKind.choices])
    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("number"),
        to_field_name="number",
        required=False,
        empty_label="All clients",
    )
    show = forms.ChoiceField(
        required=False, choices=[("", "Unresolved"), ("all", "All, resolved too")]
    )
