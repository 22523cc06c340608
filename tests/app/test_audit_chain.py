"""The audit trail's hash chain: every record links to the one before, and verification names
the first record altered, removed or inserted behind Lexbill's back (raw SQL, as an intruder or
a careless DBA would). On PostgreSQL two transactions writing at once still give one chain."""

from __future__ import annotations

import io
import threading
import types
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection, connections, transaction
from django.db.models import ProtectedError

from lexbill.audit.chain import HASHED_FIELDS, verify_chain
from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.audit.recorder import record_event
from lexbill.core.audit_chain import GENESIS, RecordContent, link_hash
from lexbill.core.errors import ImmutableRecord
from lexbill.exports.loader import load_archive
from lexbill.exports.services import export_firm_archive
from lexbill.exports.tables import exported_tables

TABLE = "audit_auditrecord"


def _count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return int(cursor.fetchone()[0])


def _ids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {TABLE} ORDER BY id")
        return [int(r[0]) for r in cursor.fetchall()]


def _sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _events(n: int, label: str = "test") -> list[AuditRecord]:
    return [record_event("tests.Thing", i, f"{label} {i}", step=i) for i in range(n)]


def _recompute_all() -> list[tuple[int, str, str]]:
    """(id, previous_hash, hash) the chain should have, computed here from the rows alone."""
    rows = AuditRecord.objects.order_by("id").values_list(*HASHED_FIELDS)
    out, previous = [], GENESIS
    for row in rows:
        digest = link_hash(previous, RecordContent(*row))
        out.append((row[0], previous, digest))
        previous = digest
    return out


# --- an intact chain ----------------------------------------------------------------------------


def test_each_record_links_to_the_one_before(small_firm: Any) -> None:
    with acting_as(small_firm.carol, "web"):
        _events(3)
    stored = list(AuditRecord.objects.order_by("id").values_list("id", "previous_hash", "hash"))
    assert stored == _recompute_all()
    assert stored[0][1] == GENESIS


def test_an_intact_chain_verifies_with_every_record_counted(small_firm: Any) -> None:
    _events(5)
    result = verify_chain()
    assert result.ok and result.broken is None
    assert result.verified == _count()
    last = _ids()[-1]
    assert result.head_id == last
    assert result.head == AuditRecord.objects.get(pk=last).hash


def test_an_empty_trail_verifies(db: Any) -> None:
    _sql(f"DELETE FROM {TABLE}")
    result = verify_chain()
    assert result.ok and result.verified == 0 and result.head == GENESIS


# --- tampering ----------------------------------------------------------------------------------


def test_a_record_altered_through_sql_is_named(small_firm: Any) -> None:
    records = _events(6)
    victim = records[3]
    _sql(f"UPDATE {TABLE} SET summary = %s WHERE id = %s", ["nothing happened", victim.pk])
    result = verify_chain()
    assert not result.ok and result.broken is not None
    assert result.broken.kind == "altered"
    assert result.broken.record_id == victim.pk
    assert result.broken.model == "tests.Thing"
    assert str(victim.pk) in result.broken.message
    assert result.verified == len([i for i in _ids() if i < victim.pk])


@pytest.mark.parametrize(
    ("column", "value"),
    [("after", '{"step": 99}'), ("actor_name", "mallory"), ("action", "delete")],
)
def test_any_hashed_column_altered_is_found(small_firm: Any, column: str, value: str) -> None:
    victim = _events(3)[1]
    _sql(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, victim.pk])
    result = verify_chain()
    assert result.broken is not None and result.broken.record_id == victim.pk


def test_a_removed_record_breaks_the_chain_at_the_next_one(small_firm: Any) -> None:
    records = _events(5)
    _sql(f"DELETE FROM {TABLE} WHERE id = %s", [records[2].pk])
    result = verify_chain()
    assert result.broken is not None
    assert result.broken.kind == "removed"
    assert result.broken.record_id == records[3].pk
    assert result.head_id == records[1].pk  # the last good record


