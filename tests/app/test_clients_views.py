"""The client and matter pages: create, edit, close; the arrangement; the matter's money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import Invoice, Prebill, Rate
from lexbill.billing.prebills import approve_prebill
from lexbill.clients.models import Client, Matter
from lexbill.core.errors import InvalidEntry
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.receivables.services import post_payment


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def _time(f: Any, matter: Any, tk: Any, day: date, hours: str) -> Any:
    return record_time(f.clara, TimeDraft(matter, tk, day, hours_to_seconds(hours), "Draft brief"))


def _client_post(**changes: str) -> dict[str, str]:
    data = {
        "number": "C100",
        "name": "Initech LLC",
        "address": "4120 Freidrich Lane",
        "billing_contact": "Bill Lumbergh",
        "billing_email": "ap@initech.example",
        "tax_rate_percent": "8.25",
        "tax_label": "Sales tax",
        "tax_id": "",
    }
    data.update(changes)
    return data


def _matter_post(f: Any, **changes: str) -> dict[str, str]:
    data = {
        "number": "C001-009",
        "name": "Acme patent",
        "client_matter_id": "LEG-77",
        "responsible_attorney": str(f.partner.pk),
        "currency": "USD",
        "opened_on": "2026-02-01",
        "arrangement": "hourly",
        "flat_fee": "",
        "fee_cap": "",
    }
    data.update(changes)
    return data


def test_create_a_client_and_a_matter_through_the_pages(small_firm: Any) -> None:
    f = small_firm
    web = _as(f.sam)
    assert web.get(reverse("clients:client-new")).status_code == 200
    response = web.post(reverse("clients:client-new"), _client_post())
    client = Client.objects.get(number="C100")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:client-detail", args=[client.pk])
    assert client.tax_rate_percent == Decimal("8.25")
    page = web.get(response["Location"])
    assert "Initech LLC" in page.text and "8.25%" in page.text

    response = web.post(
        reverse("clients:matter-new", args=[client.pk]),
        _matter_post(f, number="C100-001", arrangement="flat_fee", flat_fee="1500.00"),
    )
    assert response.status_code == 302
    matter = Matter.objects.get(number="C100-001")
    assert matter.client == client
    assert matter.arrangement == "flat_fee" and matter.flat_fee == Decimal("1500.00")
    assert matter.client_matter_id == "LEG-77"
    page = web.get(response["Location"])
    assert "Flat fee: $1,500.00" in page.text
    listing = web.get(reverse("clients:client-list"), {"q": "initech"})
    assert "C100" in listing.text and "Acme Corp" not in listing.text
    by_number = web.get(reverse("clients:client-list"), {"q": "C002"})
    assert "Globex GmbH" in by_number.text and "Initech" not in by_number.text


def test_an_invalid_tax_rate_is_shown_next_to_the_field_and_nothing_is_saved(
    small_firm: Any,
) -> None:
    web = _as(small_firm.sam)
    response = web.post(reverse("clients:client-new"), _client_post(tax_rate_percent="120"))
    assert response.status_code == 400
    assert 'id="id_tax_rate_percent_error"' in response.text
    assert "Tax rate must be between 0 and 100 percent" in response.text
    assert not Client.objects.filter(number="C100").exists()


def test_a_flat_fee_matter_without_a_fee_is_refused_next_to_the_fee(small_firm: Any) -> None:
    f = small_firm
    before = Matter.objects.count()
    response = _as(f.sam).post(
        reverse("clients:matter-new", args=[f.acme.pk]),
        _matter_post(f, arrangement="flat_fee", flat_fee=""),
    )
    assert response.status_code == 400
    assert 'id="id_flat_fee_error"' in response.text
    assert "A flat-fee matter needs a positive flat fee" in response.text
    assert Matter.objects.count() == before


def test_edit_a_client(small_firm: Any) -> None:
    f = small_firm
    web = _as(f.carol)
    post = _client_post(number="C001", name="Acme Corporation", tax_rate_percent="5")
    response = web.post(reverse("clients:client-edit", args=[f.acme.pk]), post)
    assert response.status_code == 302
    f.acme.refresh_from_db()
    assert f.acme.name == "Acme Corporation" and f.acme.tax_rate_percent == Decimal("5")
    refused = web.post(
        reverse("clients:client-edit", args=[f.acme.pk]), _client_post(number="C002")
    )
    assert refused.status_code == 400 and 'id="id_number_error"' in refused.text


def test_edit_and_close_a_matter_then_no_time_can_be_recorded(small_firm: Any) -> None:
    f = small_firm
    web = _as(f.sam)
    matter = f.acme_hourly
    edit_url = reverse("clients:matter-edit", args=[matter.pk])
    assert "Acme v. Roadrunner" in web.get(edit_url).text
    response = web.post(
        edit_url,
        {
            "name": "Acme v. Coyote",
            "client_matter_id": "ACME-1",
            "responsible_attorney": str(f.associate.pk),
            "arrangement": "capped",
            "flat_fee": "",
            "fee_cap": "5000.00",
        },
    )
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.name == "Acme v. Coyote" and matter.client_matter_id == "ACME-1"
    assert matter.responsible_attorney == f.associate
    assert matter.arrangement == "capped" and matter.fee_cap == Decimal("5000.00")

    assert web.get(reverse("clients:matter-close", args=[matter.pk])).status_code == 405
    response = web.post(reverse("clients:matter-close", args=[matter.pk]))
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.status == Matter.Status.CLOSED and matter.closed_on is not None
    assert "closed since" in web.get(response["Location"]).text
    with pytest.raises(InvalidEntry, match="closed"):
        _time(f, matter, f.partner, date(2026, 3, 2), "1.0")


def test_the_matter_page_shows_invoice_balance_wip_and_payments(
    small_firm: Any, django_assert_max_num_queries: Any
) -> None:
    f = small_firm
    matter = f.acme_hourly
    _time(f, matter, f.partner, date(2026, 3, 2), "1.0")
    _time(f, matter, f.paralegal, date(2026, 3, 3), "2.0")
    record_expense(f.clara, ExpenseDraft(matter, date(2026, 3, 4), "E101", "100", "0.10", "Copy"))
    run_bill_run(f.sam, date(2026, 3, 31))
    prebill = Prebill.objects.get(matter=matter)
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill, issued_on=date(2026, 4, 1))
    assert invoice.total == Decimal("810.00")
    post_payment(f.clara, f.acme, "100.00", date(2026, 4, 5), reference="CHK-1")
    _time(f, matter, f.partner, date(2026, 4, 2), "1.5")  # new work in progress

    web = _as(f.clara)  # reading needs only a session
    url = reverse("clients:matter-detail", args=[matter.pk])
    web.get(url)  # warm the session
    # 12, the budget panel's one, and the budget alerts' two (budgets, then their sums)
    with django_assert_max_num_queries(15):
        page = web.get(url)
    assert page.status_code == 200
    text = page.text
    row = text[text.index(f'id="invoice-{invoice.number}"') :]
    assert '<td data-col="status">partly paid</td>' in row
    assert 'data-col="balance">$710.00' in row
    assert "1 unbilled time entry, 1.50 h" in text
    assert f"?matter={matter.number}&amp;state=unbilled" in text
    assert 'data-figure="matter-balance">$710.00' in text
    assert "CHK-1" in text
    assert f"Pre-bill {prebill.pk}" in text
    assert "Close matter" not in text and "Add a matter rate" not in text

    client_page = web.get(reverse("clients:client-detail", args=[f.acme.pk]))
    assert 'data-col="balance">$710.00' in client_page.text
    assert Invoice.objects.count() == 1


def test_a_clerk_is_refused_creating_a_client(small_firm: Any) -> None:
    web = _as(small_firm.clara)
    page = web.get(reverse("clients:client-new"))
    assert page.status_code == 403
    assert "clara (Billing clerk / assistant) may not manage clients and matters" in page.text
    response = web.post(reverse("clients:client-new"), _client_post())
    assert response.status_code == 403
    assert not Client.objects.filter(number="C100").exists()
    assert "New client" not in web.get(reverse("clients:client-list")).text


def test_add_a_matter_override_rate_from_the_matter_page(small_firm: Any) -> None:
    f = small_firm
    matter = f.acme_hourly
    url = reverse("clients:matter-detail", args=[matter.pk])
    assert "Add a matter rate" in _as(f.carol).get(url).text
    rate_url = reverse("clients:matter-rate-new", args=[matter.pk])
    data = {"timekeeper": str(f.partner.pk), "amount": "425.00", "effective_from": "2026-02-01"}
    response = _as(f.carol).post(rate_url, data)
    assert response.status_code == 302
    rate = Rate.objects.get(matter=matter)
    assert rate.level == "matter" and rate.timekeeper == f.partner
    assert rate.amount == Decimal("425.00") and rate.currency == "USD"
    assert "$425.00" in _as(f.carol).get(url).text
    again = _as(f.carol).post(rate_url, data)
    assert again.status_code == 400 and 'id="id_effective_from_error"' in again.text
    neither = _as(f.carol).post(rate_url, {"amount": "1", "effective_from": "2026-02-01"})
    assert neither.status_code == 400 and 'id="id_timekeeper_error"' in neither.text
    refused = _as(f.sam).post(rate_url, {**data, "effective_from": "2026-03-01"})
    assert refused.status_code == 403
    assert Rate.objects.filter(matter=matter).count() == 1
