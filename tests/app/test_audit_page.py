"""The audit page: coordinators and administrators filter the trail by user, record, date and
action, page through it by keyset, see each change as a compact diff, export what they
filtered, and (administrators) verify the chain. Expected rows come from plain ORM queries or
Python filtering written here, never from the page's own selectors."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.audit.recorder import record

MODELS = ("billing.Invoice", "clients.Client", "entries.TimeEntry")
ACTIONS = ("create", "update", "delete", "event")
CHANNELS = ("web", "cli", "api")
N = 130  # more than two pages of 50


@pytest.fixture
def trail(small_firm: Any) -> Any:
    """N records spread over March 2026 (some just before and after midnight), by three people
    and the system, on three models and a handful of ids, every action."""
    people = [small_firm.carol, small_firm.sam, small_firm.pat, None]
    for i in range(N):
        day = date(2026, 3, 1) + timedelta(days=i % 20)
        moment = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=i % 20)
        moment += timedelta(minutes=30) if i % 3 == 0 else timedelta(hours=23, minutes=30)
        assert moment.date() == day
        action = ACTIONS[i % 4]
        before = {"total": f"{i}.00", "memo": "same"} if action in ("update", "delete") else None
        after = {"total": f"{i + 1}.00", "memo": "same"} if action != "delete" else None
        with time_machine.travel(moment, tick=False), acting_as(people[i % 4], CHANNELS[i % 3]):
            record(action, MODELS[i % 3], i % 7, before=before, after=after, summary=f"r{i}")
    return small_firm


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page_ids(content: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-record="(\d+)"', content)]


def _link(content: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]*)" rel="{rel}">', content)
    return html.unescape(found.group(1)) if found else None


def _all_ids(client: Client, query: dict[str, str]) -> list[int]:
    """Every id the page lists for the query, following "Older records" to the end."""
    response = client.get("/audit/", query)
    assert response.status_code == 200
    content = response.content.decode()
    ids = _page_ids(content)
    while (older := _link(content, "next")) is not None:
        content = client.get("/audit/" + older).content.decode()
        ids += _page_ids(content)
    return ids


def _day(r: AuditRecord) -> date:
    return timezone.localtime(r.at).date()


def _expected(keep: Callable[[AuditRecord], bool]) -> list[int]:
    return sorted((r.pk for r in AuditRecord.objects.all() if keep(r)), reverse=True)


def test_with_no_filter_every_record_is_listed_newest_first_over_several_pages(
    trail: Any,
) -> None:
    ids = _all_ids(_client(trail.carol), {})
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM audit_auditrecord ORDER BY id DESC")
        assert ids == [r[0] for r in cursor.fetchall()]
    assert len(ids) > 100


def test_paging_back_gives_the_newer_page_again(trail: Any) -> None:
    client = _client(trail.carol)
    first = client.get("/audit/").content.decode()
    second = client.get("/audit/" + (_link(first, "next") or "")).content.decode()
    back = client.get("/audit/" + (_link(second, "prev") or "")).content.decode()
    assert _page_ids(back) == _page_ids(first)
    assert len(_page_ids(first)) == 50 and set(_page_ids(second)).isdisjoint(_page_ids(first))


@pytest.mark.parametrize(
    ("name", "query", "keep"),
    [
        ("user", lambda f: {"user": str(f.sam.pk)}, lambda f: lambda r: r.actor_id == f.sam.pk),
        ("system", lambda f: {"user": "system"}, lambda f: lambda r: r.actor_id is None),
        (
            "model",
            lambda f: {"model": "clients.Client"},
            lambda f: lambda r: r.model == "clients.Client",
        ),
        (
            "record",
            lambda f: {"model": "billing.Invoice", "object_id": "3"},
            lambda f: lambda r: (r.model, r.object_id) == ("billing.Invoice", "3"),
        ),
        ("action", lambda f: {"action": "delete"}, lambda f: lambda r: r.action == "delete"),
        (
            "dates",
            lambda f: {"date_from": "2026-03-04", "date_to": "2026-03-06"},
            lambda f: lambda r: date(2026, 3, 4) <= _day(r) <= date(2026, 3, 6),
        ),
        (
            "everything",
            lambda f: {
                "user": str(f.carol.pk),
                "model": "billing.Invoice",
                "action": "create",
                "date_from": "2026-03-01",
                "date_to": "2026-03-13",
            },
            lambda f: (
                lambda r: (
                    r.actor_id == f.carol.pk
                    and r.model == "billing.Invoice"
                    and r.action == "create"
                    and _day(r) <= date(2026, 3, 13)
                )
            ),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_filter_lists_exactly_what_an_orm_query_finds(
    trail: Any, name: str, query: Any, keep: Any
) -> None:
    expected = _expected(keep(trail))
    assert expected, f"the fixture gives the {name} filter nothing to find"
    assert _all_ids(_client(trail.alice), query(trail)) == expected


def test_an_end_date_before_the_start_is_refused_next_to_the_field(trail: Any) -> None:
    response = _client(trail.carol).get(
        "/audit/", {"date_from": "2026-03-06", "date_to": "2026-03-04"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "The end date is before the start date." in content
    assert _page_ids(content) == []


def test_a_change_is_shown_as_a_compact_diff_of_the_changed_fields(trail: Any) -> None:
    update = AuditRecord.objects.filter(action="update").order_by("-id").first()
    assert update is not None and update.before and update.after
    content = _client(trail.carol).get("/audit/", {"action": "update"}).content.decode()
    row = re.search(rf'<tr data-record="{update.pk}">(.*?)</tr>', content, re.S)
    assert row is not None
    old, new = update.before["total"], update.after["total"]
    assert f"<code>total</code>: <del>{old}</del> → {new}" in row.group(1)
    assert "<code>memo</code>" not in row.group(1)  # unchanged fields are left out


@pytest.mark.parametrize("who", ["clara", "pat", "sam"])
def test_clerks_attorneys_and_specialists_are_refused(trail: Any, who: str) -> None:
    client = _client(getattr(trail, who))
    response = client.get("/audit/")
    assert response.status_code == 403
    assert "may not view and export the audit trail" in response.content.decode()
    assert client.post("/audit/export/", {"format": "csv"}).status_code == 403
    assert "/audit/" not in client.get("/").content.decode()  # no nav link either


def test_the_nav_links_the_page_for_coordinators(trail: Any) -> None:
    assert 'href="/audit/"' in _client(trail.carol).get("/").content.decode()


def _csv_rows(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_export_holds_exactly_the_filtered_records_with_their_hashes(trail: Any) -> None:
    query = {"model": "entries.TimeEntry", "action": "update"}
    expected = sorted(
        AuditRecord.objects.filter(**query).values_list("pk", "hash", "previous_hash")
    )
    response = _client(trail.carol).post("/audit/export/", {**query, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert [(int(r["id"]), r["hash"], r["previous_hash"]) for r in rows] == expected
    first = AuditRecord.objects.get(pk=expected[0][0])
    assert rows[0]["user"] == (first.actor_name or "system")
    assert rows[0]["changes"].startswith("total: ")


def test_an_export_is_itself_recorded(trail: Any) -> None:
    _client(trail.carol).post("/audit/export/", {"user": "system", "format": "xlsx"})
    last = AuditRecord.objects.order_by("-id").first()
    assert last is not None
    assert (last.model, last.actor_id, last.channel) == ("audit.Trail", trail.carol.pk, "web")
    assert "exported as xlsx (user=system)" in last.summary


def test_the_excel_export_holds_exactly_the_filtered_records(trail: Any) -> None:
    expected = sorted(
        AuditRecord.objects.filter(actor_id=trail.pat.pk).values_list("pk", flat=True)
    )
    response = _client(trail.alice).post(
        "/audit/export/", {"user": str(trail.pat.pk), "format": "xlsx"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book["audit"].iter_rows(values_only=True))
    assert rows[0][0] == "id" and rows[0][-1] == "hash"
    assert [r[0] for r in rows[1:]] == expected


def test_the_excel_export_continues_on_a_new_sheet_when_one_is_full(trail: Any) -> None:
    from lexbill.audit.export import write_workbook
    from lexbill.audit.selectors import AuditFilters

    buffer = io.BytesIO()
    rows = write_workbook(AuditFilters(), buffer, sheet_rows=50)
    book = load_workbook(buffer, read_only=True)
    total = AuditRecord.objects.count()
    assert rows == total
    assert len(book.sheetnames) == -(-total // 50)
    ids = [r[0] for ws in book.worksheets for r in list(ws.iter_rows(values_only=True))[1:]]
    assert ids == sorted(AuditRecord.objects.values_list("pk", flat=True))


def test_administrators_verify_the_chain_from_the_page(trail: Any) -> None:
    client = _client(trail.alice)
    assert "Verify chain" in client.get("/audit/").content.decode()
    page = client.post("/audit/verify/", follow=True).content.decode()
    assert f"{AuditRecord.objects.count():,} records verified" in page
    victim = AuditRecord.objects.filter(summary="r40").get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET summary = 'r41' WHERE id = %s", [victim.pk])
    page = html.unescape(client.post("/audit/verify/", follow=True).content.decode())
    assert "The audit trail is broken" in page
    assert f"record {victim.pk} was altered" in page


def test_coordinators_do_not_verify(trail: Any) -> None:
    client = _client(trail.carol)
    assert "Verify chain" not in client.get("/audit/").content.decode()
    assert client.post("/audit/verify/").status_code == 403
