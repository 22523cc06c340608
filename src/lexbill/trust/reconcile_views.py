"""The monthly three-way reconciliation pages: list of months, the month's work, the signed record.

Thin on purpose: the forms type the input, trust.reconciliation matches, computes and signs.
Every POST redirects back to the month with a message; a refusal by the engine is shown as
the engine worded it and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lexbill.banking.models import BankTransaction, CsvMapping
from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, allowed
from lexbill.formats.bank import guess_format
from lexbill.trust import reconciliation as engine
from lexbill.trust.models import (
    FoundationInterest,
    InterestKind,
    SignedReconciliation,
    TrustAccount,
    TrustClearing,
    TrustTransaction,
)
from lexbill.trust.reconcile_forms import (
    MatchSelectedForm,
    SignOffForm,
    StatementBalanceForm,
    StatementImportForm,
)
from lexbill.trust.reconciliation_pdf import reconciliation_pdf
from lexbill.web.access import acting_user, require_action

# --- months ----------------------------------------------------------------------------------


def _bounds(month: str) -> tuple[date, date]:
    """``YYYY-MM`` from the URL as the month's first and last day; anything else is no page."""
    try:
        return engine.month_bounds(month)
    except InvalidEntry as exc:
        raise Http404(exc.message) from exc


def _key(day: date) -> str:
    return f"{day:%Y-%m}"


def _months(opened_on: date, today: date) -> list[tuple[date, date]]:
    """Every month from the account's opening to last month, newest first."""
    last_end = today.replace(day=1) - timedelta(days=1)
    months = []
    start, end = engine.month_bounds(opened_on)
    while end <= last_end:
        months.append((start, end))
        start, end = engine.month_bounds(end + timedelta(days=1))
    return months[::-1]


def _month_url(account: TrustAccount, start: date) -> str:
    return reverse("trust:reconcile", args=[account.pk, _key(start)])


# --- the list of months ----------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    start: date
    end: date
    key: str
    signed: SignedReconciliation | None


@require_action(Action.RECONCILE_TRUST)
def reconciliations(request: HttpRequest) -> HttpResponse:
    """Every trust account's months from its opening to last month: signed (by whom) or not."""
    today = timezone.localdate()
    signed: dict[tuple[int, date], SignedReconciliation] = {
        (s.account_id, s.period_end): s
        for s in SignedReconciliation.objects.select_related("signed_by").defer("snapshot")
    }
    accounts = []
    for account in TrustAccount.objects.select_related("bank_account", "client"):
        rows = []
        for start, end in _months(account.opened_on, today):
            rows.append(MonthRow(start, end, _key(start), signed.get((account.pk, end))))
        accounts.append((account, rows, sum(1 for r in rows if r.signed is None)))
    return render(request, "trust/reconciliations.html", {"accounts": accounts})


# --- the month -------------------------------------------------------------------------------


def _account_month(pk: int, month: str) -> tuple[TrustAccount, date, date]:
    account = get_object_or_404(TrustAccount.objects.select_related("bank_account"), pk=pk)
    start, end = _bounds(month)
    return account, start, end


@dataclass
class MatchRow:
    """One match as the month's page lists it: its rows gathered under its number."""

    match_no: int
    matched_at: datetime
    matched_by: User | None
    automatic: bool
    bank_lines: list[BankTransaction] = field(default_factory=list)
    postings: list[TrustTransaction] = field(default_factory=list)
    interest: list[FoundationInterest] = field(default_factory=list)


MATCH_LIMIT = 200


