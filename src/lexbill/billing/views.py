"""Pages for pre-bill review, bill runs and invoices. Every change goes through a service.

Refusals from the services (``LexbillError``) are shown on the page: next to the field they name,
or as a message; a ``PermissionDenied`` answers 403 with the service's own text.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.forms import BaseFormSet, Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lexbill.billing import progress as bill_run_progress
from lexbill.billing.email import email_invoice
from lexbill.billing.formatting import format_date
from lexbill.billing.forms import (
    ApproveForm,
    BillRunForm,
    CommentForm,
    EmailInvoiceForm,
    InvoiceFilterForm,
    LineEditForm,
    PrebillFilterForm,
    SendBackForm,
    SplitPartForm,
    SplitPartFormSet,
)
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import (
    Invoice,
    LineKind,
    LineTreatment,
    Prebill,
    PrebillLine,
    PrebillStatus,
)
from lexbill.billing.prebills import (
    EDITABLE,
    SplitPart,
    adjust_line,
    approve_prebill,
    comment_on_prebill,
    edit_line,
    prebill_figures,
    require_not_only_own_time,
    require_prebill_access,
    send_back_prebill,
    set_line_treatment,
    split_prebill_line,
)
from lexbill.billing.selectors import invoice_status, with_balances, with_prebill_figures
from lexbill.core.errors import LexbillError, PermissionDenied
from lexbill.core.increments import hours_to_minutes, minutes_to_hours
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.formats.utbms import CodeKind, lookup
from lexbill.web.access import acting_user, forbidden, require_action
from lexbill.web.errors import add_service_error
from lexbill.web.paging import page_of
from lexbill.web.views import invoice_pdf

OPEN_STATUSES = [PrebillStatus.DRAFT, PrebillStatus.RETURNED, PrebillStatus.APPROVED]


def refusal(
    actor: User, action: Action, prebill: Prebill | None = None, *, approving: bool = True
) -> str:
    """Why ``actor`` may not do ``action`` ("" if they may); the service checks again anyway."""
    try:
        if prebill is None:
            require(actor, action)
        else:
            require_prebill_access(actor, prebill, action)
            if action == Action.APPROVE_PREBILL and approving:
                require_not_only_own_time(actor, prebill)
    except PermissionDenied as exc:
        return exc.message[:1].upper() + exc.message[1:] + "."
    return ""


def may(actor: User, action: Action, prebill: Prebill | None = None) -> bool:
    """Whether to offer a button."""
    return not refusal(actor, action, prebill)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# ---- pre-bills -------------------------------------------------------------------------------


def prebill_list(request: HttpRequest) -> HttpResponse:
    form = PrebillFilterForm(request.GET or None)
    prebills = Prebill.objects.select_related("matter__client")
    status = ""
    q = ""
    if form.is_valid():
        status = form.cleaned_data["status"]
        q = form.cleaned_data["q"].strip()
    prebills = (
        prebills.filter(status=status) if status else prebills.filter(status__in=OPEN_STATUSES)
    )
    if q:
        prebills = prebills.filter(
            Q(matter__number__icontains=q)
            | Q(matter__name__icontains=q)
            | Q(matter__client__number__icontains=q)
            | Q(matter__client__name__icontains=q)
        )
    page, shown = page_of(
        prebills.order_by("matter__number", "id").values_list("pk", flat=True),
        request.GET.get("page"),
        lambda keys: {
            p.pk: p
            for p in with_prebill_figures(
                list(Prebill.objects.select_related("matter__client").filter(pk__in=keys))
            )
        },
    )
    return render(
        request,
        "billing/prebill_list.html",
        {
            "form": form,
            "page": page,
            "prebills": shown,
            "can_run_bills": may(acting_user(request), Action.RUN_BILLS),
            "query": request.GET.urlencode(),
        },
    )


def _line_label(line: PrebillLine, group_by: str) -> str:
    if line.kind == LineKind.LATE_CHARGE:
        return "Late charges"
    if group_by == "task":
        if line.kind == LineKind.EXPENSE:
            code = lookup(line.expense_code, CodeKind.EXPENSE) if line.expense_code else None
            return f"Expenses · {code.code} {code.description}" if code else "Expenses"
        code = lookup(line.task_code, CodeKind.TASK) if line.task_code else None
        return f"{code.code} {code.description}" if code else "No task code"
    if line.kind == LineKind.EXPENSE:
        return "Expenses"
    tk = line.timekeeper
    return f"{tk.name} ({tk.code})" if tk else "No timekeeper"


def _groups(prebill: Prebill, group_by: str) -> list[dict[str, Any]]:
    lines = prebill.lines.select_related("timekeeper").order_by("kind", "date", "id")
    groups: OrderedDict[str, list[PrebillLine]] = OrderedDict()
    for line in lines:
        groups.setdefault(_line_label(line, group_by), []).append(line)
    keys = sorted(
        groups,
        key=lambda k: (k == "Late charges", k.startswith("Expenses"), k.startswith("No "), k),
    )
    return [
        {
            "label": key,
            "lines": groups[key],
            "amount": sum(
                (
                    line.amount + line.adjustment
                    for line in groups[key]
                    if line.treatment == LineTreatment.BILL
                ),
                Decimal(0),
            ),
        }
        for key in keys
    ]


def _group_by(value: str | None) -> str:
    return value if value in ("timekeeper", "task") else "timekeeper"


def _prebill_context(request: HttpRequest, prebill: Prebill, **extra: Any) -> dict[str, Any]:
    actor = acting_user(request)
    group_by = _group_by(request.GET.get("group") or request.POST.get("group"))
    context: dict[str, Any] = {
        "prebill": prebill,
        "group_by": group_by,
        "groups": _groups(prebill, group_by),
        "figures": prebill_figures(prebill),
        "currency": prebill.matter.currency,
        "comments": prebill.comments.select_related("author"),
        "editable": prebill.status in EDITABLE,
        "approve_refusal": refusal(actor, Action.APPROVE_PREBILL, prebill),
        "send_back_refusal": refusal(actor, Action.APPROVE_PREBILL, prebill, approving=False),
        "finalize_refusal": refusal(actor, Action.FINALIZE_INVOICE, prebill),
        "approve_form": ApproveForm(),
        "send_back_form": SendBackForm(),
        "comment_form": CommentForm(),
        "comment_refusal": refusal(actor, Action.EDIT_PREBILL, prebill),
        "invoice": Invoice.objects.filter(prebill=prebill).first(),
    }
    context.update(extra)
    return context


def _get_prebill(pk: int) -> Prebill:
    return get_object_or_404(Prebill.objects.select_related("matter__client"), pk=pk)


def prebill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    prebill = _get_prebill(pk)
    return render(request, "billing/prebill_detail.html", _prebill_context(request, prebill))


def _on_field(form: Form, exc: LexbillError) -> bool:
    """Put a refusal next to the field it names; False when it belongs above the page."""
    if exc.field in form.fields:
        form.add_error(exc.field, exc.message)
        return True
    return False


def _refused(
    request: HttpRequest, prebill: Prebill, exc: LexbillError, **forms: Any
) -> HttpResponse:
    status = 403 if isinstance(exc, PermissionDenied) else 400
    shown = any(_on_field(form, exc) for form in forms.values())
    return render(
        request,
        "billing/prebill_detail.html",
        _prebill_context(request, prebill, error="" if shown else exc.message, **forms),
        status=status,
    )


@require_POST
def prebill_approve(request: HttpRequest, pk: int) -> HttpResponse:
    prebill = _get_prebill(pk)
    form = ApproveForm(request.POST)
    form.is_valid()
    try:
        require_prebill_access(acting_user(request), prebill, Action.APPROVE_PREBILL)
        approve_prebill(acting_user(request), prebill, form.cleaned_data.get("comment", ""))
    except LexbillError as exc:
        return _refused(request, prebill, exc, approve_form=form)
    messages.success(request, f"Pre-bill {prebill.pk} approved.")
    return redirect("billing:prebill-detail", pk=prebill.pk)


@require_POST
def prebill_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    prebill = _get_prebill(pk)
    form = SendBackForm(request.POST)
    form.is_valid()
    try:
        require_prebill_access(acting_user(request), prebill, Action.APPROVE_PREBILL)
        send_back_prebill(acting_user(request), prebill, form.cleaned_data.get("comment", ""))
    except LexbillError as exc:
        return _refused(request, prebill, exc, send_back_form=form)
    messages.success(request, f"Pre-bill {prebill.pk} sent back.")
    return redirect("billing:prebill-detail", pk=prebill.pk)


@require_POST
def prebill_comment(request: HttpRequest, pk: int) -> HttpResponse:
    prebill = _get_prebill(pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "billing/prebill_detail.html",
            _prebill_context(request, prebill, comment_form=form),
            status=400,
        )
    try:
        comment_on_prebill(acting_user(request), prebill, form.cleaned_data["comment"])
    except LexbillError as exc:
        return _refused(request, prebill, exc, comment_form=form)
    messages.success(request, "Comment added.")
    return redirect(f"{reverse('billing:prebill-detail', args=[prebill.pk])}#comments-heading")


@require_POST
def prebill_finalize(request: HttpRequest, pk: int) -> HttpResponse:
    prebill = _get_prebill(pk)
    try:
        require_prebill_access(acting_user(request), prebill, Action.FINALIZE_INVOICE)
        invoice = finalize_prebill(acting_user(request), prebill)
    except LexbillError as exc:
        return _refused(request, prebill, exc)
    messages.success(request, f"Invoice {invoice.number} finalized.")
    return redirect("billing:invoice-detail", number=invoice.number)


def _line(pk: int) -> PrebillLine:
    return get_object_or_404(
        PrebillLine.objects.select_related("prebill__matter__client", "timekeeper"), pk=pk
    )


def _line_row(request: HttpRequest, line: PrebillLine) -> HttpResponse:
    prebill = line.prebill
    return render(
        request,
        "billing/_line_row.html",
        {
            "line": line,
            "currency": prebill.matter.currency,
            "editable": prebill.status in EDITABLE,
            "prebill": prebill,
            "group_by": _group_by(request.GET.get("group")),
        },
    )


def _line_form(request: HttpRequest, form: LineEditForm, status: int = 200) -> HttpResponse:
    htmx = _is_htmx(request)
    response = render(
        request,
        "billing/_line_form.html" if htmx else "billing/line_edit.html",
        {
            "form": form,
            "line": form.line,
            "prebill": form.line.prebill,
            "group_by": _group_by(request.GET.get("group") or request.POST.get("group")),
            "htmx": htmx,
        },
        status=status,
    )
    if htmx and request.method == "POST":
        # The form targets the whole lines table; a refused edit replaces only its own row.
        response["HX-Retarget"] = f"#line-{form.line.pk}"
        response["HX-Reswap"] = "outerHTML"
    return response


@require_GET
def line_row(request: HttpRequest, pk: int) -> HttpResponse:
    return _line_row(request, _line(pk))


@require_GET
def line_edit(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(pk)
    return _line_form(request, LineEditForm(line=line))


def _save_line(actor: User, line: PrebillLine, data: dict[str, Any]) -> None:
    """One form, up to three services, one transaction: all of the edit or none of it."""
    changes: dict[str, Any] = {}
    if line.kind == LineKind.TIME and data.get("units") != line.minutes:
        changes["minutes"] = data["units"]
    if line.kind == LineKind.EXPENSE and data.get("quantity") != line.quantity:
        changes["quantity"] = data["quantity"]
    if data["rate"] != line.rate:
        changes["rate"] = data["rate"]
    for name in ("narrative", "task_code", "activity_code", "expense_code"):
        if name in data and data[name].strip() != getattr(line, name):
            changes[name] = data[name]
    adjustment = data.get("adjustment") or Decimal(0)
    reason = data.get("reason", "").strip()
    with transaction.atomic():
        if changes:
            line = edit_line(actor, line, **changes)
        if adjustment != line.adjustment or reason != line.adjustment_reason:
            line = adjust_line(actor, line, adjustment, reason)
        if data["treatment"] != line.treatment:
            set_line_treatment(actor, line, data["treatment"])


@require_POST
def line_update(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(pk)
    form = LineEditForm(request.POST, line=line)
    if form.is_valid():
        try:
            _save_line(acting_user(request), line, form.cleaned_data)
        except LexbillError as exc:
            add_service_error(form, exc)
    if form.errors:
        # 200 for htmx, which swaps only successful answers; a plain form post gets 400.
        return _line_form(request, form, status=200 if _is_htmx(request) else 400)
    if not _is_htmx(request):
        messages.success(request, "Line saved.")
        return redirect("billing:prebill-detail", pk=line.prebill_id)
    # The whole table (a task-code edit can move the line to another group, and the group
    # subtotals change) and, out of band, the totals.
    # The focus goes back to the saved line's Edit button, where the keyboard user left it.
    return render(
        request,
        "billing/_lines_update.html",
        _prebill_context(request, _get_prebill(line.prebill_id), focus_line=line.pk),
    )


# ---- splitting a line ------------------------------------------------------------------------

SPLIT_PREFIX = "part"
# The service names a part's field; the form shows minutes as hours.
_SPLIT_FIELDS = {"minutes": "hours"}


def _proposed_parts(request: HttpRequest, line: PrebillLine) -> list[dict[str, Any]]:
    """The rows to start from: a proposal passed in the query (``minutes`` and ``narrative``
    once per part, as the guideline findings link to this page), else two empty rows. Billing
    does not import the guidelines; whoever links here says what they propose."""
    codes = {"task_code": line.task_code, "activity_code": line.activity_code}
    minutes = request.GET.getlist("minutes")
    narratives = request.GET.getlist("narrative")
    if len(minutes) >= 2 and len(minutes) == len(narratives):
        try:
            proposed = [
                {"hours": minutes_to_hours(int(m)), "narrative": n.strip(), **codes}
                for m, n in zip(minutes, narratives, strict=True)
                if int(m) > 0
            ]
        except ValueError:
            proposed = []
        if len(proposed) == len(minutes):
            return proposed
    return [{"hours": "", "narrative": "", **codes} for _ in range(2)]


def _typed_parts(formset: BaseFormSet[SplitPartForm]) -> list[dict[str, Any]]:
    """The rows as typed, valid or not, to show again with one row more or less."""
    return [{name: form[name].value() or "" for name in form.fields} for form in formset.forms]


def _parts_minutes(formset: BaseFormSet[SplitPartForm]) -> int | None:
    """What the rows come to (None while any row's hours are not a number of minutes)."""
    total = 0
    for form in formset.forms:
        value = form["hours"].value()
        try:
            total += hours_to_minutes(str(value or "").strip() or "0")
        except LexbillError:
            return None
    return total


def _split_page(
    request: HttpRequest,
    line: PrebillLine,
    formset: BaseFormSet[SplitPartForm] | None,
    *,
    error: str = "",
    total_error: str = "",
    status: int = 200,
) -> HttpResponse:
    prebill = line.prebill
    return render(
        request,
        "billing/line_split.html",
        {
            "line": line,
            "prebill": prebill,
            "currency": prebill.matter.currency,
            "formset": formset,
            "parts_minutes": _parts_minutes(formset) if formset is not None else None,
            "error": error,
            "total_error": total_error,
        },
        status=status,
    )


def _split_error(formset: BaseFormSet[SplitPartForm], exc: LexbillError) -> tuple[str, str]:
    """Put a refusal next to the part's field it names; otherwise by the total (the parts'
    minutes together) or above the form. Returns (page error, total error)."""
    field = _SPLIT_FIELDS.get(exc.field or "", exc.field or "")
    message = exc.message[:1].upper() + exc.message[1:]
    if exc.line is not None and 0 < exc.line <= len(formset.forms):
        form = formset.forms[exc.line - 1]
        if field in form.fields:
            form.add_error(field, message)
            return "", ""
    if exc.field in ("minutes", "parts"):
        return "", message
    return message, ""


@require_action(Action.EDIT_PREBILL)
@require_http_methods(["GET", "POST"])
def line_split(request: HttpRequest, pk: int) -> HttpResponse:
    """Split a (block-billed) time line into entries the user confirms: the rows start from a
    proposal in the query, or empty; the split service decides and records."""
    line = _line(pk)
    actor = acting_user(request)
    why_not = refusal(actor, Action.EDIT_PREBILL, line.prebill)
    if why_not:
        return forbidden(request, why_not)
    if line.kind != LineKind.TIME or line.prebill.status not in EDITABLE:
        reason = (
            "Only a time line can be split."
            if line.kind != LineKind.TIME
            else f"Pre-bill {line.prebill_id} is {line.prebill.get_status_display().lower()}; "
            "its lines can be split only while it is a draft or sent back."
        )
        return _split_page(request, line, None, error=reason, status=400)
    if request.method == "GET":
        formset = SplitPartFormSet(initial=_proposed_parts(request, line), prefix=SPLIT_PREFIX)
        return _split_page(request, line, formset)
    formset = SplitPartFormSet(request.POST, prefix=SPLIT_PREFIX)
    if "add" in request.POST or "remove" in request.POST:
        # Without JavaScript a row is added or removed on the server, keeping what was typed.
        rows = _typed_parts(formset) if formset.management_form.is_valid() else []
        if "add" in request.POST:
            rows.append(
                {
                    "hours": "",
                    "narrative": "",
                    "task_code": line.task_code,
                    "activity_code": line.activity_code,
                }
            )
        else:
            index = request.POST.get("remove", "")
            if index.isdigit() and int(index) < len(rows):
                del rows[int(index)]
        return _split_page(request, line, SplitPartFormSet(initial=rows, prefix=SPLIT_PREFIX))
    if not formset.is_valid():
        return _split_page(request, line, formset, status=400)
    parts = [
        SplitPart(
            minutes=data["hours"],
            narrative=data["narrative"],
            task_code=data["task_code"],
            activity_code=data["activity_code"],
        )
        for data in formset.cleaned_data
        if data  # a row left empty is no part
    ]
    try:
        lines = split_prebill_line(actor, line, parts)
    except LexbillError as exc:
        error, total_error = _split_error(formset, exc)
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _split_page(
            request, line, formset, error=error, total_error=total_error, status=status
        )
    messages.success(
        request,
        f"Line of {format_date(line.date)} split into {len(lines)} entries; each is now a line "
        "of its own on the pre-bill.",
    )
    return redirect("billing:prebill-detail", pk=line.prebill_id)


# ---- bill runs -------------------------------------------------------------------------------


def billrun_new(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    if request.method == "POST":
        form = BillRunForm(request.POST)
        if form.is_valid():
            try:
                token = bill_run_progress.start_bill_run(actor, form.cleaned_data["through"])
            except LexbillError as exc:
                add_service_error(form, exc)
                status = 403 if isinstance(exc, PermissionDenied) else 400
                return render(
                    request,
                    "billing/billrun_new.html",
                    {"form": form, "can_run_bills": False, "error": exc.message},
                    status=status,
                )
            return redirect("billing:billrun-status", token=token)
    else:
        form = BillRunForm(initial={"through": timezone.localdate()})
    return render(
        request,
        "billing/billrun_new.html",
        {"form": form, "can_run_bills": may(actor, Action.RUN_BILLS)},
        status=200 if request.method == "GET" or not form.errors else 400,
    )


def billrun_status(request: HttpRequest, token: str) -> HttpResponse:
    run = bill_run_progress.get_progress(token)
    if run is None:
        raise Http404("no bill run with this token in this server process")
    template = "billing/_billrun_progress.html" if _is_htmx(request) else "billing/billrun.html"
    return render(request, template, {"run": run})


# ---- invoices --------------------------------------------------------------------------------


def _status_filter(invoices: QuerySet[Invoice], status: str) -> QuerySet[Invoice]:
    """The statuses of ``invoice_status`` as SQL conditions on ``with_balances``' annotations."""
    credited_all = Q(credited__gt=0) & Q(credited__gte=F("total"))
    untouched = Q(balance__gt=0, paid=0, credited=0)
    conditions = {
        "credited": credited_all,
        "paid": Q(balance__lte=0) & ~credited_all,
        "partly paid": Q(balance__gt=0) & (Q(paid__gt=0) | Q(credited__gt=0)) & ~credited_all,
        "sent": untouched & Q(was_sent=True),
        "final": untouched & Q(was_sent=False),
    }
    return invoices.filter(conditions[status]) if status in conditions else invoices


def invoice_list(request: HttpRequest) -> HttpResponse:
    form = InvoiceFilterForm(request.GET or None)
    invoices: QuerySet[Invoice] = Invoice.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["client"]:
            invoices = invoices.filter(client=data["client"])
        if data["issued_from"]:
            invoices = invoices.filter(issued_on__gte=data["issued_from"])
        if data["issued_to"]:
            invoices = invoices.filter(issued_on__lte=data["issued_to"])
        if data["status"]:
            invoices = _status_filter(with_balances(invoices), data["status"])
    page, shown = page_of(
        invoices.order_by("-issued_on", "-id").values_list("pk", flat=True),
        request.GET.get("page"),
        lambda keys: with_balances(Invoice.objects.select_related("client", "matter")).in_bulk(
            keys
        ),
    )
    today = timezone.localdate()
    rows = [
        {
            "invoice": inv,
            "status": invoice_status(inv),
            "overdue": inv.balance > 0 and inv.due_on < today,  # type: ignore[attr-defined]
        }
        for inv in shown
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "billing/invoice_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _get_invoice(number: str) -> Invoice:
    invoice = (
        with_balances(Invoice.objects.select_related("client", "matter", "prebill"))
        .filter(number=number)
        .first()
    )
    if invoice is None:
        raise Http404("no such invoice")
    return invoice


def _invoice_context(request: HttpRequest, invoice: Invoice, **extra: Any) -> dict[str, Any]:
    from lexbill.receivables.models import PaymentAllocation

    actor = acting_user(request)
    context: dict[str, Any] = {
        "invoice": invoice,
        "status": invoice_status(invoice),
        "overdue": invoice.balance > 0 and invoice.due_on < timezone.localdate(),  # type: ignore[attr-defined]
        "lines": invoice.lines.all(),
        "credit_notes": invoice.credit_notes.order_by("issued_on", "id"),
        "deliveries": invoice.deliveries.select_related("sent_by").order_by("sent_at"),
        "allocations": PaymentAllocation.objects.filter(invoice=invoice)
        .select_related("payment")
        .order_by("allocated_at", "id"),
        "email_form": EmailInvoiceForm(initial={"to": invoice.client.billing_email}),
        "can_credit": may(actor, Action.ISSUE_CREDIT),
        "can_send": may(actor, Action.FINALIZE_INVOICE),
    }
    context.update(extra)
    return context


def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _get_invoice(number)
    return render(request, "billing/invoice_detail.html", _invoice_context(request, invoice))


# The same PDF as the download view, but framable by our own pages for the preview (the site
# otherwise sends X-Frame-Options: DENY).
invoice_preview = xframe_options_sameorigin(invoice_pdf)


def _invoice_refused(
    request: HttpRequest, invoice: Invoice, exc: LexbillError, **forms: Any
) -> HttpResponse:
    status = 403 if isinstance(exc, PermissionDenied) else 400
    shown = any(_on_field(form, exc) for form in forms.values())
    return render(
        request,
        "billing/invoice_detail.html",
        _invoice_context(request, invoice, error="" if shown else exc.message, **forms),
        status=status,
    )


@require_POST
def invoice_email(request: HttpRequest, number: str) -> HttpResponse:
    invoice = _get_invoice(number)
    form = EmailInvoiceForm(request.POST)
    form.is_valid()
    try:
        require(acting_user(request), Action.FINALIZE_INVOICE)
        delivery = email_invoice(
            acting_user(request),
            invoice,
            to=form.cleaned_data.get("to", ""),
            message=form.cleaned_data.get("message", ""),
        )
    except LexbillError as exc:
        return _invoice_refused(request, invoice, exc, email_form=form)
    messages.success(
        request,
        f"Invoice {invoice.number} e-mailed to {delivery.recipient} at "
        f"{timezone.localtime(delivery.sent_at):%Y-%m-%d %H:%M}.",
    )
    return redirect("billing:invoice-detail", number=invoice.number)
