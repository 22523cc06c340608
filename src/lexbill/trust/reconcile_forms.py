"""Forms of the reconciliation pages: typed values at the edge, every rule left to the engine.

Nothing here decides whether a match is allowed or a month reconciles; trust.reconciliation
does, and its refusals come back to the page as messages.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from lexbill.banking.models import StatementFormat
from lexbill.trust.models import TrustAccount

MAX_UPLOAD = 20 * 1024 * 1024
GUESS = ""


class StatementImportForm(forms.Form):
    """A trust account's statement file, its format and (for a CSV) which saved mapping reads it."""

    file = forms.FileField(help_text="CSV, OFX/QFX or camt.053 XML")
    format = forms.ChoiceField(
        choices=[(GUESS, "Recognise from the file"), *StatementFormat.choices], required=False
    )
    mapping = forms.ChoiceField(
        required=False,
        label="CSV mapping",
        help_text="saved on the Bank pages for this account",
    )

    def __init__(self, account: TrustAccount, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "The account's default mapping")]
        choices += [(str(m.pk), m.name) for m in account.bank_account.csv_mappings.all()]
        mapping_field = self.fields["mapping"]
        assert isinstance(mapping_field, forms.ChoiceField)
        mapping_field.choices = choices

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload is not None and upload.size > MAX_UPLOAD:
            raise ValidationError("the file is larger than 20 MB")
        return upload


class IdListField(forms.Field):
    """Ticked checkboxes sharing one name: a list of row ids (none ticked: an empty list)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise ValidationError("the ticked rows are not row numbers") from exc


class MatchSelectedForm(forms.Form):
    """The bank lines and journal entries a person says cleared together."""

    bank_ids = IdListField(required=False)
    posting_ids = IdListField(required=False)
    interest_ids = IdListField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("bank_ids"):
            raise ValidationError("tick at least one bank line")
        if not data.get("posting_ids") and not data.get("interest_ids"):
            raise ValidationError("tick at least one journal posting or interest entry")
        return data


class StatementBalanceForm(forms.Form):
    """The month-end balance typed from the bank when no imported statement closes on that day."""

    statement_balance = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        label="Statement balance at the month end",
        help_text="only when no imported statement covers the month end",
    )

    def balance(self) -> Decimal | None:
        """The typed balance, or None when none was typed or it isn't a number."""
        if not self.is_valid():
            return None
        value: Decimal | None = self.cleaned_data.get("statement_balance")
        return value


class SignOffForm(StatementBalanceForm):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="kept with the signed reconciliation and printed on it",
    )
