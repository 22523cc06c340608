"""Forms of the bank pages: typed values at the edge, every rule left to banking.services."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation

from django import forms

from lexbill.banking.models import BankAccount, CsvMapping, StatementFormat
from lexbill.formats.bank.csv_statement import ENCODINGS

MAX_UPLOAD = 20 * 1024 * 1024

GUESS = ""
FORMAT_CHOICES = [(GUESS, "Recognise from the file"), *StatementFormat.choices]
NEW_MAPPING = "new"
DEFAULTS = {
    "date_format": "%m/%d/%Y",
    "decimal_separator": ".",
    "delimiter": ",",
    "encoding": "utf-8-sig",
}


class BankAccountForm(forms.Form):
    name = forms.CharField(max_length=80)
    currency = forms.CharField(max_length=3, initial="USD")
    number = forms.CharField(max_length=40, required=False, label="Account number or IBAN")


class UploadForm(forms.Form):
    """The file and how to read it; a CSV either uses a saved mapping or defines one here."""

    account = forms.ModelChoiceField(queryset=BankAccount.objects.filter(active=True))
    format = forms.ChoiceField(choices=FORMAT_CHOICES, required=False)
    file = forms.FileField(required=False, help_text="CSV, OFX/QFX or camt.053 XML")
    # the bytes of a file already previewed, so "Import" needs no second upload
    kept = forms.CharField(required=False, widget=forms.HiddenInput)
    kept_name = forms.CharField(required=False, widget=forms.HiddenInput)
    mapping = forms.ChoiceField(
        required=False,
        label="CSV mapping",
        help_text="a saved mapping of the account, or define one below",
    )
    save_as = forms.CharField(
        max_length=80, required=False, label="Save the mapping as", help_text="optional name"
    )
    date_column = forms.CharField(max_length=80, required=False)
    amount_column = forms.CharField(
        max_length=80, required=False, help_text="signed; or use credit and debit columns"
    )
    credit_column = forms.CharField(max_length=80, required=False)
    debit_column = forms.CharField(max_length=80, required=False)
    reference_column = forms.CharField(max_length=80, required=False)
    payer_column = forms.CharField(max_length=80, required=False)
    bank_id_column = forms.CharField(max_length=80, required=False, label="Bank id column")
    value_date_column = forms.CharField(max_length=80, required=False)
    type_column = forms.CharField(max_length=80, required=False)
    check_number_column = forms.CharField(max_length=80, required=False)
    date_format = forms.CharField(max_length=40, initial="%m/%d/%Y", required=False)
    decimal_separator = forms.ChoiceField(
        choices=[(".", "."), (",", ",")], initial=".", required=False
    )
    thousands_separator = forms.ChoiceField(
        choices=[(",", ","), (".", "."), (" ", "space"), ("", "none")], initial=",", required=False
    )
    delimiter = forms.ChoiceField(
        choices=[(",", ","), (";", ";"), ("\t", "tab"), ("|", "|")], initial=",", required=False
    )
    encoding = forms.ChoiceField(
        choices=[(e, e) for e in ENCODINGS], initial="utf-8-sig", required=False
    )
    skip_rows = forms.IntegerField(min_value=0, initial=0, required=False, label="Rows to skip")

    LAYOUT_FIELDS = CsvMapping.LAYOUT_FIELDS

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [("", "The account's default mapping"), (NEW_MAPPING, "Define a mapping below")]
        for mapping in CsvMapping.objects.select_related("bank_account"):
            choices.append((str(mapping.pk), f"{mapping.bank_account.name}: {mapping.name}"))
        mapping_field = self.fields["mapping"]
        assert isinstance(mapping_field, forms.ChoiceField)
        mapping_field.choices = choices

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_UPLOAD:
                self.add_error("file", "the file is larger than 20 MB")
                return data
            data["content"] = upload.read()
            data["file_name"] = upload.name
        elif data.get("kept"):
            try:
                data["content"] = base64.b64decode(str(data["kept"]), validate=True)
            except (binascii.Error, ValueError):
                self.add_error("file", "choose the file again")
                return data
            data["file_name"] = data.get("kept_name", "")
        else:
            self.add_error("file", "choose a statement file")
        return data

    def layout_settings(self) -> dict[str, object]:
        """The CSV layout as typed; separators and encoding left empty take their defaults."""
        data = self.cleaned_data
        values: dict[str, object] = {name: data.get(name) or "" for name in self.LAYOUT_FIELDS}
        values["skip_rows"] = data.get("skip_rows") or 0
        values["thousands_separator"] = data.get("thousands_separator", ",")
        for name, default in DEFAULTS.items():
            values[name] = values[name] or default
        return values


class MatchForm(forms.Form):
    """Whose deposit this is and what it pays: ``NUMBER = AMOUNT`` lines, blank: oldest first."""

    client = forms.CharField(max_length=40, label="Client number")
    allocations = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="one 'invoice number = amount' per line; empty: oldest invoices first",
    )
    unapplied = forms.BooleanField(
        required=False, label="Keep it all as unapplied credit (no invoices)"
    )

    def clean_allocations(self) -> list[tuple[str, Decimal]] | None:
        text = self.cleaned_data.get("allocations", "").strip()
        if not text:
            return None
        pairs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            invoice, sep, amount = line.partition("=")
            try:
                value = Decimal(amount.strip().replace(",", ""))
            except InvalidOperation:
                value = Decimal("NaN")
            if not sep or not invoice.strip() or not value.is_finite():
                raise forms.ValidationError(f"line {number}: write it as 'invoice number = amount'")
            pairs.append((invoice.strip(), value))
        return pairs


class IgnoreForm(forms.Form):
    reason = forms.CharField(max_length=300)
