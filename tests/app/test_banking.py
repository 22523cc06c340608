"""Bank deposits matched to invoices: import, match automatically or by hand, post exactly once."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from tests.app.receivables_aging_firm import bill
from typer.testing import CliRunner

from lexbill.banking.models import BankAccount, BankTransaction, StatementImport
from lexbill.banking.services import (
    create_bank_account,
    ignore,
    import_statement,
    match_by_hand,
    post_matched,
    save_csv_mapping,
)
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import unapplied_credit, with_balances
from lexbill.clients.services import create_client, open_matter
from lexbill.core.errors import PermissionDenied
from lexbill.formats.bank import BankStatementError
from lexbill.receivables.models import Payment
from lexbill.receivables.services import post_payment

DATA = Path(__file__).parent.parent / "formats" / "data" / "bank"
D = Decimal


@dataclass
class BankFirm:
    f: Any
    initech: Any
    older: Invoice  # Acme, 500.00, March
    newer: Invoice  # Acme, 1,000.00, April
    initech_invoice: Invoice  # Initech, 1,500.00
    account: BankAccount


@pytest.fixture
def bank_firm(small_firm: Any) -> BankFirm:
    f = small_firm
    initech = create_client(None, "C003", "Initech, LLC")
    matter = open_matter(
        None, initech, "C003-001", "Initech audit", f.partner, opened_on=date(2026, 1, 1)
    )
    return BankFirm(
        f,
        initech,
        bill(f, f.acme_hourly, date(2026, 3, 2), "1"),
        bill(f, f.acme_hourly, date(2026, 4, 2), "2"),
        bill(f, matter, date(2026, 3, 10), "3"),
        create_bank_account(f.sam, "Operating", currency="USD", number="000123456789"),
    )


def _balance(invoice: Invoice) -> Decimal:
    return D(with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance)  # type: ignore[attr-defined]


def _ofx(b: BankFirm, *, acct: str = "000123456789", extra: str = "") -> bytes:
    """An OFX 1.02 statement of the kind the sample file is, with this firm's invoice numbers."""
    head = (DATA / "statement_102.ofx").read_text().split("<BANKTRANLIST>")[0]
    head = head.replace("<ACCTID>000123456789", f"<ACCTID>{acct}")

    def trn(fitid: str, day: str, amount: str, name: str, memo: str, kind: str = "CREDIT") -> str:
        return (
            f"<STMTTRN>\n<TRNTYPE>{kind}\n<DTPOSTED>{day}\n<TRNAMT>{amount}\n"
            f"<FITID>{fitid}\n<NAME>{name}\n<MEMO>{memo}\n</STMTTRN>\n"
        )

    body = (
        "<BANKTRANLIST>\n<DTSTART>20260501\n<DTEND>20260531\n"
        + trn("F1", "20260505", "700.00", "ACME CORP", f"INV {b.older.number}")
        + trn("F2", "20260506", "1500.00", "INITECH LLC", "thank you")
        + trn("F3", "20260507", "1000.00", "J SMITH", "")
        + trn("F4", "20260508", "-50.00", "BANK FEE", "service charge", "FEE")
        + extra
        + "</BANKTRANLIST>\n</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
    )
    return (head + body).encode()


def _import(b: BankFirm, data: bytes | None = None, actor: Any = None) -> Any:
    return import_statement(
        actor or b.f.sam, b.account, data or _ofx(b), "ofx", file_name="may.ofx"
    )


def test_import_matches_by_reference_and_by_amount_with_name_and_queues_the_rest(
    bank_firm: BankFirm,
) -> None:
    b = bank_firm
    result = _import(b)
    assert (result.new, result.known, result.matched, result.queued) == (4, 0, 2, 1)
    by_ref = BankTransaction.objects.get(bank_ref="F1")
    assert (by_ref.status, by_ref.client_id) == ("matched", b.f.acme.pk)
    assert by_ref.allocations == [[b.older.number, "500.00"]]
    by_amount = BankTransaction.objects.get(bank_ref="F2")
    assert (by_amount.client_id, by_amount.allocations) == (
        b.initech.pk,
        [[b.initech_invoice.number, "1500.00"]],
    )
    queued = BankTransaction.objects.get(bank_ref="F3")
    assert queued.status == "unmatched"
    assert queued.candidates[0]["allocations"] == [[b.newer.number, "1000.00"]]
    fee = BankTransaction.objects.get(bank_ref="F4")
    assert (fee.status, fee.amount) == ("ignored", D("-50.00"))


