"""Backups (lexbill.exports.backup): the round trip, consistency under writers, damaged files.

The comparison is an independent dump of every table through the ORM (``values_list`` of every
lexbill model, many-to-many tables included), not the archive's own codec, so a fault in the
backup format can't hide itself.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, connections
from tests.app.receivables_aging_firm import bill

from lexbill.audit.models import AuditRecord
from lexbill.exports.backup import (
    backup_tables,
    check_backup,
    restore_backup,
    write_backup,
)
from lexbill.exports.errors import ArchiveRefused
from lexbill.exports.services import export_firm_archive
from lexbill.firm.models import User
from lexbill.receivables.models import Payment, PaymentAllocation
from lexbill.receivables.services import post_payment

DAY = date(2026, 2, 2)
PASSWORD = "correct horse battery staple"


def dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every lexbill table, in primary-key order, straight from the ORM."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models(include_auto_created=True):
        config = model._meta.app_config
        if config is None or not config.name.startswith("lexbill."):
            continue
        rows[model._meta.db_table] = list(model._base_manager.order_by("pk").values_list())
    return rows


def without_restore_events(data: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """The dump minus the audit record a restore writes about itself."""
    restored = set(AuditRecord.objects.filter(model="exports.Backup").values_list("pk", flat=True))
    audit = AuditRecord._meta.db_table
    return {**data, audit: [r for r in data[audit] if r[0] not in restored]}


@pytest.fixture
def billed(small_firm: Any) -> Any:
    """The small firm with an invoice on Acme's hourly matter and a payment against it."""
    invoice = bill(small_firm, small_firm.acme_hourly, DAY, "10")
    post_payment(
        small_firm.clara,
        small_firm.acme,
        "100.00",
        DAY,
        allocations=[(invoice.number, "100.00")],
    )
    small_firm.invoice = invoice
    return small_firm


def test_backup_then_changes_then_restore_gives_back_the_data_of_the_backup(
    billed: Any, tmp_path: Path
) -> None:
    f = billed
    before = dump()
    path = tmp_path / "firm.backup.zip"
    summary = write_backup(path)
    assert summary.rows == sum(len(rows) for rows in before.values()) - sum(
        len(before[t]) for t in before if t not in {s.table for s in backup_tables()}
    )
    assert path.stat().st_mode & 0o077 == 0, "a backup holds password hashes: owner only"

    post_payment(f.clara, f.acme, "50.00", DAY, allocations=[(f.invoice.number, "50.00")])
    f.alice.set_password("another password entirely")
    f.alice.save()
    changed = dump()
    assert changed != before

    done = restore_backup(path, replace_data=True)

    assert done.replaced and done.rows == summary.rows
    assert without_restore_events(dump()) == before
    event = AuditRecord.objects.get(model="exports.Backup")
    assert event.after["replaced"] is True and event.after["rows"] == summary.rows
    # password hashes come back: alice logs in with the password she had at backup time
    assert User.objects.get(username="alice").check_password(PASSWORD)


def test_restore_without_force_refuses_a_database_that_holds_data(
    billed: Any, tmp_path: Path
) -> None:
    path = tmp_path / "firm.backup.zip"
    write_backup(path)
    before = dump()
    with pytest.raises(ArchiveRefused, match="--force"):
        restore_backup(path)
    assert dump() == before


def _rewrite(source: Path, target: Path, change: Any) -> None:
    """Copy a backup, passing every member through ``change(name, data) -> data``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            new.writestr(name, change(name, old.read(name)))


def _manifest_edit(edit: Any) -> Any:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


def _payment_amount_raised(name: str, data: bytes) -> bytes:
    """One payment's amount changed in its CSV file: the file no longer matches its SHA-256."""
    if name != f"{Payment._meta.db_table}.csv":
        return data
    header, first, *rest = data.decode().split("\r\n")
    at = header.split(",").index("amount")
    cells = first.split(",")
    cells[at] = str(Decimal(cells[at]) + 1)
    return "\r\n".join([header, ",".join(cells), *rest]).encode()


def _other_schema(manifest: dict[str, Any]) -> None:
    manifest["migrations"]["receivables"] = "9999_from_the_future"


