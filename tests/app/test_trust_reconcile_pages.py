"""The reconciliation pages: a month imported, matched, reconciled and signed off on the web.

The firm's IOLTA account takes a $1,000.00 wire for Acme in January and pays a $200.00 check
out of it; the bank's January statement shows both cleared and closes at $800.00. The pages
are driven with the Django test client as the specialist (who matches) and the coordinator
(who signs); the clerk sees trust money but may not reconcile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.app.trust_firm import TrustFirm, build_trust_firm

from lexbill.banking.models import BankTransaction
from lexbill.banking.services import create_bank_account, save_csv_mapping
from lexbill.trust.models import SignedReconciliation, TrustClearing, TrustLedger
from lexbill.trust.services import deposit, disburse, open_trust_account
from lexbill.web import dashboard

DATA = Path(__file__).parent.parent / "formats" / "data" / "bank"
TODAY = datetime(2026, 2, 10, 12, tzinfo=UTC)
JANUARY = "2026-01"
JAN_END = date(2026, 1, 31)


def _trn(fitid: str, day: str, amount: str, name: str, memo: str, kind: str, check: str) -> str:
    checknum = f"<CHECKNUM>{check}\n" if check else ""
    return (
        f"<STMTTRN>\n<TRNTYPE>{kind}\n<DTPOSTED>{day}\n<TRNAMT>{amount}\n<FITID>{fitid}\n"
        f"{checknum}<NAME>{name}\n<MEMO>{memo}\n</STMTTRN>\n"
    )


def month_statement(
    start: date, account_number: str = "111000111", closing: str = "800.00"
) -> bytes:
    """The IOLTA bank's statement for the month from ``start`` as an OFX 1.02 file: the
    retainer wire in on the 5th, check 1001 out on the 23rd, closing at ``closing``."""
    head = (DATA / "statement_102.ofx").read_text().split("<BANKTRANLIST>")[0]
    head = head.replace("<ACCTID>000123456789", f"<ACCTID>{account_number}")
    end = month_end(start)
    body = (
        f"<BANKTRANLIST>\n<DTSTART>{start:%Y%m%d}\n<DTEND>{end:%Y%m%d}\n"
        + _trn("J1", f"{start:%Y%m}05", "1000.00", "ACME CORP", "WIRE RETAINER", "CREDIT", "")
        + _trn("J2", f"{start:%Y%m}23", "-200.00", "COURT CLERK", "CHECK 1001", "CHECK", "1001")
        + "</BANKTRANLIST>\n"
        + f"<LEDGERBAL>\n<BALAMT>{closing}\n<DTASOF>{end:%Y%m%d}\n</LEDGERBAL>\n"
        + "</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
    )
    return (head + body).encode()


def month_end(start: date) -> date:
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - timedelta(days=1)


def month_activity(f: Any, account: Any, start: date) -> None:
    """What the journal records in the month: Acme's retainer by wire on the 5th, a filing fee
    paid by check 1001 on the 20th (the bank clears it on the 23rd)."""
    deposit(
        f.clara,
        account,
        f.acme_hourly,
        "1000.00",
        start.replace(day=5),
        payor="Acme Corp",
        method="wire",
        reference="WIRE RETAINER",
    )
    ledger = TrustLedger.objects.get(account=account, matter=f.acme_hourly)
    disburse(
        f.sam,
        ledger,
        "200.00",
        start.replace(day=20),
        payee="Court clerk",
        purpose="filing fee",
        reference="1001",
    )


def january_statement(account_number: str = "111000111", closing: str = "800.00") -> bytes:
    return month_statement(date(2026, 1, 1), account_number, closing)


@pytest.fixture
def t(small_firm: Any) -> Iterator[TrustFirm]:
    """The trust firm with January's activity, and every test in it run on Feb 10, 2026."""
    with time_machine.travel(TODAY):  # ticking: each match gets its own moment
        firm = build_trust_firm(small_firm)
        month_activity(small_firm, firm.iolta, date(2026, 1, 1))
        yield firm


