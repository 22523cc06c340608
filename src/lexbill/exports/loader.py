"""Loading an archive into an empty database: the way a firm restores its data or moves engines.

Everything is checked that can be checked before a row is written — the manifest, the migration
state (the archive's schema must be this installation's), every file's SHA-256, that the database
holds no firm data — and then every table is inserted in foreign-key order with its original ids,
in chunks (``executemany``, raw SQL: immutable records and the audit signals are not involved),
in one transaction. A value that cannot be read, a row the database refuses, or a reference to a
row that is not there stops the load with the file, line and column, and nothing is kept.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from lexbill.exports.archive import (
    CHUNK_ROWS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ExportProgress,
    SilentProgress,
)
from lexbill.exports.codec import NULL, Kind, decoder
from lexbill.exports.errors import ArchiveRefused
from lexbill.exports.tables import (
    SEEDED_BY_MIGRATIONS,
    Column,
    TableSpec,
    exported_tables,
    migration_state,
    unapplied_migrations,
)

_READ_BLOCK = 1 << 20


@dataclass(frozen=True)
class LoadSummary:
    tables: int
    rows: int
    generated_at: str
    users: list[str]


def _open(source: str | Path | IO[bytes]) -> zipfile.ZipFile:
    name = str(source) if isinstance(source, (str, Path)) else "the archive"
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ArchiveRefused(
            f"not a readable zip archive, or cut off ({exc})", source=Path(name).name
        ) from None


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        data = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except KeyError:
        raise ArchiveRefused("the archive has no manifest.json", source=MANIFEST) from None
    except (ValueError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ArchiveRefused(f"unreadable manifest ({exc})", source=MANIFEST) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveRefused("not a Lexbill archive manifest", source=MANIFEST, field="format")
    if data.get("format_version") != FORMAT_VERSION:
        raise ArchiveRefused(
            f"archive format version {data.get('format_version')!r}; this installation reads "
            f"version {FORMAT_VERSION}",
            source=MANIFEST,
            field="format_version",
        )
    return data


def _check_migrations(manifest: dict[str, Any]) -> None:
    pending = unapplied_migrations()
    if pending:
        raise ArchiveRefused(
            f"this database is not up to date ({len(pending)} migrations not applied, e.g. "
            f"{pending[0]}); run `lexbill setup` first"
        )
    theirs = manifest.get("migrations")
    ours = migration_state()
    if theirs == ours:
        return
    theirs = theirs if isinstance(theirs, dict) else {}
    differ = [
        f"{app}: archive {theirs.get(app, 'none')}, this installation {ours.get(app, 'none')}"
        for app in sorted(set(theirs) | set(ours))
        if theirs.get(app) != ours.get(app)
    ]
    raise ArchiveRefused(
        "the archive was written by a Lexbill with another database schema ("
        + "; ".join(differ)
        + "). Load it with the same Lexbill version, or upgrade the firm it came from, "
        "export again and load that",
        source=MANIFEST,
        field="migrations",
    )


def _entries(manifest: dict[str, Any], specs: list[TableSpec]) -> dict[str, dict[str, Any]]:
    files = manifest.get("files")
    if not isinstance(files, list):
        raise ArchiveRefused("the manifest lists no files", source=MANIFEST, field="files")
    by_table = {f.get("table"): f for f in files if isinstance(f, dict)}
    known = {s.table for s in specs}
    for spec in specs:
        entry = by_table.get(spec.table)
        if entry is None:
            raise ArchiveRefused(
                f"the archive has no file for table {spec.table}", source=MANIFEST, field="files"
            )
        theirs = [(c.get("name"), c.get("type")) for c in entry.get("columns", [])]
        ours = [(c.name, c.type_name) for c in spec.columns]
        if theirs != ours:
            wrong = next(
                (f"{n} ({t})" for n, t in ours if (n, t) not in theirs), "the column order"
            )
            raise ArchiveRefused(
                f"the manifest's columns for {spec.table} differ from this installation's at "
                f"{wrong}",
                source=MANIFEST,
                field="columns",
            )
    extra = sorted(str(t) for t in by_table if t not in known)
    if extra:
        raise ArchiveRefused(
            f"the archive has tables this installation does not know: {', '.join(extra)}",
            source=MANIFEST,
            field="files",
        )
    return {str(t): e for t, e in by_table.items()}


def _verify_checksums(archive: zipfile.ZipFile, entries: dict[str, dict[str, Any]]) -> None:
    for entry in entries.values():
        name = str(entry.get("file"))
        digest = hashlib.sha256()
        try:
            with archive.open(name) as member:
                while block := member.read(_READ_BLOCK):
                    digest.update(block)
        except KeyError:
            raise ArchiveRefused("the file is missing from the archive", source=name) from None
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise ArchiveRefused(f"the file is damaged or cut off ({exc})", source=name) from None
        if digest.hexdigest() != entry.get("sha256"):
            raise ArchiveRefused(
                f"SHA-256 {digest.hexdigest()} does not match the manifest's "
                f"{entry.get('sha256')}: the file was changed or damaged",
                source=name,
            )


def tables_holding_data(specs: list[TableSpec] | None = None) -> list[str]:
    """Tables with rows, not counting the defaults a fresh ``migrate`` seeds."""
    q = connection.ops.quote_name
    held = []
    with connection.cursor() as cursor:
        for spec in specs if specs is not None else exported_tables():
            if spec.table in SEEDED_BY_MIGRATIONS:
                continue
            cursor.execute(f"SELECT 1 FROM {q(spec.table)} LIMIT 1")
            if cursor.fetchone():
                held.append(spec.table)
    return held


def _check_empty(specs: list[TableSpec]) -> None:
    held = tables_holding_data(specs)
    if held:
        raise ArchiveRefused(
            f"the database already holds firm data ({len(held)} tables, e.g. "
            f"{', '.join(held[:3])}); an archive is loaded only into a new, empty database "
            "(point LEXBILL_DATABASE_URL or LEXBILL_DATA_DIR at a new one and run `lexbill setup`)"
        )


# --- one table ----------------------------------------------------------------------------------

_Reader = Callable[[str], Any]


def _to_database(column: Column) -> Callable[[Any], Any] | None:
    """How a decoded value becomes the driver's parameter, or None when it goes as it is.

    Dates and moments take the path Django's own adapters take, without their per-value cost:
    SQLite stores ``str()`` of the date and of the naive UTC moment, PostgreSQL takes the
    objects. Other kinds that need it (JSON, UUID, …) go through the field itself."""
    if not column.prepared_by_field:
        return None
    if column.kind is Kind.DATE:
        return str if connection.vendor == "sqlite" else None
    if column.kind is Kind.DATETIME:
        if connection.vendor == "sqlite":
            zone = connection.timezone or UTC
            return lambda v: str(v.astimezone(zone).replace(tzinfo=None))
        return None
    field = column.field
    return lambda v: field.get_db_prep_save(v, connection)


def _reader(column: Column) -> _Reader:
    decode = decoder(column.kind, column.places)
    limit = getattr(column.field, "max_length", None) if column.kind is Kind.TEXT else None
    nullable = column.nullable
    prepare = _to_database(column)

    def read(text: str) -> Any:
        if text == NULL:
            if not nullable:
                raise ValueError("\\N (NULL) in a column that requires a value")
            return None
        value = decode(text)
        if limit is not None and len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; the column holds {limit}")
        return value if prepare is None else prepare(value)

    return read


def _insert_sql(spec: TableSpec, extra: list[str]) -> str:
    q = connection.ops.quote_name
    names = [*spec.column_names, *extra]
    marks = ", ".join(["%s"] * len(names))
    return f"INSERT INTO {q(spec.table)} ({', '.join(q(n) for n in names)}) VALUES ({marks})"


def _column_named_by(exc: BaseException, spec: TableSpec) -> str | None:
    """The column a database error is about, as far as the engine says."""
    cause = exc.__cause__ or exc
    diag = getattr(cause, "diag", None)
    names = spec.column_names
    if diag is not None and getattr(diag, "column_name", None) in names:
        return str(diag.column_name)
    text = f"{getattr(diag, 'constraint_name', '') or ''} {cause}"
    for constraint in spec.model._meta.constraints:
        if constraint.name and constraint.name in text:
            fields = getattr(constraint, "fields", ()) or ()
            columns = [c.name for c in spec.columns if c.field.name in fields]
            if columns:
                return ", ".join(columns)
    for name in sorted(names, key=len, reverse=True):
        if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text):
            return name
    return None


def _db_message(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__


def _copy(cursor: Any, spec: TableSpec, batch: list[tuple[int, list[Any]]]) -> None:
    """PostgreSQL's COPY for a chunk: several times faster than INSERTs, and a refused chunk is
    retried row by row by the caller to name the row."""
    q = connection.ops.quote_name
    names = [*spec.column_names, *spec.omitted]
    statement = f"COPY {q(spec.table)} ({', '.join(q(n) for n in names)}) FROM STDIN"
    with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        for _, values in batch:
            copy.write_row(values)


def _insert(
    cursor: Any, sql: str, spec: TableSpec, file: str, batch: list[tuple[int, list[Any]]]
) -> None:
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _copy(cursor, spec, batch)
            else:
                cursor.executemany(sql, [values for _, values in batch])
        return
    except DatabaseError:
        pass
    for line, values in batch:  # find the row the database refuses, to name it
        try:
            with transaction.atomic():
                cursor.execute(sql, values)
        except DatabaseError as exc:
            raise ArchiveRefused(
                f"the database refuses the row: {_db_message(exc)}",
                source=file,
                line=line,
                field=_column_named_by(exc, spec),
            ) from None
    raise ArchiveRefused("the database refuses a row of this file", source=file)


def _records(archive: zipfile.ZipFile, file: str) -> Iterator[list[str]]:
    """The file's CSV records; an unreadable one is refused with its line (records, header 1)."""
    line = 0
    try:
        with archive.open(file) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            for record in csv.reader(text, strict=True):
                line += 1
                yield record
    except csv.Error as exc:
        raise ArchiveRefused(f"not valid CSV ({exc})", source=file, line=line + 1) from None
    except UnicodeDecodeError as exc:
        raise ArchiveRefused(f"not UTF-8 text ({exc.reason})", source=file, line=line + 1) from None


