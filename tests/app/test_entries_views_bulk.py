"""Bulk changes from the time list are all-or-nothing, audited as one event, and undoable."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.clients.services import close_matter, open_matter
from lexbill.core.errors import InvalidEntry, NoRateInForce, NotFound, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import Billable, BillingState, TimeEntry
from lexbill.entries.services import (
    TimeDraft,
    bulk_change_entries,
    correct_time,
    record_time,
    undo_last_bulk_change,
)

DAY = date(2026, 3, 2)


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


def _values(*entries: TimeEntry) -> list[tuple[int, str, str]]:
    out = []
    for entry in entries:
        entry.refresh_from_db()
        out.append((entry.matter_id, entry.task_code, entry.billable))
    return out


def test_a_bulk_change_is_one_audit_event_holding_the_previous_values(small_firm: Any) -> None:
    f = small_firm
    one, two = _entry(f), _entry(f, task_code="L320", billable=Billable.NON_BILLABLE)
    before = AuditRecord.objects.count()
    change = bulk_change_entries(f.clara, [one.pk, two.pk], task_code="l140")
    assert _values(one, two) == [
        (f.acme_hourly.pk, "L140", Billable.BILLABLE),
        (f.acme_hourly.pk, "L140", Billable.NON_BILLABLE),
    ]
    assert AuditRecord.objects.count() == before + 1
    event = AuditRecord.objects.get(pk=change.event_id)
    assert event.actor == f.clara
    assert event.after["kind"] == "bulk_change"
    assert event.after["undo"][str(two.pk)] == {
        "matter_id": f.acme_hourly.pk,
        "task_code": "L320",
        "billable": "non_billable",
    }
    assert change.entry_ids == (one.pk, two.pk)


def test_moving_to_a_closed_matter_changes_nothing(small_firm: Any) -> None:
    f = small_firm
    one, two = _entry(f), _entry(f)
    close_matter(None, f.globex_flat, date(2026, 3, 5))
    with pytest.raises(InvalidEntry, match="is closed") as refused:
        bulk_change_entries(f.clara, [one.pk, two.pk], matter=f.globex_flat, task_code="L140")
    assert refused.value.field == "matter"
    assert _values(one, two) == [(f.acme_hourly.pk, "L310", "billable")] * 2


def test_moving_to_a_matter_without_a_rate_in_force_is_refused(small_firm: Any) -> None:
    f = small_firm
    euro = open_matter(None, f.globex, "C002-002", "Euro matter", f.partner, opened_on=DAY,
                       currency="EUR")  # fmt: skip
    ok = _entry(f)
    with pytest.raises(NoRateInForce, match=f"time entry {ok.pk}: no rate is in force"):
        bulk_change_entries(f.clara, [ok.pk], matter=euro)
    # non-billable work needs no rate: the same move is fine once the work is marked so
    TimeEntry.objects.filter(pk=ok.pk).update(billable=Billable.NON_BILLABLE)
    bulk_change_entries(f.clara, [ok.pk], matter=euro)
    assert _values(ok)[0][0] == euro.pk


def test_an_entry_already_on_a_prebill_blocks_the_whole_change(small_firm: Any) -> None:
    f = small_firm
    one, two = _entry(f), _entry(f)
    TimeEntry.objects.filter(pk=two.pk).update(state=BillingState.PREBILLED)
    with pytest.raises(InvalidEntry, match="prebilled"):
        bulk_change_entries(f.clara, [one.pk, two.pk], billable=Billable.NO_CHARGE)
    assert _values(one)[0][2] == Billable.BILLABLE


def test_unknown_codes_entries_and_empty_requests_are_refused(small_firm: Any) -> None:
    f = small_firm
    one = _entry(f)
    with pytest.raises(InvalidEntry, match="unknown UTBMS task code"):
        bulk_change_entries(f.clara, [one.pk], task_code="X1")
    with pytest.raises(NotFound):
        bulk_change_entries(f.clara, [one.pk, 999_999], task_code="L110")
    with pytest.raises(InvalidEntry, match="choose a change"):
        bulk_change_entries(f.clara, [one.pk])
    with pytest.raises(InvalidEntry, match="select at least one"):
        bulk_change_entries(f.clara, [], task_code="L110")


def test_undo_restores_the_previous_values_and_is_recorded(small_firm: Any) -> None:
    f = small_firm
    one, two = _entry(f), _entry(f, task_code="L320")
    change = bulk_change_entries(
        f.clara, [one.pk, two.pk], matter=f.globex_flat, billable=Billable.NO_CHARGE
    )
    undone = undo_last_bulk_change(f.clara)
    assert _values(one, two) == [
        (f.acme_hourly.pk, "L310", "billable"),
        (f.acme_hourly.pk, "L320", "billable"),
    ]
    event = AuditRecord.objects.get(pk=undone.event_id)
    assert event.after == {"kind": "bulk_undo", "undoes": change.event_id}
    # the same change cannot be undone twice
    with pytest.raises(NotFound, match="no bulk change of yours"):
        undo_last_bulk_change(f.clara)


def test_undo_walks_back_through_earlier_changes(small_firm: Any) -> None:
    f = small_firm
    one = _entry(f)
    bulk_change_entries(f.clara, [one.pk], task_code="L110")
    bulk_change_entries(f.clara, [one.pk], task_code="L120")
    undo_last_bulk_change(f.clara)
    assert _values(one)[0][1] == "L110"
    undo_last_bulk_change(f.clara)
    assert _values(one)[0][1] == "L310"


def test_undo_is_per_person(small_firm: Any) -> None:
    f = small_firm
    one = _entry(f)
    with acting_as(f.sam, "web"):
        bulk_change_entries(f.sam, [one.pk], task_code="L110")
    with pytest.raises(NotFound):
        undo_last_bulk_change(f.clara)
    undo_last_bulk_change(f.sam)
    assert _values(one)[0][1] == "L310"


def test_undo_is_refused_once_the_work_is_prebilled(small_firm: Any) -> None:
    f = small_firm
    one = _entry(f)
    bulk_change_entries(f.clara, [one.pk], task_code="L110")
    TimeEntry.objects.filter(pk=one.pk).update(state=BillingState.PREBILLED)
    with pytest.raises(InvalidEntry, match=r"cannot undo .*prebilled") as refused:
        undo_last_bulk_change(f.clara)
    assert refused.value.field == "undo"
    assert _values(one)[0][1] == "L110"


def test_undo_is_refused_when_an_entry_was_changed_since(small_firm: Any) -> None:
    f = small_firm
    one = _entry(f)
    bulk_change_entries(f.clara, [one.pk], task_code="L110")
    correct_time(f.carol, one, task_code="L130")
    with pytest.raises(InvalidEntry, match="has been changed since"):
        undo_last_bulk_change(f.clara)
    assert _values(one)[0][1] == "L130"


def test_undo_is_refused_when_the_old_matter_has_closed(small_firm: Any) -> None:
    f = small_firm
    one = _entry(f)
    bulk_change_entries(f.clara, [one.pk], matter=f.globex_flat)
    close_matter(None, f.acme_hourly, date(2026, 3, 5))
    with pytest.raises(InvalidEntry, match="is closed"):
        undo_last_bulk_change(f.clara)
    assert _values(one)[0][0] == f.globex_flat.pk


def test_bulk_changes_need_the_record_work_right(small_firm: Any, monkeypatch: Any) -> None:
    from lexbill.firm import permissions
    from lexbill.firm.models import Role

    f = small_firm
    one = _entry(f)
    allowed = {**permissions.ALLOWED, permissions.Action.RECORD_WORK: {Role.ADMINISTRATOR}}
    monkeypatch.setattr(permissions, "ALLOWED", allowed)
    with pytest.raises(PermissionDenied):
        bulk_change_entries(f.clara, [one.pk], task_code="L110")
    with pytest.raises(PermissionDenied):
        undo_last_bulk_change(f.clara)