def _clearings(t: Any) -> QuerySet[TrustClearing]:
    """The IOLTA account's match rows (every one of them holds a bank line here)."""
    return TrustClearing.objects.filter(bank_transaction__bank_account=t.iolta.bank_account)


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _month_url(t: TrustFirm, name: str = "trust:reconcile", account: Any = None) -> str:
    return reverse(name, args=[(account or t.iolta).pk, JANUARY])


def _import(client: Client, t: TrustFirm, data: bytes | None = None) -> Any:
    upload = SimpleUploadedFile("january.ofx", data or january_statement())
    return client.post(
        _month_url(t, "trust:reconcile-import"), {"file": upload, "format": "ofx"}, follow=True
    )


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_clerk_sees_trust_money_but_may_not_open_or_post_to_the_reconciliation(t: Any) -> None:
    clerk = _as(t.f.clara)
    for url in (reverse("trust:reconciliations"), _month_url(t)):
        response = clerk.get(url)
        assert response.status_code == 403
        assert "may not import and match trust bank statements" in response.content.decode()
    response = clerk.post(
        _month_url(t, "trust:reconcile-import"),
        {"file": SimpleUploadedFile("january.ofx", january_statement()), "format": "ofx"},
    )
    assert response.status_code == 403
    assert not BankTransaction.objects.filter(bank_account=t.iolta.bank_account).exists()


def test_the_list_shows_every_month_since_opening_and_which_are_signed(t: Any) -> None:
    response = _as(t.f.sam).get(reverse("trust:reconciliations"))
    assert response.status_code == 200
    text = _text(response)
    assert "January 2026" in text
    assert "Not signed" in text
    assert _month_url(t) in text
    assert "February 2026" not in text  # the month in progress is not due yet


def test_importing_the_statement_matches_what_is_certain_and_the_month_reconciles(
    t: Any,
) -> None:
    sam = _as(t.f.sam)
    before = _text(sam.get(_month_url(t)))
    assert "Does not reconcile" in before  # no statement yet
    imported = _text(_import(sam, t))
    assert "january.ofx: 2 new bank lines, 0 already imported; 2 matched automatically" in imported
    assert BankTransaction.objects.filter(bank_account=t.iolta.bank_account).count() == 2
    assert _clearings(t).filter(automatic=True).count() == 2
    assert "Reconciled: adjusted bank" in imported
    assert "$800.00" in imported
    # the specialist matches but does not sign: no sign-off form for them
    assert 'data-testid="sign-form"' not in imported


def test_an_undone_match_leaves_items_open_until_matched_automatically_again(t: Any) -> None:
    sam = _as(t.f.sam)
    _import(sam, t)
    match = _clearings(t).first()
    assert match is not None
    undone = _text(
        sam.post(
            reverse("trust:reconcile-unmatch", args=[t.iolta.pk, JANUARY, match.match_no]),
            follow=True,
        )
    )
    assert "Match undone" in undone
    assert "Does not reconcile" in undone  # one deposit in transit, one unrecorded bank line
    rematched = _text(sam.post(_month_url(t, "trust:reconcile-auto"), follow=True))
    assert "1 match made automatically" in rematched
    assert "Reconciled: adjusted bank" in rematched
    assert _clearings(t).count() == 2


def test_a_specialist_matches_by_hand_and_undoes_a_match(t: Any) -> None:
    sam = _as(t.f.sam)
    _import(sam, t)
    _clearings(t).delete()  # leave the lines for a person
    bank = BankTransaction.objects.get(bank_account=t.iolta.bank_account, amount=-200)
    check = t.iolta.journal.get(amount=-200)
    response = sam.post(
        _month_url(t, "trust:reconcile-match"),
        {"bank_ids": [bank.pk], "posting_ids": [check.pk]},
        follow=True,
    )
    assert "The ticked lines are matched." in _text(response)
    match = _clearings(t).get()
    assert not match.automatic
    assert (match.match_no, match.bank_transaction, match.trust_transaction) == (
        bank.pk,
        bank,
        check,
    )
    undone = sam.post(
        reverse("trust:reconcile-unmatch", args=[t.iolta.pk, JANUARY, match.match_no]), follow=True
    )
    assert "Match undone" in _text(undone)
    assert not _clearings(t).exists()


