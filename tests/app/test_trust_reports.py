"""Trust reports: each figure checked against a plain computation over the same postings, and
the page, the PDF and the Excel download agreeing with each other."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from tests.app.receivables_aging_firm import bill
from tests.app.trust_firm import TrustFirm, build_trust_firm

from lexbill.billing.formatting import format_amount, format_money
from lexbill.core.errors import PermissionDenied, TrustRuleViolation
from lexbill.trust.models import RefusedAttempt, TrustLedger, TrustTransaction
from lexbill.trust.reports import (
    dormant_balances,
    journal,
    ledger_history,
    months_before,
    refused_attempts,
    trial_balance,
    whole_months,
)
from lexbill.trust.services import (
    bank_charge,
    deposit,
    deposit_firm_funds,
    disburse,
    refund,
    transfer_earned_fees,
)
from lexbill.trust.services import (
    reverse as reverse_posting,
)

FEB = date(2026, 2, 1)
MAR_END = date(2026, 3, 31)


@dataclass
class Books:
    t: TrustFirm
    acme: TrustLedger  # IOLTA, Acme v. Roadrunner
    globex: TrustLedger  # IOLTA, Globex lease
    acme_separate: TrustLedger  # Acme's separate account, Acme merger


@pytest.fixture
def books(small_firm: Any) -> Books:
    """Two months of an IOLTA account and a separate one, every kind of posting, all through
    the services: deposits, a disbursement, a fee transfer, a refund, a bounced deposit and a
    voided check (reversals), the firm's buffer and a bank charge, and two refusals."""
    t = build_trust_firm(small_firm)
    f = t.f
    deposit_firm_funds(f.carol, t.iolta, "100.00", date(2026, 2, 1))
    deposit(
        f.clara,
        t.iolta,
        f.acme_hourly,
        "5000.00",
        date(2026, 2, 2),
        payor="Acme Corp",
        method="wire",
        reference="W-1",
        purpose="retainer",
    )
    deposit(
        f.clara,
        t.iolta,
        f.globex_flat,
        "3000.00",
        date(2026, 2, 3),
        payor="Globex GmbH",
        method="wire",
        reference="W-2",
    )
    deposit(
        f.clara,
        t.separate,
        f.acme_capped,
        "2000.00",
        date(2026, 2, 5),
        payor="Acme Corp",
        method="wire",
        reference="W-3",
    )
    acme = TrustLedger.objects.get(account=t.iolta, matter=f.acme_hourly)
    globex = TrustLedger.objects.get(account=t.iolta, matter=f.globex_flat)
    disburse(
        f.sam,
        acme,
        "1200.00",
        date(2026, 2, 10),
        payee="Court clerk",
        purpose="filing fee",
        reference="2001",
    )
    bank_charge(f.sam, t.iolta, "25.00", date(2026, 2, 15))
    invoice = bill(f, f.acme_hourly, date(2026, 3, 2), "2.0")
    transfer_earned_fees(
        f.sam, acme, invoice, invoice.total, date(2026, 3, 2), notice_sent_on=date(2026, 3, 2)
    )
    refund(f.sam, globex, "500.00", date(2026, 3, 5), reference="2002")
    bounced = deposit(
        f.clara,
        t.iolta,
        f.globex_flat,
        "400.00",
        date(2026, 3, 6),
        payor="Globex GmbH",
        reference="1002",
    )
    reverse_posting(f.carol, bounced, date(2026, 3, 9), "returned NSF")
    voided = disburse(
        f.sam,
        globex,
        "100.00",
        date(2026, 3, 10),
        payee="Courier",
        purpose="delivery",
        reference="2003",
    )
    reverse_posting(f.carol, voided, date(2026, 3, 11), "check voided")
    with pytest.raises(PermissionDenied):
        refund(f.clara, acme, "10.00", date(2026, 3, 12), reference="2004")
    with pytest.raises(TrustRuleViolation):
        disburse(
            f.sam,
            globex,
            "99999.00",
            date(2026, 3, 12),
            payee="Expert",
            purpose="report",
            reference="2005",
        )
    separate = TrustLedger.objects.get(account=t.separate, matter=f.acme_capped)
    return Books(t, acme, globex, separate)


# ---- a plain computation over the same postings, to check the reports against ---------------


def _postings(**where: Any) -> list[TrustTransaction]:
    """All the postings, filtered and summed in Python: nothing shared with the reports' SQL."""
    rows = list(TrustTransaction.objects.all())
    return sorted(
        (p for p in rows if all(getattr(p, k) == v for k, v in where.items())),
        key=lambda p: (p.entered_on, p.pk),
    )


