"""Forms of the Import page: they only type the input; imports.services decides."""

from __future__ import annotations

from typing import Any

from django import forms

from lexbill.formats.import_fields import DATE_FORMATS, Kind, schema

NOT_IN_FILE = ""


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k.value, k.value.capitalize()) for k in Kind],
        label="What the file holds",
        help_text="import timekeepers, clients, matters and rates before time and expenses",
    )
    file = forms.FileField(
        help_text="CSV (UTF-8 or Windows-1252) or Excel .xlsx; first row: headers"
    )


class MappingForm(forms.Form):
    """One choice of the file's columns per target field, then how to read dates and numbers."""

    def __init__(self, kind: str, headers: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(NOT_IN_FILE, "— not in the file —")] + [(h, h) for h in headers if h.strip()]
        spec = schema(kind)
        grouped = {name for group in spec.one_of for name in group}
        self.target_fields: list[str] = []
        for fld in spec.fields:
            needed = " (required)" if fld.required else ""
            if fld.name in grouped:
                group = next(g for g in spec.one_of if fld.name in g)
                others = " or ".join(spec.fields[spec.index(n)].label for n in group)
                needed = f" ({others} required)"
            self.fields[f"col_{fld.name}"] = forms.ChoiceField(
                choices=choices,
                required=False,
                label=fld.label,
                help_text=f"{fld.type.value}{needed}" + (f"; {fld.help}" if fld.help else ""),
            )
            self.target_fields.append(fld.name)
        self.fields["date_format"] = forms.ChoiceField(
            choices=list(DATE_FORMATS.items()), label="Dates are written"
        )
        self.fields["decimal_comma"] = forms.BooleanField(
            required=False, label="Numbers use a decimal comma (1.234,56)"
        )
        if spec.kind in (Kind.TIME, Kind.EXPENSES):
            self.fields["allow_duplicates"] = forms.BooleanField(
                required=False, label="Identical rows are all real (do not refuse duplicates)"
            )
        self.fields["name"] = forms.CharField(
            max_length=120, required=False, label="Name the mapping", help_text="optional"
        )

    def columns(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"col_{name}") or ""
            for name in self.target_fields
            if self.cleaned_data.get(f"col_{name}")
        }

    def options(self) -> dict[str, Any]:
        return {
            "date_format": self.cleaned_data["date_format"],
            "decimal_comma": self.cleaned_data.get("decimal_comma", False),
            "allow_duplicates": self.cleaned_data.get("allow_duplicates", False),
        }

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{name}"] for name in self.target_fields]