def test_matching_amounts_that_disagree_is_refused_with_the_engines_reason(t: Any) -> None:
    sam = _as(t.f.sam)
    _import(sam, t)
    _clearings(t).delete()
    bank = BankTransaction.objects.get(bank_account=t.iolta.bank_account, amount=1000)
    check = t.iolta.journal.get(amount=-200)
    response = sam.post(
        _month_url(t, "trust:reconcile-match"),
        {"bank_ids": [bank.pk], "posting_ids": [check.pk]},
        follow=True,
    )
    assert "Nothing was matched." in _text(response)
    assert not TrustClearing.objects.exists()


def test_a_file_for_another_bank_account_is_refused_and_nothing_is_imported(t: Any) -> None:
    response = _import(_as(t.f.sam), t, january_statement(account_number="999"))
    assert "Nothing was imported." in _text(response)
    assert not BankTransaction.objects.filter(bank_account=t.iolta.bank_account).exists()


def test_a_specialist_may_not_sign_off(t: Any) -> None:
    sam = _as(t.f.sam)
    _import(sam, t)
    sam.post(_month_url(t, "trust:reconcile-auto"))
    response = sam.post(_month_url(t, "trust:reconcile-sign"), {"note": "done"})
    assert response.status_code == 403
    assert not SignedReconciliation.objects.exists()


def test_signing_a_month_that_does_not_reconcile_is_refused_with_the_reason(t: Any) -> None:
    carol = _as(t.f.carol)
    _import(carol, t, january_statement(closing="850.00"))  # the bank says 50 more
    carol.post(_month_url(t, "trust:reconcile-auto"))
    page = _text(carol.get(_month_url(t)))
    assert "Does not reconcile" in page
    response = carol.post(_month_url(t, "trust:reconcile-sign"), {"note": ""}, follow=True)
    assert "Not signed." in _text(response)
    assert not SignedReconciliation.objects.exists()


