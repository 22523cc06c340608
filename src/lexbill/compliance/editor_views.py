"""Editing a client's billing guidelines in the browser, rule by rule.

Saving makes a new version (versions are never edited) through the same service as a YAML
import, so the form and a file are checked by one piece of code and refused for the same
reasons. The form is filled from the version in force, a starter template or nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from lexbill import guidelines as g
from lexbill.clients.models import Client
from lexbill.compliance.models import GuidelineVersion
from lexbill.compliance.services import documents, import_guidelines
from lexbill.core.errors import LexbillError
from lexbill.firm.models import User
from lexbill.firm.permissions import Action
from lexbill.guidelines import formdata
from lexbill.web.access import require_action


def _starting_values(client: Client, start: str) -> dict[str, str]:
    """The form for a new version: a copy of the latest version (or a template, or blank),
    numbered next and in force from today."""
    latest = GuidelineVersion.objects.filter(client=client).order_by("-version").first()
    next_version = str(latest.version + 1 if latest else 1)
    today = timezone.localdate().isoformat()
    document: g.GuidelineDocument | None = None
    if start.startswith("template:") and start[9:] in g.template_names():
        document = g.load_template(start[9:])
    elif start != "blank" and latest is not None:
        by_version = {doc.version: doc for doc in documents(client)}
        document = by_version.get(latest.version)
    if document is None:
        values = {
            "name": f"{client.name} billing guidelines",
            "currency": client.matters.values_list("currency", flat=True).first() or "USD",
            "rule_count": "0",
        }
    else:
        values = formdata.form_values(document)
        values["effective_to"] = ""
    values.update(version=next_version, effective_from=today)
    return values


def _posted(request: HttpRequest) -> dict[str, str]:
    # checkboxes post only when ticked; every other field is one value
    return {key: request.POST.get(key, "") for key in request.POST if key != "csrfmiddlewaretoken"}


@require_action(Action.MANAGE_CLIENTS)
@require_http_methods(["GET", "POST"])
def edit_guidelines(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    problems: list[str] = []
    by_rule: dict[int, tuple[str, ...]] = {}
    if request.method == "GET":
        values = _starting_values(client, request.GET.get("start", "current"))
    else:
        values = _posted(request)
        action = request.POST.get("action", "save")
        if action == "add":
            try:
                values = formdata.with_new_rule(
                    values, g.RuleType(request.POST.get("add_type", ""))
                )
            except ValueError:
                problems = ["choose the type of rule to add"]
        else:
            document, problems, by_rule = formdata.document_from_form(values, client.number)
            if document is not None:
                actor: User = request.user  # type: ignore[assignment]
                try:
                    version = import_guidelines(actor, client, g.dump_document(document))
                except LexbillError as exc:
                    problems = [exc.message]
                else:
                    messages.success(
                        request, f"Guidelines v{version.version} of {client.name} saved."
                    )
                    return redirect("compliance:client-guidelines", pk=client.pk)
    return render(
        request,
        "compliance/guideline_editor.html",
        {
            "client": client,
            "values": values,
            "rules": formdata.rule_forms(values, by_rule),
            "problems": problems,
            "severities": formdata.SEVERITIES,
            "rule_types": [(t, formdata.rule_summary(g.RuleType(t))) for t in formdata.RULE_TYPES],
            "templates": g.template_names(),
        },
        status=400 if problems and request.method == "POST" else 200,
    )
