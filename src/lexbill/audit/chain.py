"""Appending to the audit hash chain, and walking it to find where it was broken.

**One chain, one order.** Records are chained in id order, and the id is taken in the same
locked step that reads the chain's head, so id order *is* chain order. On PostgreSQL a
transaction-level advisory lock (``pg_advisory_xact_lock``) is taken before the head is read:
a second transaction writing audit records waits there until the first commits, then reads the
head the first wrote — two transactions can never chain onto one predecessor. The lock is held
to the end of the writing transaction, which is the price of a total order; audit records are
written at the end of short service transactions (a bill run writes one event), so the wait is
that of the tail of one transaction. On SQLite every write transaction holds the database's
write lock already (Django begins them IMMEDIATE here), so no extra lock is needed.

The cost per record is the lock call (PostgreSQL) and one read of the head by primary key
(``ORDER BY id DESC LIMIT 1`` plus the next id from the sequence, in one statement).

The head is read from the table itself rather than kept in a row of its own, so an export
archive carries the chain in its audit rows alone and a loaded database continues it as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection, transaction

from lexbill.audit.models import AuditRecord
from lexbill.core.audit_chain import GENESIS, RecordContent, link_hash

# pg_advisory_xact_lock key: "lexbill audit chain", any constant no other code uses
_LOCK_KEY = 0x4C58_4155_4449_5401
HASHED_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "channel",
    "action",
    "model",
    "object_id",
    "before",
    "after",
    "summary",
)
_sequence_sql: dict[str, str] = {}


def content_of(record: AuditRecord) -> RecordContent:
    return RecordContent(
        id=record.pk,
        at=record.at,
        actor_id=record.actor_id,
        actor_name=record.actor_name,
        channel=record.channel,
        action=record.action,
        model=record.model,
        object_id=record.object_id,
        before=record.before,
        after=record.after,
        summary=record.summary,
    )


def _head_and_next_id() -> tuple[str, int]:
    """The last record's hash and the id the next record gets, under the chain's lock."""
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    head = f"(SELECT hash FROM {table} ORDER BY id DESC LIMIT 1)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # a statement of its own: a statement's snapshot is taken before it runs, so the
            # head must be read by the next statement, once the lock is held
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            sql = _sequence_sql.get(connection.alias)
            if sql is None:
                sql = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')), {head}"
                _sequence_sql[connection.alias] = sql
            cursor.execute(sql)
            next_id, last_hash = cursor.fetchone()
        else:
            # AUTOINCREMENT's counter, so an id is never reused even after a removed last row
            cursor.execute(
                f"SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), "
                f"(SELECT MAX(id) FROM {table}), 0) + 1, {head}",
                [AuditRecord._meta.db_table],
            )
            next_id, last_hash = cursor.fetchone()
    return (last_hash if last_hash is not None else GENESIS), int(next_id)


def append(**fields: Any) -> AuditRecord:
    """Insert one audit record as the chain's new head (in the caller's transaction, if any).

    Without a caller's transaction the lock, the head read and the insert get one of their own;
    inside one, no savepoint: a failed insert fails the caller's transaction anyway."""
    with transaction.atomic(savepoint=False):
        previous, next_id = _head_and_next_id()
        record = AuditRecord(id=next_id, previous_hash=previous, **fields)
        record.hash = link_hash(previous, content_of(record))
        record.save(force_insert=True)
    return record


# --- verification -------------------------------------------------------------------------------


class VerifyProgress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass(frozen=True)
class Break:
    """Where the chain is broken: the first record that does not verify, and why."""

    kind: str  # "altered", "removed", "inserted", "anchor"
    record_id: int | None
    at: str
    model: str
    message: str


@dataclass(frozen=True)
class Verification:
    verified: int
    head: str  # hash of the last record verified (the anchor to note down)
    head_id: int | None
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verified": self.verified,
            "head": self.head,
            "head_id": self.head_id,
            "broken": None
            if self.broken is None
            else {
                "kind": self.broken.kind,
                "record_id": self.broken.record_id,
                "at": self.broken.at,
                "model": self.broken.model,
                "message": self.broken.message,
            },
        }


_CHUNK = 2000


def _stream() -> Iterator[tuple[Any, ...]]:
    """Every record's hashed fields and links in id order, a keyset chunk at a time."""
    last = 0
    rows = AuditRecord.objects.order_by("id").values_list(*HASHED_FIELDS, "previous_hash", "hash")
    while True:
        chunk = list(rows.filter(id__gt=last)[:_CHUNK])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1][0]


def _where(row: tuple[Any, ...]) -> tuple[str, str]:
    content = RecordContent(*row[: len(HASHED_FIELDS)])
    return content.at.isoformat(), content.model


def verify_chain(
    progress: VerifyProgress | None = None, *, anchor: str | None = None
) -> Verification:
    """Walk the chain in id order, recomputing each hash; stop at the first break.

    A record whose stored hash is not the hash of its content was **altered**. A record whose
    ``previous_hash`` is not the hash of the record before it follows a **removed** record — or,
    when it chains onto the same predecessor as the record before it, that record was
    **inserted**. ``anchor`` is a head hash noted down earlier: it must still be in the chain,
    or the chain was rewritten or cut back after it."""
    progress = progress or _Silent()
    progress.start(AuditRecord.objects.count())
    expected = GENESIS
    previous_row: tuple[Any, ...] | None = None
    count = 0
    anchor_found = anchor is None
    pending = 0
    n = len(HASHED_FIELDS)
    for row in _stream():
        stored_previous, stored_hash = row[n], row[n + 1]
        record_id = row[0]
        at, model = _where(row)
        if stored_previous != expected:
            if previous_row is not None and stored_previous == previous_row[n]:
                prev_at, prev_model = _where(previous_row)
                message = (
                    f"record {previous_row[0]} was inserted: record {record_id} chains onto "
                    "the record before it"
                )
                broken = Break("inserted", previous_row[0], prev_at, prev_model, message)
            else:
                after = f"record {previous_row[0]}" if previous_row else "the start of the trail"
                message = (
                    f"record {record_id} does not chain onto {after}: a record between them "
                    "was removed (or this one's link was changed)"
                )
                broken = Break("removed", record_id, at, model, message)
            progress.advance(pending)
            return Verification(count, expected, _id(previous_row), broken)
        content = RecordContent(*row[:n])
        if link_hash(stored_previous, content) != stored_hash:
            progress.advance(pending)
            message = f"record {record_id} was altered: its content no longer matches its hash"
            return Verification(
                count, expected, _id(previous_row), Break("altered", record_id, at, model, message)
            )
        if not anchor_found and stored_hash == anchor:
            anchor_found = True
        previous_row = row
        expected = stored_hash
        count += 1
        pending += 1
        if pending == _CHUNK:
            progress.advance(pending)
            pending = 0
    progress.advance(pending)
    if not anchor_found:
        message = (
            f"the anchor {anchor} is not in the chain: records up to it were rewritten, "
            "or the trail was cut back after it"
        )
        return Verification(
            count, expected, _id(previous_row), Break("anchor", None, "", "", message)
        )
    return Verification(count, expected, _id(previous_row))


def _id(row: tuple[Any, ...] | None) -> int | None:
    return None if row is None else int(row[0])
