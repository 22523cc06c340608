"""Bill runs started from a page: run in a background thread, progress kept in this process.

The registry is a dict in this process's memory, keyed by a random token the page polls. That is
enough for the single-process server Lexbill ships with (waitress, threads in one process); a
deployment with several worker processes would need the progress in a shared store instead, and a
poll reaching another process sees "unknown run" (the bill run itself still completes, and its
pre-bills appear in the list). Finished runs are forgotten after an hour.

The worker thread gets its own database connection (Django connections are per thread) and closes
it when done. The run is one transaction; on SQLite its write lock keeps other writers waiting
(the connection's busy timeout), while readers, such as the progress page, carry on under WAL.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date

from django.conf import settings
from django.db import connection

from lexbill.audit.context import acting_as
from lexbill.billing.bill_run import run_bill_run
from lexbill.core.errors import LexbillError
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require

log = logging.getLogger(__name__)
KEEP_SECONDS = 3600


@dataclass(frozen=True)
class RunProgress:
    token: str
    through: date
    started_by: int | None
    done: int = 0
    total: int = 0
    status: str = "running"  # running, done, failed
    run_id: int | None = None
    prebill_count: int = 0
    time_line_count: int = 0
    expense_line_count: int = 0
    error: str = ""
    updated: float = field(default_factory=time.monotonic)

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status != "running"


_runs: dict[str, RunProgress] = {}
_lock = threading.Lock()


def _update(token: str, **changes: object) -> None:
    with _lock:
        current = _runs.get(token)
        if current is not None:
            _runs[token] = replace(current, updated=time.monotonic(), **changes)  # type: ignore[arg-type]


def _forget_old() -> None:
    cutoff = time.monotonic() - KEEP_SECONDS
    with _lock:
        for token in [t for t, p in _runs.items() if p.finished and p.updated < cutoff]:
            del _runs[token]


def get_progress(token: str) -> RunProgress | None:
    with _lock:
        return _runs.get(token)


def start_bill_run(actor: User | None, through: date, *, inline: bool | None = None) -> str:
    """Start a bill run and return its token; refuses at once if the actor may not run bills.

    ``inline`` (default: the ``LEXBILL_BILL_RUN_INLINE`` setting) runs it in this thread, for
    tests whose database transaction another thread could not see.
    """
    require(actor, Action.RUN_BILLS)
    _forget_old()
    token = secrets.token_urlsafe(16)
    with _lock:
        _runs[token] = RunProgress(
            token=token, through=through, started_by=actor.pk if actor else None
        )
    if inline is None:
        inline = bool(getattr(settings, "LEXBILL_BILL_RUN_INLINE", False))
    if inline:
        _work(token, actor, through)
    else:
        thread = threading.Thread(
            target=_work_in_thread, args=(token, actor, through), name=f"bill-run-{token[:6]}"
        )
        thread.daemon = True
        thread.start()
    return token


def _work_in_thread(token: str, actor: User | None, through: date) -> None:
    try:
        _work(token, actor, through)
    finally:
        connection.close()  # this thread's own connection, never the request's


def _work(token: str, actor: User | None, through: date) -> None:
    def progress(done: int, total: int) -> None:
        _update(token, done=done, total=total)

    try:
        with acting_as(actor, "web"):
            run = run_bill_run(actor, through, progress=progress)
    except LexbillError as exc:
        _update(token, status="failed", error=exc.message)
    except Exception as exc:  # a crash must still end the progress page, never spin forever
        log.exception("bill run %s failed", token)
        _update(token, status="failed", error=f"the bill run failed: {exc}")
    else:
        _update(
            token,
            status="done",
            run_id=run.pk,
            prebill_count=run.prebill_count,
            time_line_count=run.time_line_count,
            expense_line_count=run.expense_line_count,
        )
