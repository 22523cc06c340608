"""Settings pages: only an administrator changes the firm; every change goes through a service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.test import Client

from lexbill.audit.models import AuditRecord
from lexbill.billing.models import Rate
from lexbill.firm.models import Firm, Timekeeper, User


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


POLICY = {
    "name": "Hale & Ward LLP",
    "address": "2 Court Sq",
    "tax_id": "12-3456789",
    "email": "",
    "phone": "",
    "increment_minutes": "15",
    "time_rounding": "nearest",
    "payment_terms_days": "45",
    "invoice_number_format": "INV-{year}-{seq:04d}",
    "credit_note_number_format": "CN-{year}-{seq:05d}",
    "budget_alert_percents": "75, 100",
}


def test_the_administrator_changes_the_firm_policy(small_firm: Any) -> None:
    client = _as(small_firm.alice)
    page = client.get("/settings/").content.decode()
    assert 'value="Hale &amp; Ward LLP"' in page
    assert '<label for="id_increment_minutes">Billing increment</label>' in page
    response = client.post("/settings/", POLICY, follow=True)
    assert "Firm policy saved." in response.content.decode()
    firm = Firm.objects.get()
    assert (firm.increment_minutes, firm.time_rounding, firm.payment_terms_days) == (
        15,
        "nearest",
        45,
    )
    assert firm.invoice_number_format == "INV-{year}-{seq:04d}"
    assert firm.address == "2 Court Sq"
    assert firm.budget_alert_percents == "75,100"
    assert AuditRecord.objects.filter(
        model="firm.Firm", action="update", actor=small_firm.alice, channel="web"
    ).exists()


def test_a_refused_number_format_is_shown_next_to_its_field(small_firm: Any) -> None:
    client = _as(small_firm.alice)
    response = client.post("/settings/", {**POLICY, "invoice_number_format": "INV-{year}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<p class="field-error" id="id_invoice_number_format_error">'
        "The number format must contain {seq}</p>" in html
    )
    assert Firm.objects.get().invoice_number_format == "{year}-{seq:05d}"


def test_a_missing_name_is_shown_next_to_its_field(small_firm: Any) -> None:
    response = _as(small_firm.alice).post("/settings/", {**POLICY, "name": ""})
    assert 'id="id_name_error">This field is required.' in response.content.decode()


def test_the_administrator_creates_a_user_with_a_role(small_firm: Any) -> None:
    client = _as(small_firm.alice)
    response = client.post(
        "/settings/users/",
        {
            "username": "jane",
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "jane@example.com",
            "role": "specialist",
            "password": "a long enough passphrase",
        },
        follow=True,
    )
    assert "User jane created (Billing specialist)." in response.content.decode()
    jane = User.objects.get(username="jane")
    assert jane.role == "specialist"
    assert jane.password.startswith("argon2$")
    assert jane.check_password("a long enough passphrase")


def test_a_taken_user_name_and_a_weak_password_are_refused_at_their_fields(
    small_firm: Any,
) -> None:
    response = _as(small_firm.alice).post(
        "/settings/users/",
        {"username": "clara", "role": "clerk", "password": "123"},
    )
    html = response.content.decode()
    assert 'id="id_username_error">The user name clara is taken.' in html
    assert 'id="id_password_error">This password is too short.' in html
    assert User.objects.count() == 5


def test_the_administrator_adds_a_timekeeper(small_firm: Any) -> None:
    client = _as(small_firm.alice)
    response = client.post(
        "/settings/timekeepers/",
        {
            "code": "SC",
            "first_name": "Sam",
            "last_name": "Cole",
            "classification": "paralegal",
            "user": small_firm.sam.pk,
        },
        follow=True,
    )
    assert "Timekeeper Sam Cole (SC) created." in response.content.decode()
    assert Timekeeper.objects.get(code="SC").user == small_firm.sam
    again = client.post(
        "/settings/timekeepers/",
        {"code": "SC", "first_name": "X", "last_name": "Y", "classification": "paralegal"},
    )
    assert 'id="id_code_error">Timekeeper ID SC is taken' in again.content.decode()


def test_a_rate_is_added_and_a_bad_key_is_shown_at_its_field(small_firm: Any) -> None:
    client = _as(small_firm.alice)
    page = client.get("/settings/rates/").content.decode()
    assert "$500.00" in page and "Jan 1, 2026" in page
    response = client.post(
        "/settings/rates/",
        {
            "level": "timekeeper",
            "timekeeper": small_firm.associate.pk,
            "amount": "325.00",
            "currency": "usd",
            "effective_from": "2026-07-01",
        },
        follow=True,
    )
    assert "Rate added" in response.content.decode()
    rate = Rate.objects.get(timekeeper=small_firm.associate, effective_from=date(2026, 7, 1))
    assert rate.amount == Decimal("325.00")
    bad = client.post(
        "/settings/rates/",
        {
            "level": "matter",
            "timekeeper": small_firm.associate.pk,
            "amount": "325.00",
            "currency": "USD",
            "effective_from": "2026-07-01",
        },
    )
    assert 'id="id_matter_error">A matter rate needs matter_id' in bad.content.decode()
    unknown = client.post(
        "/settings/rates/",
        {
            "level": "matter",
            "matter": "Z-404",
            "timekeeper": small_firm.associate.pk,
            "amount": "325.00",
            "currency": "USD",
            "effective_from": "2026-07-01",
        },
    )
    assert "No matter numbered &#x27;Z-404&#x27;" in unknown.content.decode()
    matter_rate = client.post(
        "/settings/rates/",
        {
            "level": "matter",
            "matter": small_firm.acme_hourly.number,
            "timekeeper": small_firm.associate.pk,
            "amount": "280.00",
            "currency": "USD",
            "effective_from": "2026-07-01",
        },
    )
    assert matter_rate.status_code == 302
    assert Rate.objects.get(matter=small_firm.acme_hourly).amount == Decimal("280.00")
    listed = client.get("/settings/rates/", {"level": "matter", "q": "C001"}).content.decode()
    assert "$280.00" in listed and "$500.00" not in listed
    assert AuditRecord.objects.filter(
        model="billing.Rate", object_id=str(rate.pk), actor=small_firm.alice, channel="web"
    ).exists()


def test_a_coordinator_manages_rates_but_not_the_firm(small_firm: Any) -> None:
    client = _as(small_firm.carol)
    assert client.get("/settings/rates/").status_code == 200
    for url in ("/settings/", "/settings/users/", "/settings/timekeepers/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "carol (Billing coordinator) may not manage the firm" in response.content.decode()


def test_a_clerk_cannot_post_to_settings_either(small_firm: Any) -> None:
    response = _as(small_firm.clara).post("/settings/", {**POLICY, "name": "Mine now"})
    assert response.status_code == 403
    assert Firm.objects.get().name == "Hale & Ward LLP"


def test_only_the_administrator_sees_settings_in_the_navigation(small_firm: Any) -> None:
    assert 'href="/settings/"' in _as(small_firm.alice).get("/").content.decode()
    assert 'href="/settings/"' not in _as(small_firm.clara).get("/").content.decode()