def test_posting_pays_the_invoices_and_keeps_the_overpayment_as_credit(
    bank_firm: BankFirm,
) -> None:
    b = bank_firm
    _import(b)
    result = post_matched(b.f.clara)
    assert {t.bank_ref for t in result.posted} == {"F1", "F2"}
    assert result.requeued == []
    assert _balance(b.older) == 0 and _balance(b.initech_invoice) == 0
    assert _balance(b.newer) == b.newer.total
    assert unapplied_credit(b.f.acme, "USD") == D("700.00") - b.older.total
    acme_payment = BankTransaction.objects.get(bank_ref="F1").payment
    assert acme_payment is not None
    assert (acme_payment.method, acme_payment.reference, acme_payment.payer_name) == (
        "ach",
        "F1",
        "ACME CORP",
    )
    assert acme_payment.received_on == date(2026, 5, 5)


def test_importing_the_same_statement_twice_adds_and_posts_nothing_twice(
    bank_firm: BankFirm,
) -> None:
    b = bank_firm
    _import(b)
    post_matched(b.f.sam)
    payments = Payment.objects.count()
    again = _import(b)
    assert (again.new, again.known, again.matched) == (0, 4, 0)
    assert BankTransaction.objects.count() == 4
    assert post_matched(b.f.sam).posted == []
    assert Payment.objects.count() == payments == 2


def test_an_overlapping_statement_adds_only_its_new_lines(bank_firm: BankFirm) -> None:
    b = bank_firm
    _import(b)
    extra = (
        "<STMTTRN>\n<TRNTYPE>CREDIT\n<DTPOSTED>20260520\n<TRNAMT>12.00\n<FITID>F5\n"
        "<NAME>SOMEONE\n</STMTTRN>\n"
    )
    overlap = _import(b, _ofx(b, extra=extra))
    assert (overlap.new, overlap.known) == (1, 4)
    assert StatementImport.objects.count() == 2


def test_posting_twice_posts_each_deposit_once(bank_firm: BankFirm) -> None:
    b = bank_firm
    _import(b)
    first = post_matched(b.f.sam)
    second = post_matched(b.f.sam)
    assert len(first.posted) == 2 and second.posted == []
    assert BankTransaction.objects.filter(payment__isnull=False).count() == 2


def test_a_queued_deposit_matched_by_hand_is_posted(bank_firm: BankFirm) -> None:
    b = bank_firm
    _import(b)
    queued = BankTransaction.objects.get(bank_ref="F3")
    match_by_hand(b.f.sam, queued, b.f.acme, [(b.newer.number, "1000.00")])
    posted = post_matched(b.f.sam, [queued.pk]).posted
    assert [t.pk for t in posted] == [queued.pk]
    assert _balance(b.newer) == 0
    assert BankTransaction.objects.filter(status="matched").count() == 2  # the others wait


def test_a_hand_match_may_not_exceed_a_balance_or_the_deposit(bank_firm: BankFirm) -> None:
    b = bank_firm
    _import(b)
    queued = BankTransaction.objects.get(bank_ref="F3")
    with pytest.raises(Exception, match="at most its balance"):
        match_by_hand(b.f.sam, queued, b.f.acme, [(b.older.number, "600.00")])
    with pytest.raises(Exception, match="more than the deposit"):
        match_by_hand(
            b.f.sam, queued, b.f.acme, [(b.older.number, "500.00"), (b.newer.number, "600.00")]
        )
    with pytest.raises(Exception, match="not an open USD invoice"):
        match_by_hand(b.f.sam, queued, b.f.acme, [(b.initech_invoice.number, "10.00")])
    assert BankTransaction.objects.get(pk=queued.pk).status == "unmatched"


def test_a_deposit_whose_invoice_was_paid_meanwhile_returns_to_the_queue(
    bank_firm: BankFirm,
) -> None:
    b = bank_firm
    _import(b)
    post_payment(
        b.f.clara, b.f.acme, "500.00", date(2026, 5, 6), allocations=[(b.older.number, "500.00")]
    )
    result = post_matched(b.f.sam)
    assert [t.bank_ref for t in result.posted] == ["F2"]
    ((txn, reason),) = result.requeued
    assert txn.bank_ref == "F1" and b.older.number in reason
    back = BankTransaction.objects.get(bank_ref="F1")
    assert (back.status, back.payment) == ("unmatched", None)
    assert back.note.startswith("not posted:")


