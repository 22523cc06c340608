"""Importing a firm's history: dry run and all-or-nothing commit of one CSV or Excel file.

One code path does both. The file is streamed once; each row is typed by the pure
``formats.import_fields.RowReader`` and then checked against the database by the kind's
importer, with every lookup (matters, timekeepers, clients, codes, rates) loaded into dicts
before the first row. A dry run stops there and reports what would be created and every
problem by row and column. A commit runs the same checks inside one transaction and writes
rows in chunks as it goes — set-based (multi-row ``INSERT`` for time entries, ``bulk_create`` for
the rest), never a save per row — and if any problem turns up, however late, raises
:class:`ImportRefused` so the transaction rolls back and nothing is written.

The rules are the ones typing the data obeys: matters must be open, UTBMS codes known and in
the matter's code set, a rate in force for billable time, no timekeeper over 24 hours a day
(counting what is already recorded), expenses checked by ``entries.services._check_expense``
itself. Time entries land ``unbilled``, exactly as if typed. The audit trail gets one event
per import (who, when, file, SHA-256, kind, counts), not a record per row.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from lexbill.audit.context import acting_as, current_actor, current_channel
from lexbill.audit.recorder import record_event
from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.firm.models import Firm, User
from lexbill.firm.permissions import Action, require
from lexbill.firm.services import get_firm
from lexbill.formats.import_fields import (
    ImportOptions,
    Kind,
    Problem,
    RowReader,
    guess_mapping,
    header_signature,
    schema,
)
from lexbill.formats.tabular import Table, TableError, open_table, read_header
from lexbill.imports.importers import (
    ClientImporter,
    ExpenseImporter,
    Importer,
    MatterImporter,
    ProblemList,
    RateImporter,
    TimekeeperImporter,
)
from lexbill.imports.models import ImportBatch, ImportMapping
from lexbill.imports.time_import import TimeImporter

CHUNK = 10_000

Progress = Callable[[int, int, int], None]
"""``progress(done, total, rows)``: ``done``/``total`` in bytes (CSV) or rows (Excel)."""


class ImportRefused(LexbillError):
    """The file has problems; nothing was written. ``result`` lists them by row and column."""

    def __init__(self, result: ImportResult) -> None:
        first = result.problems[0] if result.problems else None
        super().__init__(
            f"{result.problem_count} problem{'s' if result.problem_count != 1 else ''} in "
            f"{result.file_name}; nothing was imported" + (f" (first: {first})" if first else ""),
            line=first.row if first else None,
            field=first.column if first else None,
            source=result.file_name,
        )
        self.result = result

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.result,))


@dataclass
class ImportResult:
    kind: str
    file_name: str
    sha256: str
    committed: bool = False
    rows: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    seconds: float = 0.0
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file_name,
            "sha256": self.sha256,
            "committed": self.committed,
            "rows": self.rows,
            "counts": self.counts,
            "problem_count": self.problem_count,
            "problems": [p.as_dict() for p in self.problems],
            "seconds": round(self.seconds, 3),
            "batch": self.batch_id,
        }


IMPORTERS: dict[Kind, type[Importer]] = {
    Kind.TIMEKEEPERS: TimekeeperImporter,
    Kind.CLIENTS: ClientImporter,
    Kind.MATTERS: MatterImporter,
    Kind.RATES: RateImporter,
    Kind.TIME: TimeImporter,
    Kind.EXPENSES: ExpenseImporter,
}


# --- running an import ------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def saved_mapping(kind: Kind | str, headers: Sequence[str]) -> ImportMapping | None:
    """The mapping saved for this kind and header row, if the firm has imported such a file."""
    firm = Firm.objects.order_by("pk").first()
    if firm is None:
        return None
    return ImportMapping.objects.filter(
        firm=firm, kind=Kind(kind).value, signature=header_signature(headers)
    ).first()


def proposed_mapping(
    kind: Kind | str, headers: Sequence[str]
) -> tuple[dict[str, str], dict[str, Any], bool]:
    """(columns, options, saved?): the saved mapping for these headers, else a guess."""
    saved = saved_mapping(kind, headers)
    if saved is not None:
        return dict(saved.columns), dict(saved.options), True
    return guess_mapping(kind, headers), ImportOptions().as_dict(), False


def save_mapping(
    actor: User | None,
    kind: Kind | str,
    headers: Sequence[str],
    columns: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
    *,
    name: str = "",
) -> ImportMapping:
    """Keep a mapping for the next file with the same header row (replacing an older one)."""
    require(actor, Action.IMPORT_DATA)
    kind = schema(kind).kind
    clean = {k: v for k, v in columns.items() if v}
    unknown = sorted(set(clean) - set(schema(kind).names))
    if unknown:
        raise InvalidEntry(f"{unknown[0]!r} is not a field of a {kind} import", field="mapping")
    opts = ImportOptions.from_dict(options).as_dict()
    mapping, _created = ImportMapping.objects.update_or_create(
        firm=get_firm(),
        kind=kind.value,
        signature=header_signature(headers),
        defaults={
            "headers": list(headers),
            "columns": clean,
            "options": opts,
            "name": name[:120],
            "updated_by": actor,
        },
    )
    return mapping


def named_mapping(kind: Kind | str, name: str) -> ImportMapping:
    found = (
        ImportMapping.objects.filter(kind=Kind(kind).value, name=name)
        .order_by("-updated_at")
        .first()
    )
    if found is None:
        raise InvalidEntry(f"no saved {kind} mapping named {name!r}", field="mapping")
    return found


def _already_imported(kind: Kind, sha256: str) -> ImportBatch | None:
    return ImportBatch.objects.filter(
        kind=kind.value, sha256=sha256, status=ImportBatch.Status.COMMITTED
    ).first()


def _rows_of(table: Table, problems: ProblemList) -> Iterator[tuple[int, list[str], bool]]:
    """The table's rows; a reading error (encoding, broken quoting) ends the file as a problem
    with its row — nothing after it can be trusted."""
    try:
        yield from table.rows
    except TableError as exc:
        problems.add(Problem(exc.line, exc.field or "", exc.message))


def run_import(
    actor: User | None,
    kind: Kind | str,
    path: Path,
    *,
    file_name: str = "",
    columns: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    commit: bool = False,
    progress: Progress | None = None,
    batch: ImportBatch | None = None,
    sha256: str | None = None,
) -> ImportResult:
    """Dry run (``commit=False``) or commit one file. ``columns`` defaults to the saved mapping
    for the file's header row, else the guess. A commit with any problem raises
    :class:`ImportRefused` after rolling back; a dry run returns the problems."""
    require(actor, Action.IMPORT_DATA)
    kind = schema(kind).kind
    started = time.perf_counter()
    file_name = file_name or path.name
    result = ImportResult(kind.value, file_name, sha256 or file_sha256(path))
    problems = ProblemList()
    firm = get_firm()
    try:
        table = open_table(path, file_name)
    except TableError as exc:
        problems.add(Problem(exc.line, exc.field or "", exc.message))
        return _refuse_if(commit, _finish(result, problems, None, started))
    with table:
        if columns is None:
            columns, saved_options, _saved = proposed_mapping(kind, table.headers)
            options = saved_options if options is None else options
        reader = RowReader(kind, table.headers, dict(columns), ImportOptions.from_dict(options))
        problems.extend(reader.problems)
        earlier = _already_imported(kind, result.sha256)
        if earlier is not None:
            problems.add(
                Problem(
                    None,
                    "",
                    f"this file was already imported on "
                    f"{earlier.committed_at:%Y-%m-%d} (import {earlier.pk})",
                )
            )
        if not reader.usable:
            return _refuse_if(commit, _finish(result, problems, None, started))
        if commit:
            with acting_as(actor or current_actor(), current_channel()):
                try:
                    with transaction.atomic():
                        importer = _stream(reader, table, problems, actor, firm, True, progress)
                        result.rows = importer.rows
                        if problems.count:
                            raise ImportRefused(_finish(result, problems, importer, started))
                        batch = _record_commit(actor, batch, result, importer, table)
                except ImportRefused:
                    raise
                result.committed = True
                result.batch_id = batch.pk
                return _finish(result, problems, importer, started)
        importer = _stream(reader, table, problems, actor, firm, False, progress)
        result.rows = importer.rows
        return _finish(result, problems, importer, started)


def _refuse_if(commit: bool, result: ImportResult) -> ImportResult:
    """A commit refused before any row was read is refused like one refused after."""
    if commit and not result.ok:
        raise ImportRefused(result)
    return result


def _stream(
    reader: RowReader,
    table: Table,
    problems: ProblemList,
    actor: User | None,
    firm: Firm,
    write: bool,
    progress: Progress | None,
) -> Importer:
    importer = IMPORTERS[reader.kind](reader, problems, actor, firm, write)
    state = table.state
    excel = table.kind == "xlsx"
    rows = 0
    read = reader.read
    check = importer.check
    add_problems = problems.extend
    try:
        for row, cells, last in _rows_of(table, problems):
            if not any(cells):
                continue
            rows += 1
            values, found = read(
                row, cells, last=last, cut_off=not excel and not state.ended_with_newline
            )
            if values is None:
                add_problems(found)
                if reader.partial is not None:
                    importer.check_references(row, reader.partial)
                    reader.partial = None
            else:
                check(row, values)
            if rows % CHUNK == 0:
                importer.flush(_expected_rows(state, excel, rows))
                if progress is not None:
                    _report(progress, state, excel, rows)
        importer.rows = rows
        importer.finish()
    finally:
        importer.close()
    if progress is not None:
        _report(progress, state, excel, rows, done=True)
    return importer


def _expected_rows(state: Any, excel: bool, rows: int) -> int:
    """The file's size in rows, estimated from what has been read so far."""
    if excel:
        return max(int(state.total_rows or 0) - 1, rows)
    consumed = state.tell()
    return int(state.size * rows / consumed) if consumed else rows


