"""Late charges through the services, the pages and the commands: assessed only for consenting
clients, on what was actually outstanding each day, once per day, and billed as their own line."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client as WebClient
from pypdf import PdfReader
from typer.testing import CliRunner

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import Invoice, LineKind, Prebill, PrebillLine, PrebillStatus
from lexbill.billing.pdf import invoice_context, render_invoice_pdf
from lexbill.billing.prebills import approve_prebill, cancel_prebill, set_line_treatment
from lexbill.clients.models import Client
from lexbill.clients.services import create_client, open_matter, update_client
from lexbill.core.errors import InvalidEntry, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from lexbill.latecharges.models import ChargeStatus, LateCharge
from lexbill.latecharges.services import assess_late_charges, bill_late_charges
from lexbill.receivables.models import CollectionsPolicy
from lexbill.receivables.services import post_payment

CENT = Decimal("0.01")
ISSUED = date(2026, 3, 2)  # due 2026-04-01 on the firm's 30-day terms
DUE = date(2026, 4, 1)


def _today(day: date) -> Any:
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False)


def _expected(*pieces: tuple[str, int], percent: str = "12") -> Decimal:
    """Actual/365 simple interest over (balance, days) pieces, rounded half-up once."""
    exact = sum(
        (Decimal(b) * Decimal(percent) / 100 * days / 365 for b, days in pieces), Decimal(0)
    )
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def _policy(percent: str = "12", fee: str = "0", grace: int = 0, minimum: str = "0") -> None:
    CollectionsPolicy.objects.all().delete()
    CollectionsPolicy.objects.create(
        late_charge_annual_percent=Decimal(percent),
        late_charge_flat_fee=Decimal(fee),
        late_charge_grace_days=grace,
        late_charge_minimum_balance=Decimal(minimum),
    )


def _work(f: Any, matter: Any, day: date, hours: str = "2") -> None:
    record_time(
        f.clara,
        TimeDraft(matter, f.partner, day, hours_to_seconds(hours), "Draft brief", "L120", "A103"),
    )


def _invoice(f: Any, matter: Any, work_on: date, issued_on: date, hours: str = "2") -> Invoice:
    _work(f, matter, work_on, hours)
    run = run_bill_run(f.sam, work_on)
    prebill = Prebill.objects.get(run=run, matter=matter)
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill, issued_on=issued_on)


@pytest.fixture
def firm(small_firm: Any) -> Any:
    """Acme's engagement allows late charges; Globex's does not."""
    update_client(small_firm.carol, small_firm.acme, late_charges_allowed=True)
    _policy()
    return small_firm


def test_only_clients_whose_engagement_allows_it_are_charged(firm: Any) -> None:
    f = firm
    acme = _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    _invoice(f, f.globex_flat, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 1)):
        result = assess_late_charges(f.sam, date(2026, 5, 1))
    assert [item.invoice.number for item in result.invoices] == [acme.number]
    charge = LateCharge.objects.get()
    # due April 1: April 2 .. May 1 is 30 days overdue
    assert (charge.period_from, charge.period_to, charge.days) == (
        date(2026, 4, 2),
        date(2026, 5, 1),
        30,
    )
    assert charge.interest == _expected((str(acme.total), 30))
    assert charge.amount == charge.interest
    assert charge.status == ChargeStatus.PENDING


def test_a_payment_dated_mid_window_reduces_the_interest(firm: Any) -> None:
    f = firm
    invoice = _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)  # 1,000.00
    post_payment(f.clara, f.acme, "600.00", date(2026, 4, 16))
    with _today(date(2026, 5, 1)):
        assess_late_charges(f.sam, date(2026, 5, 1))
    charge = LateCharge.objects.get()
    left = str(invoice.total - Decimal("600.00"))
    # April 2..15 on the whole total, April 16..May 1 on what was left
    assert charge.interest == _expected((str(invoice.total), 14), (left, 16))
    assert charge.interest < _expected((str(invoice.total), 30))
    assert [p["days"] for p in charge.computation] == [14, 16]


def test_assessing_twice_for_the_same_date_charges_nothing_new(firm: Any) -> None:
    f = firm
    invoice = _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 31)):
        first = assess_late_charges(f.sam, date(2026, 4, 30))
        again = assess_late_charges(f.sam, date(2026, 4, 30))
        later = assess_late_charges(f.sam, date(2026, 5, 31))
    assert len(first.invoices) == 1
    assert again.invoices == []
    assert LateCharge.objects.filter(period_to=date(2026, 4, 30)).count() == 1
    [next_charge] = [item.charge for item in later.invoices]
    assert next_charge is not None
    assert next_charge.period_from == date(2026, 5, 1)
    assert next_charge.interest == _expected((str(invoice.total), 31))


def test_a_dry_run_shows_the_charge_and_records_nothing(firm: Any) -> None:
    f = firm
    _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 1)):
        result = assess_late_charges(f.sam, date(2026, 5, 1), dry_run=True)
    assert len(result.invoices) == 1 and result.invoices[0].charge is None
    assert not LateCharge.objects.exists()


def test_the_grace_days_minimum_and_flat_fee_follow_the_policy(firm: Any) -> None:
    f = firm
    invoice = _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    _policy(percent="10", fee="25.00", grace=10, minimum="100.00")
    with _today(date(2026, 6, 1)):
        assert assess_late_charges(f.sam, date(2026, 4, 11)).invoices == []  # grace ends Apr 11
        first = assess_late_charges(f.sam, date(2026, 4, 12)).invoices[0].charge
        second = assess_late_charges(f.sam, date(2026, 4, 20)).invoices[0].charge
    assert first is not None and second is not None
    assert (first.days, first.flat_fee) == (1, Decimal("25.00"))
    assert first.interest == _expected((str(invoice.total), 1), percent="10")
    assert second.flat_fee == 0  # once per invoice
    assert second.period_from == date(2026, 4, 13)


def test_nothing_is_charged_when_the_policy_charges_nothing(firm: Any) -> None:
    f = firm
    _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    _policy(percent="0", fee="0")
    with _today(date(2026, 5, 1)):
        assert assess_late_charges(f.sam, date(2026, 5, 1)).invoices == []
    assert not LateCharge.objects.exists()


def test_a_future_date_is_refused_and_a_clerk_may_not_assess(firm: Any) -> None:
    f = firm
    with _today(date(2026, 5, 1)):
        with pytest.raises(InvalidEntry) as caught:
            assess_late_charges(f.sam, date(2026, 5, 2))
        assert caught.value.field == "as_of"
        with pytest.raises(PermissionDenied):
            assess_late_charges(f.clara, date(2026, 5, 1))


def _taxed_matter(f: Any) -> Any:
    client = create_client(
        None,
        "C009",
        "Initech SA",
        tax_rate_percent=Decimal("20"),
        tax_label="VAT",
        tax_id="FR40303265045",
        late_charges_allowed=True,
    )
    return open_matter(None, client, "C009-001", "Initech audit", f.partner, opened_on=ISSUED)


def test_the_charge_is_its_own_untaxed_line_on_the_next_bill_and_its_pdf(firm: Any) -> None:
    f = firm
    matter = _taxed_matter(f)
    overdue = _invoice(f, matter, date(2026, 3, 1), ISSUED)  # 1,000.00 + 20% VAT
    with _today(date(2026, 5, 1)):
        charge = assess_late_charges(f.sam, date(2026, 4, 30)).invoices[0].charge
    assert charge is not None
    assert charge.interest == _expected((str(overdue.total), 29))

    _work(f, matter, date(2026, 4, 20), "1")
    run = run_bill_run(f.sam, date(2026, 4, 30))
    prebill = Prebill.objects.get(run=run, matter=matter)
    line = prebill.lines.get(kind=LineKind.LATE_CHARGE)
    assert line.amount == charge.amount
    assert f"on invoice {overdue.number}" in line.narrative
    assert line.narrative.startswith("Late charge: interest at 12% a year")
    charge.refresh_from_db()
    assert charge.billed_line == line and charge.status == ChargeStatus.ON_PREBILL

    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill, issued_on=date(2026, 5, 1))
    late = invoice.lines.get(kind=LineKind.LATE_CHARGE)
    time = invoice.lines.get(kind=LineKind.TIME)
    assert (late.total, late.tax) == (charge.amount, Decimal("0.00"))
    assert invoice.tax == time.tax == (time.total * Decimal("0.20")).quantize(CENT)
    assert invoice.fees == time.total
    assert invoice.adjustments == charge.amount
    lines = list(invoice.lines.all())
    assert invoice.subtotal == sum((ln.total for ln in lines), Decimal(0))
    assert invoice.total == invoice.subtotal + sum((ln.tax for ln in lines), Decimal(0))
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.BILLED

    context = invoice_context(invoice)
    assert [row.description for row in context["late_charge_lines"]] == [late.narrative]
    printed = {row.label: row.amount for row in context["totals"]}
    assert printed["Late charges (not taxed)"] == charge.amount
    assert "Adjustments" not in printed
    data = render_invoice_pdf(invoice)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert "Late charges" in text and overdue.number in text


def test_a_held_late_charge_line_waits_for_the_next_bill(firm: Any) -> None:
    f = firm
    _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 1)):
        charge = assess_late_charges(f.sam, date(2026, 4, 30)).invoices[0].charge
    assert charge is not None
    _work(f, f.acme_hourly, date(2026, 4, 20), "1")
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 4, 30)))
    set_line_treatment(f.sam, prebill.lines.get(kind=LineKind.LATE_CHARGE), "hold")
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill, issued_on=date(2026, 5, 1))
    assert not invoice.lines.filter(kind=LineKind.LATE_CHARGE).exists()
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PENDING
    # no other work: the charge goes on a late-charge-only pre-bill when asked
    later = bill_late_charges(f.sam, f.acme_hourly, date(2026, 5, 2))
    assert later is not None and later.run is None
    assert list(later.lines.values_list("kind", flat=True)) == [LineKind.LATE_CHARGE]
    charge.refresh_from_db()
    assert charge.billed_line is not None and charge.billed_line.prebill_id == later.pk


def test_a_cancelled_prebill_puts_the_charge_back_to_pending(firm: Any) -> None:
    f = firm
    _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 1)):
        assess_late_charges(f.sam, date(2026, 4, 30))
    prebill = bill_late_charges(f.sam, f.acme_hourly, date(2026, 5, 1))
    assert prebill is not None and prebill.status == PrebillStatus.DRAFT
    cancel_prebill(f.sam, prebill)
    assert LateCharge.objects.get().status == ChargeStatus.PENDING
    assert bill_late_charges(f.sam, f.acme_hourly) is not None
    assert bill_late_charges(f.sam, f.acme_hourly) is None  # nothing left waiting


def test_the_amount_of_a_late_charge_line_cannot_be_edited(firm: Any) -> None:
    from lexbill.billing.prebills import edit_line

    f = firm
    _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 1)):
        assess_late_charges(f.sam, date(2026, 4, 30))
    prebill = bill_late_charges(f.sam, f.acme_hourly)
    assert prebill is not None
    line = prebill.lines.get()
    with pytest.raises(InvalidEntry) as caught:
        edit_line(f.sam, line, rate="1.00")
    assert caught.value.field == "rate"
    assert PrebillLine.objects.get(pk=line.pk).amount == line.amount


def test_an_invoice_with_a_late_charge_exports_as_valid_ledes(firm: Any) -> None:
    from lexbill import ledes
    from lexbill.ebilling.export import export_invoices

    f = firm
    matter = _taxed_matter(f)
    _invoice(f, matter, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 1)):
        assess_late_charges(f.sam, date(2026, 4, 30))
    _work(f, matter, date(2026, 4, 20), "1")
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 4, 30)), matter=matter)
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill, issued_on=date(2026, 5, 1))
    export = export_invoices([invoice], ledes.LedesFormat.LEDES_98BI)
    assert "Late charge" in export.text
    report = ledes.validate_ledes(export.text)
    assert report.is_valid, [str(p) for p in report.errors]


# ---- pages and commands --------------------------------------------------------------------------


def _web(user: Any) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def test_the_page_previews_assesses_and_lists(firm: Any) -> None:
    f = firm
    invoice = _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    web = _web(f.sam)
    with _today(date(2026, 5, 1)):
        preview = web.get("/late-charges/", {"as_of": "2026-05-01"})
        assert preview.status_code == 200
        assert invoice.number in preview.text and "Assess these charges" in preview.text
        assert not LateCharge.objects.exists()
        done = web.post("/late-charges/assess/", {"as_of": "2026-05-01"})
        assert done.status_code == 302
        listed = web.get("/late-charges/", {"status": "pending"})
        bad = web.post("/late-charges/assess/", {"as_of": "2026-05-09"})
    charge = LateCharge.objects.get()
    assert 'id="late-charges"' in listed.text and invoice.number in listed.text
    assert "Waiting for the next bill" in listed.text
    assert bad.status_code == 400 and "after today" in bad.text
    billed = web.post(f"/late-charges/matters/{f.acme_hourly.number}/bill/")
    assert billed.status_code == 302
    charge.refresh_from_db()
    assert charge.billed_line is not None
    assert billed["Location"] == f"/prebills/{charge.billed_line.prebill_id}/"


def test_a_clerk_may_not_open_the_page_or_assess(firm: Any) -> None:
    web = _web(firm.clara)
    assert web.get("/late-charges/").status_code == 403
    assert web.post("/late-charges/assess/", {"as_of": "2026-05-01"}).status_code == 403
    assert not LateCharge.objects.exists()


def test_the_commands_assess_and_list_as_json(firm: Any) -> None:
    from lexbill.cli import app

    f = firm
    invoice = _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    runner = CliRunner()
    with _today(date(2026, 5, 1)):
        dry = runner.invoke(
            app, ["late-charges", "assess", "--as-of", "2026-05-01", "--dry-run", "--json"]
        )
        assert dry.exit_code == 0, dry.output
        assert json.loads(dry.output)["charges"][0]["invoice"] == invoice.number
        assert not LateCharge.objects.exists()
        done = runner.invoke(app, ["late-charges", "assess", "--as-of", "2026-05-01"])
        assert done.exit_code == 0, done.output
        bad = runner.invoke(app, ["late-charges", "assess", "--as-of", "May 1"])
        assert bad.exit_code == 1
    listed = runner.invoke(app, ["late-charges", "list", "--pending", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    charge = LateCharge.objects.get()
    assert (row["invoice"], Decimal(row["amount"]), row["status"]) == (
        invoice.number,
        charge.amount,
        "pending",
    )


def test_a_billed_charge_never_changes(firm: Any) -> None:
    from lexbill.core.errors import ImmutableRecord

    f = firm
    _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 1)):
        assess_late_charges(f.sam, date(2026, 4, 30))
    prebill = bill_late_charges(f.sam, f.acme_hourly)
    assert prebill is not None
    approve_prebill(f.carol, prebill)
    finalize_prebill(f.sam, prebill, issued_on=date(2026, 5, 2))
    charge = LateCharge.objects.get()
    assert charge.status == ChargeStatus.BILLED
    charge.amount = charge.interest = Decimal("1.00")
    with pytest.raises(ImmutableRecord):
        charge.save()
    with pytest.raises(ImmutableRecord):
        charge.delete()
    assert LateCharge.objects.get().amount != Decimal("1.00")


def test_assessing_costs_the_same_queries_for_one_invoice_or_many(firm: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    f = firm
    _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    with _today(date(2026, 5, 1)), CaptureQueriesContext(connection) as one:
        assert len(assess_late_charges(f.sam, date(2026, 5, 1), dry_run=True).invoices) == 1
    _invoice(f, f.acme_hourly, date(2026, 3, 2), date(2026, 3, 3))
    _invoice(f, f.acme_capped, date(2026, 3, 2), date(2026, 3, 3))
    post_payment(f.clara, f.acme, "100.00", date(2026, 4, 20))
    with _today(date(2026, 5, 1)), CaptureQueriesContext(connection) as three:
        assert len(assess_late_charges(f.sam, date(2026, 5, 1), dry_run=True).invoices) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_the_prebill_page_offers_to_add_the_waiting_charges(firm: Any) -> None:
    f = firm
    _invoice(f, f.acme_hourly, date(2026, 3, 1), ISSUED)
    _work(f, f.acme_hourly, date(2026, 4, 21), "1")
    # billed before the charge is assessed: the run's pre-bill has no late-charge line
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 4, 30)))
    web = _web(f.sam)
    panel = f"/late-charges/prebills/{prebill.pk}/"
    assert web.get(panel).content == b""  # nothing waits yet
    with _today(date(2026, 5, 1)):
        assess_late_charges(f.sam, date(2026, 4, 30))
    assert panel in web.get(f"/prebills/{prebill.pk}/").text
    assert "Add late charges" in web.get(panel).text
    added = web.post(f"/late-charges/prebills/{prebill.pk}/add/")
    assert added.status_code == 302 and added["Location"] == f"/prebills/{prebill.pk}/"
    line = prebill.lines.get(kind=LineKind.LATE_CHARGE)
    assert LateCharge.objects.get().billed_line == line
    assert web.get(panel).content == b""
    assert "Late charges" in web.get(f"/prebills/{prebill.pk}/").text  # its own group
    assert _web(f.clara).post(f"/late-charges/prebills/{prebill.pk}/add/").status_code == 403


def test_the_client_page_records_the_engagement_s_consent(small_firm: Any) -> None:
    f = small_firm
    web = _web(f.carol)
    page = web.get(f"/clients/{f.globex.pk}/edit/")
    assert "Late charges allowed" in page.text
    data = {
        "number": f.globex.number,
        "name": f.globex.name,
        "tax_rate_percent": "19",
        "tax_label": "VAT",
        "late_charges_allowed": "on",
    }
    assert web.post(f"/clients/{f.globex.pk}/edit/", data).status_code == 302
    assert Client.objects.get(pk=f.globex.pk).late_charges_allowed
