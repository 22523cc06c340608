"""Invoices through the API: lists with filters, balances that agree with the records, the PDF
as printed and the LEDES file as the client's e-billing system takes it."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from pypdf import PdfReader

from lexbill import ledes
from lexbill.billing.invoicing import issue_credit_note, record_delivery
from lexbill.billing.models import Invoice
from lexbill.receivables.adjustments import request_write_off
from lexbill.receivables.services import post_payment
from tests.api.api_billing_firm import PROBLEM, expected_balance, invoice_of


def test_the_invoice_balance_is_the_total_less_payments_credits_and_write_offs(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    invoice = invoice_of(f, f.acme_hourly, "3.0")
    post_payment(
        None, f.acme, "200.00", date(2026, 4, 10), allocations=[(invoice.number, "200.00")]
    )
    issue_credit_note(None, invoice, "50.00", "Courtesy")
    request_write_off(None, invoice, "10.00", "SMALL_BALANCE")

    body = api_as("clara").get(f"/api/invoices/{invoice.pk}").json()
    expected = expected_balance(invoice)
    assert Decimal(body["balance"]) == expected
    assert Decimal(body["paid"]) == Decimal("200.00")
    assert Decimal(body["written_off"]) == Decimal("10.00")
    assert (
        Decimal(body["total"])
        - Decimal(body["paid"])
        - Decimal(body["credited"])
        - Decimal(body["written_off"])
        == expected
    )
    assert body["status"] == "partly paid"
    assert [a["amount"] for a in body["allocations"]] == ["200.00"]
    assert [c["total"] for c in body["credit_notes"]] == [
        str(c.total) for c in invoice.credit_notes.all()
    ]
    lines = list(invoice.lines.order_by("position"))
    assert [row["total"] for row in body["lines"]] == [str(line.total) for line in lines]
    assert sum((Decimal(row["total"]) for row in body["lines"]), Decimal(0)) == invoice.subtotal
    assert all(isinstance(body[k], str) for k in ("total", "balance", "tax", "subtotal"))


def test_invoice_list_filters(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    march = invoice_of(f, f.acme_hourly, "1.0", issued_on=date(2026, 4, 1))
    april = invoice_of(f, f.globex_flat, "2.0", issued_on=date(2026, 5, 1))
    paid = invoice_of(f, f.acme_hourly, "0.5", issued_on=date(2026, 5, 2))
    post_payment(
        None, f.acme, paid.total, date(2026, 5, 3), allocations=[(paid.number, paid.total)]
    )
    record_delivery(None, april, channel="email", recipient="ap@globex.example")
    api = api_as("clara")

    def numbers(**params: Any) -> list[str]:
        response = api.get("/api/invoices", params)
        assert response.status_code == 200, response.content
        return [row["number"] for row in response.json()["items"]]

    newest_first = list(
        Invoice.objects.order_by("-issued_on", "-id").values_list("number", flat=True)
    )
    assert numbers() == newest_first
    assert numbers(client=f.acme.pk) == [paid.number, march.number]
    assert numbers(matter=f.globex_flat.pk) == [april.number]
    assert numbers(issued_from="2026-05-01") == [paid.number, april.number]
    assert numbers(issued_to="2026-04-30") == [march.number]
    assert numbers(open="true") == [april.number, march.number]
    assert numbers(open="false") == [paid.number]
    assert numbers(status="paid") == [paid.number]
    assert numbers(status="sent") == [april.number]
    assert numbers(status="final") == [march.number]
    assert numbers(number=march.number) == [march.number]
    page = api.get("/api/invoices", {"limit": 2, "offset": 1}).json()
    assert [row["number"] for row in page["items"]] == newest_first[1:3]
    assert page["count"] == 3
    assert api.get("/api/invoices", {"status": "lost"}).status_code == 422
    assert api.get("/api/invoices", {"issued_from": "April"}).status_code == 422
    assert api.get("/api/invoices", {"number": "A\x00B"}).status_code == 422


def test_an_overdue_invoice_says_so(small_firm: Any, api_as: Any) -> None:
    long_ago = timezone.localdate() - timedelta(days=365)
    invoice = invoice_of(small_firm, small_firm.acme_hourly, issued_on=long_ago)
    body = api_as("sam").get(f"/api/invoices/{invoice.pk}").json()
    assert body["overdue"] is (date.fromisoformat(body["due_on"]) < timezone.localdate())
    assert body["overdue"] is True


def test_an_unknown_invoice_is_a_404_problem(small_firm: Any, api_as: Any) -> None:
    for path in ("/api/invoices/999999", "/api/invoices/999999/pdf", "/api/invoices/999999/ledes"):
        response = api_as("clara").get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_is_the_invoice_as_printed(small_firm: Any, api_as: Any) -> None:
    invoice = invoice_of(small_firm, small_firm.acme_hourly)
    response = api_as("clara").get(f"/api/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    assert invoice.number in text
    assert f"{invoice.total:,}" in text


def test_ledes_export_validates_and_a_taxed_invoice_is_refused_as_1998b(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    invoice = invoice_of(f, f.acme_hourly)
    response = api_as("sam").get(f"/api/invoices/{invoice.pk}/ledes")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    report = ledes.validate_ledes(response.content)
    assert report.is_valid, [str(p) for p in report.problems]
    parsed = ledes.parse_ledes(response.content.decode("ascii"))
    [exported] = parsed.invoices
    assert exported.total == invoice.total
    assert response.content.decode("ascii").startswith("LEDES1998B[]")

    taxed = invoice_of(f, f.globex_flat)
    assert taxed.tax > 0
    refused = api_as("sam").get(f"/api/invoices/{taxed.pk}/ledes", {"format": "1998B"})
    assert refused.status_code == 422
    assert refused["Content-Type"] == PROBLEM
    assert "98BI" in refused.json()["detail"]
    missing = api_as("sam").get(f"/api/invoices/{taxed.pk}/ledes", {"format": "98BI"})
    assert missing.status_code == 422
    problems = missing.json()["errors"]
    assert problems and all(p["invoice"] == taxed.number for p in problems)
    assert (
        api_as("sam").get(f"/api/invoices/{invoice.pk}/ledes", {"format": "XML"}).status_code == 422
    )
