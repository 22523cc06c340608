"""The filter bar of every report page: a period, the filters and the grouping."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from lexbill.core.errors import LexbillError
from lexbill.core.periods import Period, last_full_month, period_from
from lexbill.reports.filters import check_filters
from lexbill.reports.framework import ReportFilters, ReportRequest, ReportSpec

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _codes(value: str) -> tuple[str, ...]:
    """``C001, C002`` or one per line: several codes in one box."""
    return tuple(dict.fromkeys(v.strip() for v in value.replace("\n", ",").split(",") if v.strip()))


class ReportForm(forms.Form):
    period = forms.CharField(
        required=False,
        max_length=10,
        label="Period",
        help_text="2026, 2026-Q3 or 2026-09; or give the dates",
    )
    start = forms.DateField(required=False, label="From", widget=_DATE)
    end = forms.DateField(required=False, label="To", widget=_DATE)
    as_of = forms.DateField(required=False, label="As of", widget=_DATE)
    client = forms.CharField(required=False, max_length=200, label="Client no.")
    matter = forms.CharField(required=False, max_length=200, label="Matter no.")
    attorney = forms.CharField(required=False, max_length=200, label="Responsible attorney")
    timekeeper = forms.CharField(required=False, max_length=200, label="Timekeeper")
    practice_area = forms.CharField(required=False, max_length=200, label="Practice area")
    by = forms.ChoiceField(required=False, label="Group by", choices=())

    def __init__(self, spec: ReportSpec, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.today = today
        by = self.fields["by"]
        assert isinstance(by, forms.ChoiceField)
        by.choices = list(spec.groupings)
        if not spec.groupings:
            del self.fields["by"]
        if not spec.point_in_time:
            del self.fields["as_of"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            if not (data.get("period") or data.get("start") or data.get("end")):
                period: Period = last_full_month(self.today)
            else:
                period = period_from(
                    start=data.get("start"), end=data.get("end"), period=data.get("period")
                )
            filters = ReportFilters(
                clients=_codes(data.get("client") or ""),
                matters=_codes(data.get("matter") or ""),
                attorneys=_codes(data.get("attorney") or ""),
                timekeepers=_codes(data.get("timekeeper") or ""),
                practice_areas=_codes(data.get("practice_area") or ""),
            )
            check_filters(filters)
            data["request"] = ReportRequest(
                period=period,
                filters=filters,
                group_by=self.spec.grouping(data.get("by") or ""),
                as_of=data.get("as_of"),
            )
        except LexbillError as error:
            field = {"from": "start", "to": "end", "report": None}.get(
                error.field or "", error.field
            )
            self.add_error(field if field in self.fields else None, error.message)
        return data
