"""Forms turn typed text into values for the services; the business rules stay in the services.

A form only parses (a number is a number, a matter number names a matter); whether the work may be
recorded is decided by ``entries.services``, whose errors are put back next to the field they name.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from lexbill.clients.models import Matter
from lexbill.core.errors import LexbillError
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import Billable, BillingState, TravelClass
from lexbill.entries.selectors import (
    EXPENSE_SORT_LABELS,
    SORT_LABELS,
    ExpenseFilters,
    TimeFilters,
    timekeepers,
)
from lexbill.firm.models import Timekeeper, User
from lexbill.web.errors import add_service_error

# service error field -> form field it is shown next to
_FIELD_ALIASES = {
    "duration": "hours",
    "duration_seconds": "hours",
    "rate": "timekeeper",
    "work_date": "work_date",
    "date": "date",
}


def _search_attrs(datalist: str, url_name: str, *args: str) -> dict[str, Any]:
    """A text input whose <datalist> htmx refills as the person types (the list stays usable
    with the keyboard alone: arrow keys pick an option, Enter or Tab takes it)."""
    return {
        "list": datalist,
        "autocomplete": "off",
        "hx-get": reverse_lazy(url_name, args=args),
        "hx-trigger": "input changed delay:200ms",
        "hx-target": f"#{datalist}",
        "hx-swap": "innerHTML",
        "hx-sync": "this:replace",
    }


def _code_attrs(kind: str) -> dict[str, Any]:
    return {**_search_attrs(f"{kind}-options", "entries:code-search", kind), "size": 8}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimekeeperChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj.first_name} {obj.last_name}"


class MatterNumberField(forms.CharField):
    """A matter typed (or picked from the search list) by its number; closed ones are accepted
    here so the service can say *why* no work can go on them."""

    def clean(self, value: Any) -> Matter | None:
        text = super().clean(value)
        if not text:
            return None
        number = str(text).split(" ", 1)[0].strip()
        matter = Matter.objects.filter(number__iexact=number).first()
        if matter is None:
            raise forms.ValidationError(f"no matter numbered {number!r}")
        return matter


class ServiceErrorsMixin:
    """Place a LexbillError next to the field it names, or above the form when it names none."""

    def add_service_error(self, exc: LexbillError) -> None:
        add_service_error(self, exc, _FIELD_ALIASES)  # type: ignore[arg-type]


class TimeEntryForm(ServiceErrorsMixin, forms.Form):
    matter = MatterNumberField(
        label="Matter",
        max_length=60,
        help_text="Type a client name or number, or a matter number or name",
        widget=forms.TextInput(
            attrs={**_search_attrs("matter-options", "entries:matter-search"), "autofocus": True}
        ),
    )
    timekeeper = TimekeeperChoice(queryset=Timekeeper.objects.none(), label="Timekeeper")
    work_date = forms.DateField(label="Date", widget=DateInput())
    hours = forms.DecimalField(
        label="Hours",
        required=False,
        min_value=Decimal("0"),
        max_digits=6,
        decimal_places=4,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    duration_seconds = forms.IntegerField(
        required=False, min_value=0, widget=forms.HiddenInput(attrs={"data-timer-seconds": ""})
    )
    narrative = forms.CharField(
        label="Narrative", widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )
    task_code = forms.CharField(
        label="Task code",
        required=False,
        max_length=10,
        # the matter goes along, so the list offers only its code set when it has one
        widget=forms.TextInput(attrs={**_code_attrs("task"), "hx-include": "[name=matter]"}),
    )
    activity_code = forms.CharField(
        label="Activity code",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs=_code_attrs("activity")),
    )
    billable = forms.ChoiceField(label="Billing", choices=Billable.choices)

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["timekeeper"]  # type: ignore[type-arg,assignment]
        field.queryset = timekeepers()
        if not self.is_bound:
            self.initial.setdefault("work_date", timezone.localdate())
            self.initial.setdefault("billable", Billable.BILLABLE)
            own = Timekeeper.objects.filter(user=user).first() if user is not None else None
            if own is not None:
                self.initial.setdefault("timekeeper", own.pk)

    def clean(self) -> dict[str, Any]:
        """Seconds from the timer win when the hours still say what the timer said.

        The timer posts exact seconds and fills the hours rounded to 2 places; if the person then
        typed different hours, the typed hours are what they mean.
        """
        data = super().clean() or {}
        hours: Decimal | None = data.get("hours")
        seconds: int | None = data.get("duration_seconds")
        if seconds:
            shown = (Decimal(seconds) / 3600).quantize(Decimal("0.01"))
            if hours is None or hours.quantize(Decimal("0.01")) == shown:
                data["seconds"] = seconds
                return data
        if hours is None:
            if "hours" not in self.errors:
                self.add_error("hours", "enter the hours worked, or use the timer")
            return data
        try:
            data["seconds"] = hours_to_seconds(hours)
        except LexbillError as exc:
            self.add_error("hours", exc.message)
        return data


class TimeRowForm(ServiceErrorsMixin, forms.Form):
    """The inline edit of one list row; prefixed per entry so rows never share field names."""

    work_date = forms.DateField(label="Date", widget=DateInput())
    hours = forms.DecimalField(
        label="Hours",
        min_value=Decimal("0"),
        max_digits=6,
        decimal_places=4,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    narrative = forms.CharField(label="Narrative", widget=forms.TextInput(attrs={"size": 40}))
    task_code = forms.CharField(
        label="Task code",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"list": "task-options", "size": 6}),
    )
    activity_code = forms.CharField(
        label="Activity code",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"list": "activity-options", "size": 6}),
    )
    billable = forms.ChoiceField(label="Billing", choices=Billable.choices)

    def changes(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "work_date": data["work_date"],
            "duration_seconds": hours_to_seconds(data["hours"]),
            "narrative": data["narrative"],
            "task_code": data["task_code"],
            "activity_code": data["activity_code"],
            "billable": data["billable"],
        }


class ExpenseForm(ServiceErrorsMixin, forms.Form):
    matter = MatterNumberField(
        label="Matter",
        max_length=60,
        help_text="Type a client name or number, or a matter number or name",
        widget=forms.TextInput(
            attrs={**_search_attrs("matter-options", "entries:matter-search"), "autofocus": True}
        ),
    )
    timekeeper = TimekeeperChoice(
        queryset=Timekeeper.objects.none(), label="Timekeeper", required=False
    )
    date = forms.DateField(label="Date", widget=DateInput())
    expense_code = forms.CharField(
        label="Expense code",
        max_length=10,
        widget=forms.TextInput(attrs=_code_attrs("expense")),
    )
    quantity = forms.DecimalField(
        label="Quantity", max_digits=12, decimal_places=4, initial=Decimal("1")
    )
    unit_cost = forms.DecimalField(label="Unit cost", max_digits=14, decimal_places=4)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 2}))
    billable = forms.ChoiceField(label="Billing", choices=Billable.choices)
    # What a client's billing guidelines ask of an expense; checked at pre-bill time.
    receipt = forms.BooleanField(
        label="Receipt attached or on file",
        required=False,
        help_text="Clients often want a receipt for any expense over $25.",
    )
    persons = forms.IntegerField(
        label="People covered",
        required=False,
        min_value=1,
        initial=1,
        help_text="For a meal: how many people it paid for (caps are per person).",
        widget=forms.NumberInput(attrs={"size": 4}),
    )
    travel_class = forms.ChoiceField(
        label="Travel class",
        required=False,
        choices=TravelClass.choices,
        help_text="For airfare or rail: the fare class booked.",
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["timekeeper"]  # type: ignore[type-arg,assignment]
        field.queryset = timekeepers()
        if not self.is_bound:
            self.initial.setdefault("persons", 1)
            self.initial.setdefault("date", timezone.localdate())
            self.initial.setdefault("billable", Billable.BILLABLE)
            own = Timekeeper.objects.filter(user=user).first() if user is not None else None
            if own is not None:
                self.initial.setdefault("timekeeper", own.pk)

    def clean_persons(self) -> int:
        """Left empty, an expense covers one person."""
        persons: int | None = self.cleaned_data.get("persons")
        return 1 if persons is None else persons


class _ListFilterForm(forms.Form):
    """A list's filter bar; invalid values are dropped rather than failing the whole page."""

    matter = forms.CharField(
        label="Matter",
        required=False,
        widget=forms.TextInput(attrs={"list": "matter-options", "size": 12}),
    )
    timekeeper = TimekeeperChoice(
        queryset=Timekeeper.objects.none(), label="Timekeeper", required=False, empty_label="Any"
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())
    state = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any"), *BillingState.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["timekeeper"]  # type: ignore[type-arg,assignment]
        field.queryset = timekeepers()

    def common(self) -> dict[str, Any]:
        """The filters both lists share, parsed; an unknown matter matches nothing rather than
        silently showing every matter."""
        self.is_valid()  # an invalid value drops that one filter; cleaned_data keeps the rest
        data = self.cleaned_data
        matter = None
        matter_text = str(data.get("matter") or "").split(" ", 1)[0].strip()
        unknown_matter = False
        if matter_text:
            matter = Matter.objects.filter(number__iexact=matter_text).first()
            unknown_matter = matter is None
            if unknown_matter:
                self.add_error("matter", f"no matter numbered {matter_text!r}")
        return {
            "matter": matter,
            "timekeeper": data.get("timekeeper"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "state": data.get("state") or "",
            "descending": (data.get("order") or "desc") == "desc",
            "match_nothing": unknown_matter,
        }


_ORDER_CHOICES = [("desc", "Newest / largest first"), ("asc", "Oldest / smallest first")]


class TimeFilterForm(_ListFilterForm):
    task_code = forms.CharField(
        label="Task code",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"list": "task-options", "size": 6}),
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(SORT_LABELS.items()))
    order = forms.ChoiceField(label="Order", required=False, choices=_ORDER_CHOICES)

    def filters(self) -> TimeFilters:
        common = self.common()
        return TimeFilters(
            **common,
            task_code=self.cleaned_data.get("task_code") or "",
            sort=self.cleaned_data.get("sort") or "date",
        )


class ExpenseFilterForm(_ListFilterForm):
    expense_code = forms.CharField(
        label="Expense code",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"list": "expense-options", "size": 6}),
    )
    sort = forms.ChoiceField(
        label="Sort by", required=False, choices=list(EXPENSE_SORT_LABELS.items())
    )
    order = forms.ChoiceField(label="Order", required=False, choices=_ORDER_CHOICES)

    def filters(self) -> ExpenseFilters:
        common = self.common()
        return ExpenseFilters(
            **common,
            expense_code=self.cleaned_data.get("expense_code") or "",
            sort=self.cleaned_data.get("sort") or "date",
        )


class BulkForm(ServiceErrorsMixin, forms.Form):
    """What to do with the ticked rows; at least one of the three changes."""

    ids = forms.TypedMultipleChoiceField(coerce=int, required=True, choices=[])
    task_code = forms.CharField(
        label="Set task code",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"list": "task-options", "size": 6}),
    )
    matter = MatterNumberField(
        label="Move to matter",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"list": "matter-options", "size": 12}),
    )
    no_charge = forms.BooleanField(label="Mark no-charge", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(i, i) for i in ids]  # type: ignore[attr-defined]
