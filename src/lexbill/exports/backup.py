"""Backups: the whole firm, password hashes included, in one consistent snapshot — and back.

A backup is the export archive (``archive.py``: every lexbill table as checksummed CSV in a zip,
read in one snapshot — REPEATABLE READ on PostgreSQL, one read transaction on SQLite's WAL — so
people keep working while it runs) with two differences that make it a backup rather than a
hand-over of data:

* users' password hashes are kept (an archive leaves them out), so after a restore everyone logs
  in as before. The file is therefore a secret and is written readable by its owner only;
* the manifest carries a ``backup`` section (engine, time, migration state, row counts, and a
  SHA-256 over the files' checksums), and ``restore`` refuses anything without it.

It lives in the exports package because it is the same format and reuses the package's writer and
loader steps (snapshot, per-table writer, manifest checks, checksum verification, the chunked
loader, the foreign-key check, sequence reset): one dumper, one loader, two front doors.

``restore_backup`` checks everything it can before touching the database (manifest, backup
marker, migration state, the tables and columns, every file's checksum), then in one transaction
either loads into an empty database or, with ``replace=True``, deletes the current data and loads
the backup's. Any refusal leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.db import connection, transaction

from lexbill.exports.archive import (
    MANIFEST,
    ExportProgress,
    Manifest,
    SilentProgress,
    _write_table,
    count_rows,
    snapshot,
    utc_stamp,
)
from lexbill.exports.errors import ArchiveRefused
from lexbill.exports.loader import (
    _check_migrations,
    _check_references,
    _entries,
    _load_table,
    _manifest,
    _open,
    _reset_sequences,
    _verify_checksums,
    tables_holding_data,
)
from lexbill.exports.tables import (
    SEEDED_BY_MIGRATIONS,
    TableSpec,
    _column,
    exported_tables,
    migration_state,
    unapplied_migrations,
)

BACKUP_VERSION = 1

# Tables outside lexbill that point at lexbill rows (users): on a replacing restore their rows are
# removed with the data they point at. Sessions go too, so nobody stays logged in as a user whose
# row was replaced.
_DEPENDENT_TABLES = ("django_admin_log", "django_session")


@dataclass(frozen=True)
class BackupSummary:
    path: str
    generated_at: str
    database: str
    tables: int
    rows: int
    bytes: int


@dataclass(frozen=True)
class RestoreSummary:
    tables: int
    rows: int
    generated_at: str
    database: str
    replaced: bool


def backup_tables() -> list[TableSpec]:
    """The archive's tables with every column, password hashes included."""
    specs = []
    for spec in exported_tables():
        if spec.omitted:
            fields = spec.model._meta.concrete_fields
            spec = replace(spec, columns=tuple(_column(f) for f in fields), omitted=())
        specs.append(spec)
    return specs


def files_checksum(files: list[dict[str, Any]]) -> str:
    """One SHA-256 over every file's name, row count and SHA-256, in the manifest's order."""
    digest = hashlib.sha256()
    for entry in files:
        digest.update(f"{entry['file']}\t{entry['rows']}\t{entry['sha256']}\n".encode())
    return digest.hexdigest()


def write_backup(
    target: str | Path,
    *,
    progress: ExportProgress | None = None,
    now: datetime | None = None,
) -> BackupSummary:
    """Write a backup of every table to ``target``, read in one snapshot.

    The file is written beside the target and renamed at the end, so a backup that fails half way
    never leaves a truncated file under the name a restore would use."""
    progress = progress or SilentProgress()
    pending = unapplied_migrations()
    if pending:
        raise ArchiveRefused(
            f"the database is not up to date ({len(pending)} migrations not applied, e.g. "
            f"{pending[0]}); run `lexbill setup` first, then back up"
        )
    path = Path(target)
    partial = path.with_name(f".{path.name}.partial")
    specs = backup_tables()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            snapshot(),
            zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf,
        ):
            manifest = Manifest(
                generated_at=utc_stamp(now),
                database=connection.vendor,
                migrations=migration_state(),
            )
            for spec in specs:
                progress.start(spec, count_rows(spec))
                manifest.files.append(_write_table(zf, spec, progress))
            data = manifest.as_json()
            data["backup"] = {
                "backup_version": BACKUP_VERSION,
                "engine": connection.vendor,
                "generated_at": manifest.generated_at,
                "migrations": manifest.migrations,
                "tables": len(manifest.files),
                "rows": manifest.rows,
                "counts": {f.table: f.rows for f in manifest.files},
                "includes": ["password hashes"],
                "files_sha256": files_checksum(data["files"]),
            }
            zf.writestr(MANIFEST, json.dumps(data, indent=2) + "\n")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupSummary(
        path=str(path),
        generated_at=manifest.generated_at,
        database=connection.vendor,
        tables=len(manifest.files),
        rows=manifest.rows,
        bytes=path.stat().st_size,
    )


