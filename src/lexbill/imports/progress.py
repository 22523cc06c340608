"""Dry runs and commits started from the Import page: a background thread and its progress.

The same arrangement as the bill run's (``billing/progress.py``): the work runs in a thread with
its own database connection, its progress is kept in this process's memory keyed by the batch,
and the page polls it with htmx. The outcome (counts, problems, status) is stored on the
``ImportBatch`` row, so it survives the process; only the percentage does not.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from lexbill.audit.context import acting_as
from lexbill.core.errors import InvalidEntry, LexbillError
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.imports.models import ImportBatch
from lexbill.imports.services import ImportRefused, ImportResult, run_import

log = logging.getLogger(__name__)
KEEP_SECONDS = 3600


@dataclass(frozen=True)
class ImportProgress:
    batch_id: int
    commit: bool
    done: int = 0
    total: int = 0
    rows: int = 0
    finished: bool = False
    updated: float = field(default_factory=time.monotonic)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return min(99, int(self.done * 100 / self.total)) if self.total else 0


_runs: dict[int, ImportProgress] = {}
_lock = threading.Lock()


def get_progress(batch_id: int) -> ImportProgress | None:
    with _lock:
        return _runs.get(batch_id)


def _update(batch_id: int, **changes: Any) -> None:
    with _lock:
        current = _runs.get(batch_id)
        if current is not None:
            _runs[batch_id] = replace(current, updated=time.monotonic(), **changes)


def _forget_old() -> None:
    cutoff = time.monotonic() - KEEP_SECONDS
    with _lock:
        for key in [k for k, p in _runs.items() if p.finished and p.updated < cutoff]:
            del _runs[key]


def _inline() -> bool:
    return bool(
        getattr(settings, "LEXBILL_IMPORT_INLINE", False)
        or getattr(settings, "LEXBILL_BILL_RUN_INLINE", False)
    )


def start(actor: User | None, batch: ImportBatch, *, commit: bool) -> None:
    """Start the dry run (or the commit) of an uploaded batch; refuses at once if the actor
    may not import, the batch is busy, or (commit) its dry run found problems."""
    require(actor, Action.IMPORT_DATA)
    running = {ImportBatch.Status.CHECKING, ImportBatch.Status.COMMITTING}
    if batch.status in running and get_progress(batch.pk) is not None:
        raise InvalidEntry(f"import {batch.pk} is already running", field="status")
    if batch.status == ImportBatch.Status.COMMITTED:
        raise InvalidEntry(f"import {batch.pk} is already committed", field="status")
    if commit and (batch.status != ImportBatch.Status.CHECKED or batch.problem_count):
        raise InvalidEntry(
            "commit after a dry run without problems (run the dry run again after a change)",
            field="status",
        )
    if not batch.stored_path or not Path(batch.stored_path).exists():
        raise InvalidEntry("the uploaded file is no longer here; upload it again", field="file")
    _forget_old()
    batch.status = ImportBatch.Status.COMMITTING if commit else ImportBatch.Status.CHECKING
    batch.error = ""
    batch.save(update_fields=["status", "error"])
    with _lock:
        _runs[batch.pk] = ImportProgress(batch.pk, commit)
    if _inline():
        _work(batch.pk, actor, commit)
    else:
        thread = threading.Thread(
            target=_work_in_thread, args=(batch.pk, actor, commit), name=f"import-{batch.pk}"
        )
        thread.daemon = True
        thread.start()


def _work_in_thread(batch_id: int, actor: User | None, commit: bool) -> None:
    try:
        _work(batch_id, actor, commit)
    finally:
        connection.close()  # this thread's own connection


def _store(batch: ImportBatch, result: ImportResult, status: str) -> None:
    batch.status = status
    batch.rows = result.rows
    batch.counts = result.counts
    batch.problems = [p.as_dict() for p in result.problems]
    batch.problem_count = result.problem_count
    batch.save(update_fields=["status", "rows", "counts", "problems", "problem_count"])


def _work(batch_id: int, actor: User | None, commit: bool) -> None:
    batch = ImportBatch.objects.get(pk=batch_id)

    def progress(done: int, total: int, rows: int) -> None:
        _update(batch_id, done=done, total=total, rows=rows)

    try:
        with acting_as(actor, "web"):
            result = run_import(
                actor,
                batch.kind,
                Path(batch.stored_path),
                file_name=batch.file_name,
                columns=batch.columns,
                options=batch.options,
                commit=commit,
                progress=progress,
                batch=batch if commit else None,
                sha256=batch.sha256,
            )
    except ImportRefused as refused:
        _store(batch, refused.result, ImportBatch.Status.FAILED)
    except LexbillError as exc:
        batch.status = ImportBatch.Status.FAILED
        batch.error = exc.message
        batch.save(update_fields=["status", "error"])
    except Exception as exc:  # a crash must still end the progress bar, never spin forever
        log.exception("import %s failed", batch_id)
        batch.status = ImportBatch.Status.FAILED
        batch.error = f"the import failed: {exc}"
        batch.save(update_fields=["status", "error"])
    else:
        if commit:
            Path(batch.stored_path).unlink(missing_ok=True)
            batch.refresh_from_db()
        else:
            _store(batch, result, ImportBatch.Status.CHECKED)
    finally:
        _update(batch_id, finished=True)