def test_a_forged_record_with_a_made_up_hash_is_named(small_firm: Any) -> None:
    _events(3)
    last = AuditRecord.objects.order_by("-id").first()
    assert last is not None
    forged_id = last.pk + 1
    _sql(
        f"INSERT INTO {TABLE} (id, at, actor_name, channel, action, model, object_id, summary, "
        "previous_hash, hash) VALUES (%s, %s, '', 'web', 'event', 'billing.Invoice', '1', "
        "'forged', %s, %s)",
        [forged_id, connection.ops.adapt_datetimefield_value(last.at), last.hash, "f" * 64],
    )
    result = verify_chain()
    assert result.broken is not None
    assert (result.broken.kind, result.broken.record_id) == ("altered", forged_id)


def _leave_a_gap(size: int) -> None:
    """What rolled-back transactions leave on PostgreSQL: ids that were never used."""
    if connection.vendor == "postgresql":
        _sql(
            f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), "
            f"(SELECT MAX(id) FROM {TABLE}) + %s)",
            [size],
        )
    else:
        _sql("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s", [size, TABLE])


def test_a_forged_record_slipped_into_a_gap_with_a_correct_hash_is_named(small_firm: Any) -> None:
    before = _events(3)[-1]
    _leave_a_gap(5)
    after = record_event("tests.Thing", "x", "after the gap")
    assert after.pk == before.pk + 6 and after.previous_hash == before.hash
    forged = RecordContent(
        before.pk + 2, before.at, None, "", "web", "update", "billing.Invoice", "1",
        {"total": "100.00"}, {"total": "1.00"}, "",
    )  # fmt: skip
    digest = link_hash(before.hash, forged)  # the forger knows the algorithm
    _sql(
        f"INSERT INTO {TABLE} (id, at, actor_name, channel, action, model, object_id, summary, "
        "before, after, previous_hash, hash) VALUES (%s, %s, '', 'web', 'update', "
        "'billing.Invoice', '1', '', %s, %s, %s, %s)",
        [
            forged.id,
            connection.ops.adapt_datetimefield_value(forged.at),
            '{"total": "100.00"}',
            '{"total": "1.00"}',
            before.hash,
            digest,
        ],
    )
    assert AuditRecord.objects.get(pk=forged.id).hash == digest
    result = verify_chain()
    assert result.broken is not None
    assert (result.broken.kind, result.broken.record_id) == ("inserted", forged.id)
    assert result.broken.model == "billing.Invoice"


def test_an_anchor_noted_earlier_must_still_be_in_the_chain(small_firm: Any) -> None:
    _events(3)
    anchor = verify_chain().head
    _events(2)
    assert verify_chain(anchor=anchor).ok
    # the tail cut back to before the anchor: the chain alone still verifies, the anchor doesn't
    _sql(f"DELETE FROM {TABLE} WHERE hash = %s", [anchor])
    _sql(f"DELETE FROM {TABLE} WHERE id > (SELECT MAX(id) - 2 FROM {TABLE})")
    assert verify_chain().ok
    cut = verify_chain(anchor=anchor)
    assert cut.broken is not None and cut.broken.kind == "anchor"


def test_progress_is_reported_for_every_record(small_firm: Any) -> None:
    class Counting:
        total = 0
        done = 0

        def start(self, total: int) -> None:
            self.total = total

        def advance(self, rows: int) -> None:
            self.done += rows

    counting = Counting()
    verify_chain(counting)
    assert counting.total == counting.done == _count()


# --- immutability -------------------------------------------------------------------------------


def test_records_refuse_update_and_delete_through_the_orm(small_firm: Any) -> None:
    record = _events(1)[0]
    with pytest.raises(ImmutableRecord):
        AuditRecord.objects.filter(pk=record.pk).update(summary="x")
    with pytest.raises(ImmutableRecord):
        AuditRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(ImmutableRecord):
        record.delete()
    record.summary = "x"
    with pytest.raises(ImmutableRecord):
        record.save()
    assert verify_chain().ok