def test_an_ignored_deposit_is_never_posted(bank_firm: BankFirm) -> None:
    b = bank_firm
    _import(b)
    queued = BankTransaction.objects.get(bank_ref="F3")
    ignore(b.f.sam, queued, "transfer from our savings account")
    post_matched(b.f.sam)
    assert BankTransaction.objects.get(pk=queued.pk).status == "ignored"
    assert _balance(b.newer) == b.newer.total


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("statement_truncated.ofx", "ofx"),
        ("statement_no_transactions.ofx", "ofx"),
        ("camt053_schema_invalid.xml", "camt053"),
    ],
)
def test_a_malformed_file_writes_nothing(bank_firm: BankFirm, name: str, fmt: str) -> None:
    b = bank_firm
    with pytest.raises(BankStatementError) as refused:
        import_statement(b.f.sam, b.account, (DATA / name).read_bytes(), fmt)
    assert refused.value.line is not None
    assert StatementImport.objects.count() == BankTransaction.objects.count() == 0


def test_a_statement_for_another_account_or_currency_is_refused(bank_firm: BankFirm) -> None:
    b = bank_firm
    with pytest.raises(BankStatementError, match="not Operating"):
        _import(b, _ofx(b, acct="555"))
    with pytest.raises(BankStatementError, match="in EUR"):
        import_statement(b.f.sam, b.account, (DATA / "camt053_v02.xml").read_bytes(), "camt053")
    assert BankTransaction.objects.count() == 0


def test_a_csv_statement_uses_the_accounts_saved_mapping(bank_firm: BankFirm) -> None:
    b = bank_firm
    save_csv_mapping(
        b.f.sam,
        b.account,
        "Chase",
        {
            "date_column": "Posting Date",
            "amount_column": "Amount",
            "reference_column": "Reference",
            "payer_column": "Payer",
            "bank_id_column": "Transaction ID",
            "type_column": "Type",
            "check_number_column": "Check or Slip #",
        },
    )
    b.account.refresh_from_db()
    data = (DATA / "us_bank.csv").read_bytes().replace(b"2026-00001", b.older.number.encode())
    result = import_statement(b.f.sam, b.account, data, "csv", file_name="us_bank.csv")
    assert (result.new, result.matched) == (5, 2)
    # 1,000.00 from "Acme Corp." by check: the newer invoice's balance and the client's name
    check = BankTransaction.objects.get(check_number="1043")
    assert (check.status, check.allocations) == ("matched", [[b.newer.number, "1000.00"]])
    post_matched(b.f.sam)
    check.refresh_from_db()
    assert check.payment is not None and check.payment.method == "check"
    assert _balance(b.older) == _balance(b.newer) == 0
    assert BankTransaction.objects.filter(status="unmatched").count() == 2  # Globex, transfer


def test_only_the_billing_office_imports_and_clerks_may_not(bank_firm: BankFirm) -> None:
    b = bank_firm
    for outsider in (b.f.clara, b.f.pat):
        with pytest.raises(PermissionDenied):
            _import(b, actor=outsider)
    assert BankTransaction.objects.count() == 0
    _import(b, actor=b.f.carol)
    with pytest.raises(PermissionDenied):
        post_matched(b.f.pat)


def test_the_commands_import_list_the_queue_and_post(bank_firm: BankFirm, tmp_path: Path) -> None:
    from lexbill.cli import app

    b = bank_firm
    statement = tmp_path / "may.ofx"
    statement.write_bytes(_ofx(b))
    runner = CliRunner()
    imported = runner.invoke(
        app, ["bank", "import", str(statement), "--account", "Operating", "--json"]
    )
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) | {"import": 0} == {
        "import": 0,
        "format": "ofx",
        "lines": 4,
        "new": 4,
        "already_known": 0,
        "matched": 2,
        "queued": 1,
    }
    queue = json.loads(runner.invoke(app, ["bank", "queue", "--json"]).stdout)
    assert [q["amount"] for q in queue] == ["1000.00"]
    posted = json.loads(runner.invoke(app, ["bank", "post", "--json"]).stdout)
    assert len(posted["posted"]) == 2
    again = json.loads(runner.invoke(app, ["bank", "post", "--json"]).stdout)
    assert again == {"posted": [], "requeued": []}
    twice = runner.invoke(app, ["bank", "import", str(statement), "--account", "Operating"])
    assert "0 new lines, 4 already imported" in twice.stdout
    bad = runner.invoke(
        app, ["bank", "import", str(DATA / "statement_truncated.ofx"), "--account", "Operating"]
    )
    assert bad.exit_code == 1 and "line 58" in bad.output
    assert StatementImport.objects.count() == 2


