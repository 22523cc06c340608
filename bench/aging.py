"""AR aging benchmark: the aging report as of a date over the synthetic firm (SQLite, PostgreSQL).

    .venv/bin/python bench/aging.py                  # 1,000,000 entries + 100,000 invoices
    .venv/bin/python bench/aging.py --quick          # 50,000 entries + 10,000 invoices
    .venv/bin/python bench/aging.py --database-url postgresql://postgres@127.0.0.1:5432/aging_bench

The firm comes from ``generate.py`` (cached in bench/out/ like the other benchmarks). It holds only
unbilled work, so this script gives it a receivables ledger with set-based SQL (one INSERT…SELECT
per table, no per-row Python): ``--invoices`` final invoices spread over the firm's matters and
issued over the 400 days before the report date, and for them payments in full or in part (some
received after the report date), bounced payments reversed with negative allocations, full credit
notes and partial write-offs. SQLite: cached as bench/out/aging-….sqlite3; PostgreSQL: the database
in the URL is dropped and rebuilt unless its comment says it holds this very ledger.

Timed (best of ``--repeat``, each in this process on a warm cache): ``ar_aging`` as of the report
date by client, by matter and by attorney, and as of 90 days earlier; the first page of one
drill-down cell. Baseline, in the same run: the per-invoice way (every invoice's balance as of the
date by correlated subqueries, ``with_balances_as_of``, bucketed in Python), whose totals must
equal the report's to the cent. Target: every aging under 2 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import OUT_DIR, QUICK, Params, is_postgres, setup_django

T = TypeVar("T")
TARGET_SECONDS = 2.0
# Bump when the ledger changes shape, so an old cached file is not reused.
LEDGER_VERSION = 3


def _ledger_key(params: Params, invoices: int) -> str:
    return f"aging-{params.key()}-i{invoices}-l{LEDGER_VERSION}"


def report_day(params: Params) -> date:
    """A month after the firm's last day of work: the report date of the benchmark."""
    return params.last_day + timedelta(days=30)


# ---- the ledger, in SQL ------------------------------------------------------------------------


class Sql:
    """The few expressions SQLite and PostgreSQL spell differently (only here, in the bench)."""

    def __init__(self, vendor: str) -> None:
        self.pg = vendor == "postgresql"

    def minus_days(self, day: date, days_expr: str) -> str:
        if self.pg:
            return f"(DATE '{day.isoformat()}' - CAST({days_expr} AS integer))"
        return f"date('{day.isoformat()}', printf('%%+d days', -({days_expr})))"

    def json(self, text: str) -> str:
        return f"CAST('{text}' AS jsonb)" if self.pg else f"'{text}'"

    def numbers(self, count: int) -> str:
        if self.pg:
            return f"(SELECT CAST(i AS bigint) AS i FROM generate_series(1, {count}) AS g(i)) n"
        return (
            f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count}) "
            "SELECT i FROM s) n"
        )


