"""One benchmark phase in its own process, so its peak memory (ru_maxrss) is its own.

    phase.py bill real|baseline --database-url URL --through YYYY-MM-DD
    phase.py digest --database-url URL
    phase.py check-formulas
    phase.py check-rates --database-url URL     (adds rates in a transaction it rolls back)

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
from decimal import Decimal
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


def check_rates(samples: int = 100_000, extra_rates: int = 3_000, seed: int = 11) -> dict[str, Any]:
    """The bill run's per-period rate cache against RateBook.resolve itself, on many random days.

    Thousands of extra random rate rows (every level and key, many effective dates, some before
    any other rate) are added inside a transaction that is rolled back, so the check sees far more
    rate periods than the benchmark firm has and leaves the database as it found it.
    """
    import random
    from datetime import timedelta

    from django.db import connection, transaction

    from lexbill.billing.bill_run import _Rates, _scaled
    from lexbill.billing.models import Rate
    from lexbill.billing.rates import load_ratebook
    from lexbill.core.errors import NoRateInForce
    from lexbill.core.invoice_math import time_amount
    from lexbill.core.rates import RateQuery

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, client_id, currency FROM clients_matter")
        matters = {pk: (client, currency) for pk, client, currency in cursor.fetchall()}
        cursor.execute("SELECT id, classification FROM firm_timekeeper")
        classes = dict(cursor.fetchall())
    matter_ids, tk_ids = sorted(matters), sorted(classes)
    first = date(2023, 6, 1)
    checked = missing = 0
    with transaction.atomic():
        seen: set[tuple[Any, ...]] = set(
            Rate.objects.values_list(
                "level", "matter_id", "client_id", "timekeeper_id", "classification", "currency",
                "effective_from",
            )
        )  # fmt: skip
        extra = []
        for _ in range(extra_rates):
            level = rng.choice(("matter", "client", "timekeeper", "classification"))
            matter = rng.choice(matter_ids[:200])
            client, currency = matters[matter]
            by_tk = level == "timekeeper" or (level != "classification" and rng.random() < 0.5)
            key = (
                level,
                matter if level == "matter" else None,
                client if level == "client" else None,
                rng.choice(tk_ids[:60]) if by_tk else None,
                "" if by_tk else rng.choice(sorted(set(classes.values()))),
                currency if rng.random() < 0.9 else "USD",
                first + timedelta(days=rng.randint(0, 900)),
            )
            if key in seen:
                continue
            seen.add(key)
            extra.append(
                Rate(
                    level=key[0], matter_id=key[1], client_id=key[2], timekeeper_id=key[3],
                    classification=key[4], currency=key[5], effective_from=key[6],
                    amount=Decimal(rng.randint(0, 150_000)).scaleb(-2),
                )
            )  # fmt: skip
        Rate.objects.bulk_create(extra)
        book = load_ratebook()
        rate_on = _Rates().lookup()
        for _ in range(samples):
            matter = rng.choice(matter_ids[:200] if rng.random() < 0.7 else matter_ids)
            tk = rng.choice(tk_ids[:60] if rng.random() < 0.7 else tk_ids)
            day = first + timedelta(days=rng.randint(-30, 950))
            client, currency = matters[matter]
            minutes = rng.randint(0, 600)
            want = book.resolve(RateQuery(day, matter, client, tk, classes[tk], currency))
            try:
                got = rate_on(matter, tk, day.isoformat() if rng.random() < 0.5 else day)
            except NoRateInForce as exc:
                if want is not None:
                    raise AssertionError(f"{matter}/{tk}/{day}: no rate, RateBook: {want}") from exc
                missing += 1
                continue
            if want is None:
                raise AssertionError(f"{matter}/{tk}/{day}: {got}, RateBook has none")
            expected = (
                _scaled(want.amount, 4),
                want.source,
                _scaled(time_amount(minutes, want.amount, currency), 2),
            )
            if (got.rate_scaled, got.source, got.amount(minutes)) != expected:
                raise AssertionError(f"{matter}/{tk}/{day}: {got} != {expected}")
            checked += 1
        transaction.set_rollback(True)
    return {"checked": checked, "no_rate": missing, "extra_rates": len(extra)}


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
    p_rates = sub.add_parser("check-rates")
    p_rates.add_argument("--database-url", required=True)
    args = parser.parse_args()
    if args.command == "check-formulas":
        setup_django("sqlite:///:memory:")
        from baseline import check_formulas

        check_formulas()
        result: dict[str, Any] = {"ok": True}
    else:
        setup_django(args.database_url)
        if args.command == "bill":
            result = bill(args.impl, args.through)
        elif args.command == "check-rates":
            result = check_rates()
        else:
            result = digest()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