def test_the_commands_add_an_account_and_a_mapping_from_a_file(
    bank_firm: BankFirm, tmp_path: Path
) -> None:
    from lexbill.cli import app

    runner = CliRunner()
    added = runner.invoke(app, ["bank", "account", "add", "Euro", "--currency", "EUR", "--json"])
    assert added.exit_code == 0, added.output
    settings = tmp_path / "sparkasse.yaml"
    settings.write_text(
        "date_column: Buchungstag\nvalue_date_column: Valuta\ncredit_column: Haben\n"
        "debit_column: Soll\nreference_column: Verwendungszweck\n"
        "payer_column: Auftraggeber/Empfänger\ndate_format: '%d.%m.%Y'\n"
        "decimal_separator: ','\nthousands_separator: '.'\ndelimiter: ';'\n"
        "encoding: cp1252\nskip_rows: 2\n",
        encoding="utf-8",
    )
    saved = runner.invoke(
        app, ["bank", "mapping", "add", "Sparkasse", "--account", "Euro", "--file", str(settings)]
    )
    assert saved.exit_code == 0, saved.output
    imported = runner.invoke(
        app, ["bank", "import", str(DATA / "eu_bank_cp1252.csv"), "--account", "Euro", "--json"]
    )
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["new"] == 3
    euro = BankAccount.objects.get(name="Euro")
    assert sorted(euro.transactions.values_list("amount", flat=True)) == [
        D("-84.30"),
        D("1250.00"),
        D("12000.50"),
    ]


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def test_the_pages_upload_preview_import_match_and_post(bank_firm: BankFirm) -> None:
    b = bank_firm
    web = _as(b.f.sam)
    assert 'href="/bank/"' in web.get(reverse("banking:home")).text  # the nav link
    upload = SimpleUploadedFile("may.ofx", _ofx(b))
    shown = web.post(
        reverse("banking:import"),
        {"account": b.account.pk, "format": "", "file": upload, "preview": "1"},
    )
    assert shown.status_code == 200
    assert 'data-testid="preview"' in shown.text and "ACME CORP" in shown.text
    assert BankTransaction.objects.count() == 0  # a preview writes nothing
    kept = shown.context["kept"]
    done = web.post(
        reverse("banking:import"),
        {"account": b.account.pk, "kept": kept, "kept_name": "may.ofx", "import": "1"},
    )
    record = StatementImport.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "banking:import-detail", args=[record.pk]
    )
    detail = web.get(done["Location"])
    line = _ofx(bank_firm).decode().splitlines().index("<STMTTRN>") + 1
    assert f'data-testid="line-{line}"' in detail.text  # each line named as in the file
    assert detail.text.count("Matched automatically") == 2
    queued = BankTransaction.objects.get(bank_ref="F3")
    page = web.get(reverse("banking:queue"))
    assert f'data-testid="queued-{queued.pk}"' in page.text
    assert b.newer.number in page.text  # the suggestion
    web.post(reverse("banking:match", args=[queued.pk]), {"candidate": "0"})
    queued.refresh_from_db()
    assert (queued.status, queued.allocations) == ("confirmed", [[b.newer.number, "1000.00"]])
    web.post(reverse("banking:post"))
    assert BankTransaction.objects.filter(status="posted").count() == 3
    assert _balance(b.older) == _balance(b.newer) == _balance(b.initech_invoice) == 0


def test_a_malformed_upload_shows_the_line_and_writes_nothing(bank_firm: BankFirm) -> None:
    b = bank_firm
    data = (DATA / "statement_bad_amount.ofx").read_bytes()
    page = _as(b.f.sam).post(
        reverse("banking:import"),
        {"account": b.account.pk, "file": SimpleUploadedFile("bad.ofx", data), "import": "1"},
    )
    assert page.status_code == 400
    assert "Nothing was imported" in page.text and "line 63" in page.text
    assert StatementImport.objects.count() == 0


