"""Payments and balances through the API: posting as the web does (given allocations or oldest
first), refusals that post nothing, balances equal to the records summed, roles as on the web."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from lexbill.billing.invoicing import issue_credit_note
from lexbill.billing.models import CreditNote, Invoice
from lexbill.receivables.models import Payment, PaymentAllocation, WriteOff
from lexbill.receivables.services import post_payment
from tests.api.api_billing_firm import (
    PROBLEM,
    audit_channels_since,
    expected_balance,
    invoice_of,
    last_audit_id,
)


def _sum(rows: Any, field: str = "amount") -> Decimal:
    return Decimal(rows.aggregate(s=Sum(field))["s"] or 0)


def test_a_payment_with_allocations_is_posted_and_audited_as_api(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    invoice = invoice_of(f, f.acme_hourly, "2.0")
    before = last_audit_id()
    response = api_as("clara").post(
        "/api/payments",
        {
            "client_id": f.acme.pk,
            "amount": "500.00",
            "received_on": "2026-04-15",
            "method": "wire",
            "reference": "WIRE-77",
            "allocations": [{"invoice_id": invoice.pk, "amount": "300.00"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    payment = Payment.objects.get()
    assert body["id"] == payment.pk and body["amount"] == "500.00"
    assert body["allocated"] == "300.00" and body["unapplied"] == "200.00"
    assert body["posted_by"] == "clara" and body["method"] == "wire"
    assert [(a["invoice_id"], a["amount"]) for a in body["allocations"]] == [(invoice.pk, "300.00")]
    assert _sum(PaymentAllocation.objects.filter(payment=payment)) == Decimal("300.00")
    assert audit_channels_since(before) == {"api"}
    read = api_as("sam").get(f"/api/payments/{payment.pk}")
    assert read.json() == body


def test_without_allocations_the_payment_pays_the_oldest_invoices_first(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    older = invoice_of(f, f.acme_hourly, "1.0", issued_on=date(2026, 4, 1))
    newer = invoice_of(f, f.acme_capped, "1.0", issued_on=date(2026, 4, 20))
    amount = older.total + Decimal("100.00")
    response = api_as("clara").post(
        "/api/payments",
        {"client_id": f.acme.pk, "amount": str(amount), "received_on": "2026-05-01"},
    )
    assert response.status_code == 201, response.content
    allocated = {a["invoice_id"]: Decimal(a["amount"]) for a in response.json()["allocations"]}
    assert allocated == {older.pk: older.total, newer.pk: Decimal("100.00")}
    assert expected_balance(older) == 0
    assert expected_balance(newer) == newer.total - Decimal("100.00")

    # an empty list keeps it all as unapplied credit
    kept = api_as("clara").post(
        "/api/payments",
        {
            "client_id": f.acme.pk,
            "amount": "75.00",
            "received_on": "2026-05-02",
            "allocations": [],
        },
    )
    assert kept.status_code == 201
    assert kept.json()["allocations"] == [] and kept.json()["unapplied"] == "75.00"


def test_an_allocation_above_what_the_invoice_owes_is_refused_and_nothing_is_posted(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    invoice = invoice_of(f, f.acme_hourly, "1.0")
    too_much = invoice.total + Decimal("0.01")
    response = api_as("clara").post(
        "/api/payments",
        {
            "client_id": f.acme.pk,
            "amount": str(too_much),
            "received_on": "2026-04-15",
            "allocations": [{"invoice_id": invoice.pk, "amount": str(too_much)}],
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert not Payment.objects.exists() and not PaymentAllocation.objects.exists()


def test_bad_payment_bodies_are_422_problems_naming_the_field(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    other = invoice_of(f, f.globex_flat)
    clara = api_as("clara")
    base = {"client_id": f.acme.pk, "amount": "10.00", "received_on": "2026-04-15"}
    cases = {
        "float amount": ({**base, "amount": 10.5}, "amount"),
        "three places": ({**base, "amount": "10.005"}, "amount"),
        "no client": ({**base, "client_id": 999999}, "client_id"),
        "zero": ({**base, "amount": "0"}, "amount"),
        "trust": ({**base, "method": "trust"}, "method"),
        "another client's invoice": (
            {**base, "allocations": [{"invoice_id": other.pk, "amount": "10.00"}]},
            "allocations.0.invoice_id",
        ),
    }
    for name, (body, field) in cases.items():
        response = clara.post("/api/payments", body)
        assert response.status_code == 422, (name, response.content)
        assert response["Content-Type"] == PROBLEM
        problem = response.json()
        named = problem.get("field") or " ".join(e["field"] for e in problem.get("errors", []))
        assert field in named, (name, problem)
    assert not Payment.objects.exists()


def test_receivables_need_the_billing_office(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    invoice = invoice_of(f, f.acme_hourly)
    payment = post_payment(None, f.acme, "10.00", date(2026, 4, 15))
    pat = api_as("pat")
    for path in (
        "/api/payments",
        f"/api/payments/{payment.pk}",
        f"/api/clients/{f.acme.pk}/balance",
        f"/api/matters/{f.acme_hourly.pk}/balance",
    ):
        response = pat.get(path)
        assert response.status_code == 403, path
        assert response["Content-Type"] == PROBLEM
    refused = pat.post(
        "/api/payments",
        {"client_id": f.acme.pk, "amount": "10.00", "received_on": "2026-04-15"},
    )
    assert refused.status_code == 403
    assert Payment.objects.count() == 1
    # the attorney still reads the invoice, as on the web
    assert pat.get(f"/api/invoices/{invoice.pk}").status_code == 200
    assert api_as("clara").get(f"/api/payments/{payment.pk}").status_code == 200


def test_client_and_matter_balances_equal_the_records_summed(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    first = invoice_of(f, f.acme_hourly, "2.0")
    second = invoice_of(f, f.acme_capped, "1.0")
    post_payment(None, f.acme, "900.00", date(2026, 4, 15), allocations=[(first.number, "400.00")])
    issue_credit_note(None, second, "25.00", "Courtesy")
    body = api_as("clara").get(f"/api/clients/{f.acme.pk}/balance").json()
    [account] = body["accounts"]

    invoices = Invoice.objects.filter(client=f.acme)
    invoiced = _sum(invoices, "total")
    credited = _sum(CreditNote.objects.filter(invoice__client=f.acme), "total")
    paid = _sum(PaymentAllocation.objects.filter(invoice__client=f.acme))
    written_off = _sum(WriteOff.objects.filter(invoice__client=f.acme))
    received = _sum(Payment.objects.filter(client=f.acme))
    assert account["currency"] == "USD"
    assert Decimal(account["invoiced"]) == invoiced
    assert Decimal(account["credited"]) == credited
    assert Decimal(account["paid"]) == paid == Decimal("400.00")
    assert Decimal(account["balance_due"]) == invoiced - credited - paid - written_off
    assert Decimal(account["unapplied"]) == received - paid == Decimal("500.00")
    assert Decimal(account["net"]) == invoiced - credited - paid - written_off - (received - paid)

    matter = api_as("clara").get(f"/api/matters/{f.acme_hourly.pk}/balance").json()["account"]
    assert Decimal(matter["invoiced"]) == first.total
    assert Decimal(matter["balance_due"]) == expected_balance(first)
    assert matter["unapplied"] == "0.00" or Decimal(matter["unapplied"]) == 0
    assert api_as("clara").get("/api/clients/999999/balance").status_code == 404


def test_payment_list_filters(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    invoice = invoice_of(f, f.acme_hourly, "2.0")
    applied = post_payment(
        None, f.acme, "100.00", date(2026, 4, 1), allocations=[(invoice.number, "100.00")]
    )
    unapplied = post_payment(None, f.acme, "50.00", date(2026, 4, 5), allocations=[], method="wire")
    globex = post_payment(None, f.globex, "20.00", date(2026, 4, 9), allocations=[])
    api = api_as("sam")

    def ids(**params: Any) -> list[int]:
        response = api.get("/api/payments", params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]]

    assert ids() == [globex.pk, unapplied.pk, applied.pk]
    assert ids(client=f.acme.pk) == [unapplied.pk, applied.pk]
    assert ids(unapplied="true") == [globex.pk, unapplied.pk]
    assert ids(unapplied="false") == [applied.pk]
    assert ids(method="wire") == [unapplied.pk]
    assert ids(received_from="2026-04-02", received_to="2026-04-06") == [unapplied.pk]
    assert ids(invoice=invoice.pk) == [applied.pk]
    assert ids(kind="refund") == []