def _insert(
    model: Any, values: dict[str, str], source: str, params: list[Any] | None = None
) -> int:
    """INSERT INTO model's table (columns) SELECT values FROM source; every NOT NULL column must
    be given or have a plain default (filled in as a literal), so a new column fails loudly."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    params = list(params or [])
    columns = dict(values)
    for f in model._meta.concrete_fields:
        if f.column in columns or f.null:
            continue
        if f.primary_key:
            raise SystemExit(f"{model.__name__}: give the id")
        if f.default is not NOT_PROVIDED and not callable(f.default):
            default = f.default
        elif f.blank and f.get_internal_type() in ("CharField", "TextField"):
            default = ""
        else:
            raise SystemExit(f"{model.__name__}.{f.name} needs a value in bench/aging.py")
        columns[f.column] = "%s"
        params.append(f.get_db_prep_value(default, connection))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(columns.values())} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model.objects.aggregate(m=Max("id"))["m"] or 0)


def build_ledger(params: Params, invoices: int) -> dict[str, int]:
    """Invoices, payments, reversals, credit notes and write-offs over the generated firm."""
    from django.db import connection, transaction

    from lexbill.billing.models import CreditNote, Invoice, Prebill
    from lexbill.clients.models import Matter
    from lexbill.receivables.models import AdjustmentReason, Payment, PaymentAllocation, WriteOff

    sql = Sql(connection.vendor)
    as_of = report_day(params)
    stamp = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    first_matter = Matter.objects.order_by("id").values_list("id", flat=True).first()
    matters = Matter.objects.count()
    assert first_matter is not None and _next_id(Matter) - first_matter + 1 == matters, (
        "the generator's matter ids are contiguous"
    )
    counts: dict[str, int] = {}
    # pseudo-random but repeatable per invoice number i: r in 0..999 picks what happens to it
    r = "((n.i * 2654435761) %% 1000)"
    age = "((n.i * 7919) %% 400)"  # days since issue
    cents = "(5000 + (n.i * 104729) %% 2000000)"  # 50.00 to 20,049.99
    # whole units only in a currency without minor units (JPY)
    invoice_total = f"CASE WHEN m.currency = 'JPY' THEN ({cents} / 100) * 100 ELSE {cents} END"
    total = "i.total"
    pay_delay = "(5 + (n.i * 31) %% 90)"
    issued = sql.minus_days(as_of, age)
    due = sql.minus_days(as_of, f"{age} - 30")
    received = sql.minus_days(as_of, f"{age} - {pay_delay}")
    bounced = sql.minus_days(as_of, f"{age} - {pay_delay} - 12")
    with transaction.atomic():
        pb, inv = _next_id(Prebill), _next_id(Invoice)
        pay, alloc = _next_id(Payment), _next_id(PaymentAllocation)
        matter_of = f"m.id = {first_matter} + (n.i * 7) %% {matters}"
        numbers = sql.numbers(invoices)
        counts["prebills"] = _insert(
            Prebill,
            {
                "id": f"{pb} + n.i",
                "matter_id": "m.id",
                "status": "'finalized'",
                "through": issued,
                "created_at": "%s",
            },
            f"{numbers} JOIN clients_matter m ON {matter_of}",
            [stamp],
        )
        counts["invoices"] = _insert(
            Invoice,
            {
                "id": f"{inv} + n.i",
                "number": f"'AG' || CAST({10_000_000} + n.i AS varchar(12))",
                "prebill_id": f"{pb} + n.i",
                "matter_id": "m.id",
                "client_id": "m.client_id",
                "currency": "m.currency",
                "issued_on": issued,
                "due_on": due,
                "fees": invoice_total,
                "expenses": "0",
                "adjustments": "0",
                "subtotal": invoice_total,
                "tax_rate_percent": "0",
                "tax_label": "''",
                "tax": "0",
                "total": invoice_total,
                "previous_balance": "0",
                "payments_received": "0",
                "parties": sql.json("{}"),
                "finalized_at": "%s",
            },
            f"{numbers} JOIN clients_matter m ON {matter_of}",
            [stamp],
        )
        # 55% paid in full, 15% paid 40%; of those paid in full, 1 in 50 bounces 12 days later
        paid = f"CASE WHEN {r} < 550 THEN {total} ELSE (({total} * 4) / 1000) * 100 END"
        invoice_rows = f"{numbers} JOIN billing_invoice i ON i.id = {inv} + n.i"
        counts["payments"] = _insert(
            Payment,
            {
                "id": f"{pay} + n.i",
                "client_id": "i.client_id",
                "received_on": received,
                "amount": paid,
                "currency": "i.currency",
                "method": "'check'",
                "reference": "'ck ' || CAST(n.i AS varchar(12))",
                "payer_name": "''",
                "kind": "'receipt'",
                "reason": "''",
                "posted_at": "%s",
            },
            f"{invoice_rows} WHERE {r} < 700",
            [stamp],
        )
        counts["allocations"] = _insert(
            PaymentAllocation,
            {
                "id": f"{alloc} + n.i",
                "payment_id": f"{pay} + n.i",
                "invoice_id": "i.id",
                "amount": paid,
                "applied_on": received,
                "allocated_at": "%s",
            },
            f"{invoice_rows} WHERE {r} < 700",
            [stamp],
        )
        bounce = f"{r} < 550 AND n.i %% 50 = 0"
        counts["reversals"] = _insert(
            Payment,
            {
                "id": f"{pay + invoices} + n.i",
                "client_id": "i.client_id",
                "received_on": bounced,
                "amount": f"-{total}",
                "currency": "i.currency",
                "method": "'check'",
                "reference": "'ck ' || CAST(n.i AS varchar(12))",
                "payer_name": "''",
                "kind": "'reversal'",
                "corrects_id": f"{pay} + n.i",
                "reason": "'NSF'",
                "posted_at": "%s",
            },
            f"{invoice_rows} WHERE {bounce}",
            [stamp],
        )
        _insert(
            PaymentAllocation,
            {
                "id": f"{alloc + invoices} + n.i",
                "payment_id": f"{pay} + n.i",
                "invoice_id": "i.id",
                "amount": f"-{total}",
                "applied_on": bounced,
                "allocated_at": "%s",
            },
            f"{invoice_rows} WHERE {bounce}",
            [stamp],
        )
        # 5% credited in full 20 days after issue; 3% have 30% written off 150 days after issue
        counts["credit_notes"] = _insert(
            CreditNote,
            {
                "id": f"{_next_id(CreditNote)} + n.i",
                "number": f"'AC' || CAST({10_000_000} + n.i AS varchar(12))",
                "invoice_id": "i.id",
                "issued_on": sql.minus_days(as_of, f"{age} - 20"),
                "amount": total,
                "tax": "0",
                "total": total,
                "reason": "'courtesy'",
                "created_at": "%s",
            },
            f"{invoice_rows} WHERE {r} >= 700 AND {r} < 750",
            [stamp],
        )
        reason, _ = AdjustmentReason.objects.get_or_create(
            code="BENCH", defaults={"label": "Uncollectable (bench)"}
        )
        counts["write_offs"] = _insert(
            WriteOff,
            {
                "id": f"{_next_id(WriteOff)} + n.i",
                "invoice_id": "i.id",
                "kind": "'write_off'",
                "written_off_on": sql.minus_days(as_of, f"{age} - 150"),
                "amount": f"(({total} * 3) / 1000) * 100",
                "reason_id": str(reason.pk),
                "note": "''",
                "created_at": "%s",
            },
            f"{invoice_rows} WHERE {r} >= 750 AND {r} < 780",
            [stamp],
        )
    with connection.cursor() as cursor:
        if sql.pg:
            for model in (Prebill, Invoice, Payment, PaymentAllocation, CreditNote, WriteOff):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return counts


def generate_firm(params: Params, url: str) -> None:
    """``generate.generate`` into ``url``, filling NOT NULL columns added to the schema since the
    generator was written (e.g. Client.late_charges_allowed) with their model defaults."""
    from django.apps import apps
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    import generate as gen

    setup_django(url)
    by_table = {m._meta.db_table: m for m in apps.get_models()}
    original = gen.Loader.load

    def load(self: Any, table: str, batches: Any) -> int:
        known = set(gen.TABLES[table])
        extra = [
            (f.column, f.get_db_prep_value(f.default, connection))
            for f in by_table[table]._meta.concrete_fields
            if f.column not in known
            and not f.null
            and f.default is not NOT_PROVIDED
            and not callable(f.default)
        ]
        if extra:
            gen.TABLES[table] = (*gen.TABLES[table], *[column for column, _ in extra])
            values = tuple(value for _, value in extra)
            batches = ([(*row, *values) for row in batch] for batch in batches)
        return int(original(self, table, batches))

    gen.Loader.load = load  # type: ignore[method-assign]
    gen.generate(params, url)


# ---- the database ------------------------------------------------------------------------------


def _run_child(*args: str) -> None:
    done = subprocess.run([sys.executable, *args], cwd=Path(__file__).parent, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed (exit {done.returncode})")


def _flags(params: Params) -> list[str]:
    return [f"--{name}={value}" for name, value in vars(params).items()]


def _sqlite_database(params: Params, invoices: int, regenerate: bool) -> str:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    cached = OUT_DIR / f"{_ledger_key(params, invoices)}.sqlite3"
    if cached.exists() and not regenerate:
        print(f"reusing {cached.name}", flush=True)
        return f"sqlite:///{cached}"
    partial = cached.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    print(f"generating the firm into {partial.name} …", flush=True)
    started = time.perf_counter()
    _run_child("aging.py", "generate", *_flags(params), f"--database-url=sqlite:///{partial}")
    print(f"firm generated in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    _run_child(
        "aging.py", "build", *_flags(params), f"--invoices={invoices}",
        f"--database-url=sqlite:///{partial}",
    )  # fmt: skip
    print(f"ledger built in {time.perf_counter() - started:.1f} s", flush=True)
    partial.rename(cached)
    return f"sqlite:///{cached}"


def _postgres_database(url: str, params: Params, invoices: int, regenerate: bool) -> str:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)
    key = _ledger_key(params, invoices)
    row = admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    ).fetchone()
    if row is not None and row[0] == key and not regenerate:
        print(f"reusing database {name}", flush=True)
        admin.close()
        return url
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"generating the firm into {name} …", flush=True)
    _run_child("aging.py", "generate", *_flags(params), f"--database-url={url}")
    started = time.perf_counter()
    _run_child(
        "aging.py", "build", *_flags(params), f"--invoices={invoices}", f"--database-url={url}"
    )
    print(f"ledger built in {time.perf_counter() - started:.1f} s", flush=True)
    admin.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(key))
    )
    admin.close()
    return url


# ---- timing ------------------------------------------------------------------------------------


def best_of(repeat: int, work: Callable[[], T]) -> tuple[T, float]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return result, best


def per_invoice_totals(as_of: date) -> dict[str, dict[str, Decimal]]:
    """The baseline: every invoice's balance as of the date by correlated subqueries, bucketed
    one by one in Python; what a report without the grouped-components query would do."""
    from lexbill.billing.models import Invoice
    from lexbill.core.aging import bucket_for
    from lexbill.receivables.aging import with_balances_as_of

    out: dict[str, dict[str, Decimal]] = {}
    rows = with_balances_as_of(Invoice.objects.order_by(), as_of).values_list(
        "currency", "due_on", "balance_as_of"
    )
    for currency, due_on, balance in rows.iterator(chunk_size=5000):
        if balance:
            key = bucket_for((as_of - due_on).days).key
            cells = out.setdefault(currency, {})
            cells[key] = cells.get(key, Decimal(0)) + balance
    return out


def measure(params: Params, repeat: int, engine: str) -> dict[str, Any]:
    from django.db import connection

    from lexbill.billing.models import Invoice
    from lexbill.entries.models import TimeEntry
    from lexbill.receivables.aging import aged_invoices, ar_aging
    from lexbill.receivables.models import Payment, PaymentAllocation

    connection.ensure_connection()
    as_of = report_day(params)
    earlier = as_of - timedelta(days=90)
    sizes = {
        "time entries": TimeEntry.objects.count(),
        "invoices": Invoice.objects.count(),
        "payments": Payment.objects.count(),
        "allocations": PaymentAllocation.objects.count(),
    }
    results: dict[str, Any] = {"engine": engine, "as_of": as_of.isoformat(), "sizes": sizes}
    timings: dict[str, float] = {}
    reports = {}
    for by in ("client", "matter", "attorney"):
        reports[by], timings[f"aging by {by}"] = best_of(repeat, lambda by=by: ar_aging(as_of, by))
    _, timings["aging by client, 90 days earlier"] = best_of(
        repeat, lambda: ar_aging(earlier, "client")
    )
    biggest = max(reports["client"].rows, key=lambda row: row.totals.total)
    oldest = next(k for k in reversed(list(biggest.totals.amounts)) if biggest.totals.amounts[k])
    _, timings["drill-down: first page of one cell"] = best_of(
        repeat, lambda: list(aged_invoices(as_of, "client", biggest.key, oldest)[:50])
    )
    baseline, timings["baseline: per-invoice balances, bucketed in Python"] = best_of(
        1, lambda: per_invoice_totals(as_of)
    )
    grouped = {
        cur: {k: v for k, v in t.amounts.items() if v}
        for cur, t in reports["client"].totals.items()
    }
    same = grouped == baseline
    agree = all(reports[by].totals == reports["client"].totals for by in ("matter", "attorney"))
    base = timings["baseline: per-invoice balances, bucketed in Python"]
    results["timings"] = timings
    results["ratio_to_baseline"] = {
        name: seconds / base for name, seconds in timings.items() if name.startswith("aging")
    }
    results["totals"] = {cur: t.as_strings() for cur, t in reports["client"].totals.items()}
    results["matches_baseline"] = same
    results["groupings_agree"] = agree
    results["passed"] = (
        same
        and agree
        and all(s < TARGET_SECONDS for n, s in timings.items() if n.startswith("aging"))
    )
    return results


def _print(results: dict[str, Any]) -> None:
    print(f"\n{results['engine']}: " + ", ".join(f"{v:,} {k}" for k, v in results["sizes"].items()))
    print(f"as of {results['as_of']}")
    base = results["timings"]["baseline: per-invoice balances, bucketed in Python"]
    for name, seconds in results["timings"].items():
        judged = name.startswith("aging")
        mark = ("PASS" if seconds < TARGET_SECONDS else "FAIL") if judged else ""
        print(f"  {name:52} {seconds:8.3f} s  {seconds / base:6.2f}× baseline  {mark}")
    print(f"  totals equal the per-invoice baseline to the cent: {results['matches_baseline']}")
    print(f"  client, matter and attorney totals agree: {results['groupings_agree']}")
    for cur, totals in results["totals"].items():
        print(f"  {cur}: {totals}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "generate", "build"])
    parser.add_argument("--quick", action="store_true", help="50,000 entries, 10,000 invoices")
    parser.add_argument("--invoices", type=int, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    for name in ("timekeepers", "clients", "matters", "entries", "months", "seed"):
        parser.add_argument(f"--{name}", type=int, default=None)
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else Params()
    params = Params(
        **{
            name: getattr(args, name)
            if getattr(args, name) is not None
            else getattr(defaults, name)
            for name in ("timekeepers", "clients", "matters", "entries", "months", "seed")
        }
    )
    invoices = args.invoices or (10_000 if args.quick else 100_000)
    if args.command == "generate":
        generate_firm(params, args.database_url)
        return 0
    if args.command == "build":
        setup_django(args.database_url)
        counts = build_ledger(params, invoices)
        print("  " + ", ".join(f"{v:,} {k}" for k, v in counts.items()), flush=True)
        return 0
    if args.database_url and is_postgres(args.database_url):
        url = _postgres_database(args.database_url, params, invoices, args.regenerate)
        engine = "PostgreSQL"
    else:
        url = _sqlite_database(params, invoices, args.regenerate)
        engine = "SQLite"
    setup_django(url)
    results = measure(params, args.repeat, engine)
    _print(results)
    if args.json:
        print(json.dumps(results, default=str))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