def _total(postings: list[TrustTransaction]) -> Decimal:
    return sum((p.amount for p in postings), Decimal("0.00"))


# ---- client ledger history ------------------------------------------------------------------


def test_a_ledgers_history_runs_from_the_balance_brought_forward_to_the_closing_balance(
    books: Books,
) -> None:
    start, end = date(2026, 2, 5), date(2026, 3, 4)
    report = ledger_history(books.acme, start, end)
    everything = _postings(ledger_id=books.acme.pk)
    before = [p for p in everything if p.entered_on < start]
    within = [p for p in everything if start <= p.entered_on <= end]
    opening = _total(before)
    assert report.figure("opening") == opening
    assert [r.values["entry"] for r in report.rows] == [p.pk for p in within]
    running = opening
    for row, posting in zip(report.rows, within, strict=True):
        running += posting.amount
        assert row.values["balance"] == running
        assert (row.values["in"] or 0) - (row.values["out"] or 0) == posting.amount
    assert report.figure("closing") == running == _total(before + within)
    assert report.totals is not None
    assert report.totals["in"] - report.totals["out"] == running - opening
    assert report.totals["out"] == -_total([p for p in within if p.amount < 0])


def test_a_reversal_shows_which_posting_it_undoes(books: Books) -> None:
    report = ledger_history(books.globex)
    reversals = [p for p in _postings(ledger_id=books.globex.pk) if p.reverses_id]
    labels = {r.values["entry"]: r.values["kind"] for r in report.rows}
    assert reversals
    for p in reversals:
        assert labels[p.pk] == f"Reversal of no. {p.reverses_id}"


# ---- journal --------------------------------------------------------------------------------


def test_the_journal_lists_every_posting_of_the_account_with_a_running_balance(
    books: Books,
) -> None:
    start, end = date(2026, 2, 10), date(2026, 3, 10)
    report = journal(books.t.iolta, start, end)
    everything = _postings(account_id=books.t.iolta.pk)
    within = [p for p in everything if start <= p.entered_on <= end]
    opening = _total([p for p in everything if p.entered_on < start])
    assert [r.values["entry"] for r in report.rows] == [p.pk for p in within]
    assert report.figure("opening") == opening
    assert report.figure("closing") == opening + _total(within)
    assert report.totals is not None
    assert report.totals["in"] == _total([p for p in within if p.amount > 0])
    assert report.totals["out"] == -_total([p for p in within if p.amount < 0])
    assert report.rows[-1].values["balance"] == report.figure("closing")
    assert {r.values["ledger"] for r in report.rows} >= {"Firm bank-charge buffer"}


def test_the_journal_for_one_client_keeps_to_that_clients_ledgers(books: Books) -> None:
    globex_client = books.t.f.globex
    report = journal(books.t.iolta, FEB, MAR_END, client=globex_client)
    mine = _postings(account_id=books.t.iolta.pk, ledger_id=books.globex.pk)
    assert [r.values["entry"] for r in report.rows] == [p.pk for p in mine]
    assert report.figure("closing") == _total(mine)


# ---- trial balance --------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [date(2026, 2, 12), date(2026, 3, 6), MAR_END])
def test_the_trial_balance_lists_each_ledger_and_its_total_equals_the_journal(
    books: Books, as_of: date
) -> None:
    report = trial_balance(books.t.iolta, as_of)
    postings = [p for p in _postings(account_id=books.t.iolta.pk) if p.entered_on <= as_of]
    expected: dict[int, Decimal] = {}
    for p in postings:
        expected[p.ledger_id] = expected.get(p.ledger_id, Decimal(0)) + p.amount
    shown = {r.ledger_id: r.values["balance"] for r in report.rows}
    assert shown == {k: v for k, v in expected.items() if v != 0}
    assert report.totals == {"balance": _total(postings)}
    assert report.figure("journal") == _total(postings)
    assert report.figure("difference") == 0
    assert report.figure("negative") == 0 and not report.flagged


def test_a_ledger_below_zero_is_flagged(books: Books) -> None:
    """Postings entered around the services (an import from an old system) can break the rule;
    the trial balance is where it shows."""
    from django.utils import timezone

    day = date(2026, 3, 20)
    TrustTransaction.objects.create(
        account=books.t.iolta,
        ledger=books.acme,
        kind="disbursement",
        entered_on=day,
        amount=Decimal("-99999.00"),
        currency="USD",
        counterparty="legacy import",
        purpose="imported",
        posted_at=timezone.now(),
    )
    report = trial_balance(books.t.iolta, day)
    flagged = [r.ledger_id for r in report.flagged]
    assert flagged == [books.acme.pk]
    assert report.figure("negative") == 1
    assert any("below zero" in note for note in report.notes)


