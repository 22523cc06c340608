"""Every change leaves an audit record; posted records refuse change by any path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as WebClient

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import Invoice, InvoiceLine, Prebill, PrebillLine
from lexbill.billing.prebills import adjust_line, approve_prebill
from lexbill.core.errors import ImmutableRecord
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, correct_time, record_time
from lexbill.receivables.models import Payment
from lexbill.receivables.services import post_payment


def _entry(f: Any) -> Any:
    return record_time(
        f.clara,
        TimeDraft(f.acme_hourly, f.partner, date(2026, 3, 2), hours_to_seconds("1"), "Call client"),
    )


def test_a_correction_records_who_when_and_the_values_before_and_after(small_firm: Any) -> None:
    f = small_firm
    entry = _entry(f)
    with acting_as(f.clara, "web"):
        correct_time(f.clara, entry, narrative="Call with client re settlement")
    audit = AuditRecord.objects.filter(model="entries.TimeEntry", action="update").get()
    assert audit.actor == f.clara
    assert audit.channel == "web"
    assert audit.at is not None
    assert audit.changed_fields()["narrative"] == ("Call client", "Call with client re settlement")


def test_pre_bill_edits_and_the_bill_run_are_audited(small_firm: Any) -> None:
    f = small_firm
    _entry(f)
    with acting_as(f.sam, "cli"):
        run = run_bill_run(f.sam, date(2026, 3, 31))
        adjust_line(f.sam, PrebillLine.objects.get(), "-100.00", "courtesy")
    event = AuditRecord.objects.get(model="billing.BillRun", action="event")
    assert event.object_id == str(run.pk)
    assert event.after is not None and event.after["time_lines"] == 1
    change = AuditRecord.objects.get(model="billing.PrebillLine", action="update")
    assert change.before is not None and change.after is not None
    assert (change.before["adjustment"], change.after["adjustment"]) == ("0.00", "-100.00")
    assert change.actor == f.sam


def _invoice(f: Any) -> Invoice:
    _entry(f)
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill)


def test_a_final_invoice_refuses_every_change(small_firm: Any) -> None:
    invoice = _invoice(small_firm)
    invoice.total = Decimal("1.00")
    with pytest.raises(ImmutableRecord):
        invoice.save()
    with pytest.raises(ImmutableRecord):
        invoice.delete()
    with pytest.raises(ImmutableRecord):
        Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("1.00"))
    with pytest.raises(ImmutableRecord):
        InvoiceLine.objects.filter(invoice=invoice).delete()
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("500.00")


def test_a_posted_payment_refuses_change(small_firm: Any) -> None:
    f = small_firm
    payment = post_payment(f.clara, f.acme, "10.00", date(2026, 4, 1))
    payment.amount = Decimal("20.00")
    with pytest.raises(ImmutableRecord):
        payment.save()
    assert Payment.objects.get().amount == Decimal("10.00")


def test_the_admin_cannot_change_or_delete_a_final_invoice(small_firm: Any) -> None:
    f = small_firm
    invoice = _invoice(f)
    web = WebClient()
    web.force_login(f.alice)
    url = f"/admin/billing/invoice/{invoice.pk}/change/"
    page = web.get(url)
    assert page.status_code == 200  # viewable
    assert b'name="_save"' not in page.content
    posted = web.post(url, {"number": "HACKED", "total": "1"})
    assert posted.status_code == 403
    assert (
        web.post(f"/admin/billing/invoice/{invoice.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Invoice.objects.get(pk=invoice.pk).number == invoice.number


def test_audit_records_themselves_cannot_be_changed(small_firm: Any) -> None:
    record = AuditRecord.objects.first()
    assert record is not None
    with pytest.raises(ImmutableRecord):
        AuditRecord.objects.all().delete()


def test_every_page_but_log_in_needs_a_session(small_firm: Any) -> None:
    web = WebClient()
    for url in ("/", "/admin/", "/invoices/2026-00001.pdf"):
        response = web.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert web.get("/login/").status_code == 200
