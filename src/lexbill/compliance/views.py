"""Guidelines in the pages: a client's versions, the findings panel on each pre-bill (with
overrides and one-click fixes), and warnings on the time entry form while it is typed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lexbill import guidelines as g
from lexbill.billing.models import Prebill
from lexbill.billing.prebills import EDITABLE
from lexbill.clients.models import Client, Matter
from lexbill.compliance.models import GuidelineVersion
from lexbill.compliance.records import record_findings
from lexbill.compliance.services import (
    apply_certain_fixes,
    document_for,
    finding_key,
    import_guidelines,
    open_blocking,
    override_finding,
    prebill_findings,
)
from lexbill.core.errors import LexbillError
from lexbill.core.increments import hours_to_seconds
from lexbill.ebilling.export import profile_for
from lexbill.firm.models import Timekeeper
from lexbill.firm.permissions import Action
from lexbill.web.access import acting_user, require_action


@require_action(Action.MANAGE_CLIENTS)
@require_http_methods(["GET", "POST"])
def client_guidelines(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    error = ""
    text = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        text = upload.read().decode("utf-8", "replace") if upload else request.POST.get("text", "")
        try:
            version = import_guidelines(acting_user(request), client, text)
        except LexbillError as exc:
            error = exc.message
        else:
            messages.success(request, f"Guidelines v{version.version} of {client.name} imported.")
            return redirect("compliance:client-guidelines", pk=client.pk)
    versions = GuidelineVersion.objects.filter(client=client).order_by("-version")
    return render(
        request,
        "compliance/client_guidelines.html",
        {
            "client": client,
            "versions": versions,
            "current": document_for(client, timezone.localdate()),
            "templates": g.template_names(),
            "error": error,
            "text": text,
        },
        status=400 if error else 200,
    )


def _review_split_url(fix: g.Fix) -> str:
    """The billing page that splits the line, with the proposal's parts in the query: the user
    confirms or edits them there, and billing never needs to know about guidelines."""
    query = urlencode(
        [
            pair
            for part in fix.proposed_lines
            for pair in (("minutes", str(part.minutes)), ("narrative", part.narrative))
        ]
    )
    return f"{reverse('billing:line-split', args=[int(fix.line_id)])}?{query}"


def _panel(request: HttpRequest, prebill: Prebill, **extra: Any) -> HttpResponse:
    result = prebill_findings(prebill)
    record_findings(prebill, result)  # what the reviewer sees is what the report counts
    overridden = {
        (o.rule_id, o.line_key): o for o in prebill.overrides.select_related("by").order_by("at")
    }
    labels = {
        str(pk): f"{day:%b} {day.day} {code or 'expense'}"
        for pk, day, code in prebill.lines.values_list("pk", "date", "timekeeper__code")
    }
    rows = []
    for finding in result.findings if result else ():
        key = finding_key(finding)
        rows.append(
            {
                "finding": finding,
                "rule_id": key[0],
                "line_key": key[1],
                "line_labels": ", ".join(labels.get(i, i) for i in finding.line_ids),
                "override": overridden.get(key),
                "fixable": any(fix.kind is not g.FixKind.SPLIT for fix in finding.fixes),
                "proposals": [
                    (fix, _review_split_url(fix))
                    for fix in finding.fixes
                    if fix.kind is g.FixKind.SPLIT
                ],
            }
        )
    context = {
        "prebill": prebill,
        "result": result,
        "rows": rows,
        "open_blocking": len(open_blocking(prebill, result)),
        "editable": prebill.status in EDITABLE,
        **extra,
    }
    return render(request, "compliance/_findings.html", context)


@require_GET
def prebill_findings_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _panel(
        request, get_object_or_404(Prebill.objects.select_related("matter__client"), pk=pk)
    )


@require_POST
def prebill_override(request: HttpRequest, pk: int) -> HttpResponse:
    prebill = get_object_or_404(Prebill.objects.select_related("matter__client"), pk=pk)
    try:
        override_finding(
            acting_user(request),
            prebill,
            request.POST.get("rule_id", ""),
            request.POST.get("line_key", ""),
            request.POST.get("reason", ""),
        )
    except LexbillError as exc:
        return _panel(request, prebill, error=exc.message)
    return _panel(request, prebill, notice="Finding overridden; the reason is kept.")


@require_POST
def prebill_fix(request: HttpRequest, pk: int) -> HttpResponse:
    prebill = get_object_or_404(Prebill.objects.select_related("matter__client"), pk=pk)
    rule = request.POST.get("rule_id") or None
    try:
        changed = apply_certain_fixes(acting_user(request), prebill, [rule] if rule else None)
    except LexbillError as exc:
        return _panel(request, prebill, error=exc.message)
    messages.success(request, f"{changed} line(s) fixed under the client's billing guidelines.")
    # the lines and totals change too: reload the whole pre-bill
    response = HttpResponse(status=204)
    response["HX-Redirect"] = reverse("billing:prebill-detail", args=[prebill.pk])
    return response


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None


@require_POST
def entry_warnings(request: HttpRequest) -> HttpResponse:
    """The guideline warnings on a time entry as it is typed, before it is saved."""
    data = request.POST
    number = data.get("matter", "").split(" ", 1)[0].strip()
    matter = Matter.objects.select_related("client").filter(number__iexact=number).first()
    findings: tuple[g.Finding, ...] = ()
    if matter is not None:
        today = timezone.localdate()
        document = document_for(matter.client, today)
        hours = _decimal(data.get("hours", ""))
        raw_keeper = data.get("timekeeper", "")
        keeper = (
            Timekeeper.objects.filter(pk=int(raw_keeper)).first() if raw_keeper.isdigit() else None
        )
        if document is not None:
            minutes = int(hours_to_seconds(hours) // 60) if hours and hours > 0 else 0
            line = g.Line(
                id="new",
                kind=g.LineKind.TIME,
                matter_id=matter.number,
                work_date=today,
                amount=Decimal(0),
                timekeeper_id=keeper.code if keeper else "",
                classification=(
                    profile_for(matter.client).classification_code(keeper.classification)
                    if keeper
                    else ""
                ),
                minutes=minutes,
                narrative=data.get("narrative", ""),
                task_code=data.get("task_code", "").strip().upper(),
                activity_code=data.get("activity_code", "").strip().upper(),
            )
            context = g.CheckContext(
                currency=matter.currency,
                matters={matter.number: g.MatterFacts(code_set=matter.task_code_set)},
            )
            try:
                findings = g.check_entry(document, line, context)
            except LexbillError:
                findings = ()  # a guideline in another currency: the pre-bill check says so
    return render(request, "compliance/_entry_warnings.html", {"findings": findings})