def _report(progress: Progress, state: Any, excel: bool, rows: int, done: bool = False) -> None:
    if excel:
        total = max(int(state.total_rows or 0) - 1, rows)
        progress(total if done else rows, total, rows)
    else:
        progress(state.size if done else min(state.tell(), state.size), state.size, rows)


def _record_commit(
    actor: User | None,
    batch: ImportBatch | None,
    result: ImportResult,
    importer: Importer,
    table: Table,
) -> ImportBatch:
    """The batch row and the one audit event of the import, in the import's transaction."""
    counts = importer.counts()
    if batch is None:
        batch = ImportBatch(kind=result.kind, file_name=result.file_name, created_by=actor)
    batch.sha256 = result.sha256
    batch.size = table.state.size
    batch.headers = list(table.headers)
    batch.columns = dict(importer.reader.mapping)
    batch.options = importer.reader.options.as_dict()
    batch.status = ImportBatch.Status.COMMITTED
    batch.rows = result.rows
    batch.counts = counts
    batch.problems = []
    batch.problem_count = 0
    batch.committed_at = timezone.now()
    batch.save()
    record_event(
        "imports.ImportBatch",
        batch.pk,
        f"imported {result.rows} {result.kind} rows from {result.file_name}",
        kind=result.kind,
        file_name=result.file_name,
        sha256=result.sha256,
        rows=result.rows,
        counts=counts,
    )
    return batch