def _matches(account: TrustAccount, start: date, end: date) -> tuple[list[MatchRow], int]:
    """The month's latest matches (at most ``MATCH_LIMIT``, as a month of 100,000 automatic
    matches is no page to read) with what they cleared, and how many the month has in all."""
    within = (start, end)
    in_month = TrustClearing.objects.filter(
        Q(bank_transaction__bank_account_id=account.bank_account_id)
        | Q(trust_transaction__account=account)
        | Q(foundation_interest__account=account)
    ).filter(
        Q(bank_transaction__booked_on__range=within)
        | Q(trust_transaction__entered_on__range=within)
        | Q(foundation_interest__entered_on__range=within)
    )
    numbers = in_month.order_by().values_list("match_no", flat=True).distinct()
    total = numbers.count()
    shown = list(numbers.order_by("-match_no")[:MATCH_LIMIT])
    rows = (
        TrustClearing.objects.filter(match_no__in=shown)
        .select_related(
            "matched_by",
            "bank_transaction",
            "trust_transaction__ledger__matter",
            "foundation_interest",
        )
        .order_by("-matched_at", "-match_no", "id")
    )
    matches: dict[int, MatchRow] = {}
    for row in rows:
        match = matches.get(row.match_no)
        if match is None:
            match = matches[row.match_no] = MatchRow(
                row.match_no, row.matched_at, row.matched_by, row.automatic
            )
        if row.bank_transaction is not None:
            match.bank_lines.append(row.bank_transaction)
        if row.trust_transaction is not None:
            match.postings.append(row.trust_transaction)
        if row.foundation_interest is not None:
            match.interest.append(row.foundation_interest)
    return list(matches.values()), total


