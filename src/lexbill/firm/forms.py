"""Settings forms: typed input at the edge; the services decide and record every change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from lexbill.clients.models import Client, Matter
from lexbill.core.money import minor_unit_places
from lexbill.core.rates import RateLevel
from lexbill.firm.models import Classification, Firm, Role, Timekeeper, User


class FirmPolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Firm
        fields = [
            "name",
            "address",
            "tax_id",
            "email",
            "phone",
            "increment_minutes",
            "time_rounding",
            "payment_terms_days",
            "invoice_number_format",
            "credit_note_number_format",
            "budget_alert_percents",
        ]
        labels = {
            "name": "Firm name",
            "tax_id": "Tax ID",
            "increment_minutes": "Billing increment",
            "time_rounding": "Time rounding",
            "payment_terms_days": "Payment terms (days)",
            "invoice_number_format": "Invoice number format",
            "credit_note_number_format": "Credit note number format",
            "budget_alert_percents": "Budget alerts at (%)",
        }
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self) -> None:
        # The service validates and saves (configure_firm runs full_clean); the form only types.
        pass

    def clean_budget_alert_percents(self) -> str:
        """Refused here with the parser's message; saved in its normal form ("80,100")."""
        from lexbill.core.budget_thresholds import format_alert_percents, parse_alert_percents
        from lexbill.core.errors import LexbillError

        try:
            values = parse_alert_percents(self.cleaned_data.get("budget_alert_percents") or "")
        except LexbillError as error:
            raise forms.ValidationError(error.message) from None
        return format_alert_percents(values)


class UserCreateForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(f"The user name {username} is taken.")
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class TimekeeperTargetForm(forms.Form):
    """Change one timekeeper's annual billable-hour target (blank removes it)."""

    timekeeper = forms.ModelChoiceField(queryset=Timekeeper.objects.none())
    target_hours = forms.IntegerField(
        label="Billable-hour target",
        required=False,
        min_value=1,
        help_text="Billable hours expected in a year; blank for none.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["timekeeper"]
        field.queryset = Timekeeper.objects.order_by("code")


class TimekeeperCreateForm(forms.Form):
    code = forms.CharField(label="Timekeeper ID", max_length=20)
    first_name = forms.CharField(max_length=80)
    last_name = forms.CharField(max_length=80)
    classification = forms.ChoiceField(choices=Classification.choices)
    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Log-in user",
        help_text="The user whose own time this is (optional).",
    )
    billable_target_hours = forms.IntegerField(
        label="Billable-hour target",
        required=False,
        min_value=1,
        help_text="Billable hours expected in a year (e.g. 1800); blank for none.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["user"]
        field.queryset = User.objects.filter(timekeeper__isnull=True, is_active=True).order_by(
            "username"
        )


class RateForm(forms.Form):
    level = forms.ChoiceField(
        choices=[(lv.value, lv.value.capitalize()) for lv in RateLevel],
        help_text="Matter and client rates are keyed by a timekeeper or a classification.",
    )
    # Typed by number (with a search list), not picked from a <select>: a firm has tens of
    # thousands of matters, and a page listing them all takes seconds to send and render.
    matter = forms.CharField(
        required=False,
        label="Matter number",
        widget=forms.TextInput(
            attrs={
                "list": "rate-matter-options",
                "autocomplete": "off",
                "hx-get": reverse_lazy("entries:matter-search"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#rate-matter-options",
                "hx-swap": "innerHTML",
            }
        ),
    )
    client = forms.CharField(required=False, label="Client number")
    timekeeper = forms.ModelChoiceField(queryset=Timekeeper.objects.none(), required=False)
    classification = forms.ChoiceField(choices=[("", "—"), *Classification.choices], required=False)
    amount = forms.DecimalField(label="Hourly rate", min_value=0, decimal_places=2, max_digits=14)
    currency = forms.CharField(max_length=3, initial="USD")
    effective_from = forms.DateField(
        label="Effective from", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["timekeeper"].queryset = Timekeeper.objects.filter(active=True)

    def clean_matter(self) -> Matter | None:
        number = self.cleaned_data["matter"].split(" ", 1)[0].strip()
        if not number:
            return None
        matter = Matter.objects.filter(number__iexact=number).first()
        if matter is None:
            raise ValidationError(f"No matter numbered {number!r}")
        return matter

    def clean_client(self) -> Client | None:
        number = self.cleaned_data["client"].strip()
        if not number:
            return None
        client = Client.objects.filter(number__iexact=number).first()
        if client is None:
            raise ValidationError(f"No client numbered {number!r}")
        return client

    def clean_currency(self) -> str:
        currency: str = self.cleaned_data["currency"].strip().upper()
        try:
            minor_unit_places(currency)
        except Exception as exc:  # the core names the unknown currency
            raise ValidationError(str(exc)) from None
        return currency
