"""Pages for recording and reviewing time and expenses.

Views parse input with forms and hand it to ``entries.services``; they never save a model. Every
view checks the RECORD_WORK action up front (login itself is enforced site-wide by middleware), so
a role losing that right loses the pages too, not just the final save.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lexbill.clients.models import Matter
from lexbill.core.errors import LexbillError
from lexbill.core.increments import format_hours
from lexbill.core.invoice_math import expense_amount
from lexbill.entries import selectors
from lexbill.entries.forms import (
    BulkForm,
    ExpenseFilterForm,
    ExpenseForm,
    TimeEntryForm,
    TimeFilterForm,
    TimeRowForm,
)
from lexbill.entries.models import Billable, BillingState, Expense, TimeEntry
from lexbill.entries.services import (
    ExpenseDraft,
    TimeDraft,
    bulk_change_entries,
    correct_expense,
    correct_time,
    delete_expense,
    record_expense,
    record_time,
    undo_last_bulk_change,
)
from lexbill.firm.models import User
from lexbill.firm.permissions import Action
from lexbill.formats.utbms import CodeKind
from lexbill.web.access import require_action

records_work = require_action(Action.RECORD_WORK)
"""Refuse (the 403 page) anyone whose role may not record work, before any form is shown."""

# the expense form's fields, named as ExpenseDraft and correct_expense name them
_EXPENSE_FORM_FIELDS = (
    "matter",
    "timekeeper",
    "date",
    "expense_code",
    "quantity",
    "unit_cost",
    "description",
    "billable",
    "receipt",
    "persons",
    "travel_class",
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # LoginRequiredMiddleware lets no anonymous visitor in
    return user


def _code_lists() -> dict[str, Any]:
    """Full code lists for the <datalist>s: a few hundred short options, cheaper than a round
    trip per keystroke and usable without a mouse or JavaScript."""
    return {
        "task_codes": selectors.search_codes(CodeKind.TASK, "", limit=10_000),
        "activity_codes": selectors.search_codes(CodeKind.ACTIVITY, "", limit=10_000),
    }


# --- entry form ------------------------------------------------------------------------------


@records_work
@require_http_methods(["GET", "POST"])
def time_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = TimeEntryForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = record_time(
                user,
                TimeDraft(
                    matter=data["matter"],
                    timekeeper=data["timekeeper"],
                    work_date=data["work_date"],
                    duration_seconds=data["seconds"],
                    narrative=data["narrative"],
                    task_code=data["task_code"],
                    activity_code=data["activity_code"],
                    billable=data["billable"],
                ),
            )
        except LexbillError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                f"Recorded {format_hours(entry.billed_minutes)} h on {entry.matter.number} "
                f"for {entry.timekeeper.code} on {entry.work_date:%Y-%m-%d}.",
            )
            # keep the timekeeper and date for the next entry: people enter a day's work at once
            query = urlencode(
                {"timekeeper": entry.timekeeper_id, "work_date": entry.work_date.isoformat()}
            )
            return redirect(f"{reverse('entries:time-new')}?{query}")
    elif request.method == "GET":
        initial = {k: request.GET[k] for k in ("timekeeper", "work_date") if request.GET.get(k)}
        form = TimeEntryForm(initial=initial, user=user)
    status = 400 if form.errors else 200
    return render(request, "entries/time_form.html", {"form": form, **_code_lists()}, status=status)


@records_work
@require_http_methods(["GET", "POST"])
def expense_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ExpenseForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            expense = record_expense(
                user,
                ExpenseDraft(**{name: data[name] for name in _EXPENSE_FORM_FIELDS}),
            )
        except LexbillError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                f"Recorded expense {expense.expense_code} on {expense.matter.number} "
                f"({expense.quantity.normalize():f} × {expense.unit_cost.normalize():f}).",
            )
            return redirect("entries:expense-new")
    status = 400 if form.errors else 200
    expense_codes = selectors.search_codes(CodeKind.EXPENSE, "", limit=10_000)
    return render(
        request,
        "entries/expense_form.html",
        {"form": form, "expense_codes": expense_codes},
        status=status,
    )


# --- search endpoints (htmx fills a <datalist> with their HTML) -----------------------------


@records_work
@require_GET
def matter_search(request: HttpRequest) -> HttpResponse:
    matters = selectors.search_matters(request.GET.get("q", "") or request.GET.get("matter", ""))
    return render(request, "entries/_matter_options.html", {"matters": matters})


@records_work
@require_GET
def code_search(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        code_kind = CodeKind(kind)
    except ValueError:
        return HttpResponse("unknown code kind", status=404)
    field_names = {CodeKind.TASK: "task_code", CodeKind.ACTIVITY: "activity_code"}
    query = request.GET.get("q") or request.GET.get(field_names.get(code_kind, "expense_code"), "")
    number = (request.GET.get("matter") or "").split(" ", 1)[0].strip()
    code_set = (
        Matter.objects.filter(number__iexact=number).values_list("task_code_set", flat=True).first()
        if number and code_kind == CodeKind.TASK
        else None
    )
    codes = selectors.search_codes(code_kind, query, code_set=code_set or "")
    return render(request, "entries/_code_options.html", {"codes": codes})


# --- the list ---------------------------------------------------------------------------------


_BILLABLE_SHORT: dict[str, str] = {
    Billable.BILLABLE: "Billable",
    Billable.NO_CHARGE: "No charge",
    Billable.NON_BILLABLE: "Non-billable",
}


def _decorate(entries: list[TimeEntry]) -> list[TimeEntry]:
    """Short labels and the read-only reason, computed once per row for the row template."""
    for entry in entries:
        entry.billable_label = _BILLABLE_SHORT.get(entry.billable, entry.billable)  # type: ignore[attr-defined]
        entry.locked_reason = _locked_reason(entry)  # type: ignore[attr-defined]
    return entries


def _locked_reason(entry: TimeEntry | Expense) -> str:
    if entry.state == BillingState.PREBILLED:
        return "On a pre-bill: correct it there."
    if entry.state == BillingState.BILLED:
        return "Billed: it can no longer change."
    return ""


def _list_params(request: HttpRequest) -> QueryDict:
    params = request.GET.copy()
    if "state" not in params:
        params["state"] = BillingState.UNBILLED  # the work-in-progress list is the usual view
    return params


def _pager(request: HttpRequest, params: QueryDict, page: selectors.Page) -> dict[str, Any]:
    """Links to the pages either side (keyset cursors) and to the first page."""
    keep = params.copy()
    keep.pop("after", None)
    keep.pop("before", None)

    def page_url(key: str, cursor: str | None) -> str | None:
        if not cursor:
            return None
        query = keep.copy()
        query[key] = cursor
        return f"?{query.urlencode()}"

    return {
        "keep": keep,
        "next_url": page_url("after", page.next_cursor),
        "previous_url": page_url("before", page.previous_cursor),
        "first_url": f"?{keep.urlencode()}" if page.previous_cursor else None,
        "return_to": request.get_full_path(),
    }


@records_work
@require_GET
def time_list(request: HttpRequest) -> HttpResponse:
    params = _list_params(request)
    form = TimeFilterForm(params)
    filters = form.filters()
    page = selectors.time_page(
        filters, request.GET.get("after", ""), before=request.GET.get("before", "")
    )
    pager = _pager(request, params, page)
    context = {
        "form": form,
        "page": page,
        "sorts": _sort_links(pager["keep"], selectors.SORTS, filters.sort, filters.descending),
        "entries": _decorate(page.rows),
        **pager,
        **_code_lists(),
    }
    return render(request, "entries/time_list.html", context)


@records_work
@require_GET
def expense_list(request: HttpRequest) -> HttpResponse:
    params = _list_params(request)
    form = ExpenseFilterForm(params)
    filters = form.filters()
    page = selectors.expense_page(
        filters, request.GET.get("after", ""), before=request.GET.get("before", "")
    )
    pager = _pager(request, params, page)
    for expense in page.rows:
        expense.amount = expense_amount(
            expense.quantity, expense.unit_cost, expense.matter.currency
        )
        expense.locked_reason = _locked_reason(expense)
    context = {
        "form": form,
        "page": page,
        "sorts": _sort_links(
            pager["keep"], selectors.EXPENSE_SORTS, filters.sort, filters.descending
        ),
        "expenses": page.rows,
        "expense_codes": selectors.search_codes(CodeKind.EXPENSE, "", limit=10_000),
        **pager,
    }
    return render(request, "entries/expense_list.html", context)


@records_work
@require_http_methods(["GET", "POST"])
def expense_edit(request: HttpRequest, pk: int) -> HttpResponse:
    expense = get_object_or_404(Expense.objects.select_related("matter", "timekeeper"), pk=pk)
    back = _safe_return(request, "entries:expense-list")
    user = _user(request)
    if request.method == "POST":
        form = ExpenseForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                correct_expense(user, expense, **{k: data[k] for k in _EXPENSE_FORM_FIELDS})
            except LexbillError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, f"Expense {expense.pk} corrected.")
                return redirect(back)
    else:
        form = ExpenseForm(
            user=user,
            initial={
                "matter": expense.matter.number,
                "timekeeper": expense.timekeeper_id,
                "date": expense.date,
                "expense_code": expense.expense_code,
                "quantity": expense.quantity.normalize(),
                "unit_cost": expense.unit_cost,
                "description": expense.description,
                "billable": expense.billable,
                "receipt": expense.receipt,
                "persons": expense.persons,
                "travel_class": expense.travel_class,
            },
        )
    context = {
        "form": form,
        "expense": expense,
        "locked_reason": _locked_reason(expense),
        "return_to": back,
        "expense_codes": selectors.search_codes(CodeKind.EXPENSE, "", limit=10_000),
    }
    return render(request, "entries/expense_edit.html", context, status=400 if form.errors else 200)


@records_work
@require_POST
def expense_delete(request: HttpRequest, pk: int) -> HttpResponse:
    expense = get_object_or_404(Expense, pk=pk)
    back = _safe_return(request, "entries:expense-list")
    try:
        delete_expense(_user(request), expense)
    except LexbillError as exc:
        messages.error(request, f"Expense {pk} was not deleted: {exc.message}.")
    else:
        messages.success(request, f"Expense {pk} deleted.")
    return redirect(back)


def _hours_text(seconds: int) -> str:
    """The raw duration as hours that convert back to the same seconds when saved unchanged."""
    hours = Decimal(seconds) / 3600
    short = hours.quantize(Decimal("0.01"))
    return f"{short if short == hours else hours.quantize(Decimal('0.0001'))}"


def _sort_links(
    params: QueryDict, sorts: Iterable[str], current: str, descending: bool
) -> dict[str, dict[str, str]]:
    """Header links: a column sorts by itself; clicking the current column flips the order."""
    links = {}
    for key in sorts:
        query = params.copy()
        query["sort"] = key
        flip = key == current and descending
        query["order"] = "asc" if flip else "desc"
        aria = ("descending" if descending else "ascending") if key == current else ""
        links[key] = {"url": f"?{query.urlencode()}", "aria": aria}
    return links


def _row(request: HttpRequest, entry: TimeEntry, status: int = 200) -> HttpResponse:
    return render(request, "entries/_time_row.html", {"e": _decorate([entry])[0]}, status=status)


def _entry(pk: int) -> TimeEntry:
    return get_object_or_404(
        TimeEntry.objects.select_related("matter__client", "timekeeper"), pk=pk
    )


@records_work
@require_GET
def time_row(request: HttpRequest, pk: int) -> HttpResponse:
    """The read-only row, for "Cancel" in an inline edit."""
    return _row(request, _entry(pk))


@records_work
@require_http_methods(["GET", "POST"])
def time_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Inline edit: GET gives the editable row, POST saves through ``correct_time`` and gives
    the updated read-only row (or the editable row again, with the errors beside the fields)."""
    entry = _entry(pk)
    if entry.state != BillingState.UNBILLED:
        return _row(request, entry)  # shows why it cannot be edited
    prefix = f"e{entry.pk}"
    if request.method == "POST":
        form = TimeRowForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                entry = correct_time(_user(request), entry, **form.changes())
            except LexbillError as exc:
                form.add_service_error(exc)
            else:
                return _row(request, _entry(entry.pk))
    else:
        form = TimeRowForm(
            prefix=prefix,
            initial={
                "work_date": entry.work_date,
                "hours": _hours_text(entry.duration_seconds),
                "narrative": entry.narrative,
                "task_code": entry.task_code,
                "activity_code": entry.activity_code,
                "billable": entry.billable,
            },
        )
    # 200 even with errors: htmx swaps only successful responses, and the errors must show
    return render(request, "entries/_time_row_edit.html", {"e": entry, "form": form})