def _finish(
    result: ImportResult, problems: ProblemList, importer: Importer | None, started: float
) -> ImportResult:
    result.problems = list(problems.kept)
    result.problem_count = problems.count
    if importer is not None:
        result.counts = importer.counts()
    result.seconds = time.perf_counter() - started
    return result


def check_file(actor: User | None, kind: Kind | str, path: Path, **kwargs: Any) -> ImportResult:
    """The dry run: what would be created and every problem; nothing is written."""
    return run_import(actor, kind, path, commit=False, **kwargs)


def commit_file(actor: User | None, kind: Kind | str, path: Path, **kwargs: Any) -> ImportResult:
    """All or nothing; raises :class:`ImportRefused` (nothing written) when there are problems."""
    return run_import(actor, kind, path, commit=True, **kwargs)


def headers_of(path: Path, file_name: str = "") -> list[str]:
    try:
        return read_header(path, file_name)
    except TableError:
        return []


# --- uploads (the web page) -------------------------------------------------------------------

MAX_UPLOAD_BYTES = 2 * 1024**3
"""A million time entries are about 100 MiB of CSV; twenty times that is a mistake."""


def upload_dir() -> Path:
    from django.conf import settings

    configured = getattr(settings, "LEXBILL_IMPORT_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "imports"


def receive_upload(
    actor: User | None, kind: Kind | str, file_name: str, chunks: Iterator[bytes]
) -> ImportBatch:
    """Keep an uploaded file in the data directory (streamed, hashed on the way) and read its
    header row; the batch then goes through mapping, dry run and commit."""
    require(actor, Action.IMPORT_DATA)
    kind = schema(kind).kind
    base = Path(file_name or "upload").name[:200]
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    batch = ImportBatch.objects.create(kind=kind.value, file_name=base, created_by=actor)
    target = folder / f"{batch.pk}{Path(base).suffix.lower()[:8]}"
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                target.unlink(missing_ok=True)
                batch.delete()
                raise InvalidEntry("the file is larger than 2 GiB", field="file")
            digest.update(chunk)
            out.write(chunk)
    try:
        headers = read_header(target, base)
    except TableError as exc:
        target.unlink(missing_ok=True)
        batch.delete()
        raise InvalidEntry(f"{base}: {exc}", field="file") from None
    batch.stored_path = str(target)
    batch.sha256 = digest.hexdigest()
    batch.size = size
    batch.headers = headers
    columns, options, _saved = proposed_mapping(kind, headers)
    batch.columns = columns
    batch.options = options
    batch.save()
    return batch


def set_batch_mapping(
    actor: User | None,
    batch: ImportBatch,
    columns: Mapping[str, str],
    options: Mapping[str, Any],
    *,
    name: str = "",
) -> ImportBatch:
    """The mapping chosen on the page: kept on the batch and saved for the next such file."""
    require(actor, Action.IMPORT_DATA)
    if batch.status in (
        ImportBatch.Status.COMMITTED,
        ImportBatch.Status.COMMITTING,
        ImportBatch.Status.CHECKING,
    ):
        raise InvalidEntry(f"import {batch.pk} is {batch.status}", field="status")
    mapping = save_mapping(actor, batch.kind, batch.headers, columns, options, name=name)
    batch.columns = mapping.columns
    batch.options = mapping.options
    batch.status = ImportBatch.Status.UPLOADED
    batch.problems = []
    batch.problem_count = 0
    batch.counts = {}
    batch.save(
        update_fields=["columns", "options", "status", "problems", "problem_count", "counts"]
    )
    return batch
