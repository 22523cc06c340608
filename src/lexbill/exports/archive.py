"""Writing the archive: every table of the firm as one CSV file in a zip, plus a manifest.

Rows are read in primary-key order through a chunked cursor (a server-side cursor on
PostgreSQL), encoded by ``codec`` and written straight into the zip member, so memory holds one
chunk whatever the table's size. All tables are read in one snapshot (REPEATABLE READ on
PostgreSQL, a deferred read transaction on SQLite's WAL), so the archive is consistent: no
invoice line without its invoice, even while people keep working.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, Protocol

from django.db import connection, transaction

from lexbill.exports.codec import NULL, Encoder, Kind, encoder
from lexbill.exports.tables import (
    TableSpec,
    exported_tables,
    migration_state,
    not_exported,
)

FORMAT = "lexbill-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK_ROWS = 2000

CONVENTIONS = {
    "encoding": "UTF-8, RFC 4180 (comma, double quotes, CRLF), one header row of column names",
    "null": NULL,
    "text": "as is; a text starting with a backslash gets one more backslash in front",
    "boolean": "true / false",
    "fixed(N)": "the decimal value with exactly N places, e.g. 1234.50 (stored as scaled integer)",
    "date": "YYYY-MM-DD",
    "datetime": "UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ",
    "json": "compact, keys sorted",
    "order": "rows in primary-key order",
}


class ExportProgress(Protocol):
    """What the command line's progress bar (or nothing) is told while tables are written."""

    def start(self, table: TableSpec, rows: int) -> None: ...

    def advance(self, rows: int) -> None: ...


class SilentProgress:
    def start(self, table: TableSpec, rows: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass
class FileEntry:
    file: str
    table: str
    model: str
    columns: list[dict[str, str]]
    omitted_columns: list[str]
    rows: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "table": self.table,
            "model": self.model,
            "columns": self.columns,
            "omitted_columns": self.omitted_columns,
            "rows": self.rows,
            "sha256": self.sha256,
        }


@dataclass
class Manifest:
    generated_at: str
    database: str
    migrations: dict[str, str]
    files: list[FileEntry] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at,
            "database": self.database,
            "migrations": self.migrations,
            "conventions": CONVENTIONS,
            "files": [f.as_json() for f in self.files],
            "not_exported": not_exported(),
        }


def utc_stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextmanager
def snapshot() -> Iterator[None]:
    """One consistent read of every table. Inside a caller's transaction (tests, a service that
    already holds one) that transaction is the snapshot."""
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    # SQLite: Django begins IMMEDIATE transactions (a write lock); a deferred one only reads, so
    # in WAL mode nobody waits for the export.
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")


def select_sql(spec: TableSpec) -> str:
    q = connection.ops.quote_name
    columns = ", ".join(q(c.name) for c in spec.columns)
    return f"SELECT {columns} FROM {q(spec.table)} ORDER BY {q(spec.pk)}"


# What the codec reads straight from the driver (see ``codec.encoder``): skipping Django's
# converters for these halves the time an export takes.
RAW_KINDS = frozenset({Kind.INTEGER, Kind.TEXT, Kind.BOOLEAN, Kind.DATE, Kind.DATETIME, Kind.FIXED})


def converters(spec: TableSpec, raw: frozenset[Kind]) -> list[list[Callable[..., Any]]]:
    """Django's own database converters per column (dates from SQLite text, booleans from 0/1,
    JSON from text), except for the kinds in ``raw``; fixed-point money is always raw: its stored
    integer is what both writers want."""
    result: list[list[Callable[..., Any]]] = []
    for column in spec.columns:
        if column.kind in raw or column.kind is Kind.FIXED:
            result.append([])
            continue
        col = column.field.get_col(spec.table)
        result.append(
            list(connection.ops.get_db_converters(col)) + list(col.get_db_converters(connection))
        )
    return result


def read_rows(
    spec: TableSpec, chunk: int = CHUNK_ROWS, *, raw: frozenset[Kind] = frozenset()
) -> Iterator[list[Sequence[Any]]]:
    """The table's rows in primary-key order, a chunk at a time, as Python values (the kinds in
    ``raw`` as the driver returns them)."""
    convs = converters(spec, raw)
    cols = [
        (i, c.field.get_col(spec.table), fs)
        for i, (c, fs) in enumerate(zip(spec.columns, convs, strict=True))
        if fs
    ]
    with connection.chunked_cursor() as cursor:
        cursor.execute(select_sql(spec))
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                return
            if cols:
                converted: list[Sequence[Any]] = []
                for row in rows:
                    values = list(row)
                    for i, col, fs in cols:
                        value = values[i]
                        for conv in fs:
                            value = conv(value, col, connection)
                        values[i] = value
                    converted.append(values)
                yield converted
            else:
                yield rows


def count_rows(spec: TableSpec) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(spec.table)}")
        return int(cursor.fetchone()[0])


def _write_table(archive: zipfile.ZipFile, spec: TableSpec, progress: ExportProgress) -> FileEntry:
    zone = connection.timezone or UTC
    encoders: list[Encoder] = [
        encoder(c.kind, c.places, nullable=c.nullable, zone=zone) for c in spec.columns
    ]
    digest = hashlib.sha256()
    rows = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    with archive.open(spec.file_name, "w", force_zip64=True) as member:

        def flush() -> None:
            data = buffer.getvalue().encode("utf-8")
            digest.update(data)
            member.write(data)
            buffer.seek(0)
            buffer.truncate()

        writer.writerow(spec.column_names)
        for chunk in read_rows(spec, raw=RAW_KINDS):
            writer.writerows(
                [enc(value) for enc, value in zip(encoders, row, strict=True)] for row in chunk
            )
            rows += len(chunk)
            flush()
            progress.advance(len(chunk))
        flush()
    return FileEntry(
        file=spec.file_name,
        table=spec.table,
        model=spec.label,
        columns=[{"name": c.name, "type": c.type_name} for c in spec.columns],
        omitted_columns=list(spec.omitted),
        rows=rows,
        sha256=digest.hexdigest(),
    )


def write_archive(
    target: str | IO[bytes],
    *,
    progress: ExportProgress | None = None,
    tables: list[TableSpec] | None = None,
    now: datetime | None = None,
) -> Manifest:
    """Write the whole firm to ``target`` (a path or a writable binary file) as a zip archive."""
    progress = progress or SilentProgress()
    specs = tables if tables is not None else exported_tables()
    with (
        snapshot(),
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
    ):
        manifest = Manifest(
            generated_at=utc_stamp(now),
            database=connection.vendor,
            migrations=migration_state(),
        )
        for spec in specs:
            progress.start(spec, count_rows(spec))
            manifest.files.append(_write_table(archive, spec, progress))
        archive.writestr(MANIFEST, json.dumps(manifest.as_json(), indent=2) + "\n")
    return manifest
