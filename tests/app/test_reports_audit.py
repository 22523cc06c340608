"""The audit extract: a change made through a service shows who, what, before and after; the page
caps its rows while the downloads hold every one."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.clients.services import update_matter
from lexbill.core.errors import LexbillError
from lexbill.core.periods import Period
from lexbill.reports import exports
from lexbill.reports.audit_extract import PAGE_ROWS, build, changes_text
from lexbill.reports.framework import ReportFilters, ReportRequest


def _today_period() -> Period:
    today = timezone.localdate()
    return Period(today, today)


def _records_today() -> Any:
    """Today's records, chosen in Python by their local date (not by the report's query)."""
    today = timezone.localdate()
    pks = [r.pk for r in AuditRecord.objects.all() if timezone.localtime(r.at).date() == today]
    return AuditRecord.objects.filter(pk__in=pks)


def test_a_service_change_appears_with_who_and_before_after(small_firm: Any) -> None:
    matter = small_firm.acme_hourly
    old_name = matter.name
    with acting_as(small_firm.alice, "cli"):  # as the web and the CLI record the actor
        update_matter(small_firm.alice, matter, name="Acme v. Coyote")
    report = build(ReportRequest(_today_period()))
    rows = [r for r in report.table("audit").rows if r["record"] == f"clients.Matter#{matter.pk}"]
    updates = [r for r in rows if r["action"] == "update"]
    assert updates, rows
    row = updates[-1]
    assert row["who"] == "alice" and row["channel"] == "cli"
    assert f"name: {old_name} → Acme v. Coyote" in row["changes"]
    # the summary counts equal the records in the database
    expected: dict[tuple[str, str], int] = {}
    for rec in _records_today():
        expected[(rec.model, rec.action)] = expected.get((rec.model, rec.action), 0) + 1
    got = {(r["model"], r["action"]): r["n"] for r in report.table("audit-summary").rows}
    assert got == expected
    assert len(report.table("audit").rows) == sum(expected.values())
    assert sum(sum(d.values) for d in report.charts[0].datasets) == sum(expected.values())  # type: ignore[misc, arg-type]


def test_changes_text() -> None:
    assert changes_text({"a": 1, "b": "x"}, {"a": 2, "b": "x", "c": None}) == "a: 1 → 2; c: null"
    assert changes_text({"a": 1}, None) == "a: 1 → ∅"
    assert changes_text(None, None) == ""


def test_filters_are_refused_not_ignored(small_firm: Any) -> None:
    with pytest.raises(LexbillError):
        build(ReportRequest(_today_period(), ReportFilters(clients=("C001",))))


def test_page_caps_rows_while_xlsx_has_all(small_firm: Any, client: Any) -> None:
    now = timezone.now()
    extra = PAGE_ROWS + 20
    AuditRecord.objects.bulk_create(
        [
            AuditRecord(
                at=now, actor_name="bulk", action="event", model="test.Thing", object_id=str(i)
            )
            for i in range(extra)
        ]
    )
    total = _records_today().count()
    report = build(ReportRequest(_today_period()))
    assert len(report.table("audit").rows) == total
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(report)), read_only=True)
    sheet = book[next(n for n in book.sheetnames if n.startswith("Billing changes"))]
    texts = [c for row in sheet.iter_rows(values_only=True) for c in row if c == "bulk"]
    assert len(texts) == extra
    client.force_login(small_firm.sam)
    today = timezone.localdate().isoformat()
    page = client.get("/reports/standard/audit/", {"start": today, "end": today})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="capped-audit"' in body
    assert body.count("test.Thing#") == PAGE_ROWS - (total - extra)