def _backup_section(manifest: dict[str, Any]) -> dict[str, Any]:
    section = manifest.get("backup")
    if not isinstance(section, dict):
        raise ArchiveRefused(
            "this is an export archive, not a backup (it has no password hashes); load it into "
            "an empty database with `lexbill export load`",
            source=MANIFEST,
            field="backup",
        )
    if section.get("backup_version") != BACKUP_VERSION:
        raise ArchiveRefused(
            f"backup version {section.get('backup_version')!r}; this installation restores "
            f"version {BACKUP_VERSION}",
            source=MANIFEST,
            field="backup_version",
        )
    files = manifest.get("files")
    if not isinstance(files, list) or section.get("files_sha256") != files_checksum(files):
        raise ArchiveRefused(
            "the manifest's file list does not match its checksum: the backup was changed or "
            "damaged",
            source=MANIFEST,
            field="files_sha256",
        )
    return section


def check_backup(source: str | Path | IO[bytes]) -> dict[str, Any]:
    """Everything that can be checked without the database's data: the manifest and its backup
    section, the migration state, the tables and columns, and every file's SHA-256. Returns the
    backup section."""
    with _open(source) as archive:
        manifest = _manifest(archive)
        section = _backup_section(manifest)
        _check_migrations(manifest)
        entries = _entries(manifest, backup_tables())
        _verify_checksums(archive, entries)
    return section


def _delete_current_data(specs: list[TableSpec]) -> None:
    """Every row of every table, children first; foreign keys are checked at commit."""
    q = connection.ops.quote_name
    present = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in _DEPENDENT_TABLES:
            if table in present:
                cursor.execute(f"DELETE FROM {q(table)}")
        for model in {s.model for s in specs}:
            for m2m in model._meta.local_many_to_many:
                through = m2m.remote_field.through
                if through is None or isinstance(through, str):
                    continue
                table = through._meta.db_table
                if through._meta.auto_created and table not in {s.table for s in specs}:
                    cursor.execute(f"DELETE FROM {q(table)}")
        for spec in reversed(specs):
            cursor.execute(f"DELETE FROM {q(spec.table)}")


def _refuse_unless_empty(specs: list[TableSpec]) -> None:
    held = tables_holding_data(specs)
    if held:
        raise ArchiveRefused(
            f"the database already holds firm data ({len(held)} tables, e.g. "
            f"{', '.join(held[:3])}); restore into an empty database, or give --force to "
            "replace that data with the backup's"
        )


def restore_backup(
    source: str | Path | IO[bytes],
    *,
    replace_data: bool = False,
    progress: ExportProgress | None = None,
) -> RestoreSummary:
    """Restore a backup into this database, all or nothing.

    Without ``replace_data`` the database must hold no firm data; with it the current data is
    deleted and the backup's loaded in the same transaction."""
    from lexbill.audit.recorder import record_event

    progress = progress or SilentProgress()
    specs = backup_tables()
    with _open(source) as archive:
        manifest = _manifest(archive)
        section = _backup_section(manifest)
        _check_migrations(manifest)
        entries = _entries(manifest, specs)
        if not replace_data:
            _refuse_unless_empty(specs)
        _verify_checksums(archive, entries)
        with transaction.atomic():
            if replace_data:
                _delete_current_data(specs)
            else:
                _refuse_unless_empty(specs)
                q = connection.ops.quote_name
                with connection.cursor() as cursor:
                    for table in sorted(SEEDED_BY_MIGRATIONS):
                        cursor.execute(f"DELETE FROM {q(table)}")
            rows = 0
            for spec in specs:
                entry = entries[spec.table]
                progress.start(spec, int(entry.get("rows") or 0))
                rows += _load_table(archive, spec, entry, progress)
            _check_references(archive, specs, entries)
            _reset_sequences(specs)
            generated_at = str(section.get("generated_at", ""))
            record_event(
                "exports.Backup",
                "",
                f"firm data restored from a backup taken {generated_at}"
                + (", replacing the data held before" if replace_data else "")
                + f": {len(specs)} tables, {rows} rows",
                generated_at=generated_at,
                database=section.get("engine"),
                tables=len(specs),
                rows=rows,
                replaced=replace_data,
            )
    return RestoreSummary(
        tables=len(specs),
        rows=rows,
        generated_at=generated_at,
        database=str(section.get("engine", "")),
        replaced=replace_data,
    )
