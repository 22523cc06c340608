"""The bank pages: accounts and imports, upload with a CSV preview, the queue, posting.

Thin on purpose: forms type the input, banking.services decides and changes things.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lexbill.banking import selectors
from lexbill.banking.forms import (
    NEW_MAPPING,
    BankAccountForm,
    IgnoreForm,
    MatchForm,
    UploadForm,
)
from lexbill.banking.models import BankAccount, BankTransaction, CsvMapping, StatementImport
from lexbill.banking.services import (
    create_bank_account,
    ignore,
    import_statement,
    match_by_hand,
    post_matched,
    rematch_queue,
    save_csv_mapping,
)
from lexbill.billing.views import may
from lexbill.clients.models import Client
from lexbill.core.errors import LexbillError
from lexbill.firm.permissions import Action
from lexbill.formats.bank import CsvLayout, guess_format, read_statement
from lexbill.formats.bank.csv_statement import preview
from lexbill.web.access import acting_user, require_action
from lexbill.web.errors import add_service_error

PREVIEW_ROWS = 8


@require_action(Action.IMPORT_BANK_STATEMENTS)
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "banking/home.html",
        {
            "accounts": selectors.accounts(),
            "imports": selectors.recent_imports(),
            "queued": selectors.queue().count(),
            "ready": selectors.ready_to_post().count(),
            "account_form": BankAccountForm(),
            "can_post": may(acting_user(request), Action.POST_PAYMENT),
        },
    )


@require_action(Action.IMPORT_BANK_STATEMENTS)
def account_new(request: HttpRequest) -> HttpResponse:
    form = BankAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = create_bank_account(
                acting_user(request),
                form.cleaned_data["name"],
                currency=form.cleaned_data["currency"],
                number=form.cleaned_data["number"],
            )
        except LexbillError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Bank account {account.name} added.")
            return redirect("banking:home")
    return render(request, "banking/account_new.html", {"form": form})


def _chosen_mapping(form: UploadForm, account: BankAccount) -> CsvMapping | None:
    choice = form.cleaned_data.get("mapping") or ""
    if choice == NEW_MAPPING:
        return None
    if choice:
        return CsvMapping.objects.filter(pk=choice).first()
    return account.default_mapping


def _preview_context(form: UploadForm, data: bytes, fmt: str) -> dict[str, Any]:
    """The first rows as the file has them, and how they read with the mapping chosen."""
    context: dict[str, Any] = {"kept": base64.b64encode(data).decode()}
    account = form.cleaned_data["account"]
    layout = None
    try:
        if fmt == "csv":
            mapping = _chosen_mapping(form, account)
            settings = (
                {f: getattr(mapping, f) for f in CsvMapping.LAYOUT_FIELDS}
                if mapping is not None
                else form.layout_settings()
            )
            # the raw rows need only the delimiter, encoding and preamble, not a full mapping
            reading = {k: settings[k] for k in ("delimiter", "encoding", "skip_rows")}
            context["raw_rows"] = preview(
                data,
                CsvLayout.from_dict({**reading, "date_column": "1", "amount_column": "1"}),
                PREVIEW_ROWS,
            )
            layout = CsvLayout.from_dict({**settings, "currency": account.currency})
        statement = read_statement(data, fmt, layout=layout, account_id=account.number)
        context["entries"] = statement.entries[:PREVIEW_ROWS]
        context["statement"] = statement
    except LexbillError as exc:
        context["preview_error"] = str(exc)
    return context


@require_action(Action.IMPORT_BANK_STATEMENTS)
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "new_mapping": NEW_MAPPING}
    if request.method == "POST" and form.is_valid():
        data: bytes = form.cleaned_data["content"]
        file_name = str(form.cleaned_data.get("file_name") or "")
        fmt = form.cleaned_data["format"] or guess_format(data, file_name)
        context.update(fmt=fmt, file_name=file_name)
        if "preview" in request.POST:
            context.update(_preview_context(form, data, fmt))
            return render(request, "banking/upload.html", context)
        account = form.cleaned_data["account"]
        try:
            mapping = _chosen_mapping(form, account) if fmt == "csv" else None
            if fmt == "csv" and mapping is None:
                mapping = save_csv_mapping(
                    acting_user(request),
                    account,
                    form.cleaned_data["save_as"] or f"{file_name or 'CSV'} mapping",
                    form.layout_settings(),
                    make_default=bool(form.cleaned_data["save_as"]),
                )
            result = import_statement(
                acting_user(request), account, data, fmt, mapping=mapping, file_name=file_name
            )
        except LexbillError as exc:
            context.update(_preview_context(form, data, fmt))
            context["import_error"] = str(exc)
            return render(request, "banking/upload.html", context, status=400)
        messages.success(
            request,
            f"{file_name or 'Statement'}: {result.new} new lines, {result.known} already "
            f"imported, {result.matched} matched, {result.queued} waiting in the queue.",
        )
        return redirect("banking:import-detail", pk=result.statement_import.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "banking/upload.html", context, status=status)


@require_action(Action.IMPORT_BANK_STATEMENTS)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(StatementImport.objects.select_related("bank_account"), pk=pk)
    return render(
        request,
        "banking/import_detail.html",
        {"record": record, "lines": selectors.import_lines(record)},
    )


@require_action(Action.IMPORT_BANK_STATEMENTS)
def queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "banking/queue.html",
        {
            "lines": selectors.queue(),
            "ready": selectors.ready_to_post(),
            "can_post": may(acting_user(request), Action.POST_PAYMENT),
        },
    )


def _client(number: str) -> Client | None:
    number = number.strip()
    return Client.objects.filter(Q(number=number) | Q(number__iexact=number)).first()


@require_action(Action.IMPORT_BANK_STATEMENTS)
@require_POST
def match(request: HttpRequest, pk: int) -> HttpResponse:
    txn = get_object_or_404(BankTransaction, pk=pk)
    candidate = request.POST.get("candidate")
    if candidate is not None:
        try:
            chosen = txn.candidates[int(candidate)]
        except (ValueError, IndexError):
            messages.error(request, "That suggestion is no longer offered.")
            return redirect("banking:queue")
        data = {
            "client": chosen["client_number"],
            "allocations": "\n".join(f"{n} = {a}" for n, a in chosen["allocations"]),
        }
    else:
        data = request.POST.dict()
    form = MatchForm(data)
    if form.is_valid():
        client = _client(form.cleaned_data["client"])
        allocations = [] if form.cleaned_data["unapplied"] else form.cleaned_data["allocations"]
        try:
            if client is None:
                raise LexbillError(f"no client {form.cleaned_data['client']!r}", field="client")
            match_by_hand(acting_user(request), txn, client, allocations)
        except LexbillError as exc:
            messages.error(request, f"Line {txn.line_no} ({txn.amount}): {exc.message}")
        else:
            messages.success(
                request,
                f"{txn.amount} {txn.currency} matched to {client.name}; post it when ready.",
            )
    else:
        problems = "; ".join(str(m) for errors in form.errors.values() for m in errors)
        messages.error(request, f"Line {txn.line_no}: {problems}")
    return redirect("banking:queue")


@require_action(Action.IMPORT_BANK_STATEMENTS)
@require_POST
def ignore_line(request: HttpRequest, pk: int) -> HttpResponse:
    txn = get_object_or_404(BankTransaction, pk=pk)
    form = IgnoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the deposit is ignored.")
        return redirect("banking:queue")
    try:
        ignore(acting_user(request), txn, form.cleaned_data["reason"])
    except LexbillError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{txn.amount} {txn.currency} of {txn.booked_on} ignored.")
    return redirect("banking:queue")


@require_action(Action.IMPORT_BANK_STATEMENTS)
@require_POST
def rematch(request: HttpRequest) -> HttpResponse:
    matched = rematch_queue(acting_user(request))
    messages.success(request, f"{matched} queued deposits matched on a second look.")
    return redirect("banking:queue")


@require_action(Action.POST_PAYMENT)
@require_POST
def post(request: HttpRequest) -> HttpResponse:
    result = post_matched(acting_user(request))
    messages.success(request, f"{len(result.posted)} deposits posted as payments.")
    for txn, reason in result.requeued:
        messages.warning(
            request,
            f"Line {txn.line_no} ({txn.amount} {txn.currency}, {txn.payer_name}) went back to "
            f"the queue: {reason}",
        )
    return redirect("banking:queue")