def test_a_csv_mapping_defined_on_the_upload_page_is_previewed_then_saved(
    bank_firm: BankFirm,
) -> None:
    b = bank_firm
    web = _as(b.f.sam)
    data = (DATA / "us_bank.csv").read_bytes()
    fields = {
        "account": b.account.pk,
        "format": "csv",
        "mapping": "new",
        "date_column": "Posting Date",
        "amount_column": "Amount",
        "payer_column": "Payer",
        "reference_column": "Reference",
        "date_format": "%m/%d/%Y",
        "decimal_separator": ".",
        "thousands_separator": ",",
        "delimiter": ",",
        "encoding": "utf-8-sig",
        "skip_rows": "0",
        "save_as": "Chase export",
    }
    shown = web.post(
        reverse("banking:import"),
        {**fields, "file": SimpleUploadedFile("us.csv", data), "preview": "1"},
    )
    assert 'data-testid="raw-rows"' in shown.text and "Posting Date" in shown.text
    assert "ADP PAYROLL FEES" in shown.text
    web.post(reverse("banking:import"), {**fields, "kept": shown.context["kept"], "import": "1"})
    b.account.refresh_from_db()
    assert b.account.default_mapping is not None
    assert b.account.default_mapping.name == "Chase export"
    assert BankTransaction.objects.count() == 5


def test_ignoring_from_the_queue_needs_a_reason(bank_firm: BankFirm) -> None:
    b = bank_firm
    _import(b)
    queued = BankTransaction.objects.get(bank_ref="F3")
    web = _as(b.f.sam)
    web.post(reverse("banking:ignore", args=[queued.pk]), {"reason": ""})
    assert BankTransaction.objects.get(pk=queued.pk).status == "unmatched"
    web.post(reverse("banking:ignore", args=[queued.pk]), {"reason": "owner's transfer"})
    assert BankTransaction.objects.get(pk=queued.pk).note == "owner's transfer"


def test_clerks_and_attorneys_are_kept_out_of_the_bank_pages(bank_firm: BankFirm) -> None:
    b = bank_firm
    for user in (b.f.clara, b.f.pat):
        web = _as(user)
        assert web.get(reverse("banking:home")).status_code == 403
        assert 'href="/bank/"' not in web.get(reverse("home")).text
    assert _as(b.f.pat).post(reverse("banking:post")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_people_posting_at_once_post_each_deposit_once(bank_firm: BankFirm) -> None:
    # PostgreSQL: two threads race and row locks decide. SQLite lets one writer in at a time
    # (and its in-memory test database can't be shared by threads), so there the two posts
    # come one after the other, which is the order the lock gives on PostgreSQL.
    from django.db import connection, connections

    b = bank_firm
    _import(b)
    start = threading.Barrier(2)
    results: list[Any] = []
    failures: list[BaseException] = []

    def clerk(user: Any) -> None:
        try:
            start.wait()
            results.append(post_matched(user))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=clerk, args=(u,)) for u in (b.f.sam, b.f.clara)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    else:
        results.extend(post_matched(user) for user in (b.f.sam, b.f.clara))
    assert failures == []
    assert len(results) == 2
    posted = [t.bank_ref for r in results for t in r.posted]
    assert sorted(posted) == ["F1", "F2"]
    assert Payment.objects.count() == 2
    assert _balance(b.older) == 0 and _balance(b.initech_invoice) == 0


def test_identical_lines_without_an_id_are_told_apart_by_their_order() -> None:
    from lexbill.banking.services import fingerprints
    from lexbill.formats.bank import BankEntry

    twin = BankEntry(line=2, booked_on=date(2026, 5, 1), amount=D("50.00"), currency="USD")
    keys = fingerprints([twin, BankEntry(**{**twin.__dict__, "line": 3})])
    assert len(set(keys)) == 2
    # the same two lines in a later, overlapping file give the same keys
    assert fingerprints([BankEntry(**{**twin.__dict__, "line": 9}), twin]) == keys
    with pytest.raises(BankStatementError) as refused:
        fingerprints([BankEntry(**{**twin.__dict__, "bank_ref": "X"})] * 2)
    assert (refused.value.line, refused.value.field) == (2, "bank_ref")