def _load_table(
    archive: zipfile.ZipFile,
    spec: TableSpec,
    entry: dict[str, Any],
    progress: ExportProgress,
) -> int:
    file = str(entry["file"])
    records = _records(archive, file)
    header = next(records, None)
    if header is None:
        raise ArchiveRefused("the file is empty: no header row", source=file, line=1)
    for name in spec.column_names:
        if name not in header:
            raise ArchiveRefused("the column is missing", source=file, line=1, field=name)
    for name in header:
        if name not in spec.column_names:
            raise ArchiveRefused(
                f"unknown column (the table has {', '.join(spec.column_names)})",
                source=file,
                line=1,
                field=name,
            )
    plan = [(header.index(c.name), c.name, _reader(c)) for c in spec.columns]
    extra = list(spec.omitted)  # only users' passwords: unusable until set again
    sql = _insert_sql(spec, extra)
    width = len(header)
    batch: list[tuple[int, list[Any]]] = []
    line = 1
    rows = 0
    with connection.cursor() as cursor:
        for record in records:
            line += 1
            if len(record) != width:
                raise ArchiveRefused(
                    f"the row has {len(record)} fields, the header {width} (a cut-off or "
                    "hand-edited file?)",
                    source=file,
                    line=line,
                )
            values: list[Any] = []
            for position, name, read in plan:
                try:
                    values.append(read(record[position]))
                except (ValueError, ValidationError, TypeError) as exc:
                    message = (
                        "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    )
                    cell = record[position]
                    if cell[:20] not in message:
                        message = f"{cell[:40]!r} {message}" if cell else f"empty value {message}"
                    raise ArchiveRefused(
                        message,
                        source=file,
                        line=line,
                        field=name,
                    ) from None
            values.extend(make_password(None) for _ in extra)
            batch.append((line, values))
            if len(batch) >= CHUNK_ROWS:
                _insert(cursor, sql, spec, file, batch)
                rows += len(batch)
                progress.advance(len(batch))
                batch = []
        if batch:
            _insert(cursor, sql, spec, file, batch)
            rows += len(batch)
            progress.advance(len(batch))
    if rows != entry.get("rows"):
        raise ArchiveRefused(
            f"the file has {rows} rows, the manifest says {entry.get('rows')}",
            source=file,
            line=line,
        )
    return rows


# --- after every table --------------------------------------------------------------------------


def _line_of(archive: zipfile.ZipFile, file: str, pk_column: str, pk: Any) -> int | None:
    records = _records(archive, file)
    header = next(records, [])
    if pk_column not in header:
        return None
    at = header.index(pk_column)
    for line, record in enumerate(records, start=2):
        if len(record) > at and record[at] == str(pk):
            return line
    return None


def _check_references(
    archive: zipfile.ZipFile, specs: list[TableSpec], entries: dict[str, dict[str, Any]]
) -> None:
    """Every foreign key points at a loaded row: one anti-join per foreign-key column, before
    commit, so the error names the row instead of the engine's "FOREIGN KEY constraint failed"."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for spec in specs:
            for column in spec.columns:
                if column.references is None:
                    continue
                target = column.field.target_field.column  # type: ignore[attr-defined]
                cursor.execute(
                    f"SELECT c.{q(spec.pk)}, c.{q(column.name)} FROM {q(spec.table)} c "
                    f"LEFT JOIN {q(column.references)} r ON r.{q(target)} = c.{q(column.name)} "
                    f"WHERE c.{q(column.name)} IS NOT NULL AND r.{q(target)} IS NULL "
                    f"ORDER BY c.{q(spec.pk)} LIMIT 1"
                )
                found = cursor.fetchone()
                if found:
                    file = str(entries[spec.table]["file"])
                    raise ArchiveRefused(
                        f"points at {column.references} {target} {found[1]}, which is not in "
                        "the archive",
                        source=file,
                        line=_line_of(archive, file, spec.pk, found[0]),
                        field=column.name,
                    )


def _reset_sequences(specs: list[TableSpec]) -> None:
    """The next id after the loaded ones. SQLite's AUTOINCREMENT follows explicit ids by itself;
    PostgreSQL's sequences are set to each table's largest id."""
    statements = connection.ops.sequence_reset_sql(no_style(), [s.model for s in specs])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _set_passwords(passwords: dict[str, str]) -> None:
    """Passwords chosen at load time (the archive has none), in the same transaction."""
    from lexbill.firm.models import User

    q = connection.ops.quote_name
    sql = f"UPDATE {q(User._meta.db_table)} SET {q('password')} = %s WHERE {q('username')} = %s"
    with connection.cursor() as cursor:
        for username, password in passwords.items():
            cursor.execute(
                sql,
                [make_password(password), username],
            )
            if cursor.rowcount != 1:
                raise ArchiveRefused(
                    f"no user {username!r} in the archive to set a password for", field="username"
                )


def load_archive(
    source: str | Path | IO[bytes],
    *,
    progress: ExportProgress | None = None,
    passwords: dict[str, str] | None = None,
) -> LoadSummary:
    """Load the archive into this (empty, migrated) database, all or nothing."""
    from lexbill.audit.recorder import record_event

    progress = progress or SilentProgress()
    specs = exported_tables()
    with _open(source) as archive:
        manifest = _manifest(archive)
        _check_migrations(manifest)
        entries = _entries(manifest, specs)
        _check_empty(specs)
        _verify_checksums(archive, entries)
        with transaction.atomic():
            _check_empty(specs)
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
            _set_passwords(passwords or {})
            from lexbill.firm.models import User

            users = sorted(User.objects.values_list("username", flat=True))
            generated_at = str(manifest.get("generated_at", ""))
            record_event(
                "exports.Archive",
                "",
                f"firm data loaded from an archive written {generated_at}: "
                f"{len(specs)} tables, {rows} rows",
                generated_at=generated_at,
                database=manifest.get("database"),
                tables=len(specs),
                rows=rows,
                passwords_set=sorted(passwords or {}),
            )
    return LoadSummary(tables=len(specs), rows=rows, generated_at=generated_at, users=users)
