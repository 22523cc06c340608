"""Typed inputs for the client and matter pages; the services still decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from lexbill.clients.models import Matter
from lexbill.firm.models import Classification, Timekeeper

DATE = forms.DateInput(attrs={"type": "date"})


class ClientSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Number or name")


class ClientForm(forms.Form):
    number = forms.CharField(max_length=20)
    name = forms.CharField(max_length=200)
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    billing_contact = forms.CharField(required=False, max_length=150)
    billing_email = forms.EmailField(required=False)
    tax_rate_percent = forms.DecimalField(
        label="Tax rate (%)", decimal_places=4, initial=0, help_text="e.g. 20 for 20% VAT"
    )
    tax_label = forms.CharField(required=False, max_length=20, initial="Tax")
    tax_id = forms.CharField(required=False, max_length=40, label="Tax ID")
    late_charges_allowed = forms.BooleanField(
        required=False,
        label="Late charges allowed",
        help_text="the engagement letter allows interest or a late fee on overdue bills",
    )


class _ArrangementMixin(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Only the amount that belongs to the arrangement is kept; the service checks it.
        arrangement = data.get("arrangement")
        if arrangement != Matter.Arrangement.FLAT_FEE:
            data["flat_fee"] = None
        if arrangement != Matter.Arrangement.CAPPED:
            data["fee_cap"] = None
        return data


class MatterEditForm(_ArrangementMixin):
    name = forms.CharField(max_length=200)
    client_matter_id = forms.CharField(required=False, max_length=60, label="Client's matter ID")
    task_code_set = forms.ChoiceField(
        required=False,
        label="UTBMS task code set",
        choices=[("", "Any"), *Matter._meta.get_field("task_code_set").choices],  # type: ignore[misc]
        help_text="Task codes on this matter's time must come from this set.",
    )
    responsible_attorney = forms.ModelChoiceField(
        queryset=Timekeeper.objects.filter(active=True).order_by("last_name", "first_name")
    )
    practice_area = forms.CharField(
        required=False,
        max_length=60,
        help_text="The firm's practice group (Litigation, Corporate…), for reports.",
    )
    arrangement = forms.ChoiceField(choices=Matter.Arrangement.choices, label="Billing arrangement")
    flat_fee = forms.DecimalField(
        required=False, decimal_places=2, help_text="For a flat-fee matter: the fee."
    )
    fee_cap = forms.DecimalField(
        required=False, decimal_places=2, help_text="For a capped matter: the most billed in fees."
    )


class MatterForm(MatterEditForm):
    number = forms.CharField(max_length=30)
    currency = forms.CharField(max_length=3, initial="USD")
    opened_on = forms.DateField(widget=DATE)

    field_order = [
        "number",
        "name",
        "client_matter_id",
        "task_code_set",
        "responsible_attorney",
        "practice_area",
        "currency",
        "opened_on",
        "arrangement",
        "flat_fee",
        "fee_cap",
    ]


class MatterRateForm(forms.Form):
    """A matter override: for one timekeeper, or for everyone of a classification."""

    timekeeper = forms.ModelChoiceField(
        queryset=Timekeeper.objects.order_by("last_name", "first_name"),
        required=False,
        empty_label="—",
    )
    classification = forms.ChoiceField(choices=[("", "—"), *Classification.choices], required=False)
    amount = forms.DecimalField(decimal_places=4, label="Hourly rate")
    effective_from = forms.DateField(widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("timekeeper")) == bool(data.get("classification")):
            self.add_error("timekeeper", "choose a timekeeper or a classification, not both")
        return data


# ---- facts the client's billing guidelines need -----------------------------------------------


class MatterBudgetForm(forms.Form):
    phase = forms.CharField(
        required=False,
        max_length=10,
        label="Phase",
        help_text="A UTBMS phase (L200) or task code (L210); blank for the whole matter.",
        widget=forms.TextInput(attrs={"size": 6}),
    )
    amount = forms.DecimalField(label="Budget", max_digits=18)


class ApprovedTimekeeperForm(forms.Form):
    timekeeper = forms.ModelChoiceField(
        queryset=Timekeeper.objects.filter(active=True).order_by("last_name", "first_name")
    )
    approved_on = forms.DateField(widget=DATE, label="Approved on")
    note = forms.CharField(required=False, max_length=200, help_text="E.g. who approved it.")


class RateNoticeForm(forms.Form):
    timekeeper = forms.ModelChoiceField(
        queryset=Timekeeper.objects.order_by("last_name", "first_name"),
        required=False,
        empty_label="Every timekeeper",
    )
    effective_from = forms.DateField(
        widget=DATE, label="Increase effective", help_text="The day the new rate takes effect."
    )
    given_on = forms.DateField(
        widget=DATE, label="Notice given", help_text="When the client was told."
    )
    note = forms.CharField(required=False, max_length=200, help_text="E.g. how it was sent.")
