"""The audit page's filter form: typed values for ``selectors.AuditFilters``, nothing more."""

from __future__ import annotations

from typing import Any

from django import forms

from lexbill.audit.models import AuditRecord
from lexbill.audit.selectors import SYSTEM, AuditFilters
from lexbill.firm.models import User


class DateInput(forms.DateInput):
    input_type = "date"


def _user_choices() -> list[tuple[str, str]]:
    users = User.objects.order_by("username").values_list("pk", "username")
    return [("", "Anyone"), (SYSTEM, "System (no person)"), *((str(pk), n) for pk, n in users)]


class AuditFilterForm(forms.Form):
    user = forms.ChoiceField(label="User", required=False)
    model = forms.CharField(
        label="Record type",
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"list": "audit-models", "size": 20}),
    )
    object_id = forms.CharField(
        label="Record id", required=False, max_length=40, widget=forms.TextInput({"size": 8})
    )
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any"), *AuditRecord.Action.choices]
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput)
    date_to = forms.DateField(label="To", required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = _user_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        user = data.get("user") or ""
        return AuditFilters(
            actor=int(user) if user and user != SYSTEM else None,
            system_only=user == SYSTEM,
            model=(data.get("model") or "").strip(),
            object_id=(data.get("object_id") or "").strip(),
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