def test_a_coordinator_signs_off_and_the_signed_page_and_pdf_keep_it(t: Any) -> None:
    carol = _as(t.f.carol)
    _import(carol, t)
    carol.post(_month_url(t, "trust:reconcile-auto"))
    assert 'data-testid="sign-form"' in _text(carol.get(_month_url(t)))
    signed_page = carol.post(
        _month_url(t, "trust:reconcile-sign"), {"note": "January checked"}, follow=True
    )
    signed = SignedReconciliation.objects.get(account=t.iolta, period_end=JAN_END)
    assert signed.signed_by == t.f.carol
    assert signed.note == "January checked"
    assert signed_page.redirect_chain[-1][0] == reverse("trust:reconciliation", args=[signed.pk])
    text = _text(signed_page)
    assert "January checked" in text
    assert "$800.00" in text
    pdf = carol.get(reverse("trust:reconciliation-pdf", args=[signed.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # the month now shows the signature, and the list links the signed record
    listing = _text(carol.get(reverse("trust:reconciliations")))
    assert reverse("trust:reconciliation", args=[signed.pk]) in listing
    assert 'data-testid="already-signed"' in _text(carol.get(_month_url(t)))


def test_a_month_without_a_statement_is_signed_with_a_balance_typed_by_hand(t: Any) -> None:
    """Nothing moved in Acme's separate account in January: the bank's balance is zero."""
    carol = _as(t.f.carol)
    url = _month_url(t, account=t.separate)
    page = _text(carol.get(url))
    assert "Does not reconcile" in page
    assert "Statement balance at the month end" in page
    typed = _text(carol.get(url, {"statement_balance": "0.00"}))
    assert "Reconciled: adjusted bank" in typed
    assert 'name="statement_balance" value="0.00"' in typed
    carol.post(
        reverse("trust:reconcile-sign", args=[t.separate.pk, JANUARY]),
        {"statement_balance": "0.00", "note": "no activity"},
    )
    signed = SignedReconciliation.objects.get(account=t.separate)
    assert signed.statement_balance == Decimal("0.00")


def test_a_csv_statement_is_read_with_the_saved_mapping_chosen_on_the_page(t: Any) -> None:
    """A CSV has no closing balance: the month reconciles once the bank's balance is typed."""
    mapping = save_csv_mapping(
        t.f.sam,
        t.iolta.bank_account,
        "First Bank CSV",
        {
            "date_column": "Posting Date",
            "amount_column": "Amount",
            "payer_column": "Payer",
            "reference_column": "Reference",
            "check_number_column": "Check or Slip #",
        },
        make_default=False,
    )
    csv = (
        b"Posting Date,Amount,Payer,Reference,Check or Slip #\n"
        b"01/05/2026,1000.00,ACME CORP,WIRE RETAINER,\n"
        b"01/23/2026,-200.00,COURT CLERK,CHECK 1001,1001\n"
    )
    sam = _as(t.f.sam)
    page = sam.get(_month_url(t))
    assert f'<option value="{mapping.pk}">First Bank CSV</option>' in _text(page)
    imported = sam.post(
        _month_url(t, "trust:reconcile-import"),
        {"file": SimpleUploadedFile("january.csv", csv), "format": "csv", "mapping": mapping.pk},
        follow=True,
    )
    assert "january.csv: 2 new bank lines" in _text(imported)
    assert _clearings(t).count() == 2
    assert "No imported statement ends on Jan 31, 2026" in _text(imported)
    typed = _text(sam.get(_month_url(t), {"statement_balance": "800.00"}))
    assert "Reconciled: adjusted bank" in typed


def test_a_month_that_is_not_a_month_is_no_page(t: Any) -> None:
    response = _as(t.f.sam).get(reverse("trust:reconcile", args=[t.iolta.pk, "2026-13"]))
    assert response.status_code == 404


def test_the_dashboard_reminds_of_an_unsigned_past_month_until_it_is_signed(t: Any) -> None:
    carol = _as(t.f.carol)
    link = _month_url(t)
    before = _text(carol.get(reverse("home")))
    assert "Trust reconciliation due" in before
    assert link in before
    # the clerk sees the reminder too, without a link she could not follow
    clerk_page = _text(_as(t.f.clara).get(reverse("home")))
    assert "IOLTA, January 2026" in clerk_page
    assert link not in clerk_page
    assert "Trust reconciliation due" not in _text(_as(t.f.pat).get(reverse("home")))
    _import(carol, t)
    carol.post(_month_url(t, "trust:reconcile-auto"))
    carol.post(_month_url(t, "trust:reconcile-sign"), {"note": ""})
    after = _text(carol.get(reverse("home")))
    assert SignedReconciliation.objects.filter(account=t.iolta).exists()
    assert link not in after


def test_the_reminder_costs_the_same_queries_however_many_accounts_and_months(t: Any) -> None:
    def cost(today: date) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            due = dashboard.trust_months_to_reconcile(t.f.carol, today)
        return len(queries), len(due)

    few_queries, few_months = cost(date(2026, 2, 10))
    bank = create_bank_account(None, "Second Bank IOLTA", number="333000333")
    open_trust_account(None, "IOLTA 2", "pooled", bank, date(2026, 1, 1))
    many_queries, many_months = cost(date(2026, 12, 10))
    assert many_months > few_months
    assert many_queries == few_queries


def test_a_month_with_more_matches_than_a_page_lists_the_latest_and_says_how_many(
    t: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lexbill.trust import reconcile_views

    sam = _as(t.f.sam)
    _import(sam, t)
    numbers = sorted(_clearings(t).values_list("match_no", flat=True))
    monkeypatch.setattr(reconcile_views, "MATCH_LIMIT", len(numbers) - 1)
    text = _text(sam.get(_month_url(t)))
    assert f"The {len(numbers) - 1} latest of {len(numbers)} matches." in text
    assert f'data-testid="match-{numbers[-1]}"' in text
    assert f'data-testid="match-{numbers[0]}"' not in text
