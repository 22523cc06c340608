"""The e-billing profile form and the LEDES upload form."""

from __future__ import annotations

from typing import Any

from django import forms

from lexbill.ebilling.models import TASK_CODE_SET_CHOICES, EbillingProfile
from lexbill.firm.models import Classification

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    task_code_sets = forms.MultipleChoiceField(
        label="UTBMS task code sets the client accepts",
        choices=TASK_CODE_SET_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any code, and none required.",
    )

    class Meta:
        model = EbillingProfile
        fields = [
            "format",
            "client_ledes_id",
            "law_firm_id",
            "task_code_sets",
            "require_activity_code",
            "require_expense_code",
            "narrative_limit",
            "invoice_number_pattern",
            "invoice_number_rule",
            "tax_type",
            "client_city",
            "client_region",
            "client_postcode",
            "client_country",
            "firm_city",
            "firm_region",
            "firm_postcode",
            "firm_country",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: EbillingProfile = self.instance
        # one field per firm classification: the LEDES code the client's system expects
        for value, label in Classification.choices:
            self.fields[f"code_{value}"] = forms.CharField(
                label=f"LEDES code for {label.lower()}",
                required=False,
                max_length=6,
                initial=instance.classification_code(value),
            )

    def values(self) -> dict[str, Any]:
        """What to hand to ``save_profile``."""
        data = dict(self.cleaned_data)
        codes = {
            value: (data.pop(f"code_{value}") or "").strip().upper()
            for value in Classification.values
        }
        data["classification_codes"] = {k: v for k, v in codes.items() if v}
        return data


class LedesUploadForm(forms.Form):
    file = forms.FileField(label="LEDES file (1998B or 98BI)")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file is over 50 MB; validate it with `lexbill ledes validate`."
            )
        return upload
