"""Time and expenses through the API: recorded, corrected and deleted by the services' rules,
listed with filters, safe to retry with an Idempotency-Key, and audited as "api"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import run_bill_run
from lexbill.core.increments import billed_minutes, hours_to_seconds, minutes_to_hours
from lexbill.core.invoice_math import expense_amount
from lexbill.entries.models import Expense, TimeEntry
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.firm.services import get_firm

PROBLEM = "application/problem+json"


def _time(f: Any, day: date, hours: str = "1.0", *, keeper: Any = None, matter: Any = None) -> Any:
    return record_time(
        None,
        TimeDraft(
            matter=matter or f.acme_hourly,
            timekeeper=keeper or f.partner,
            work_date=day,
            duration_seconds=hours_to_seconds(hours),
            narrative=f"work on {day}",
        ),
    )


def _expense(f: Any, day: date, *, matter: Any = None) -> Any:
    return record_expense(
        None,
        ExpenseDraft(
            matter=matter or f.acme_hourly,
            date=day,
            expense_code="E101",
            quantity="120",
            unit_cost="0.1500",
            description="copies",
        ),
    )


# ---- time --------------------------------------------------------------------------------------


def test_an_attorney_records_their_own_time_by_default(small_firm: Any, api_as: Any) -> None:
    response = api_as("pat").post(
        "/api/time-entries",
        {
            "matter_id": small_firm.acme_hourly.pk,
            "work_date": "2026-03-02",
            "hours": "1.33",
            "narrative": "Draft motion",
            "task_code": "l110",
            "activity_code": "A103",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    entry = TimeEntry.objects.get(pk=body["id"])
    assert entry.timekeeper == small_firm.partner
    assert entry.created_by == small_firm.pat
    firm = get_firm()
    expected_minutes = billed_minutes(
        hours_to_seconds("1.33"), firm.increment_minutes, firm.rounding
    )
    assert body["duration_seconds"] == entry.duration_seconds == hours_to_seconds("1.33")
    assert body["billed_minutes"] == expected_minutes
    assert body["billed_hours"] == str(minutes_to_hours(expected_minutes))
    assert body["task_code"] == "L110"
    assert body["state"] == "unbilled"
    record = AuditRecord.objects.get(model="entries.TimeEntry", object_id=str(entry.pk))
    assert (record.channel, record.actor) == ("api", small_firm.pat)


def test_a_clerk_records_time_for_a_named_timekeeper(small_firm: Any, api_as: Any) -> None:
    response = api_as("clara").post(
        "/api/time-entries",
        {
            "matter_id": small_firm.acme_hourly.pk,
            "timekeeper_id": small_firm.associate.pk,
            "work_date": "2026-03-02",
            "hours": "0.5",
            "narrative": "Research",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["timekeeper_code"] == small_firm.associate.code


def test_someone_without_a_timekeeper_must_name_one(small_firm: Any, api_as: Any) -> None:
    response = api_as("clara").post(
        "/api/time-entries",
        {
            "matter_id": small_firm.acme_hourly.pk,
            "work_date": "2026-03-02",
            "hours": "0.5",
            "narrative": "Research",
        },
    )
    assert response.status_code == 422
    assert response.json()["field"] == "timekeeper_id"
    assert not TimeEntry.objects.exists()


def test_hours_sent_as_a_float_are_refused_and_nothing_is_recorded(
    small_firm: Any, api_as: Any
) -> None:
    response = api_as("pat").post(
        "/api/time-entries",
        {
            "matter_id": small_firm.acme_hourly.pk,
            "work_date": "2026-03-02",
            "hours": 1.5,
            "narrative": "Float",
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"].endswith("hours")
    assert not TimeEntry.objects.exists()


def test_a_day_over_24_hours_is_refused_by_the_service(small_firm: Any, api_as: Any) -> None:
    _time(small_firm, date(2026, 3, 2), "20")
    response = api_as("pat").post(
        "/api/time-entries",
        {
            "matter_id": small_firm.acme_hourly.pk,
            "work_date": "2026-03-02",
            "hours": "5",
            "narrative": "Too much",
        },
    )
    assert response.status_code == 422
    assert response.json()["field"] == "duration"
    assert TimeEntry.objects.count() == 1


def test_a_retry_with_the_same_idempotency_key_records_once(small_firm: Any, api_as: Any) -> None:
    api = api_as("pat")
    body = {
        "matter_id": small_firm.acme_hourly.pk,
        "work_date": "2026-03-03",
        "hours": "2",
        "narrative": "Hearing",
    }
    first = api.post("/api/time-entries", body, **{"Idempotency-Key": "retry-1"})
    again = api.post("/api/time-entries", body, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert TimeEntry.objects.count() == 1
    other = api.post("/api/time-entries", {**body, "hours": "3"}, **{"Idempotency-Key": "retry-1"})
    assert other.status_code == 422
    assert TimeEntry.objects.count() == 1


def test_time_lists_newest_first_and_filters(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    entries = [
        _time(f, date(2026, 3, 1)),
        _time(f, date(2026, 3, 5), keeper=f.associate),
        _time(f, date(2026, 3, 5)),
        _time(f, date(2026, 3, 9), matter=f.globex_flat),
    ]
    api = api_as("clara")

    def ids(**params: Any) -> list[int]:
        response = api.get("/api/time-entries", params)
        assert response.status_code == 200, response.content
        assert response.json()["count"] == len(response.json()["items"])
        return [item["id"] for item in response.json()["items"]]

    newest_first = sorted(entries, key=lambda e: (e.work_date, e.pk), reverse=True)
    assert ids() == [e.pk for e in newest_first]
    assert ids(matter=f.acme_hourly.pk) == [
        e.pk for e in newest_first if e.matter_id == f.acme_hourly.pk
    ]
    assert ids(client=f.globex.pk) == [entries[3].pk]
    assert ids(timekeeper=f.associate.pk) == [entries[1].pk]
    assert ids(date_from="2026-03-02", date_to="2026-03-08") == [entries[2].pk, entries[1].pk]
    run_bill_run(None, date(2026, 3, 4))
    billed = set(TimeEntry.objects.filter(state="prebilled").values_list("pk", flat=True))
    assert set(ids(state="prebilled")) == billed == {entries[0].pk}
    assert set(ids(state="unbilled")) == {e.pk for e in entries} - billed


def test_a_correction_changes_only_what_is_sent_and_is_audited(
    small_firm: Any, api_as: Any
) -> None:
    entry = _time(small_firm, date(2026, 3, 2))
    response = api_as("pat").patch(
        f"/api/time-entries/{entry.pk}", {"hours": "2.5", "narrative": "Longer"}
    )
    assert response.status_code == 200, response.content
    entry.refresh_from_db()
    assert entry.duration_seconds == hours_to_seconds("2.5")
    assert entry.narrative == "Longer"
    assert entry.work_date == date(2026, 3, 2)
    record = AuditRecord.objects.filter(model="entries.TimeEntry", object_id=str(entry.pk)).first()
    assert record is not None
    assert (record.action, record.channel) == (AuditRecord.Action.UPDATE, "api")


def test_work_on_a_pre_bill_cannot_be_corrected_or_deleted(small_firm: Any, api_as: Any) -> None:
    entry = _time(small_firm, date(2026, 3, 2))
    run_bill_run(None, date(2026, 3, 31))
    api = api_as("carol")
    changed = api.patch(f"/api/time-entries/{entry.pk}", {"narrative": "Changed"})
    assert changed.status_code == 422
    assert changed.json()["field"] == "state"
    assert api.delete(f"/api/time-entries/{entry.pk}").status_code == 422
    entry.refresh_from_db()
    assert entry.narrative == "work on 2026-03-02"


def test_unbilled_time_is_deleted_and_the_audit_keeps_it(small_firm: Any, api_as: Any) -> None:
    entry = _time(small_firm, date(2026, 3, 2))
    api = api_as("pat")
    response = api.delete(f"/api/time-entries/{entry.pk}")
    assert response.status_code == 204
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()
    record = AuditRecord.objects.get(
        model="entries.TimeEntry", object_id=str(entry.pk), action=AuditRecord.Action.DELETE
    )
    assert record.channel == "api"
    assert api.get(f"/api/time-entries/{entry.pk}").status_code == 404


def test_a_revoked_token_is_refused_on_work_capture(small_firm: Any) -> None:
    from lexbill.api.tokens import create_token, revoke_token
    from tests.api.conftest import ApiClient

    token, secret = create_token(small_firm.pat, "timer app")
    api = ApiClient(secret)
    assert api.get("/api/time-entries").status_code == 200
    revoke_token(small_firm.pat, token.pk)
    body = {
        "matter_id": small_firm.acme_hourly.pk,
        "work_date": "2026-03-02",
        "hours": "1",
        "narrative": "After revocation",
    }
    response = api.post("/api/time-entries", body)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert not TimeEntry.objects.exists()


# ---- expenses ----------------------------------------------------------------------------------


def test_an_expense_is_recorded_with_its_amount_in_the_matters_currency(
    small_firm: Any, api_as: Any
) -> None:
    response = api_as("clara").post(
        "/api/expenses",
        {
            "matter_id": small_firm.acme_hourly.pk,
            "date": "2026-03-02",
            "expense_code": "e101",
            "quantity": "125",
            "unit_cost": "0.1500",
            "description": "Copies",
            "receipt": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    expense = Expense.objects.get(pk=body["id"])
    expected = expense_amount(Decimal("125"), Decimal("0.1500"), small_firm.acme_hourly.currency)
    assert Decimal(body["amount"]) == expected
    assert isinstance(body["amount"], str)
    assert body["currency"] == small_firm.acme_hourly.currency
    assert body["expense_code"] == expense.expense_code == "E101"
    assert expense.receipt is True
    assert AuditRecord.objects.filter(
        model="entries.Expense", object_id=str(expense.pk), channel="api", actor=small_firm.clara
    ).exists()


def test_an_expense_with_too_many_decimals_is_refused(small_firm: Any, api_as: Any) -> None:
    response = api_as("clara").post(
        "/api/expenses",
        {
            "matter_id": small_firm.acme_hourly.pk,
            "date": "2026-03-02",
            "expense_code": "E101",
            "unit_cost": "0.123456",
            "description": "Copies",
        },
    )
    assert response.status_code == 422
    assert not Expense.objects.exists()


def test_expenses_list_newest_first_with_filters(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    first = _expense(f, date(2026, 3, 1))
    second = _expense(f, date(2026, 3, 4), matter=f.globex_flat)
    api = api_as("pat")
    items = api.get("/api/expenses").json()["items"]
    assert [i["id"] for i in items] == [second.pk, first.pk]
    by_client = api.get("/api/expenses", {"client": f.acme.pk}).json()["items"]
    assert [i["id"] for i in by_client] == [first.pk]
    by_code = api.get("/api/expenses", {"expense_code": "e101", "date_from": "2026-03-02"})
    assert [i["id"] for i in by_code.json()["items"]] == [second.pk]


def test_an_expense_is_corrected_its_timekeeper_cleared_and_deleted(
    small_firm: Any, api_as: Any
) -> None:
    expense = _expense(small_firm, date(2026, 3, 1))
    api = api_as("sam")
    url = f"/api/expenses/{expense.pk}"
    named = api.patch(url, {"timekeeper_id": small_firm.paralegal.pk, "persons": 4})
    assert named.status_code == 200, named.content
    assert named.json()["timekeeper_code"] == small_firm.paralegal.code
    cleared = api.patch(url, {"timekeeper_id": None})
    assert cleared.status_code == 200, cleared.content
    expense.refresh_from_db()
    assert expense.timekeeper is None
    assert expense.persons == 4
    assert api.patch(url, {"quantity": None}).status_code == 422
    assert api.delete(url).status_code == 204
    assert not Expense.objects.filter(pk=expense.pk).exists()


def test_an_unknown_expense_is_a_404_problem(small_firm: Any, api_as: Any) -> None:
    missing = (Expense.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    response = api_as("pat").get(f"/api/expenses/{missing}")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_a_list_costs_the_same_queries_however_long_the_page(small_firm: Any, api_as: Any) -> None:
    api = api_as("pat")
    api.get("/api/time-entries")  # the token's last-use write happens on the first call only

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    _time(small_firm, date(2026, 3, 1))
    _expense(small_firm, date(2026, 3, 1))
    few = (queries("/api/time-entries"), queries("/api/expenses"))
    for day in range(2, 12):
        _time(small_firm, date(2026, 3, day), keeper=small_firm.associate)
        _expense(small_firm, date(2026, 3, day), matter=small_firm.globex_flat)
    assert (queries("/api/time-entries"), queries("/api/expenses")) == few
