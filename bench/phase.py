"""One benchmark phase in its own process, so its peak memory (ru_maxrss) is its own.

    phase.py bill real|baseline --database-url URL --through YYYY-MM-DD
    phase.py digest --database-url URL
    phase.py check-formulas

Prints one JSON object on stdout. Used by run.py; handy on its own for profiling, e.g.
``python -m cProfile -s cumtime bench/phase.py bill real --database-url ... --through ...``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from datetime import date
from typing import Any

from generate import setup_django


def peak_mib() -> float:
    """This process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bill(impl: str, through: date) -> dict[str, Any]:
    if impl == "real":
        from lexbill.billing.bill_run import run_bill_run

        calls: list[tuple[int, int]] = []

        def progress(done: int, total: int) -> None:
            calls.append((done, total))

        rss_before = peak_mib()
        started = time.perf_counter()
        run = run_bill_run(None, through, progress=progress)
        seconds = time.perf_counter() - started
        counts = {
            "prebills": run.prebill_count,
            "time_lines": run.time_line_count,
            "expense_lines": run.expense_line_count,
        }
        extra = {"progress_calls": len(calls), "progress_last": list(calls[-1] if calls else ())}
    else:
        from baseline import run_baseline

        rss_before = peak_mib()
        started = time.perf_counter()
        counts = run_baseline(through)
        seconds = time.perf_counter() - started
        extra = {}
    return {
        "impl": impl,
        "seconds": seconds,
        "peak_mib": peak_mib(),
        "rss_before_mib": rss_before,
        **counts,
        **extra,
    }


_LINE_FIELDS = (
    "l.prebill_id, p.matter_id, l.kind, l.time_entry_id, l.expense_id, l.date, l.timekeeper_id, "
    "l.narrative, l.task_code, l.activity_code, l.expense_code, l.minutes, l.quantity, l.rate, "
    "l.rate_source, l.amount, l.adjustment, l.adjustment_reason, l.treatment"
)


def digest() -> dict[str, Any]:
    """What a bill run wrote, as aggregates to print plus a SHA-256 over every row to compare."""
    from django.db import connection

    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.kind, l.rate_source, COUNT(*), SUM(l.amount), SUM(l.rate), "
            "SUM(COALESCE(l.minutes, 0)) FROM billing_prebillline l GROUP BY l.kind, l.rate_source "
            "ORDER BY l.kind, l.rate_source"
        )
        out["by_source"] = [
            [kind, source, int(n), int(amount), int(rate), int(minutes)]
            for kind, source, n, amount, rate, minutes in cursor.fetchall()
        ]
        for table in ("entries_timeentry", "entries_expense"):
            cursor.execute(f"SELECT state, COUNT(*) FROM {table} GROUP BY state ORDER BY state")
            out[f"{table}_states"] = [[s, int(n)] for s, n in cursor.fetchall()]
        cursor.execute(
            "SELECT COUNT(*), SUM(prebill_count), SUM(time_line_count), SUM(expense_line_count) "
            "FROM billing_billrun"
        )
        out["runs"] = [int(v or 0) for v in cursor.fetchone()]
        rows = hashlib.sha256()
        cursor.execute(
            "SELECT id, matter_id, status, through, run_id FROM billing_prebill ORDER BY id"
        )
        while batch := cursor.fetchmany(10_000):
            rows.update(repr(batch).encode())
        out["prebills_sha256"] = rows.hexdigest()
    lines = hashlib.sha256()
    count = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT {_LINE_FIELDS} FROM billing_prebillline l "
            "JOIN billing_prebill p ON p.id = l.prebill_id "
            "ORDER BY l.kind, l.time_entry_id, l.expense_id"
        )
        while batch := cursor.fetchmany(10_000):
            lines.update(repr(batch).encode())
            count += len(batch)
    out["lines"] = count
    out["lines_sha256"] = lines.hexdigest()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p_bill = sub.add_parser("bill")
    p_bill.add_argument("impl", choices=("real", "baseline"))
    p_bill.add_argument("--database-url", required=True)
    p_bill.add_argument("--through", required=True, type=date.fromisoformat)
    p_digest = sub.add_parser("digest")
    p_digest.add_argument("--database-url", required=True)
    sub.add_parser("check-formulas")
    args = parser.parse_args()
    if args.command == "check-formulas":
        setup_django("sqlite:///:memory:")
        from baseline import check_formulas

        check_formulas()
        result: dict[str, Any] = {"ok": True}
    else:
        setup_django(args.database_url)
        result = bill(args.impl, args.through) if args.command == "bill" else digest()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
