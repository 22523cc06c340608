"""The guideline report pages: findings and amounts at risk by client, rule and timekeeper over a
period, and the findings behind each row. Read-only; the selectors in ``report.py`` decide."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from lexbill.clients.models import Client
from lexbill.compliance.report import (
    DRILL_LIMIT,
    NO_TIMEKEEPER,
    Criteria,
    ReportRow,
    default_period,
    guideline_report,
    report_findings,
)
from lexbill.core.errors import LexbillError
from lexbill.firm.models import Timekeeper
from lexbill.firm.permissions import Action
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error

_DATE = forms.DateInput(attrs={"type": "date"})


class GuidelineReportForm(forms.Form):
    """The period and filters, typed as a coordinator knows them (client number, rule id,
    timekeeper code); ``rule_type`` and ``currency`` come only from a row's drill-down link."""

    start = forms.DateField(label="Pre-bills through, from", widget=_DATE)
    end = forms.DateField(label="to", widget=_DATE)
    client = forms.CharField(required=False, max_length=40, label="Client number")
    rule = forms.CharField(required=False, max_length=80, label="Rule")
    timekeeper = forms.CharField(
        required=False,
        max_length=20,
        label="Timekeeper",
        help_text=f"code; {NO_TIMEKEEPER} for none",
    )
    rule_type = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    currency = forms.CharField(required=False, max_length=3, widget=forms.HiddenInput)

    def clean_client(self) -> Client | None:
        number = self.cleaned_data["client"].strip()
        if not number:
            return None
        client = Client.objects.filter(number__iexact=number).first()
        if client is None:
            raise forms.ValidationError(f"no client numbered {number}")
        return client

    def clean_timekeeper(self) -> Timekeeper | str | None:
        code = self.cleaned_data["timekeeper"].strip()
        if not code or code == NO_TIMEKEEPER:
            return code or None
        keeper = Timekeeper.objects.filter(code__iexact=code).first()
        if keeper is None:
            raise forms.ValidationError(f"no timekeeper {code}")
        return keeper

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        keeper = data["timekeeper"]
        return Criteria(
            start=data["start"],
            end=data["end"],
            client_id=data["client"].pk if data["client"] else None,
            rule_id=data["rule"].strip(),
            rule_type=data["rule_type"].strip(),
            timekeeper_id=keeper.pk if isinstance(keeper, Timekeeper) else None,
            no_timekeeper=keeper == NO_TIMEKEEPER,
            currency=data["currency"].strip().upper(),
        )


def _form(request: HttpRequest) -> GuidelineReportForm:
    """The form over the query, the period defaulting to the current month."""
    data: QueryDict = request.GET.copy()
    first, last = default_period(timezone.localdate())
    if not data.get("start"):
        data["start"] = first.isoformat()
    if not data.get("end"):
        data["end"] = last.isoformat()
    return GuidelineReportForm(data)


def _criteria(form: GuidelineReportForm) -> Criteria | None:
    if not form.is_valid():
        return None
    try:
        return form.criteria()
    except LexbillError as exc:
        add_service_error(form, exc)
        return None


def _drill_url(form: GuidelineReportForm, **narrowed: str) -> str:
    """The findings list behind a row: the page's period and filters, narrowed to the row."""
    query = {
        name: value
        for name in ("start", "end", "client", "rule", "timekeeper")
        if (value := str(form.data.get(name, "")).strip())
    }
    query.update(narrowed)
    return f"{reverse('compliance:guideline-report-findings')}?{urlencode(query)}"


def _rows(form: GuidelineReportForm, rows: list[ReportRow], narrow: str) -> list[dict[str, Any]]:
    linked = []
    for row in rows:
        narrowed = {"currency": row.currency}
        if narrow == "client":
            narrowed["client"] = row.key
        elif narrow == "rule":
            narrowed |= {"rule": row.key, "rule_type": row.label}
        else:
            narrowed["timekeeper"] = row.key or NO_TIMEKEEPER
        linked.append({"row": row, "url": _drill_url(form, **narrowed)})
    return linked


@require_action(Action.VIEW_REPORTS)
@require_GET
def guideline_report_page(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    criteria = _criteria(form)
    context: dict[str, Any] = {"form": form, "criteria": criteria}
    if criteria is not None:
        report = guideline_report(acting_user(request), criteria)
        context.update(
            report=report,
            all_url=_drill_url(form),
            tables=[
                ("by-client", "By client", "Client", _rows(form, report.by_client, "client")),
                ("by-rule", "By rule", "Rule", _rows(form, report.by_rule, "rule")),
                (
                    "by-timekeeper",
                    "By timekeeper",
                    "Timekeeper",
                    _rows(form, report.by_timekeeper, "timekeeper"),
                ),
            ],
        )
    return render(
        request, "compliance/guideline_report.html", context, status=200 if criteria else 400
    )


@require_action(Action.VIEW_REPORTS)
@require_GET
def guideline_report_findings(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    criteria = _criteria(form)
    context: dict[str, Any] = {"form": form, "criteria": criteria, "limit": DRILL_LIMIT}
    if criteria is not None:
        findings, total = report_findings(acting_user(request), criteria)
        context.update(findings=findings, total=total)
        query = {k: v for k, v in request.GET.items() if k in ("start", "end") and v}
        context["back_url"] = f"{reverse('compliance:guideline-report')}?{urlencode(query)}"
    return render(
        request, "compliance/guideline_findings.html", context, status=200 if criteria else 400
    )