@require_action(Action.RECONCILE_TRUST)
def reconcile(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    """The month's work: import, match, the three sides side by side, and the sign-off."""
    account, start, end = _account_month(pk, month)
    balance_form = StatementBalanceForm(request.GET or None)
    typed_balance = balance_form.balance()
    three_way = None
    no_statement = ""
    try:
        three_way = engine.three_way_for(account, end, statement_balance=typed_balance)
    except LexbillError as exc:
        if exc.field != "statement_balance":
            raise
        no_statement = exc.message
    bank_lines, postings, interest = engine.unmatched(account, end)
    user = acting_user(request)
    signed = SignedReconciliation.objects.filter(account=account, period_end=end).first()
    context: dict[str, Any] = {
        "account": account,
        "start": start,
        "end": end,
        "month": _key(start),
        "signed": signed,
        "three_way": three_way,
        "interest_less": -three_way.foundation_interest if three_way else None,
        "no_statement": no_statement,
        "balance_form": balance_form,
        "typed_balance": typed_balance,
        "import_form": StatementImportForm(account),
        "sign_form": SignOffForm(initial={"statement_balance": typed_balance}),
        "bank_lines": bank_lines,
        "postings": postings.select_related("ledger__matter", "ledger__client"),
        # credited interest came in, a remittance went out: signed as the bank shows them
        "interest": [
            (i, i.amount if i.kind == InterestKind.CREDITED else -i.amount) for i in interest
        ],
        **dict(zip(("matches", "match_count"), _matches(account, start, end), strict=True)),
        "can_sign": allowed(user, Action.SIGN_OFF_RECONCILIATION),
        "ended": end < timezone.localdate(),
        "previous": _key(start - timedelta(days=1)) if start > account.opened_on else None,
        "next": _key(end + timedelta(days=1)),
    }
    return render(request, "trust/reconcile.html", context)


def _back(account: TrustAccount, start: date) -> HttpResponse:
    return redirect(_month_url(account, start))


def _form_problems(form: Any) -> str:
    return "; ".join(str(m) for errors in form.errors.values() for m in errors)


@require_action(Action.RECONCILE_TRUST)
@require_POST
def import_statement(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    account, start, _end = _account_month(pk, month)
    form = StatementImportForm(account, request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, f"Nothing was imported: {_form_problems(form)}.")
        return _back(account, start)
    upload = form.cleaned_data["file"]
    data = upload.read()
    fmt = form.cleaned_data["format"] or guess_format(data, upload.name)
    choice = form.cleaned_data["mapping"]
    mapping = (
        CsvMapping.objects.filter(pk=choice, bank_account=account.bank_account).first()
        if choice
        else None
    )
    try:
        result = engine.import_trust_statement(
            acting_user(request), account, data, fmt, mapping=mapping, file_name=upload.name
        )
    except LexbillError as exc:
        messages.error(request, f"Nothing was imported. {_capital(exc.message)}")
    else:
        messages.success(
            request,
            f"{upload.name}: {result.new} new bank lines, {result.known} already imported; "
            f"{result.matched} matched automatically, {result.queued} waiting for a match.",
        )
    return _back(account, start)


@require_action(Action.RECONCILE_TRUST)
@require_POST
def auto_match(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    account, start, end = _account_month(pk, month)
    try:
        count = engine.auto_match(acting_user(request), account, end)
    except LexbillError as exc:
        messages.error(request, _capital(exc.message))
    else:
        messages.success(request, f"{count} match{'es' if count != 1 else ''} made automatically.")
    return _back(account, start)


@require_action(Action.RECONCILE_TRUST)
@require_POST
def match_selected(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    account, start, _end = _account_month(pk, month)
    form = MatchSelectedForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was matched: {_form_problems(form)}.")
        return _back(account, start)
    try:
        engine.match_by_hand(
            acting_user(request),
            account,
            bank_ids=form.cleaned_data["bank_ids"],
            posting_ids=form.cleaned_data["posting_ids"],
            interest_ids=form.cleaned_data["interest_ids"],
        )
    except LexbillError as exc:
        messages.error(request, f"Nothing was matched. {_capital(exc.message)}")
    else:
        messages.success(request, "The ticked lines are matched.")
    return _back(account, start)


@require_action(Action.RECONCILE_TRUST)
@require_POST
def unmatch(request: HttpRequest, pk: int, month: str, match_no: int) -> HttpResponse:
    account, start, _end = _account_month(pk, month)
    try:
        engine.unmatch(acting_user(request), account, match_no)
    except LexbillError as exc:
        messages.error(request, f"The match stays. {_capital(exc.message)}")
    else:
        messages.success(request, "Match undone: its lines are unmatched again.")
    return _back(account, start)


@require_action(Action.SIGN_OFF_RECONCILIATION)
@require_POST
def sign(request: HttpRequest, pk: int, month: str) -> HttpResponse:
    account, start, end = _account_month(pk, month)
    form = SignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not signed: {_form_problems(form)}.")
        return _back(account, start)
    try:
        signed = engine.sign_off(
            acting_user(request),
            account,
            end,
            statement_balance=form.cleaned_data["statement_balance"],
            note=form.cleaned_data["note"],
        )
    except LexbillError as exc:
        messages.error(request, f"Not signed. {_capital(exc.message)}")
        return _back(account, start)
    messages.success(request, f"{account.name} for {start:%B %Y} is signed off.")
    return redirect("trust:reconciliation", pk=signed.pk)


def _capital(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


# --- the signed record -----------------------------------------------------------------------


def _signed(pk: int) -> SignedReconciliation:
    signed: SignedReconciliation = get_object_or_404(
        SignedReconciliation.objects.select_related("account", "signed_by"), pk=pk
    )
    return signed


@require_action(Action.RECONCILE_TRUST)
def reconciliation(request: HttpRequest, pk: int) -> HttpResponse:
    """A signed month exactly as kept: read from its snapshot, never recomputed."""
    signed = _signed(pk)
    kept = engine.three_way_from_snapshot(signed.snapshot)
    return render(
        request,
        "trust/reconciliation.html",
        {
            "signed": signed,
            "s": signed.snapshot,
            "three_way": kept,
            "interest_less": -kept.foundation_interest,
            "cur": signed.snapshot["account"]["currency"],
        },
    )


@require_action(Action.RECONCILE_TRUST)
def reconciliation_download(request: HttpRequest, pk: int) -> HttpResponse:
    signed = _signed(pk)
    response = HttpResponse(reconciliation_pdf(signed), content_type="application/pdf")
    name = f"trust-reconciliation-{signed.account.name}-{signed.period_end:%Y-%m}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name.replace(" ", "-")}"'
    return response


urls: list[URLPattern] = [
    path("trust/reconciliations/", reconciliations, name="reconciliations"),
    path("trust/reconciliations/<int:pk>/", reconciliation, name="reconciliation"),
    path(
        "trust/reconciliations/<int:pk>/pdf/",
        reconciliation_download,
        name="reconciliation-pdf",
    ),
    path("trust/reconcile/<int:pk>/<str:month>/", reconcile, name="reconcile"),
    path(
        "trust/reconcile/<int:pk>/<str:month>/import/",
        import_statement,
        name="reconcile-import",
    ),
    path("trust/reconcile/<int:pk>/<str:month>/auto/", auto_match, name="reconcile-auto"),
    path("trust/reconcile/<int:pk>/<str:month>/match/", match_selected, name="reconcile-match"),
    path(
        "trust/reconcile/<int:pk>/<str:month>/unmatch/<int:match_no>/",
        unmatch,
        name="reconcile-unmatch",
    ),
    path("trust/reconcile/<int:pk>/<str:month>/sign/", sign, name="reconcile-sign"),
]