def _rows_claimed(manifest: dict[str, Any]) -> None:
    manifest["files"][0]["rows"] += 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_payment_amount_raised, "SHA-256"),
        (_manifest_edit(_other_schema), "another database schema"),
        (_manifest_edit(_rows_claimed), "does not match its checksum"),
        (_manifest_edit(lambda m: m.pop("backup")), "not a backup"),
    ],
    ids=["changed-file", "other-migrations", "edited-manifest", "export-archive"],
)
def test_a_damaged_or_foreign_backup_is_refused_and_nothing_changes(
    billed: Any, tmp_path: Path, change: Any, message: str
) -> None:
    good = tmp_path / "good.zip"
    write_backup(good)
    post_payment(
        billed.clara, billed.acme, "5.00", DAY, allocations=[(billed.invoice.number, "5.00")]
    )
    bad = tmp_path / "bad.zip"
    _rewrite(good, bad, change)
    before = dump()
    with pytest.raises(ArchiveRefused, match=message):
        check_backup(bad)
    with pytest.raises(ArchiveRefused, match=message):
        restore_backup(bad, replace_data=True)
    assert dump() == before


def test_a_cut_off_backup_is_refused_and_nothing_changes(billed: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    write_backup(good)
    data = good.read_bytes()
    before = dump()
    with pytest.raises(ArchiveRefused):
        restore_backup(io.BytesIO(data[: len(data) * 2 // 3]), replace_data=True)
    assert dump() == before


def test_an_export_archive_without_password_hashes_is_not_taken_for_a_backup(
    billed: Any, tmp_path: Path
) -> None:
    archive = tmp_path / "export.zip"
    export_firm_archive(billed.carol, archive)
    before = dump()
    with pytest.raises(ArchiveRefused, match="export archive, not a backup"):
        restore_backup(archive, replace_data=True)
    assert dump() == before


# --- consistency while people keep working ------------------------------------------------------


class Writer(threading.Thread):
    """A clerk posting payments in a loop, each a Payment row and its allocation row in one
    transaction, on its own database connection."""

    def __init__(self, f: Any, invoice_number: str) -> None:
        super().__init__(daemon=True)
        self.f = f
        self.invoice_number = invoice_number
        self.committed = 0
        self.stop = threading.Event()
        self.posted = threading.Condition()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                post_payment(
                    self.f.clara,
                    self.f.acme,
                    "1.00",
                    DAY,
                    allocations=[(self.invoice_number, "1.00")],
                )
                with self.posted:
                    self.committed += 1
                    self.posted.notify_all()
        except BaseException as exc:  # pragma: no cover - reported by the test
            self.failure = exc
        finally:
            connections.close_all()

    def wait_for(self, count: int) -> None:
        with self.posted:
            assert self.posted.wait_for(lambda: self.committed >= count, timeout=60), (
                f"the writer committed {self.committed} payments, not {count}: {self.failure}"
            )


class PausingProgress:
    """Holds the backup at two tables until the writer has committed more payments, so commits
    certainly happen while the backup is half written."""

    def __init__(self, writer: Writer, pause_at: set[str]) -> None:
        self.writer = writer
        self.pause_at = pause_at
        self.seen_at_start: int | None = None

    def start(self, table: Any, rows: int) -> None:
        if self.seen_at_start is None:
            self.seen_at_start = self.writer.committed
            self.writer.wait_for(self.seen_at_start + 3)
        if table.table in self.pause_at:
            self.writer.wait_for(self.writer.committed + 3)

    def advance(self, rows: int) -> None:
        pass


@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_payments_are_posted_restores_a_state_that_existed(
    small_firm: Any, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite's in-memory test database can't be shared between threads; "
            "tests/e2e/test_backup_cli.py runs writers against a SQLite file while it backs up"
        )
    f = small_firm
    invoice = bill(f, f.acme_hourly, DAY, "20")  # 10,000.00: room for the payments
    writer = Writer(f, invoice.number)
    writer.start()
    writer.wait_for(2)
    progress = PausingProgress(writer, {Payment._meta.db_table, PaymentAllocation._meta.db_table})
    path = tmp_path / "busy.zip"
    try:
        write_backup(path, progress=progress)
    finally:
        writer.stop.set()
        writer.join(60)
    assert writer.failure is None
    final = Payment.objects.count()
    assert progress.seen_at_start is not None
    assert final >= progress.seen_at_start + 6  # commits happened while the backup ran

    restore_backup(path, replace_data=True)

    payments = dict(Payment.objects.values_list("pk", "amount"))
    allocated: dict[int, Decimal] = {}
    for payment_id, amount in PaymentAllocation.objects.values_list("payment_id", "amount"):
        allocated[payment_id] = allocated.get(payment_id, Decimal(0)) + amount
    # a state that existed: every payment with its allocation, no allocation without its payment
    assert allocated == payments
    # and the state when the backup began, not one from the middle of it or the end
    assert len(payments) <= progress.seen_at_start < final
    audit_payments = AuditRecord.objects.filter(
        model=Payment._meta.label, action=AuditRecord.Action.CREATE
    ).count()
    assert audit_payments == len(payments)
