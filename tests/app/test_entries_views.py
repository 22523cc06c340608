"""The time and expense pages: forms save through the services, errors sit next to their field,
the list filters and pages without N+1 queries, rows edit inline, bulk changes undo."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lexbill.audit.models import AuditRecord
from lexbill.clients.models import Matter
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import Billable, BillingState, Expense, TimeEntry
from lexbill.entries.services import TimeDraft, record_time

DAY = date(2026, 3, 2)


@pytest.fixture
def clara(client: Client, small_firm: Any) -> Client:
    client.force_login(small_firm.clara)
    return client


def _entry(f: Any, hours: str = "1", **kw: Any) -> TimeEntry:
    base: dict[str, Any] = {
        "matter": f.acme_hourly,
        "timekeeper": f.partner,
        "work_date": DAY,
        "duration_seconds": hours_to_seconds(hours),
        "narrative": "Review discovery responses",
        "task_code": "L310",
        "activity_code": "A104",
    }
    base.update(kw)
    return record_time(None, TimeDraft(**base))


def _post_time(client: Client, f: Any, **kw: Any) -> Any:
    data = {
        "matter": f.acme_hourly.number,
        "timekeeper": f.associate.pk,
        "work_date": "2026-03-02",
        "hours": "1.5",
        "duration_seconds": "",
        "narrative": "Draft motion to compel",
        "task_code": "L250",
        "activity_code": "A103",
        "billable": "billable",
    }
    data.update(kw)
    return client.post(reverse("entries:time-new"), data)


def _field_error(html: str, field: str) -> str:
    """The text of the error paragraph the page placed right under ``field``."""
    marker = f'id="id_{field}_error">'
    assert marker in html, f"no error next to {field}"
    return html.split(marker, 1)[1].split("<", 1)[0]


# --- entry form ---------------------------------------------------------------------------


def test_the_entry_form_has_labelled_fields_and_a_timer(clara: Client, small_firm: Any) -> None:
    html = clara.get(reverse("entries:time-new")).content.decode()
    for field, label in [
        ("matter", "Matter"),
        ("timekeeper", "Timekeeper"),
        ("work_date", "Date"),
        ("hours", "Hours"),
        ("narrative", "Narrative"),
        ("task_code", "Task code"),
        ("activity_code", "Activity code"),
        ("billable", "Billing"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in html
    for button in ("Start", "Pause", "Resume", "Stop"):
        assert f">{button}</button>" in html
    assert 'name="duration_seconds"' in html
    assert "entries/timer.js" in html
    assert '<option value="L110">' in html  # the task code list


def test_the_form_defaults_to_the_users_own_timekeeper(client: Client, small_firm: Any) -> None:
    client.force_login(small_firm.pat)
    html = client.get(reverse("entries:time-new")).content.decode()
    assert f'<option value="{small_firm.partner.pk}" selected>' in html


def test_a_clerk_records_time_in_hours(clara: Client, small_firm: Any) -> None:
    response = _post_time(clara, small_firm)
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert entry.duration_seconds == 5400
    assert entry.billed_minutes == 90
    assert entry.timekeeper == small_firm.associate
    assert entry.task_code == "L250"
    assert entry.created_by == small_firm.clara
    # the next blank form keeps the timekeeper and the day
    page = clara.get(response["Location"]).content.decode()
    assert "Recorded 1.50 h on C001-001" in page
    assert 'value="2026-03-02"' in page


def test_timer_seconds_are_stored_exactly(clara: Client, small_firm: Any) -> None:
    _post_time(clara, small_firm, hours="0.34", duration_seconds="1234")
    assert TimeEntry.objects.get().duration_seconds == 1234


def test_hours_typed_over_the_timer_win(clara: Client, small_firm: Any) -> None:
    _post_time(clara, small_firm, hours="2", duration_seconds="1234")
    assert TimeEntry.objects.get().duration_seconds == 7200


def test_a_matter_can_be_typed_as_picked_from_the_search_list(
    clara: Client, small_firm: Any
) -> None:
    _post_time(clara, small_firm, matter="C001-001 · Acme Corp · Acme v. Roadrunner")
    assert TimeEntry.objects.get().matter == small_firm.acme_hourly


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hours": "", "duration_seconds": ""}, "hours", "enter the hours worked"),
        ({"hours": "25"}, "hours", "more than 24 hours"),
        ({"hours": "0"}, "hours", "more than zero"),
        ({"narrative": ""}, "narrative", "required"),
        ({"task_code": "X999"}, "task_code", "Unknown UTBMS task code"),
        ({"activity_code": "L110"}, "activity_code", "Unknown UTBMS activity code"),
        ({"matter": "Z-404"}, "matter", "no matter numbered"),
        ({"work_date": "2025-06-01"}, "timekeeper", "No rate is in force"),
    ],
)
def test_errors_appear_next_to_the_field_and_nothing_is_saved(
    clara: Client, small_firm: Any, changes: dict[str, str], field: str, message: str
) -> None:
    response = _post_time(clara, small_firm, **changes)
    assert response.status_code == 400
    assert message in _field_error(response.content.decode(), field)
    assert not TimeEntry.objects.exists()


def test_a_closed_matter_is_refused_next_to_the_matter(clara: Client, small_firm: Any) -> None:
    Matter.objects.filter(pk=small_firm.acme_capped.pk).update(status="closed")
    response = _post_time(clara, small_firm, matter="C001-002")
    assert "is closed" in _field_error(response.content.decode(), "matter")
    assert not TimeEntry.objects.exists()


def test_a_day_over_24_hours_is_refused_next_to_the_hours(clara: Client, small_firm: Any) -> None:
    _entry(small_firm, "20", timekeeper=small_firm.associate)
    response = _post_time(clara, small_firm, hours="5")
    assert "more than 24 hours" in _field_error(response.content.decode(), "hours")
    assert TimeEntry.objects.count() == 1


def test_matter_search_finds_open_matters_by_client_or_number(
    clara: Client, small_firm: Any
) -> None:
    Matter.objects.filter(pk=small_firm.acme_capped.pk).update(status="closed")
    url = reverse("entries:matter-search")
    by_client = clara.get(url, {"matter": "acme"}).content.decode()
    assert '<option value="C001-001">' in by_client
    assert "C001-002" not in by_client  # closed
    assert "C002-001" not in by_client
    by_number = clara.get(url, {"q": "C002"}).content.decode()
    assert '<option value="C002-001">' in by_number
    by_word = clara.get(url, {"q": "lease"}).content.decode()
    assert "C002-001" in by_word
    assert clara.get(url, {"q": ""}).content.decode().strip() == ""


def test_code_search_finds_codes_by_code_or_description(clara: Client, small_firm: Any) -> None:
    task = clara.get(reverse("entries:code-search", args=["task"]), {"task_code": "L11"})
    assert '<option value="L110">' in task.content.decode()
    activity = clara.get(reverse("entries:code-search", args=["activity"]), {"q": "draft"})
    assert '<option value="A103">' in activity.content.decode()
    assert clara.get(reverse("entries:code-search", args=["nonsense"])).status_code == 404


def test_an_expense_is_recorded(clara: Client, small_firm: Any) -> None:
    response = clara.post(
        reverse("entries:expense-new"),
        {
            "matter": "C001-001",
            "timekeeper": "",
            "date": "2026-03-03",
            "expense_code": "e101",
            "quantity": "120",
            "unit_cost": "0.10",
            "description": "Copies of the exhibits",
            "billable": "billable",
        },
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert expense.expense_code == "E101"
    assert expense.quantity == Decimal("120")
    assert expense.unit_cost == Decimal("0.10")
    assert expense.created_by == small_firm.clara


def test_an_expense_error_is_shown_next_to_the_code(clara: Client, small_firm: Any) -> None:
    response = clara.post(
        reverse("entries:expense-new"),
        {
            "matter": "C001-001",
            "date": "2026-03-03",
            "expense_code": "L110",
            "quantity": "1",
            "unit_cost": "5",
            "description": "Taxi",
            "billable": "billable",
        },
    )
    assert response.status_code == 400
    assert "Unknown UTBMS expense code" in _field_error(response.content.decode(), "expense_code")
    assert not Expense.objects.exists()


# --- the list -----------------------------------------------------------------------------


def _list(client: Client, **params: Any) -> str:
    response = client.get(reverse("entries:time-list"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_filters_by_matter_timekeeper_dates_state_and_code(
    clara: Client, small_firm: Any
) -> None:
    f = small_firm
    a = _entry(f, narrative="alpha work", work_date=date(2026, 3, 2))
    b = _entry(f, narrative="bravo work", work_date=date(2026, 3, 9), timekeeper=f.associate)
    c = _entry(f, narrative="charlie work", matter=f.globex_flat, task_code="L120")
    TimeEntry.objects.filter(pk=c.pk).update(state=BillingState.BILLED)

    unbilled = _list(clara)  # unbilled work is the default view
    assert "alpha work" in unbilled and "bravo work" in unbilled and "charlie work" not in unbilled
    assert "2 entries match" in unbilled
    everything = _list(clara, state="")
    assert "charlie work" in everything
    assert "Billed: it can no longer change." in everything
    assert "bravo work" not in _list(clara, timekeeper=f.partner.pk)
    assert "alpha work" not in _list(clara, date_from="2026-03-05")
    assert "bravo work" not in _list(clara, date_to="2026-03-05")
    assert "charlie work" in _list(clara, state="", matter="C002-001")
    assert "alpha work" not in _list(clara, state="", matter="C002-001")
    assert "charlie work" in _list(clara, state="billed", task_code="l120")
    unknown = _list(clara, matter="Z-404")
    assert "no matter numbered" in unknown and "alpha work" not in unknown
    assert a.pk and b.pk


def test_the_list_sorts_by_whitelisted_columns_only(clara: Client, small_firm: Any) -> None:
    f = small_firm
    _entry(f, "1", narrative="short one", work_date=date(2026, 3, 2))
    _entry(f, "3", narrative="long one", work_date=date(2026, 3, 3))
    by_hours = _list(clara, sort="hours", order="asc")
    assert by_hours.index("short one") < by_hours.index("long one")
    by_date = _list(clara, sort="date", order="desc")
    assert by_date.index("long one") < by_date.index("short one")
    # an unknown sort is ignored, not passed to the database, and the other filters still apply
    TimeEntry.objects.filter(narrative="long one").update(state=BillingState.BILLED)
    odd = _list(clara, sort="narrative; drop table")
    assert "short one" in odd and "long one" not in odd


def test_the_list_pages_by_keyset_without_repeating_rows(
    clara: Client, small_firm: Any, django_assert_max_num_queries: Any
) -> None:
    f = small_firm
    tks = [f.partner, f.associate, f.paralegal]
    for n in range(120):
        _entry(
            f,
            "0.1",
            narrative=f"entry number {n:03d}.",
            work_date=date(2026, 3, 2 + n % 20),
            timekeeper=tks[n % 3],
            matter=[f.acme_hourly, f.globex_flat][n % 2],
        )
    for sort in ("date", "timekeeper", "matter", "hours"):
        pages: list[list[str]] = []
        url: str | None = f"{reverse('entries:time-list')}?sort={sort}&order=asc"
        while url:
            with django_assert_max_num_queries(12):
                html = clara.get(url).content.decode()
            pages.append(re.findall(r"entry number (\d{3})\.", html))
            url = _pager_link(html, "next")
        seen = [n for page in pages for n in page]
        assert sorted(seen) == [f"{n:03d}" for n in range(120)], sort
        assert len(seen) == 120 and len(pages) > 2
        # and back again from the last page: the same pages, in reverse, then no earlier page
        backwards: list[list[str]] = [pages[-1]]
        url = _pager_link(html, "prev")
        while url:
            html = clara.get(url).content.decode()
            backwards.append(re.findall(r"entry number (\d{3})\.", html))
            url = _pager_link(html, "prev")
        assert backwards == pages[::-1], sort
        assert "First page" not in html and 'rel="next"' in html


def _pager_link(html: str, rel: str) -> str | None:
    if f'rel="{rel}"' not in html:
        return None
    href = html.split(f'rel="{rel}"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    return reverse("entries:time-list") + href.replace("&amp;", "&")


def test_the_count_is_capped(clara: Client, small_firm: Any, monkeypatch: Any) -> None:
    from lexbill.entries import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        _entry(small_firm, "0.5")
    assert "More than 2 entries match" in _list(clara)


# --- inline edit --------------------------------------------------------------------------


def test_a_row_is_edited_inline(clara: Client, small_firm: Any) -> None:
    entry = _entry(small_firm, "1")
    url = reverse("entries:time-edit", args=[entry.pk])
    form = clara.get(url).content.decode()
    assert f'name="e{entry.pk}-hours"' in form and 'value="1.00"' in form
    p = f"e{entry.pk}-"
    response = clara.post(
        url,
        {
            p + "work_date": "2026-03-03",
            p + "hours": "2.25",
            p + "narrative": "Revised narrative",
            p + "task_code": "L120",
            p + "activity_code": "A101",
            p + "billable": "no_charge",
        },
    )
    row = response.content.decode()
    assert response.status_code == 200
    assert row.startswith("<tr") and "Revised narrative" in row and "2.30" in row
    entry.refresh_from_db()
    assert entry.duration_seconds == 8100
    assert entry.billable == Billable.NO_CHARGE
    assert entry.work_date == date(2026, 3, 3)


def test_an_inline_edit_error_stays_in_the_row(clara: Client, small_firm: Any) -> None:
    entry = _entry(small_firm, "1")
    p = f"e{entry.pk}-"
    response = clara.post(
        reverse("entries:time-edit", args=[entry.pk]),
        {
            p + "work_date": "2026-03-02",
            p + "hours": "1",
            p + "narrative": "x",
            p + "task_code": "BAD",
            p + "activity_code": "",
            p + "billable": "billable",
        },
    )
    row = response.content.decode()
    assert 'class="editing"' in row
    assert "Unknown UTBMS task code" in row.split(f'id="id_{p}task_code_error">', 1)[1]
    entry.refresh_from_db()
    assert entry.task_code == "L310"


def test_billed_rows_are_read_only_with_the_reason(clara: Client, small_firm: Any) -> None:
    entry = _entry(small_firm, "1")
    TimeEntry.objects.filter(pk=entry.pk).update(state=BillingState.PREBILLED)
    response = clara.get(reverse("entries:time-edit", args=[entry.pk]))
    assert "On a pre-bill: correct it there." in response.content.decode()
    assert "editing" not in response.content.decode()
    p = f"e{entry.pk}-"
    clara.post(
        reverse("entries:time-edit", args=[entry.pk]),
        {p + "work_date": "2026-03-02", p + "hours": "9", p + "narrative": "x"},
    )
    entry.refresh_from_db()
    assert entry.duration_seconds == 3600


# --- bulk actions -------------------------------------------------------------------------


def test_bulk_change_and_undo_through_the_pages(clara: Client, small_firm: Any) -> None:
    f = small_firm
    one = _entry(f, "1")
    two = _entry(f, "2", task_code="L320")
    back = reverse("entries:time-list") + "?state=unbilled"
    response = clara.post(
        reverse("entries:time-bulk"),
        {
            "ids": [one.pk, two.pk],
            "task_code": "L140",
            "matter": "C002-001",
            "no_charge": "on",
            "return_to": back,
        },
    )
    assert response.status_code == 302 and response["Location"] == back
    for entry in (one, two):
        entry.refresh_from_db()
        assert (entry.task_code, entry.matter_id, entry.billable) == (
            "L140",
            f.globex_flat.pk,
            Billable.NO_CHARGE,
        )
    assert "2 time entries changed" in clara.get(back).content.decode()

    clara.post(reverse("entries:time-bulk-undo"), {"return_to": back})
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.task_code, two.task_code) == ("L310", "L320")
    assert one.matter_id == f.acme_hourly.pk and one.billable == Billable.BILLABLE
    assert "Undone" in clara.get(back).content.decode()


def test_a_refused_bulk_change_changes_nothing(clara: Client, small_firm: Any) -> None:
    one = _entry(small_firm, "1")
    clara.post(reverse("entries:time-bulk"), {"ids": [one.pk], "task_code": "NOPE"})
    one.refresh_from_db()
    assert one.task_code == "L310"
    page = _list(clara)
    assert "Nothing was changed" in page and "unknown UTBMS task code" in page


def test_bulk_without_a_selection_says_so(clara: Client, small_firm: Any) -> None:
    response = clara.post(reverse("entries:time-bulk"), {"task_code": "L110"}, follow=True)
    assert "Select at least one" in response.content.decode() or "required" in (
        response.content.decode()
    )


def test_return_to_never_leaves_the_list(clara: Client, small_firm: Any) -> None:
    response = clara.post(reverse("entries:time-bulk-undo"), {"return_to": "https://evil.example/"})
    assert response["Location"] == reverse("entries:time-list")


# --- access -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client: Client, small_firm: Any) -> None:
    for name in ("entries:time-list", "entries:time-new", "entries:expense-new"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_role_without_record_work_is_refused(
    clara: Client, small_firm: Any, monkeypatch: Any
) -> None:
    from lexbill.firm import permissions
    from lexbill.firm.models import Role

    allowed = {**permissions.ALLOWED, permissions.Action.RECORD_WORK: {Role.ADMINISTRATOR}}
    monkeypatch.setattr(permissions, "ALLOWED", allowed)
    entry = _entry(small_firm, "1")
    assert clara.get(reverse("entries:time-list")).status_code == 403
    assert clara.get(reverse("entries:time-new")).status_code == 403
    assert _post_time(clara, small_firm).status_code == 403
    assert clara.post(reverse("entries:time-bulk"), {"ids": [entry.pk]}).status_code == 403
    assert clara.get(reverse("entries:matter-search"), {"q": "a"}).status_code == 403
    assert TimeEntry.objects.count() == 1
    assert not AuditRecord.objects.filter(object_id="bulk-change").exists()