# ---- dormant balances -----------------------------------------------------------------------


def test_dormant_balances_are_the_ledgers_idle_for_the_months_given(books: Books) -> None:
    as_of, months = date(2026, 6, 15), 3
    report = dormant_balances(as_of, months)
    cutoff = date(as_of.year, as_of.month - months, as_of.day)
    expected = {}
    for ledger in TrustLedger.objects.filter(kind="client"):
        mine = [p for p in _postings(ledger_id=ledger.pk) if p.entered_on <= as_of]
        if mine and _total(mine) != 0 and mine[-1].entered_on <= cutoff:
            last = max(p.entered_on for p in mine)
            idle = (as_of.year - last.year) * 12 + as_of.month - last.month
            idle -= as_of.day < last.day
            expected[ledger.pk] = (_total(mine), last, idle)
    assert expected  # the separate account's ledger has been idle since February
    assert {
        r.ledger_id: (r.values["balance"], r.values["last_activity"], r.values["months_idle"])
        for r in report.rows
    } == expected
    assert report.figure("ledgers") == len(expected)


def test_dormancy_defaults_to_the_trust_policy(books: Books) -> None:
    from lexbill.trust.selectors import trust_policy

    policy = trust_policy()
    assert dict((k, v) for k, _, v in dormant_balances(MAR_END).criteria)["months"] == (
        policy.dormant_months
    )
    later = date(2027, 12, 31)
    assert {r.ledger_id for r in dormant_balances(later).rows} >= {books.acme_separate.pk}


@pytest.mark.parametrize(
    ("day", "months", "before"),
    [
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 15), 2, date(2025, 11, 15)),
        (date(2026, 12, 31), 12, date(2025, 12, 31)),
    ],
)
def test_months_before_keeps_the_day_or_takes_the_months_last(
    day: date, months: int, before: date
) -> None:
    assert months_before(day, months) == before


def test_whole_months_counts_only_completed_months() -> None:
    assert whole_months(date(2026, 1, 31), date(2026, 2, 28)) == 0
    assert whole_months(date(2026, 1, 31), date(2026, 3, 1)) == 1
    assert whole_months(date(2026, 1, 15), date(2026, 4, 14)) == 2
    assert whole_months(date(2026, 1, 15), date(2026, 4, 15)) == 3


# ---- refused attempts -----------------------------------------------------------------------


def test_refused_attempts_show_who_tried_what_and_why(books: Books) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    report = refused_attempts(today - timedelta(days=1), today)
    attempts = sorted(RefusedAttempt.objects.all(), key=lambda a: (a.attempted_at, a.pk))
    assert len(attempts) == 2
    assert [
        (r.values["user"], r.values["operation"], r.values["amount"], r.values["reason"])
        for r in report.rows
    ] == [
        (a.user.username if a.user else "(system)", a.operation, a.amount, a.reason)
        for a in attempts
    ]
    assert report.figure("count") == len(attempts)
    assert refused_attempts(today - timedelta(days=30), today - timedelta(days=2)).rows == []


# ---- page, PDF and Excel --------------------------------------------------------------------


