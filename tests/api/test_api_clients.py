"""Clients and matters through the API: lists with filters, reads, creates and changes, each
refused or accepted as the services decide, audited with the channel "api"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from lexbill.audit.models import AuditRecord
from lexbill.clients.models import Client, Matter
from lexbill.clients.services import close_matter, create_client, open_matter

PROBLEM = "application/problem+json"


def _numbers(response: Any) -> list[str]:
    return [item["number"] for item in response.json()["items"]]


# ---- clients -----------------------------------------------------------------------------------


def test_every_role_lists_the_clients_by_name_a_page_at_a_time(
    small_firm: Any, api_as: Any
) -> None:
    for n in range(3):
        create_client(None, f"C9{n}", f"Zeta {n}")
    expected = list(Client.objects.order_by("name", "number").values_list("number", flat=True))
    api = api_as("clara")
    seen: list[str] = []
    for offset in range(0, len(expected), 2):
        page = api.get("/api/clients", {"limit": 2, "offset": offset})
        assert page.status_code == 200
        assert page.json()["count"] == len(expected)
        assert len(page.json()["items"]) <= 2
        seen += _numbers(page)
    assert seen == expected


def test_clients_are_found_by_part_of_their_name_or_number(small_firm: Any, api_as: Any) -> None:
    api = api_as("pat")
    assert _numbers(api.get("/api/clients", {"search": "glob"})) == [small_firm.globex.number]
    assert _numbers(api.get("/api/clients", {"search": "001"})) == [small_firm.acme.number]


def test_the_active_filter_separates_clients_with_an_open_matter(
    small_firm: Any, api_as: Any
) -> None:
    idle = create_client(None, "C050", "Idle Ltd")
    close_matter(None, small_firm.globex_flat, date(2026, 6, 30))
    api = api_as("sam")
    active = _numbers(api.get("/api/clients", {"active": "true"}))
    inactive = _numbers(api.get("/api/clients", {"active": "false"}))
    assert active == [small_firm.acme.number]
    assert sorted(inactive) == sorted([idle.number, small_firm.globex.number])


def test_a_client_reads_with_money_as_decimal_strings(small_firm: Any, api_as: Any) -> None:
    body = api_as("clara").get(f"/api/clients/{small_firm.globex.pk}").json()
    assert body["number"] == small_firm.globex.number
    assert isinstance(body["tax_rate_percent"], str)
    assert Decimal(body["tax_rate_percent"]) == small_firm.globex.tax_rate_percent
    assert body["open_matters"] == small_firm.globex.matters.filter(status="open").count()


def test_an_unknown_client_is_a_404_problem(small_firm: Any, api_as: Any) -> None:
    missing = Client.objects.order_by("-pk").first().pk + 1
    response = api_as("carol").get(f"/api/clients/{missing}")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert str(missing) in response.json()["detail"]


def test_a_coordinator_creates_a_client_and_the_change_is_audited_as_api(
    small_firm: Any, api_as: Any
) -> None:
    response = api_as("carol").post(
        "/api/clients",
        {
            "number": "C777",
            "name": "Initech",
            "billing_email": "ap@initech.example",
            "tax_rate_percent": "8.25",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    client = Client.objects.get(number="C777")
    assert body["id"] == client.pk
    assert body["tax_rate_percent"] == str(client.tax_rate_percent)
    assert client.tax_rate_percent == Decimal("8.25")
    record = AuditRecord.objects.get(model="clients.Client", object_id=str(client.pk))
    assert record.action == AuditRecord.Action.CREATE
    assert record.channel == "api"
    assert record.actor == small_firm.carol


def test_a_clerks_token_cannot_create_a_client(small_firm: Any, api_as: Any) -> None:
    before = Client.objects.count()
    response = api_as("clara").post("/api/clients", {"number": "C778", "name": "Nope"})
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "may not" in response.json()["detail"]
    assert Client.objects.count() == before


def test_a_taken_number_is_refused_naming_the_field(small_firm: Any, api_as: Any) -> None:
    response = api_as("carol").post(
        "/api/clients", {"number": small_firm.acme.number, "name": "Twin"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "number"


def test_a_tax_rate_sent_as_a_float_is_refused(small_firm: Any, api_as: Any) -> None:
    response = api_as("carol").post(
        "/api/clients", {"number": "C779", "name": "Floaty", "tax_rate_percent": 8.25}
    )
    assert response.status_code == 422
    assert "string" in response.json()["detail"]
    assert not Client.objects.filter(number="C779").exists()


def test_unknown_fields_and_bad_e_mail_are_refused(small_firm: Any, api_as: Any) -> None:
    api = api_as("carol")
    typo = api.post("/api/clients", {"number": "C780", "name": "Typo", "adress": "1 Way"})
    assert typo.status_code == 422
    assert "adress" in typo.json()["detail"]
    mail = api.post("/api/clients", {"number": "C780", "name": "Typo", "billing_email": "x@"})
    assert mail.status_code == 422
    assert not Client.objects.filter(number="C780").exists()


def test_patch_changes_only_the_fields_sent(small_firm: Any, api_as: Any) -> None:
    acme = small_firm.acme
    response = api_as("sam").patch(f"/api/clients/{acme.pk}", {"billing_contact": "Wile E."})
    assert response.status_code == 200, response.content
    acme.refresh_from_db()
    assert acme.billing_contact == "Wile E."
    assert response.json()["name"] == acme.name == small_firm.acme.name
    record = AuditRecord.objects.filter(model="clients.Client", object_id=str(acme.pk)).first()
    assert record is not None
    assert record.action == AuditRecord.Action.UPDATE
    assert record.channel == "api"


def test_patch_refuses_null_for_a_required_field(small_firm: Any, api_as: Any) -> None:
    response = api_as("sam").patch(f"/api/clients/{small_firm.acme.pk}", {"name": None})
    assert response.status_code == 422
    assert response.json()["field"] == "name"


# ---- matters -----------------------------------------------------------------------------------


def test_matters_filter_by_client_status_attorney_and_practice_area(
    small_firm: Any, api_as: Any
) -> None:
    other = open_matter(
        None,
        small_firm.globex,
        "C002-002",
        "Globex patents",
        small_firm.associate,
        opened_on=date(2026, 2, 1),
        practice_area="IP",
    )
    close_matter(None, small_firm.acme_capped, date(2026, 5, 1))
    api = api_as("clara")

    def numbers(**params: Any) -> list[str]:
        response = api.get("/api/matters", params)
        assert response.status_code == 200, response.content
        return _numbers(response)

    assert numbers() == list(Matter.objects.order_by("number").values_list("number", flat=True))
    assert numbers(client=small_firm.globex.pk) == [small_firm.globex_flat.number, other.number]
    assert numbers(status="closed") == [small_firm.acme_capped.number]
    assert numbers(responsible_attorney=small_firm.associate.pk) == [other.number]
    assert numbers(practice_area="ip") == [other.number]
    assert numbers(search="lease") == [small_firm.globex_flat.number]


def test_a_matter_reads_with_its_client_attorney_and_arrangement(
    small_firm: Any, api_as: Any
) -> None:
    capped = small_firm.acme_capped
    body = api_as("pat").get(f"/api/matters/{capped.pk}").json()
    assert body["client_number"] == small_firm.acme.number
    assert body["responsible_attorney_code"] == small_firm.partner.code
    assert body["arrangement"] == "capped"
    assert body["fee_cap"] == str(capped.fee_cap)
    assert body["flat_fee"] is None
    assert body["opened_on"] == capped.opened_on.isoformat()


def test_a_specialist_opens_a_matter(small_firm: Any, api_as: Any) -> None:
    response = api_as("sam").post(
        "/api/matters",
        {
            "client_id": small_firm.acme.pk,
            "number": "C001-009",
            "name": "Acme lease",
            "responsible_attorney_id": small_firm.partner.pk,
            "opened_on": "2026-03-01",
            "arrangement": "flat_fee",
            "flat_fee": "1500.00",
            "practice_area": "Real  estate",
        },
    )
    assert response.status_code == 201, response.content
    matter = Matter.objects.get(number="C001-009")
    assert matter.flat_fee == Decimal("1500.00")
    assert matter.practice_area == "Real estate"
    assert response.json()["flat_fee"] == str(matter.flat_fee)
    assert AuditRecord.objects.filter(
        model="clients.Matter", object_id=str(matter.pk), channel="api", actor=small_firm.sam
    ).exists()


def test_opening_a_flat_fee_matter_without_a_fee_names_the_field(
    small_firm: Any, api_as: Any
) -> None:
    response = api_as("carol").post(
        "/api/matters",
        {
            "client_id": small_firm.acme.pk,
            "number": "C001-010",
            "name": "No fee",
            "responsible_attorney_id": small_firm.partner.pk,
            "opened_on": "2026-03-01",
            "arrangement": "flat_fee",
        },
    )
    assert response.status_code == 422
    assert response.json()["field"] == "flat_fee"
    assert not Matter.objects.filter(number="C001-010").exists()


def test_a_matter_naming_an_unknown_client_is_refused_naming_the_field(
    small_firm: Any, api_as: Any
) -> None:
    missing = Client.objects.order_by("-pk").first().pk + 1
    response = api_as("carol").post(
        "/api/matters",
        {
            "client_id": missing,
            "number": "C404-001",
            "name": "Ghost",
            "responsible_attorney_id": small_firm.partner.pk,
            "opened_on": "2026-03-01",
        },
    )
    assert response.status_code == 422
    assert response.json()["field"] == "client_id"


def test_a_matter_changes_attorney_and_its_cap_can_be_cleared(small_firm: Any, api_as: Any) -> None:
    capped = small_firm.acme_capped
    api = api_as("carol")
    response = api.patch(
        f"/api/matters/{capped.pk}",
        {"responsible_attorney_id": small_firm.associate.pk, "arrangement": "hourly"},
    )
    assert response.status_code == 200, response.content
    cleared = api.patch(f"/api/matters/{capped.pk}", {"fee_cap": None})
    assert cleared.status_code == 200, cleared.content
    capped.refresh_from_db()
    assert capped.responsible_attorney == small_firm.associate
    assert capped.fee_cap is None
    assert cleared.json()["fee_cap"] is None


def test_a_capped_matter_keeps_its_cap_unless_it_stops_being_capped(
    small_firm: Any, api_as: Any
) -> None:
    capped = small_firm.acme_capped
    response = api_as("carol").patch(f"/api/matters/{capped.pk}", {"fee_cap": None})
    assert response.status_code == 422
    assert response.json()["field"] == "fee_cap"
    capped.refresh_from_db()
    assert capped.fee_cap == small_firm.acme_capped.fee_cap


def test_closing_a_matter_stops_new_work_on_it(small_firm: Any, api_as: Any) -> None:
    matter = small_firm.acme_hourly
    response = api_as("carol").post(f"/api/matters/{matter.pk}/close", {"closed_on": "2026-06-30"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert response.json()["closed_on"] == "2026-06-30"
    work = api_as("pat").post(
        "/api/time-entries",
        {"matter_id": matter.pk, "work_date": "2026-07-01", "hours": "1", "narrative": "Late"},
    )
    assert work.status_code == 422
    assert work.json()["field"] == "matter"


def test_an_attorneys_token_cannot_close_a_matter(small_firm: Any, api_as: Any) -> None:
    matter = small_firm.acme_hourly
    response = api_as("pat").post(f"/api/matters/{matter.pk}/close", {"closed_on": "2026-06-30"})
    assert response.status_code == 403
    matter.refresh_from_db()
    assert matter.status == Matter.Status.OPEN


def test_values_the_database_cannot_hold_are_refused_before_it_sees_them(
    small_firm: Any, api_as: Any
) -> None:
    api = api_as("carol")
    before = Client.objects.count()
    nul = api.post("/api/clients", {"number": "C900", "name": "Nul\x00Corp"})
    too_long = api.post("/api/clients", {"number": "C" * 21, "name": "Long number"})
    huge = api.post(
        "/api/clients", {"number": "C901", "name": "Huge tax", "tax_rate_percent": "1" * 40}
    )
    for response in (nul, too_long, huge):
        assert response.status_code == 422, response.content
        assert response["Content-Type"] == PROBLEM
    assert Client.objects.count() == before
    big_id = api.get(f"/api/clients/{2**70}")
    assert big_id.status_code == 404