@records_work
@require_POST
def time_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = _safe_return(request)
    if not form.is_valid():
        messages.error(request, _form_errors(form) or "Select at least one unbilled entry.")
        return redirect(back)
    data = form.cleaned_data
    try:
        change = bulk_change_entries(
            _user(request),
            data["ids"],
            task_code=data["task_code"] or None,
            matter=data["matter"],
            billable=Billable.NO_CHARGE if data["no_charge"] else None,
        )
    except LexbillError as exc:
        messages.error(request, f"Nothing was changed: {exc.message}")
    else:
        messages.success(request, f"{change.summary}.")
    return redirect(back)


@records_work
@require_POST
def time_bulk_undo(request: HttpRequest) -> HttpResponse:
    try:
        change = undo_last_bulk_change(_user(request))
    except LexbillError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Undone — {len(change.entry_ids)} entries restored.")
    return redirect(_safe_return(request))


def _safe_return(request: HttpRequest, list_name: str = "entries:time-list") -> str:
    """Back to the filtered list the action came from, never to another site."""
    target = request.POST.get("return_to") or request.GET.get("return_to") or ""
    list_url = reverse(list_name)
    return target if target.startswith(list_url) else list_url


def _form_errors(form: BulkForm) -> str:
    parts = []
    for name, errors in form.errors.items():
        if name == "ids":
            continue
        text = " ".join(str(e) for e in errors)
        label = form.fields[name].label if name in form.fields else None
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)