def _web(user: Any) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def test_the_journal_page_pdf_and_excel_show_the_same_totals(books: Books) -> None:
    url = reverse("trust:report-journal")
    params = {"account": books.t.iolta.pk, "start": "2026-02-01", "end": "2026-03-31"}
    report = journal(books.t.iolta, FEB, MAR_END)
    assert report.totals is not None
    web = _web(books.t.f.clara)
    page = web.get(url, params)
    assert page.status_code == 200
    html = page.content.decode()
    for amount in (report.totals["in"], report.totals["out"], report.figure("closing")):
        assert f"${amount:,.2f}" in html

    xlsx = web.get(url, {**params, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].startswith("attachment; filename=")
    assert ".xlsx" in xlsx["Content-Disposition"]
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    total_row = next(r for r in ws.iter_rows() if r[0].value == "Total")
    titles = [c.title for c in report.columns]
    in_cell, out_cell = total_row[titles.index("In")], total_row[titles.index("Out")]
    for cell, expected in ((in_cell, report.totals["in"]), (out_cell, report.totals["out"])):
        assert isinstance(cell.value, (int, float))
        assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == expected
        assert "USD" in cell.number_format

    pdf = web.get(url, {**params, "format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert ".pdf" in pdf["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for amount in (report.totals["in"], report.totals["out"]):
        assert format_amount(amount, "USD") in text  # the table's total row
    assert format_money(report.figure("closing"), "USD") in text  # the balances under it


def test_the_trial_balance_page_flags_nothing_and_shows_the_journal_balance(books: Books) -> None:
    web = _web(books.t.f.sam)
    response = web.get(
        reverse("trust:report-trial-balance"), {"account": books.t.iolta.pk, "as_of": "2026-03-31"}
    )
    assert response.status_code == 200
    journal_total = trial_balance(books.t.iolta, MAR_END).figure("journal")
    assert f"${journal_total:,.2f}" in response.content.decode()
    assert 'class="flagged"' not in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "trust:reports",
        "trust:report-journal",
        "trust:report-trial-balance",
        "trust:report-dormant",
        "trust:report-refused",
    ],
)
def test_every_report_page_opens_and_downloads(books: Books, name: str) -> None:
    web = _web(books.t.f.clara)
    assert web.get(reverse(name)).status_code == 200
    if name != "trust:reports":
        for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK")):
            response = web.get(reverse(name), {"format": fmt})
            assert response.status_code == 200 and response.content.startswith(magic)


def test_the_ledger_page_and_the_index_picker_lead_to_the_ledger(books: Books) -> None:
    web = _web(books.t.f.clara)
    picked = web.get(reverse("trust:reports"), {"ledger": books.globex.pk})
    url = reverse("trust:report-ledger", args=[books.globex.pk])
    assert picked.status_code == 302 and picked["Location"] == url
    page = web.get(url)
    closing = ledger_history(books.globex).figure("closing")
    assert page.status_code == 200 and f"${closing:,.2f}" in page.content.decode()
    sheet = web.get(url, {"format": "xlsx"})
    assert "trust-ledger" in sheet["Content-Disposition"]


def test_a_period_ending_before_it_starts_is_refused_on_the_form(books: Books) -> None:
    web = _web(books.t.f.clara)
    response = web.get(
        reverse("trust:report-journal"), {"start": "2026-03-31", "end": "2026-03-01"}
    )
    assert response.status_code == 400
    assert "ends before it starts" in response.content.decode()


def test_a_clerk_reads_trust_reports_and_an_attorney_may_not(books: Books) -> None:
    url = reverse("trust:report-trial-balance")
    assert _web(books.t.f.clara).get(url).status_code == 200
    refused = _web(books.t.f.pat).get(url)
    assert refused.status_code == 403 and "may not" in refused.content.decode()


def test_no_report_asks_the_database_once_per_row(books: Books) -> None:
    """Set-based: ten more postings (and a refusal) add rows, not queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    f, iolta = books.t.f, books.t.iolta
    runs = {
        "ledger": lambda: ledger_history(books.globex, FEB, MAR_END),
        "journal": lambda: journal(iolta, FEB, MAR_END),
        "journal for a client": lambda: journal(iolta, FEB, MAR_END, client=f.globex),
        "trial balance": lambda: trial_balance(iolta, MAR_END),
        "dormant": lambda: dormant_balances(date(2027, 6, 30), 1),
        "refused": lambda: refused_attempts(date(2000, 1, 1), date(2099, 12, 31)),
    }

    def queries() -> dict[str, tuple[int, int]]:
        counted = {}
        for name, run in runs.items():
            with CaptureQueriesContext(connection) as captured:
                report = run()
            counted[name] = (len(captured), len(report.rows))
        return counted

    queries()  # the ledger's account and client load once, then stay on the instance
    before = queries()
    for day in range(16, 21):
        on = date(2026, 3, day)
        deposit(f.clara, iolta, f.globex_flat, "10.00", on, payor="Globex GmbH", method="cash")
        disburse(
            f.sam,
            books.globex,
            "5.00",
            on,
            payee="Courier",
            purpose="delivery",
            reference=f"30{day}",
        )
    with pytest.raises(TrustRuleViolation):
        disburse(f.sam, books.globex, "99999.00", MAR_END, payee="X", purpose="y", reference="1")
    after = queries()
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert after["journal"][1] == before["journal"][1] + 10
    assert after["refused"][1] == before["refused"][1] + 1


def test_a_report_opened_without_filters_shows_the_filters_it_used(books: Books) -> None:
    from django.utils import timezone

    today = timezone.localdate()
    html = _web(books.t.f.clara).get(reverse("trust:report-journal")).content.decode()
    assert f'value="{today.replace(day=1).isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html
    assert f"Trust journal: {books.t.iolta.name}" in html
