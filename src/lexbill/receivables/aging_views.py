"""The AR aging page with its drill-down, and the client statement page (preview, PDF, e-mail).

Thin: the figures come from receivables.aging and receivables.statements; the e-mail goes out
through ``send_statement``, which checks the role again and records the sending.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lexbill.clients.models import Client
from lexbill.core.aging import BUCKETS, AgingTotals
from lexbill.core.errors import LexbillError, PermissionDenied
from lexbill.firm.models import User
from lexbill.firm.permissions import Action
from lexbill.receivables.aging import AgingFilters, GroupBy, aged, aged_invoices, ar_aging
from lexbill.receivables.aging_forms import (
    AgingCellForm,
    AgingForm,
    StatementForm,
    StatementSendForm,
)
from lexbill.receivables.statements import (
    build_statement,
    default_period,
    send_statement,
    statement_context,
    statement_filename,
    statement_pdf,
)
from lexbill.web.access import require_action
from lexbill.web.errors import add_service_error
from lexbill.web.paging import page_of

_FILTERS = ("client", "attorney", "currency")


def _criteria(form: AgingForm) -> tuple[date, GroupBy, AgingFilters]:
    data = form.cleaned_data
    return (
        data.get("as_of") or timezone.localdate(),
        GroupBy(data.get("by") or GroupBy.CLIENT),
        AgingFilters(data.get("client", ""), data.get("attorney", ""), data.get("currency", "")),
    )


def _query(as_of: date, by: GroupBy, filters: AgingFilters, **more: str) -> str:
    params = {"as_of": as_of.isoformat(), "by": str(by)}
    params.update({name: getattr(filters, name) for name in _FILTERS if getattr(filters, name)})
    params.update(more)
    return urlencode(params)


def _cells(
    totals: AgingTotals, as_of: date, by: GroupBy, filters: AgingFilters, **row: str
) -> dict[str, Any]:
    drill = reverse("receivables:aging-invoices")
    base = {**row, "currency": totals.currency}
    return {
        "cells": [
            {
                "label": b.label,
                "amount": totals.amounts[b.key],
                "url": f"{drill}?{_query(as_of, by, filters, bucket=b.key, **base)}",
            }
            for b in BUCKETS
        ],
        "total": totals.total,
        "total_url": f"{drill}?{_query(as_of, by, filters, **base)}",
    }


@require_action(Action.VIEW_RECEIVABLES)
def aging_report(request: HttpRequest) -> HttpResponse:
    form = AgingForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "receivables/aging.html", {"form": form}, status=400)
    as_of, by, filters = _criteria(form) if form.is_bound else _criteria(_blank())
    report = ar_aging(as_of, by, filters)
    rows = [
        {
            "key": row.key,
            "label": row.label,
            "currency": row.currency,
            **_cells(row.totals, as_of, by, filters, key=row.key),
        }
        for row in report.rows
    ]
    totals = [
        {"currency": cur, **_cells(t, as_of, by, filters)} for cur, t in report.totals.items()
    ]
    if not form.is_bound:
        form = AgingForm(initial={"as_of": as_of, "by": by})
    return render(
        request,
        "receivables/aging.html",
        {
            "form": form,
            "as_of": as_of,
            "by": by,
            "buckets": BUCKETS,
            "rows": rows,
            "totals": totals,
        },
    )


def _blank() -> AgingForm:
    form = AgingForm({})
    form.is_valid()
    return form


@require_action(Action.VIEW_RECEIVABLES)
def aging_invoices(request: HttpRequest) -> HttpResponse:
    form = AgingCellForm(request.GET)
    if not form.is_valid():
        return render(request, "receivables/aging_invoices.html", {"form": form}, status=400)
    as_of, by, filters = _criteria(form)
    key, bucket_key = form.cleaned_data["key"], form.cleaned_data["bucket"]
    try:
        invoices = aged_invoices(as_of, by, key, bucket_key, filters)
    except LexbillError as exc:
        add_service_error(form, exc)
        return render(request, "receivables/aging_invoices.html", {"form": form}, status=400)
    loaded = invoices.select_related("client", "matter")
    page, shown = page_of(
        invoices.values_list("pk", flat=True),
        request.GET.get("page"),
        lambda ids: {inv.pk: inv for inv in loaded.filter(pk__in=ids)},
    )
    query = request.GET.copy()
    query.pop("page", None)
    bucket_label = next((b.label for b in BUCKETS if b.key == bucket_key), "All")
    return render(
        request,
        "receivables/aging_invoices.html",
        {
            "form": form,
            "as_of": as_of,
            "by": by,
            "key": key,
            "bucket_label": bucket_label,
            "page": page,
            "invoices": aged(shown, as_of),
            "query": query.urlencode(),
            "back": f"{reverse('receivables:aging')}?{_query(as_of, by, filters)}",
        },
    )


# ---- client statements -----------------------------------------------------------------------


def _statement_form(request: HttpRequest, data: Any = None) -> StatementForm:
    if data is None and not request.GET:
        start, end = default_period(timezone.localdate())
        data = {"start": start, "end": end}
    return StatementForm(data if data is not None else request.GET)


def _statement_page(
    request: HttpRequest,
    client: Client,
    form: StatementForm,
    send_form: StatementSendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {"client": client, "form": form, "send_form": send_form}
    if form.is_valid():
        data = form.cleaned_data
        try:
            statement = build_statement(
                client, data["start"], data["end"], data["currency"] or None
            )
        except LexbillError as exc:
            add_service_error(form, exc)
            status = 400
        else:
            context.update(statement_context(statement))
            query = urlencode(
                {"start": data["start"], "end": data["end"], "currency": statement.currency}
            )
            context["query"] = query
            if send_form is None:
                context["send_form"] = StatementSendForm(
                    initial={**data, "currency": statement.currency, "to": client.billing_email}
                )
    elif form.is_bound:
        status = 400
    return render(request, "receivables/statement.html", context, status=status)


@require_action(Action.VIEW_RECEIVABLES)
def client_statement(request: HttpRequest, number: str) -> HttpResponse:
    client = get_object_or_404(Client, number=number)
    return _statement_page(request, client, _statement_form(request))


@require_action(Action.VIEW_RECEIVABLES)
def client_statement_download(request: HttpRequest, number: str) -> HttpResponse:
    client = get_object_or_404(Client, number=number)
    form = StatementForm(request.GET)
    if not form.is_valid():
        return _statement_page(request, client, form, status=400)
    data = form.cleaned_data
    try:
        statement = build_statement(client, data["start"], data["end"], data["currency"] or None)
    except LexbillError as exc:
        add_service_error(form, exc)
        return _statement_page(request, client, form, status=400)
    response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement_filename(statement)}"'
    return response


@require_action(Action.SEND_REMINDERS)
@require_POST
def client_statement_send(request: HttpRequest, number: str) -> HttpResponse:
    client = get_object_or_404(Client, number=number)
    form = StatementSendForm(request.POST)
    if not form.is_valid():
        return _statement_page(request, client, _statement_form(request, request.POST), form, 400)
    data = form.cleaned_data
    actor = request.user
    assert isinstance(actor, User)
    try:
        statement = build_statement(client, data["start"], data["end"], data["currency"] or None)
        sent_to = send_statement(actor, statement, data["to"] or None, data["message"])
    except LexbillError as exc:
        add_service_error(form, exc)
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _statement_page(
            request, client, _statement_form(request, request.POST), form, status
        )
    messages.success(request, f"Statement e-mailed to {sent_to}.")
    query = urlencode({"start": data["start"], "end": data["end"], "currency": statement.currency})
    return redirect(f"{reverse('receivables:client-statement', args=[client.number])}?{query}")
