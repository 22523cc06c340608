"""The reminder pages: what is due now, the log, the schedule and its wording.

Seeing what is due and sending it needs Action.SEND_REMINDERS; changing the schedule and its
templates needs Action.MANAGE_COLLECTIONS. Every change goes through reminders.services.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lexbill.core.errors import LexbillError
from lexbill.core.reminder_schedule import PLACEHOLDERS, template_problem
from lexbill.firm.permissions import Action
from lexbill.reminders.forms import LogFilterForm, PaymentInstructionsForm, RuleForm, RunForm
from lexbill.reminders.models import ReminderLog, ReminderRule, ReminderRun
from lexbill.reminders.selectors import open_invoice_for_preview, reminder_log
from lexbill.reminders.services import save_rule, send_reminders, set_payment_instructions
from lexbill.reminders.wording import Wording, preview_for_invoice, reminder_settings
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error
from lexbill.web.paging import page_of
from lexbill.web.templatetags.lexbill import may


def _as_of(form: RunForm) -> date:
    if form.is_valid() and form.cleaned_data["as_of"]:
        as_of: date = form.cleaned_data["as_of"]
        return as_of
    return timezone.localdate()


@require_action(Action.SEND_REMINDERS)
def reminders_due_page(request: HttpRequest) -> HttpResponse:
    """The dry run: what would go out now, per client, and what is held back and why."""
    form = RunForm(request.GET or None)
    as_of = _as_of(form)
    run = send_reminders(acting_user(request), as_of, dry_run=True)
    return render(
        request,
        "reminders/due.html",
        {
            "form": form,
            "as_of": as_of,
            "today": timezone.localdate(),
            "outcomes": run.outcomes,
            "skipped": run.plan.skipped,
            "runs": ReminderRun.objects.select_related("actor")[:5],
        },
    )


@require_action(Action.SEND_REMINDERS)
@require_POST
def reminders_send(request: HttpRequest) -> HttpResponse:
    form = RunForm(request.POST)
    as_of = _as_of(form)
    try:
        run = send_reminders(acting_user(request), as_of)
    except LexbillError as exc:
        messages.error(request, str(exc))
        return redirect("reminders:due")
    text = (
        f"{run.reminders_sent} reminder{'s' if run.reminders_sent != 1 else ''} sent to "
        f"{run.clients_emailed} client{'s' if run.clients_emailed != 1 else ''}."
    )
    if run.clients_failed:
        messages.warning(
            request, f"{text} {run.clients_failed} e-mail(s) failed; see the log below."
        )
    else:
        messages.success(request, text)
    return redirect("reminders:log")


@require_action(Action.SEND_REMINDERS)
def reminders_log_page(request: HttpRequest) -> HttpResponse:
    form = LogFilterForm(request.GET or None)
    client = form.cleaned_data["client"] if form.is_valid() else None
    page, logs = page_of(
        reminder_log(client).values_list("pk", flat=True),
        request.GET.get("page"),
        ReminderLog.objects.select_related("rule", "client", "invoice").in_bulk,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reminders/log.html",
        {"form": form, "page": page, "logs": logs, "query": query.urlencode()},
    )


@require_action(Action.SEND_REMINDERS)
def schedule_page(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    instructions = PaymentInstructionsForm(
        initial={"payment_instructions": reminder_settings().payment_instructions}
    )
    return render(
        request,
        "reminders/schedule.html",
        {
            "rules": ReminderRule.objects.all(),
            "can_edit": may(actor, Action.MANAGE_COLLECTIONS),
            "instructions": instructions,
            "placeholders": list(PLACEHOLDERS.items()),
        },
    )


@require_action(Action.MANAGE_COLLECTIONS)
def payment_instructions(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PaymentInstructionsForm(request.POST)
        if form.is_valid():
            set_payment_instructions(
                acting_user(request), form.cleaned_data["payment_instructions"]
            )
            messages.success(request, "Payment instructions saved.")
    return redirect("reminders:schedule")


def _preview(data: dict[str, Any], as_of: date) -> tuple[Wording | None, str]:
    """The typed wording for a real invoice, or why it cannot be shown."""
    number = data.get("preview_invoice") or None
    invoice = open_invoice_for_preview(number)
    if invoice is None:
        return None, f"There is no invoice {number}." if number else "No open invoice to show."
    if any(template_problem(data[f]) for f in ("subject_template", "body_template")):
        return None, "Fix the template to see a preview."
    try:
        wording = preview_for_invoice(
            data["subject_template"], data["body_template"], invoice, as_of
        )
    except LexbillError as exc:
        return None, str(exc)
    return wording, ""


@require_action(Action.MANAGE_COLLECTIONS)
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Edit a rule (or add one) with a preview of its wording for a real invoice."""
    rule = get_object_or_404(ReminderRule, pk=pk) if pk is not None else None
    initial = (
        {
            "name": rule.name,
            "offset_days": rule.offset_days,
            "active": rule.active,
            "subject_template": rule.subject_template,
            "body_template": rule.body_template,
        }
        if rule is not None
        else {"active": True, "offset_days": 14}
    )
    form = RuleForm(request.POST if request.method == "POST" else None, initial=initial)
    data: dict[str, Any] = dict(initial)
    preview: Wording | None = None
    preview_note = ""
    today = timezone.localdate()
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if "save" in request.POST:
            try:
                saved = save_rule(
                    acting_user(request),
                    rule,
                    name=data["name"],
                    offset_days=data["offset_days"],
                    subject_template=data["subject_template"],
                    body_template=data["body_template"],
                    active=data["active"],
                )
            except LexbillError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Rule “{saved.name}” saved.")
                return redirect("reminders:schedule")
        for field in ("subject_template", "body_template"):
            problem = template_problem(data[field])
            if problem is not None and field not in form.errors:
                form.add_error(field, problem[:1].upper() + problem[1:])
    if data.get("subject_template") and data.get("body_template"):
        preview, preview_note = _preview(data, today)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "reminders/rule_edit.html",
        {
            "rule": rule,
            "form": form,
            "preview": preview,
            "preview_note": preview_note,
            "placeholders": list(PLACEHOLDERS.items()),
        },
        status=status,
    )
