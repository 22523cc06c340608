"""Trust report pages: each one a filter form over one function of trust.reports, shown as a
page or downloaded (``?format=pdf`` / ``?format=xlsx``) from the very same figures.

Thin on purpose: the reports compute, the page formats, and only the billing office
(Action.VIEW_TRUST) may open them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from lexbill.clients.models import Client
from lexbill.core.errors import LexbillError
from lexbill.firm.permissions import Action
from lexbill.formats.spreadsheet import ColumnType
from lexbill.trust import reports
from lexbill.trust.models import TrustAccount, TrustLedger
from lexbill.trust.report_pdf import report_pdf
from lexbill.trust.reports import TrustReport
from lexbill.trust.selectors import trust_policy
from lexbill.web.access import require_action
from lexbill.web.errors import add_service_error

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _accounts() -> Any:
    return TrustAccount.objects.order_by("-active", "kind", "name")  # pooled IOLTA first


class _ReportForm(forms.Form):
    """Shared parts: an account (the first active one unless chosen) and a client number."""

    account_required = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "account" in self.fields:
            field = self.fields["account"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = _accounts()
            field.empty_label = None if self.account_required else "All accounts"

    def clean_client(self) -> Client | None:
        number = str(self.cleaned_data.get("client") or "").strip()
        if not number:
            return None
        client = Client.objects.filter(number=number).first()
        if client is None:
            raise forms.ValidationError(f"no client {number}")
        return client

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "the period ends before it starts")
        return data


def _account_field() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(
        queryset=TrustAccount.objects.none(), required=False, label="Trust account"
    )


def _client_field() -> forms.CharField:
    return forms.CharField(label="Client no.", max_length=20, required=False)


class LedgerReportForm(_ReportForm):
    start = forms.DateField(label="From", widget=_DATE, required=False)
    end = forms.DateField(label="To", widget=_DATE, required=False)


class JournalForm(_ReportForm):
    account = _account_field()
    start = forms.DateField(label="From", widget=_DATE, required=False)
    end = forms.DateField(label="To", widget=_DATE, required=False)
    client = _client_field()


class TrialBalanceForm(_ReportForm):
    account = _account_field()
    as_of = forms.DateField(label="As of", widget=_DATE, required=False)
    client = _client_field()


class DormantForm(_ReportForm):
    account_required = False
    account = _account_field()
    months = forms.IntegerField(label="Months without activity", min_value=1, required=False)
    as_of = forms.DateField(label="As of", widget=_DATE, required=False)
    client = _client_field()


class RefusedForm(_ReportForm):
    account_required = False
    account = _account_field()
    start = forms.DateField(label="From", widget=_DATE, required=False)
    end = forms.DateField(label="To", widget=_DATE, required=False)


class _LedgerChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.account.name}: {reports.ledger_label(obj)}"


class LedgerPickForm(forms.Form):
    ledger = _LedgerChoice(
        queryset=TrustLedger.objects.none(), label="Client ledger", empty_label=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ledger"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = TrustLedger.objects.select_related("account", "matter").order_by(
            "account__name", "kind", "matter__number"
        )


# ---- rendering -------------------------------------------------------------------------------


def _cells(report: TrustReport, row: reports.Row) -> list[dict[str, Any]]:
    link = None
    if row.ledger_id is not None and report.kind != reports.LEDGER:
        link = reverse("trust:report-ledger", args=[row.ledger_id])
    cells = []
    for column in report.columns:
        currency = report.currency
        if column.currency_key:
            currency = row.values.get(column.currency_key) or report.currency
        cells.append(
            {
                "value": row.values.get(column.key),
                "type": str(column.type),
                "currency": currency,
                "link": link if column.key == "ledger" else None,
            }
        )
    return cells


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _respond(
    request: HttpRequest, form: forms.Form, build: Callable[[], TrustReport | None]
) -> HttpResponse:
    """The page, or its PDF or Excel download, for a valid form; the form with errors if not."""
    context: dict[str, Any] = {"form": form, "report": None}
    if form.is_bound and not form.is_valid():
        return render(request, "trust/report.html", context, status=400)
    try:
        report = build()
    except LexbillError as exc:
        add_service_error(form, exc)
        return render(request, "trust/report.html", context, status=400)
    if report is None:
        return render(request, "trust/report.html", {**context, "no_account": True})
    wanted = request.GET.get("format", "")
    if wanted == "pdf":
        return _download(report_pdf(report), "application/pdf", report.filename("pdf"))
    if wanted == "xlsx":
        return _download(report.xlsx(), XLSX, report.filename("xlsx"))
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "trust/report.html",
        {
            **context,
            "report": report,
            "columns": [
                {"title": c.title, "num": c.type != ColumnType.TEXT} for c in report.columns
            ],
            "rows": [{"flag": r.flag, "cells": _cells(report, r)} for r in report.rows],
            "totals": [
                {
                    "value": (report.totals or {}).get(c.key),
                    "type": str(c.type),
                    "first": i == 0,
                }
                for i, c in enumerate(report.columns)
            ]
            if report.totals is not None
            else None,
            "query": query.urlencode(),
        },
    )


def _form(form_class: type[_ReportForm], request: HttpRequest, **defaults: Any) -> _ReportForm:
    """The form bound to the query, a filter left out of it taking its default, so the form
    shows exactly what the report was run for."""
    data: dict[str, Any] = {k: v for k, v in defaults.items() if v is not None}
    data.update(request.GET.dict())
    return form_class(data)


def _period_defaults() -> dict[str, Any]:
    start, end = reports.month_to_date(_today())
    return {"start": start.isoformat(), "end": end.isoformat()}


def _first_account_pk() -> int | None:
    account = _accounts().first()
    return account.pk if account is not None else None


def _data(form: forms.Form) -> dict[str, Any]:
    return form.cleaned_data if form.is_valid() else {}


def _account(data: dict[str, Any]) -> TrustAccount | None:
    account = data.get("account")
    if isinstance(account, TrustAccount):
        return account
    return _accounts().first()  # type: ignore[no-any-return]


def _today() -> date:
    return timezone.localdate()


# ---- pages -----------------------------------------------------------------------------------


@require_action(Action.VIEW_TRUST)
def report_index(request: HttpRequest) -> HttpResponse:
    """The five reports with their filters; picking a ledger opens its history."""
    if request.GET.get("ledger"):
        pick = LedgerPickForm(request.GET)
        if pick.is_valid():
            return redirect("trust:report-ledger", pk=pick.cleaned_data["ledger"].pk)
    today = _today()
    start, _ = reports.month_to_date(today)
    account = _accounts().first()
    initial = {"account": account, "start": start, "end": today, "as_of": today}
    return render(
        request,
        "trust/reports.html",
        {
            "ledger_form": LedgerPickForm(),
            "journal_form": JournalForm(initial=initial),
            "trial_balance_form": TrialBalanceForm(initial=initial),
            "dormant_form": DormantForm(
                initial={"as_of": today, "months": trust_policy().dormant_months}
            ),
            "refused_form": RefusedForm(initial=initial),
            "has_accounts": account is not None,
        },
    )


@require_action(Action.VIEW_TRUST)
def ledger_report(request: HttpRequest, pk: int) -> HttpResponse:
    ledger = get_object_or_404(
        TrustLedger.objects.select_related("account", "matter", "client"), pk=pk
    )
    form = _form(LedgerReportForm, request)

    def build() -> TrustReport:
        data = _data(form)
        return reports.ledger_history(ledger, data.get("start"), data.get("end"))

    return _respond(request, form, build)


@require_action(Action.VIEW_TRUST)
def journal_report(request: HttpRequest) -> HttpResponse:
    form = _form(JournalForm, request, account=_first_account_pk(), **_period_defaults())

    def build() -> TrustReport | None:
        data = _data(form)
        account = _account(data)
        if account is None:
            return None
        start, end = reports.month_to_date(_today())
        return reports.journal(
            account, data.get("start") or start, data.get("end") or end, data.get("client")
        )

    return _respond(request, form, build)


@require_action(Action.VIEW_TRUST)
def trial_balance_report(request: HttpRequest) -> HttpResponse:
    form = _form(TrialBalanceForm, request, account=_first_account_pk(), as_of=_today().isoformat())

    def build() -> TrustReport | None:
        data = _data(form)
        account = _account(data)
        if account is None:
            return None
        return reports.trial_balance(account, data.get("as_of") or _today(), data.get("client"))

    return _respond(request, form, build)


@require_action(Action.VIEW_TRUST)
def dormant_report(request: HttpRequest) -> HttpResponse:
    form = _form(
        DormantForm,
        request,
        as_of=_today().isoformat(),
        months=trust_policy().dormant_months,
    )

    def build() -> TrustReport:
        data = _data(form)
        return reports.dormant_balances(
            data.get("as_of") or _today(),
            data.get("months"),
            data.get("account"),
            data.get("client"),
        )

    return _respond(request, form, build)


@require_action(Action.VIEW_TRUST)
def refused_report(request: HttpRequest) -> HttpResponse:
    form = _form(RefusedForm, request, **_period_defaults())

    def build() -> TrustReport:
        data = _data(form)
        start, end = reports.month_to_date(_today())
        return reports.refused_attempts(
            data.get("start") or start, data.get("end") or end, data.get("account")
        )

    return _respond(request, form, build)


urls: list[URLPattern] = [
    path("trust/reports/", report_index, name="reports"),
    path("trust/reports/ledger/<int:pk>/", ledger_report, name="report-ledger"),
    path("trust/reports/journal/", journal_report, name="report-journal"),
    path("trust/reports/trial-balance/", trial_balance_report, name="report-trial-balance"),
    path("trust/reports/dormant/", dormant_report, name="report-dormant"),
    path("trust/reports/refused/", refused_report, name="report-refused"),
]
