"""What the audit hash chain costs per record, and how fast the chain verifies.

    .venv/bin/python bench/audit_chain.py                       # SQLite, a new file in /tmp
    LEXBILL_DATABASE_URL=postgresql://…/db .venv/bin/python bench/audit_chain.py

Writes ``--records`` audit records (default 10,000) twice on a migrated, empty database: once
the way the recorder wrote them before the chain (``AuditRecord.objects.create``, no hash) and
once through ``lexbill.audit.chain.append`` (lock, head read, hash, insert). Each in two shapes:
one transaction per record (a service call each) and all of them in one transaction (a bulk
job). Then ``verify_chain`` walks every record. CPU seconds are printed beside the wall clock:
on a shared machine the wall clock measures the neighbours too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _setup() -> None:
    if not os.environ.get("LEXBILL_DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="lexbill-audit-bench-")
        os.environ["LEXBILL_DATA_DIR"] = folder
        os.environ["LEXBILL_DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("LEXBILL_SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexbill.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _timed(label: str, work: Callable[[], None]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"  {label:<44} {wall:7.2f} s wall  {cpu:7.2f} s CPU", flush=True)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    n = parser.parse_args().records
    _setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from lexbill.audit.chain import append, verify_chain
    from lexbill.audit.models import AuditRecord

    def fields(i: int) -> dict[str, object]:
        return {
            "at": timezone.now(),
            "actor_id": None,
            "actor_name": "",
            "channel": "system",
            "action": "update",
            "model": "entries.TimeEntry",
            "object_id": str(i),
            "before": {"billed_minutes": 6, "narrative": f"entry {i}"},
            "after": {"billed_minutes": 12, "narrative": f"entry {i}"},
            "summary": "",
        }

    def plain(i: int) -> None:
        AuditRecord.objects.create(**fields(i))

    def chained(i: int) -> None:
        append(**fields(i))

    def each_in_its_transaction(write: Callable[[int], None]) -> Callable[[], None]:
        def run() -> None:
            for i in range(n):
                with transaction.atomic():
                    write(i)

        return run

    def all_in_one(write: Callable[[int], None]) -> Callable[[], None]:
        def run() -> None:
            with transaction.atomic():
                for i in range(n):
                    write(i)

        return run

    print(f"{connection.vendor}, {n:,} audit records per run")
    shapes = (("one transaction each", each_in_its_transaction), ("one transaction", all_in_one))
    results = {}
    for shape, wrap in shapes:
        results[(shape, "plain")] = _timed(f"plain insert, {shape}", wrap(plain))
    # the plain rows have no hash: the chain starts after them are gone
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditrecord")
    for shape, wrap in shapes:
        results[(shape, "chained")] = _timed(f"chained append, {shape}", wrap(chained))
    for shape, _ in shapes:
        plain_wall, plain_cpu = results[(shape, "plain")]
        chained_wall, chained_cpu = results[(shape, "chained")]
        print(
            f"  overhead, {shape}: {chained_wall / plain_wall:.2f}x wall "
            f"({(chained_wall - plain_wall) / n * 1e6:+.0f} us per record), "
            f"{chained_cpu / plain_cpu:.2f}x CPU"
        )
    cpu, wall = time.process_time(), time.perf_counter()
    result = verify_chain()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"  verify_chain: {result.verified:,} records, ok={result.ok}, {wall:.2f} s wall "
        f"({result.verified / wall:,.0f} records/s), {cpu:.2f} s CPU"
    )
    if not result.ok:
        print(f"  broken: {result.broken}")


if __name__ == "__main__":
    main()
