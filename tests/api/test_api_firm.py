"""Timekeepers and rates through the API: who sees targets and rate tables, who changes them,
and rates changed the only way they change — a new rate from a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from lexbill.audit.models import AuditRecord
from lexbill.billing.models import Rate
from lexbill.billing.rates import rate_for, set_rate
from lexbill.firm.models import Timekeeper
from lexbill.firm.services import create_user, set_billable_target

PROBLEM = "application/problem+json"


# ---- timekeepers -------------------------------------------------------------------------------


def test_every_role_lists_timekeepers_by_code(small_firm: Any, api_as: Any) -> None:
    response = api_as("clara").get("/api/timekeepers")
    assert response.status_code == 200
    codes = [item["code"] for item in response.json()["items"]]
    assert codes == list(Timekeeper.objects.order_by("code").values_list("code", flat=True))
    partner = next(i for i in response.json()["items"] if i["id"] == small_firm.partner.pk)
    assert partner["username"] == small_firm.pat.username


def test_timekeepers_filter_by_classification_and_search(small_firm: Any, api_as: Any) -> None:
    api = api_as("pat")
    paralegals = api.get("/api/timekeepers", {"classification": "paralegal"}).json()["items"]
    assert [i["code"] for i in paralegals] == [small_firm.paralegal.code]
    found = api.get("/api/timekeepers", {"search": "lee"}).json()["items"]
    assert [i["code"] for i in found] == [small_firm.associate.code]


def test_targets_show_only_to_the_roles_that_see_them_on_the_web(
    small_firm: Any, api_as: Any
) -> None:
    set_billable_target(None, small_firm.associate, 1800)
    url = f"/api/timekeepers/{small_firm.associate.pk}"
    assert api_as("alice").get(url).json()["billable_target_hours"] == 1800
    assert api_as("carol").get(url).json()["billable_target_hours"] == 1800  # views reports
    assert api_as("clara").get(url).json()["billable_target_hours"] is None
    assert api_as("pat").get(url).json()["billable_target_hours"] is None

    def listed(username: str) -> Any:
        items = api_as(username).get("/api/timekeepers").json()["items"]
        return next(i for i in items if i["id"] == small_firm.associate.pk)["billable_target_hours"]

    assert (listed("alice"), listed("clara")) == (1800, None)


def test_an_administrator_creates_a_timekeeper_for_a_user(small_firm: Any, api_as: Any) -> None:
    user = create_user(None, "nina", "correct horse battery staple", "attorney")
    response = api_as("alice").post(
        "/api/timekeepers",
        {
            "code": "NK",
            "first_name": "Nina",
            "last_name": "Kay",
            "classification": "associate",
            "username": user.username,
            "billable_target_hours": 1700,
        },
    )
    assert response.status_code == 201, response.content
    keeper = Timekeeper.objects.get(code="NK")
    assert keeper.user == user
    assert response.json()["billable_target_hours"] == keeper.billable_target_hours == 1700
    assert AuditRecord.objects.filter(
        model="firm.Timekeeper", object_id=str(keeper.pk), channel="api", actor=small_firm.alice
    ).exists()


def test_a_user_already_keeping_time_cannot_be_linked_twice(small_firm: Any, api_as: Any) -> None:
    before = Timekeeper.objects.count()
    response = api_as("alice").post(
        "/api/timekeepers",
        {
            "code": "PW2",
            "first_name": "Pat",
            "last_name": "Again",
            "classification": "partner",
            "username": small_firm.pat.username,
        },
    )
    assert response.status_code == 422
    assert response.json()["field"] == "username"
    assert Timekeeper.objects.count() == before


def test_a_coordinators_token_cannot_create_a_timekeeper(small_firm: Any, api_as: Any) -> None:
    response = api_as("carol").post(
        "/api/timekeepers",
        {"code": "ZZ", "first_name": "Z", "last_name": "Z", "classification": "other"},
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert not Timekeeper.objects.filter(code="ZZ").exists()


def test_a_target_is_set_and_removed(small_firm: Any, api_as: Any) -> None:
    api = api_as("alice")
    url = f"/api/timekeepers/{small_firm.paralegal.pk}"
    assert api.patch(url, {"billable_target_hours": 1500}).json()["billable_target_hours"] == 1500
    small_firm.paralegal.refresh_from_db()
    assert small_firm.paralegal.billable_target_hours == 1500
    assert api.patch(url, {"billable_target_hours": None}).status_code == 200
    small_firm.paralegal.refresh_from_db()
    assert small_firm.paralegal.billable_target_hours is None
    too_many = api.patch(url, {"billable_target_hours": 365 * 24 + 25})
    assert too_many.status_code == 422


# ---- rates -------------------------------------------------------------------------------------


def _matter_rate(small_firm: Any) -> Rate:
    return set_rate(
        None,
        "matter",
        "450.00",
        date(2026, 1, 1),
        matter=small_firm.acme_hourly,
        timekeeper=small_firm.partner,
    )


def test_rate_managers_list_every_rate_in_a_stable_order(small_firm: Any, api_as: Any) -> None:
    _matter_rate(small_firm)
    response = api_as("carol").get("/api/rates")
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["items"]]
    expected = list(
        Rate.objects.order_by("level", "currency", "effective_from", "id").values_list(
            "id", flat=True
        )
    )
    assert ids == expected
    amounts = {item["id"]: item["amount"] for item in response.json()["items"]}
    assert all(isinstance(a, str) for a in amounts.values())
    assert {k: Decimal(v) for k, v in amounts.items()} == dict(
        Rate.objects.values_list("id", "amount")
    )


def test_other_roles_see_only_the_matters_own_rates(small_firm: Any, api_as: Any) -> None:
    matter_rate = _matter_rate(small_firm)
    standard = Rate.objects.filter(timekeeper=small_firm.partner, level="timekeeper").get()
    api = api_as("clara")
    listed = [item["id"] for item in api.get("/api/rates").json()["items"]]
    assert listed == [matter_rate.pk]
    assert api.get(f"/api/rates/{matter_rate.pk}").status_code == 200
    hidden = api.get(f"/api/rates/{standard.pk}")
    assert hidden.status_code == 404
    assert hidden["Content-Type"] == PROBLEM


def test_rates_filter_by_level_key_and_dates(small_firm: Any, api_as: Any) -> None:
    _matter_rate(small_firm)
    set_rate(None, "timekeeper", "550.00", date(2026, 7, 1), timekeeper=small_firm.partner)
    api = api_as("carol")

    def ids(**params: Any) -> set[int]:
        response = api.get("/api/rates", params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    partner_rates = set(
        Rate.objects.filter(timekeeper=small_firm.partner).values_list("id", flat=True)
    )
    assert ids(timekeeper=small_firm.partner.pk) == partner_rates
    assert ids(level="matter") == set(
        Rate.objects.filter(level="matter").values_list("id", flat=True)
    )
    later = set(
        Rate.objects.filter(effective_from__gte=date(2026, 2, 1)).values_list("id", flat=True)
    )
    assert ids(effective_from="2026-02-01") == later
    assert ids(matter=small_firm.acme_hourly.pk) == set(
        Rate.objects.filter(matter=small_firm.acme_hourly).values_list("id", flat=True)
    )


def test_a_coordinator_adds_a_client_rate_and_it_prices_work(small_firm: Any, api_as: Any) -> None:
    response = api_as("carol").post(
        "/api/rates",
        {
            "level": "client",
            "amount": "425.50",
            "effective_from": "2026-03-01",
            "client_id": small_firm.acme.pk,
            "classification": "partner",
        },
    )
    assert response.status_code == 201, response.content
    rate = Rate.objects.get(pk=response.json()["id"])
    assert rate.amount == Decimal("425.50")
    resolved = rate_for(small_firm.acme_hourly, small_firm.partner, date(2026, 3, 2))
    assert resolved is not None
    assert resolved.rate_id == rate.pk
    assert AuditRecord.objects.filter(
        model="billing.Rate", object_id=str(rate.pk), channel="api"
    ).exists()


def test_a_rate_with_the_wrong_key_for_its_level_is_refused(small_firm: Any, api_as: Any) -> None:
    before = Rate.objects.count()
    response = api_as("carol").post(
        "/api/rates",
        {"level": "matter", "amount": "100", "effective_from": "2026-03-01"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "matter_id"
    assert Rate.objects.count() == before


def test_a_clerks_token_cannot_set_a_rate(small_firm: Any, api_as: Any) -> None:
    before = Rate.objects.count()
    response = api_as("clara").post(
        "/api/rates",
        {
            "level": "timekeeper",
            "amount": "1.00",
            "effective_from": "2026-03-01",
            "timekeeper_id": small_firm.partner.pk,
        },
    )
    assert response.status_code == 403
    assert Rate.objects.count() == before


def test_changing_a_rate_adds_one_from_a_date_and_keeps_the_old_for_earlier_work(
    small_firm: Any, api_as: Any
) -> None:
    old = Rate.objects.get(timekeeper=small_firm.associate, level="timekeeper")
    response = api_as("carol").post(
        f"/api/rates/{old.pk}/change", {"amount": "325.00", "effective_from": "2026-09-01"}
    )
    assert response.status_code == 201, response.content
    new = Rate.objects.get(pk=response.json()["id"])
    assert (new.level, new.timekeeper, new.currency) == (old.level, old.timekeeper, old.currency)
    before = rate_for(small_firm.acme_hourly, small_firm.associate, date(2026, 8, 31))
    after = rate_for(small_firm.acme_hourly, small_firm.associate, date(2026, 9, 1))
    assert before is not None and after is not None
    assert (before.rate_id, after.rate_id) == (old.pk, new.pk)
    twice = api_as("carol").post(
        f"/api/rates/{old.pk}/change", {"amount": "330.00", "effective_from": "2026-09-01"}
    )
    assert twice.status_code == 422
    assert twice.json()["field"] == "effective_from"