def test_a_user_with_audit_records_cannot_be_deleted(small_firm: Any) -> None:
    """The actor's id is hashed: clearing it (SET NULL) would read as tampering."""
    with acting_as(small_firm.pat, "web"):
        record_event("tests.Thing", 1, "by pat")
    with pytest.raises(ProtectedError):
        small_firm.pat.delete()


# --- the migration that chained existing rows ---------------------------------------------------


def test_the_migration_chains_existing_rows_as_the_recorder_does(small_firm: Any) -> None:
    import importlib

    _events(4)
    written = list(AuditRecord.objects.order_by("id").values_list("id", "previous_hash", "hash"))
    _sql(f"UPDATE {TABLE} SET previous_hash = '', hash = ''")
    assert not verify_chain().ok
    migration = importlib.import_module("lexbill.audit.migrations.0003_hash_chain")
    migration.chain_existing_rows(django_apps, types.SimpleNamespace(connection=connection))
    assert list(AuditRecord.objects.order_by("id").values_list("id", "previous_hash", "hash")) == (
        written
    )
    assert verify_chain().ok


# --- export and load ----------------------------------------------------------------------------


def test_an_exported_and_loaded_trail_still_verifies_and_the_load_chains_on(
    small_firm: Any,
) -> None:
    _events(3)
    buffer = io.BytesIO()
    export_firm_archive(None, buffer)
    exported = list(AuditRecord.objects.order_by("id").values_list("id", "previous_hash", "hash"))
    archived = [row for row in exported if row[0] < exported[-1][0]]  # not the export's event
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for spec in reversed(exported_tables()):
            cursor.execute(f"DELETE FROM {q(spec.table)}")
    load_archive(io.BytesIO(buffer.getvalue()))
    loaded = list(AuditRecord.objects.order_by("id").values_list("id", "previous_hash", "hash"))
    assert loaded[:-1] == archived
    load_event = AuditRecord.objects.order_by("-id").first()
    assert load_event is not None and "loaded from an archive" in load_event.summary
    assert load_event.previous_hash == archived[-1][2]
    result = verify_chain()
    assert result.ok and result.verified == len(archived) + 1


# --- concurrency --------------------------------------------------------------------------------

WRITES = 8


@pytest.mark.django_db(transaction=True)
def test_two_transactions_writing_at_once_make_one_chain() -> None:
    """Each writer opens its transaction, waits for the other to be inside its own, then writes.
    Without the chain's lock both would read the same head and fork the chain."""
    start = _count()
    failures: list[BaseException] = []
    together = connection.vendor == "postgresql"  # SQLite's in-memory test db is one connection
    barrier = threading.Barrier(2, timeout=30)

    def writer(name: str) -> None:
        try:
            with transaction.atomic():
                AuditRecord.objects.exists()  # inside the transaction, a snapshot taken
                if together:
                    barrier.wait()
                for i in range(WRITES):
                    record_event("tests.Race", name, f"{name} {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            if together:
                connections.close_all()

    if together:
        threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    else:
        writer("a")
        writer("b")
    assert failures == []
    assert _count() == start + 2 * WRITES
    with connection.cursor() as cursor:  # no two records chain onto one predecessor
        cursor.execute(
            f"SELECT previous_hash FROM {TABLE} GROUP BY previous_hash HAVING COUNT(*) > 1"
        )
        assert cursor.fetchall() == []
    result = verify_chain()
    assert result.ok and result.verified == start + 2 * WRITES
    # ids follow the chain: each writer's records are in its own order
    for name in ("a", "b"):
        summaries = list(
            AuditRecord.objects.filter(model="tests.Race", object_id=name)
            .order_by("id")
            .values_list("summary", flat=True)
        )
        assert summaries == [f"{name} {i}" for i in range(WRITES)]
