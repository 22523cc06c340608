"""Every standard report over the synthetic firm (1,000,000 time entries), on SQLite and PostgreSQL.

    .venv/bin/python bench/reports.py                  # full firm on SQLite, best of 3
    .venv/bin/python bench/reports.py --quick          # the 50,000-entry firm
    .venv/bin/python bench/reports.py --database-url postgresql://postgres@127.0.0.1:5432/reports_bench
    .venv/bin/python bench/reports.py --only billed --repeat 5 --json

The firm is ``pages.py``'s cached billing history (invoices with real lines, payments, credit
notes, draft pre-bills, a month unbilled), to which a cache step of its own adds with set-based SQL
what the other reports read and the history lacks: write-downs with reasons on invoice and draft
pre-bill lines, write-offs with reasons, bounced payments reversed, matter budgets (whole matter
and UTBMS phases) and audit records (as many as time entries). SQLite: cached as
``bench/out/reports-….sqlite3``; PostgreSQL: the same rows copied table by table with COPY into
the database named in the URL (dropped and re-created, then marked with a comment naming its
parameters so the next run reuses it).

Timed, best of ``--repeat`` in this process on a warm cache: ``spec.build(request)`` of every
registered report in each of its groupings over the history's whole year, and in its default
grouping over the month the invoices were issued; the Excel export of the largest one. Baseline in
the same run: hand-written SQL doing the billed report's line-level aggregation (a plain GROUP BY
over the invoice lines, plus the credit notes), whose figures must equal the billed report's to
the cent; every report prints its ratio to it. Target: every report under 2 s. Exit status 1 if
any misses it or a check fails. Reports listed in ``reports/names.py`` but not registered are
listed as missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from generate import OUT_DIR, QUICK, Params, is_postgres, setup_django

T = TypeVar("T")
TARGET_SECONDS = 2.0
# Bump when the extras below change shape, so an old cached file or database is not reused.
EXTRAS_VERSION = 1
PARAM_NAMES = ("timekeepers", "clients", "matters", "entries", "months", "seed")

LINE_REASONS = (
    "Inefficient or duplicated work",
    "Junior work at a senior rate",
    "Client relationship",
    "Outside the billing guidelines",
)
WRITE_OFF_REASONS = (
    ("RB-UNCOLL", "Uncollectable"),
    ("RB-DISPUTE", "Disputed, settled"),
    ("RB-SMALL", "Small balance"),
    ("RB-INSOLV", "Client insolvency"),
)
PHASES = ("L100", "L200", "L300", "L400", "L500")
AUDIT_MODELS = (
    "TimeEntry", "Prebill", "PrebillLine", "Invoice", "Payment", "Rate", "Matter", "WriteOff",
)  # fmt: skip


def _key(params: Params, audit: int) -> str:
    import pages

    return f"reports-{params.key()}-h{pages.HISTORY_VERSION}-a{audit}-x{EXTRAS_VERSION}"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- the extras, in SQL (run on the SQLite history; PostgreSQL gets a copy) --------------------


def _numbers(count: int) -> str:
    return (
        f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count}) "
        "SELECT i FROM s) n"
    )


def _case(expr: str, values: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"CASE {expr} {whens} END"


def _execute(sql: str, params: list[Any] | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return int(cursor.rowcount)


def add_extras(audit: int) -> dict[str, int]:
    """Write-downs, write-offs, reversals, budgets and audit records, one statement per kind.

    Only invoices nobody has paid, credited or written off get line write-downs (their invoice's
    adjustments, subtotal and total are lowered by the same amount, so the invoice still equals
    its lines) and write-offs; only untaxed ones get write-downs, so no tax needs recomputing.
    Amounts are cut to whole currency units, as a JPY amount must be.
    """
    from django.db import transaction

    from aging import _insert, _next_id
    from lexbill.audit.models import AuditRecord
    from lexbill.clients.models import MatterBudget
    from lexbill.receivables.models import AdjustmentReason, Payment, PaymentAllocation, WriteOff

    counts: dict[str, int] = {}
    unpaid = (
        "NOT EXISTS (SELECT 1 FROM receivables_paymentallocation a WHERE a.invoice_id = i.id) "
        "AND NOT EXISTS (SELECT 1 FROM billing_creditnote c WHERE c.invoice_id = i.id) "
        "AND NOT EXISTS (SELECT 1 FROM receivables_writeoff w WHERE w.invoice_id = i.id)"
    )
    with transaction.atomic():
        reasons = [
            AdjustmentReason.objects.get_or_create(
                code=code, defaults={"label": label, "applies_to": "write_off"}
            )[0].pk
            for code, label in WRITE_OFF_REASONS
        ]
        # invoice line write-downs: 10–25% of one time line in six on unpaid, untaxed invoices
        _execute(
            "CREATE TEMP TABLE bench_wd AS SELECT l.id AS line_id, l.invoice_id, "
            "l.time_entry_id, ((l.amount * (10 + (l.id %% 4) * 5)) / 10000) * 100 AS w, "
            "(l.id / 6) %% 4 AS r FROM billing_invoiceline l "
            "JOIN billing_invoice i ON i.id = l.invoice_id "
            f"WHERE l.kind = 'time' AND l.no_charge = %s AND l.adjustment = 0 "
            f"AND l.id %% 6 = 0 AND l.amount >= 10000 AND i.tax_rate_percent = 0 AND {unpaid}",
            [False],
        )
        _execute("CREATE INDEX bench_wd_line ON bench_wd (line_id)")
        _execute("CREATE INDEX bench_wd_invoice ON bench_wd (invoice_id)")
        _execute("CREATE INDEX bench_wd_entry ON bench_wd (time_entry_id)")
        reason = _case("(SELECT r FROM bench_wd WHERE {} = billing_{}line.{})", LINE_REASONS)
        written = "(SELECT w FROM bench_wd WHERE {} = billing_{}line.{})"
        by_line = written.format("line_id", "invoice", "id")
        counts["invoice line write-downs"] = _execute(
            f"UPDATE billing_invoiceline SET adjustment = -{by_line}, "
            f"total = amount - {by_line}, "
            f"adjustment_reason = {reason.format('line_id', 'invoice', 'id')} "
            "WHERE id IN (SELECT line_id FROM bench_wd)"
        )
        total_wd = "(SELECT SUM(w) FROM bench_wd WHERE invoice_id = billing_invoice.id)"
        _execute(
            f"UPDATE billing_invoice SET adjustments = adjustments - {total_wd}, "
            f"subtotal = subtotal - {total_wd}, total = total - {total_wd} "
            "WHERE id IN (SELECT invoice_id FROM bench_wd)"
        )
        # the finalized pre-bill lines carry the same write-down as their invoice lines
        _execute(
            f"UPDATE billing_prebillline SET "
            f"adjustment = -{written.format('time_entry_id', 'prebill', 'time_entry_id')}, "
            f"adjustment_reason = {reason.format('time_entry_id', 'prebill', 'time_entry_id')} "
            "WHERE time_entry_id IN (SELECT time_entry_id FROM bench_wd)"
        )
        _execute("DROP TABLE bench_wd")
        # draft pre-bills: 15% off one time line in eight, awaiting the partner's review
        counts["draft pre-bill write-downs"] = _execute(
            "UPDATE billing_prebillline SET adjustment = -(((amount * 15) / 10000) * 100), "
            f"adjustment_reason = {_case('(id / 8) %% 4', LINE_REASONS)} "
            "WHERE kind = 'time' AND treatment = 'bill' AND id %% 8 = 0 AND amount >= 10000 "
            "AND adjustment = 0 "
            "AND prebill_id IN (SELECT id FROM billing_prebill WHERE status = 'draft')"
        )
        # write-offs: 20–60% of one unpaid invoice in three, 90–150 days after issue
        reason_id = (
            f"CASE i.id %% 4 {' '.join(f'WHEN {n} THEN {pk}' for n, pk in enumerate(reasons))} END"
        )
        counts["write-offs"] = _insert(
            WriteOff,
            {
                "id": f"{_next_id(WriteOff)} + i.id",
                "invoice_id": "i.id",
                "kind": "'write_off'",
                "written_off_on": "date(i.issued_on, printf('+%%d days', 90 + i.id %% 60))",
                "amount": "((i.total * (20 + (i.id %% 5) * 10)) / 10000) * 100",
                "reason_id": reason_id,
                "note": "''",
                "created_at": "date(i.issued_on, printf('+%%d days', 90 + i.id %% 60)) "
                "|| ' 12:00:00'",
            },
            f"billing_invoice i WHERE i.id %% 3 = 0 AND i.total >= 10000 AND {unpaid}",
        )
        # one receipt in 25 bounces 12 days later: a reversal and its negative allocation
        pay, alloc = _next_id(Payment), _next_id(PaymentAllocation)
        bounced = "p.kind = 'receipt' AND p.id %% 25 = 0"
        counts["reversals"] = _insert(
            Payment,
            {
                "id": f"{pay} + p.id",
                "client_id": "p.client_id",
                "received_on": "date(p.received_on, '+12 days')",
                "amount": "-p.amount",
                "currency": "p.currency",
                "method": "p.method",
                "reference": "p.reference",
                "payer_name": "p.payer_name",
                "kind": "'reversal'",
                "corrects_id": "p.id",
                "reason": "'Returned unpaid by the bank (NSF)'",
                "posted_at": "date(p.received_on, '+12 days') || ' 12:00:00'",
            },
            f"receivables_payment p WHERE {bounced}",
        )
        _insert(
            PaymentAllocation,
            {
                "id": f"{alloc} + a.id",
                "payment_id": f"{pay} + a.payment_id",
                "invoice_id": "a.invoice_id",
                "amount": "-a.amount",
                "applied_on": "date(p.received_on, '+12 days')",
                "allocated_at": "date(p.received_on, '+12 days') || ' 12:00:00'",
            },
            "receivables_paymentallocation a JOIN receivables_payment p ON p.id = a.payment_id "
            f"WHERE {bounced}",
        )
        # budgets: four matters in five have one, a quarter also per phase; 70–150% of the fees
        # billed so far plus a floor, so some are over 80% or 100% and most are not
        billed = (
            "(SELECT matter_id, SUM(fees) AS fees FROM billing_invoice GROUP BY matter_id) b "
            "ON b.matter_id = m.id"
        )
        counts["matter budgets"] = _insert(
            MatterBudget,
            {
                "id": "m.id * 10",
                "matter_id": "m.id",
                "phase": "''",
                "amount": "((COALESCE(b.fees, 0) * (70 + (m.id * 37) %% 80)) / 10000) * 100 "
                "+ 500000",
            },
            f"clients_matter m LEFT JOIN {billed} WHERE m.id %% 5 <> 0",
        )
        phases = " UNION ALL ".join(
            f"SELECT {k} AS k, '{phase}' AS phase" for k, phase in enumerate(PHASES, 1)
        )
        counts["matter budgets"] += _insert(
            MatterBudget,
            {
                "id": "m.id * 10 + ph.k",
                "matter_id": "m.id",
                "phase": "ph.phase",
                "amount": "((COALESCE(b.fees, 0) * (15 + (m.id * 13 + ph.k * 7) %% 30)) / 10000) "
                "* 100 + 100000",
            },
            f"clients_matter m LEFT JOIN {billed} CROSS JOIN ({phases}) ph "
            "WHERE m.id %% 4 = 0 AND m.id %% 5 <> 0",
        )
        # audit records spread over the history's months and the two after
        first = generate.FIRST_DAY.isoformat()
        seconds = (_months_of_history() + 2) * 30 * 86400
        action = (
            "CASE WHEN n.i %% 10 < 6 THEN 'update' WHEN n.i %% 10 < 9 THEN 'create' "
            "ELSE 'delete' END"
        )
        state = (
            "'{\"billed_minutes\": ' || (6 * (1 + n.i %% 20)) || "
            "', \"narrative\": \"entry ' || n.i || '\"}'"
        )
        model = _case(f"(n.i / 10) %% {len(AUDIT_MODELS)}", AUDIT_MODELS)
        at = f"datetime('{first} 07:00:00', printf('+%%d seconds', (n.i * 7919) %% {seconds}))"
        counts["audit records"] = _insert(
            AuditRecord,
            {
                "id": f"{_next_id(AuditRecord)} + n.i",
                "at": at,
                "actor_name": _case("n.i %% 6", ("ana", "ben", "chen", "dana", "eli", "")),
                "channel": _case("n.i %% 10", ("api", "cli", "system", *["web"] * 7)),
                "action": action,
                "model": model,
                "object_id": "CAST(1 + (n.i * 31) %% 1000000 AS TEXT)",
                "summary": f"{action} || ' ' || {model}",
                "before": f"CASE WHEN n.i %% 10 < 6 OR n.i %% 10 = 9 THEN {state} END",
                "after": f"CASE WHEN n.i %% 10 < 9 THEN {state} END",
            },
            _numbers(audit),
        )
    _execute("ANALYZE")
    _execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return counts


def _months_of_history() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(work_date), MAX(work_date) FROM entries_timeentry")
        low, high = cursor.fetchone()
    low, high = date.fromisoformat(str(low)), date.fromisoformat(str(high))
    return (high.year - low.year) * 12 + high.month - low.month + 1


def build_cache(params: Params, audit: int, cache_dir: Path) -> None:
    """In a child process: pages.py's history (built once and cached there), plus the extras."""
    import pages

    generate.OUT_DIR = cache_dir
    setattr(pages, "OUT_DIR", cache_dir)  # noqa: B010 (pages imported the name)
    cached = cache_dir / f"{_key(params, audit)}.sqlite3"
    work = Path(tempfile.mkdtemp(prefix="reports-build-", dir=cache_dir))
    os.environ["LEXBILL_DATA_DIR"] = str(work)
    firm = cache_dir / f"firm-{params.key()}.sqlite3"
    if not firm.exists():  # generate.py's own cache is bench/out; this one may be elsewhere
        _log(f"generating {firm.name} …")
        command = [sys.executable, str(Path(generate.__file__))]
        command += [f"--{name}={getattr(params, name)}" for name in PARAM_NAMES]
        subprocess.run(
            [*command, f"--database-url=sqlite:///{firm}"], check=True, stdout=subprocess.DEVNULL
        )
    try:
        copy = pages._billed_firm(params, work)
        started = time.perf_counter()
        counts = add_extras(audit)
        _log(
            f"  extras in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        )
        from django.db import connection

        connection.close()
        copy.rename(cached)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- PostgreSQL: the SQLite rows copied by COPY -------------------------------------------------


def _tables_in_dependency_order() -> list[Any]:
    """Every model with a table, each after the models its foreign keys point at."""
    from django.apps import apps

    models = [m for m in apps.get_models(include_auto_created=True) if not m._meta.proxy]
    models = [m for m in models if m._meta.managed or m._meta.auto_created]
    done: list[Any] = []
    pending = list(models)
    while pending:
        ready = [
            m
            for m in pending
            if all(
                f.related_model in done or f.related_model is m or f.related_model not in models
                for f in m._meta.concrete_fields
                if f.is_relation
            )
        ]
        if not ready:  # a cycle: the rest in any order (PostgreSQL checks the keys at commit)
            ready = pending
        done += ready
        pending = [m for m in pending if m not in ready]
    return done


_AUTO = ("AutoField", "BigAutoField", "SmallAutoField")


def load_postgres(source: Path) -> dict[str, int]:
    """In a child process set up on the PostgreSQL URL: migrate, empty every table, COPY every
    SQLite row in, reset the sequences. Booleans (0/1), dates and JSON go over as SQLite's text;
    datetimes are UTC there and the session is set to UTC."""
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    models = _tables_in_dependency_order()
    tables = [m._meta.db_table for m in models]
    lite = sqlite3.connect(source)
    present = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with transaction.atomic():
        raw: Any = connection.connection
        with raw.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            for table in tables:
                if table not in present:
                    continue
                columns = ", ".join(
                    f'"{r[1]}"' for r in lite.execute(f'PRAGMA table_info("{table}")')
                )
                rows = lite.execute(f'SELECT {columns} FROM "{table}" ORDER BY rowid')
                count = 0
                with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                    while batch := rows.fetchmany(20_000):
                        for row in batch:
                            copy.write_row(row)
                        count += len(batch)
                counts[table] = count
                if count >= 100_000:
                    _log(f"  [{time.perf_counter() - started:6.1f}s] {table}: {count:,} rows")
            for model in models:
                pk = model._meta.pk
                if pk.column != "id" or pk.get_internal_type() not in _AUTO:
                    continue
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
    _log(f"  [{time.perf_counter() - started:6.1f}s] committed")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FREEZE, ANALYZE)")
    _log(f"  [{time.perf_counter() - started:6.1f}s] vacuumed and analyzed")
    return counts


# ---- the databases ------------------------------------------------------------------------------


def _flags(params: Params, audit: int, cache_dir: Path) -> list[str]:
    return [
        *(f"--{name}={getattr(params, name)}" for name in PARAM_NAMES),
        f"--audit={audit}",
        f"--cache-dir={cache_dir}",
    ]


def _run_child(*args: str) -> None:
    done = subprocess.run([sys.executable, __file__, *args], check=False)
    if done.returncode != 0:
        raise SystemExit(f"reports.py {args[0]} failed (exit {done.returncode})")


def sqlite_file(params: Params, audit: int, cache_dir: Path, regenerate: bool) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"{_key(params, audit)}.sqlite3"
    if cached.exists() and not regenerate:
        _log(f"reusing {cached.name}")
        return cached
    cached.unlink(missing_ok=True)
    _log(f"building {cached.name} (once; it is cached) …")
    started = time.perf_counter()
    _run_child("build", *_flags(params, audit, cache_dir))
    _log(f"built in {time.perf_counter() - started:.1f} s")
    return cached


def postgres_database(
    url: str, params: Params, audit: int, cache_dir: Path, regenerate: bool
) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    key = _key(params, audit)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row is not None and row[0] == key and not regenerate:
            _log(f"reusing database {name}")
            return
        source = sqlite_file(params, audit, cache_dir, regenerate=False)
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        _log(f"copying {source.name} into {name} …")
        started = time.perf_counter()
        _run_child("pgload", f"--database-url={url}", f"--source={source}")
        _log(f"copied in {time.perf_counter() - started:.1f} s")
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(key))
        )


# ---- timing -------------------------------------------------------------------------------------


def best_of(repeat: int, work: Callable[[], T]) -> tuple[T, float]:
    """The fastest of ``repeat`` runs; a run over five times the target is not repeated (it
    fails either way, and repeating a minute-long report would only make the bench slow)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
        if best > 5 * TARGET_SECONDS:
            break
    assert result is not None
    return result, best


def _money(raw: int | None) -> Decimal:
    return Decimal(int(raw or 0)).scaleb(-2)


BillKey = tuple[str, str]


def baseline_billed(start: date, end: date) -> dict[BillKey, dict[str, Any]]:
    """The billed report by timekeeper in plain SQL: lines of the invoices issued in the period
    grouped by timekeeper and currency; credit note lines by their invoice line's timekeeper;
    whole-invoice credit notes on the no-timekeeper row."""
    from django.db import connection

    rows: dict[BillKey, dict[str, Any]] = {}

    def row(code: str, currency: str) -> dict[str, Any]:
        zero = Decimal("0.00")
        return rows.setdefault(
            (code or "—", currency),
            {"invoices": 0, **{k: zero for k in ("fees", "expenses", "adjustments", "tax")}}
            | {"total": Decimal("0.00"), "credited": Decimal("0.00")},
        )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.timekeeper_code, i.currency, COUNT(DISTINCT l.invoice_id), "
            "SUM(CASE WHEN l.kind = 'time' AND l.no_charge = %s THEN l.amount ELSE 0 END), "
            "SUM(CASE WHEN l.kind = 'expense' AND l.no_charge = %s THEN l.amount ELSE 0 END), "
            "SUM(CASE WHEN l.no_charge = %s THEN l.total ELSE 0 END), SUM(l.tax) "
            "FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id "
            "WHERE i.issued_on BETWEEN %s AND %s GROUP BY l.timekeeper_code, i.currency",
            [False, False, False, start, end],
        )
        for code, currency, n, fees, expenses, lines, tax in cursor.fetchall():
            r = row(code, currency)
            r["invoices"] += n
            r["fees"] += _money(fees)
            r["expenses"] += _money(expenses)
            r["adjustments"] += _money(lines) - _money(fees) - _money(expenses)
            r["tax"] += _money(tax)
            r["total"] += _money(lines) + _money(tax)
        cursor.execute(
            "SELECT l.timekeeper_code, i.currency, SUM(cl.amount + cl.tax) "
            "FROM billing_creditnoteline cl "
            "JOIN billing_creditnote c ON c.id = cl.credit_note_id "
            "JOIN billing_invoiceline l ON l.id = cl.invoice_line_id "
            "JOIN billing_invoice i ON i.id = c.invoice_id "
            "WHERE c.issued_on BETWEEN %s AND %s GROUP BY l.timekeeper_code, i.currency",
            [start, end],
        )
        for code, currency, credited in cursor.fetchall():
            row(code, currency)["credited"] += _money(credited)
        cursor.execute(
            "SELECT i.currency, SUM(c.total) FROM billing_creditnote c "
            "JOIN billing_invoice i ON i.id = c.invoice_id "
            "WHERE c.issued_on BETWEEN %s AND %s AND NOT EXISTS "
            "(SELECT 1 FROM billing_creditnoteline cl WHERE cl.credit_note_id = c.id) "
            "GROUP BY i.currency",
            [start, end],
        )
        for currency, credited in cursor.fetchall():
            row("", currency)["credited"] += _money(credited)
    return rows


def _by_currency(rows: dict[BillKey, dict[str, Any]]) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = {}
    for (_, currency), r in rows.items():
        t = out.setdefault(currency, {})
        for k in ("fees", "expenses", "adjustments", "tax", "total", "credited"):
            t[k] = t.get(k, Decimal("0.00")) + r[k]
    return out


def check_billed(
    report_by_timekeeper: Any, report_default: Any, baseline: dict[BillKey, dict[str, Any]]
) -> list[str]:
    """Differences between the report and the baseline (row by row, and totals by currency)."""
    problems = []
    keys = ("invoices", "fees", "expenses", "adjustments", "tax", "total", "credited")
    mine = {
        (str(r["key"]), r["currency"]): {k: r[k] for k in keys}
        for r in report_by_timekeeper.tables[0].rows
    }
    theirs = {key: {k: r[k] for k in keys} for key, r in baseline.items()}
    for key in sorted(set(mine) | set(theirs)):
        if mine.get(key) != theirs.get(key):
            problems.append(f"by timekeeper {key}: report {mine.get(key)} ≠ SQL {theirs.get(key)}")
    totals = _by_currency(baseline)
    for t in report_default.tables[0].totals:
        got = {k: t[k] for k in ("fees", "expenses", "adjustments", "tax", "total", "credited")}
        if got != totals.get(t["currency"]):
            problems.append(
                f"{report_default.request.group_by} totals {t['currency']}: report {got} ≠ SQL "
                f"{totals.get(t['currency'])}"
            )
    if {t["currency"] for t in report_default.tables[0].totals} != set(totals):
        problems.append("the report's currencies differ from the SQL's")
    return problems[:10]


def _rows(report: Any) -> int:
    return sum(len(t.rows) for t in report.tables)


def _periods() -> tuple[Any, Any]:
    """The whole year of the history, and the month its invoices were issued."""
    from django.db.models import Min

    from lexbill.billing.models import Invoice
    from lexbill.core import periods

    issued = Invoice.objects.aggregate(first=Min("issued_on"))["first"]
    if issued is None:
        raise SystemExit("the firm has no invoices: no billing history to report on")
    return periods.year(generate.FIRST_DAY.year), periods.month(issued.year, issued.month)


def measure(engine: str, repeat: int, only: str) -> dict[str, Any]:
    from django.db import connection

    from lexbill.audit.models import AuditRecord
    from lexbill.billing.models import CreditNote, Invoice, InvoiceLine, Prebill
    from lexbill.clients.models import MatterBudget
    from lexbill.entries.models import TimeEntry
    from lexbill.receivables.models import Payment, WriteOff
    from lexbill.reports.exports import xlsx_bytes
    from lexbill.reports.framework import Report, ReportRequest
    from lexbill.reports.names import STANDARD_REPORTS
    from lexbill.reports.registry import all_reports

    connection.ensure_connection()
    year, month = _periods()
    sizes = {
        "time entries": TimeEntry.objects.count(),
        "pre-bills": Prebill.objects.count(),
        "invoices": Invoice.objects.count(),
        "invoice lines": InvoiceLine.objects.count(),
        "credit notes": CreditNote.objects.count(),
        "payments": Payment.objects.count(),
        "write-offs": WriteOff.objects.count(),
        "matter budgets": MatterBudget.objects.count(),
        "audit records": AuditRecord.objects.count(),
    }
    registered = [spec for spec in all_reports() if only in spec.name]
    names = [name for name, _ in STANDARD_REPORTS]
    results: dict[str, Any] = {
        "engine": engine,
        "version": _engine_version(),
        "sizes": sizes,
        "load_average_before": os.getloadavg(),
        "repeat": repeat,
        "target_seconds": TARGET_SECONDS,
        "missing": [n for n in names if n not in {s.name for s in all_reports()}],
        "timings": [],
        "problems": [],
    }
    baselines: dict[str, float] = {}
    baseline_rows: dict[str, dict[BillKey, dict[str, Any]]] = {}
    for label, period in (("year", year), ("month", month)):
        _log(f"baseline SQL over {period.label} …")
        baseline_rows[label], baselines[label] = best_of(
            repeat, partial(baseline_billed, period.start, period.end)
        )
    results["baseline"] = {
        "query": "billed by timekeeper in raw SQL (GROUP BY over invoice lines + credit notes)",
        "seconds": baselines,
        "periods": {"year": year.label, "month": month.label},
    }
    largest: tuple[int, Report | None, str] = (-1, None, "")
    for spec in registered:
        groupings = [key for key, _ in spec.groupings] or [""]
        plan = [("year", year, g) for g in groupings] + [("month", month, groupings[0])]
        for label, period, grouping in plan:
            request = ReportRequest(period=period, group_by=grouping)
            entry: dict[str, Any] = {
                "report": spec.name,
                "grouping": grouping or "—",
                "period": period.label,
                "baseline_seconds": baselines[label],
            }
            try:
                report, seconds = best_of(repeat, partial(spec.build, request))
            except Exception as error:  # a report being written may fail: say so, go on
                entry |= {"seconds": None, "passed": False, "error": repr(error)[:300]}
                results["timings"].append(entry)
                results["problems"].append(f"{spec.name} by {grouping}: {error!r}"[:300])
                _log(f"  ERROR {error!r}"[:300])
                continue
            rows = _rows(report)
            entry |= {
                "seconds": seconds,
                "ratio": seconds / baselines[label] if baselines[label] else None,
                "rows": rows,
                "passed": seconds < TARGET_SECONDS,
            }
            results["timings"].append(entry)
            _log(_line(entry))
            if rows > largest[0]:
                largest = (rows, report, f"{spec.name} by {grouping or '—'} over {period.label}")
            if spec.name == "billed" and grouping == groupings[0]:
                by_tk = spec.build(ReportRequest(period=period, group_by="timekeeper"))
                problems = check_billed(by_tk, report, baseline_rows[label])
                results[f"billed_matches_sql_{label}"] = not problems
                results["problems"] += problems
    if largest[1] is not None:
        workbook, seconds = best_of(repeat, lambda: xlsx_bytes(largest[1]))  # type: ignore[arg-type]
        results["xlsx"] = {
            "report": largest[2],
            "rows": largest[0],
            "seconds": seconds,
            "bytes": len(workbook),
        }
    results["load_average_after"] = os.getloadavg()
    results["passed"] = not results["problems"] and all(t["passed"] for t in results["timings"])
    return results


def _engine_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def _line(entry: dict[str, Any]) -> str:
    ratio = f"{entry['ratio']:7.1f}×" if entry.get("ratio") is not None else "      —"
    mark = "PASS" if entry["passed"] else "FAIL"
    return (
        f"  {entry['report']:12} {entry['grouping']:14} {entry['period']:12} "
        f"{entry['seconds']:8.3f} s {ratio} {entry['rows']:8,}  {mark}"
    )


def _print(results: dict[str, Any]) -> None:
    print(
        f"\n{results['version']}: " + ", ".join(f"{v:,} {k}" for k, v in results["sizes"].items())
    )
    load = ", ".join(f"{x:.2f}" for x in results["load_average_before"])
    print(f"load average {load} before; best of {results['repeat']}; target {TARGET_SECONDS} s")
    base = results["baseline"]
    print(
        f"baseline ({base['query']}): "
        + ", ".join(f"{base['periods'][k]} {v:.3f} s" for k, v in base["seconds"].items())
    )
    print(f"  {'report':12} {'grouping':14} {'period':12} {'seconds':>10} {'×base':>8} {'rows':>8}")
    for entry in results["timings"]:
        if entry["seconds"] is None:
            print(f"  {entry['report']:12} {entry['grouping']:14} {entry['period']:12} ERROR")
        else:
            print(_line(entry))
    if "xlsx" in results:
        x = results["xlsx"]
        print(
            f"xlsx export of the largest ({x['report']}, {x['rows']:,} rows): "
            f"{x['seconds']:.3f} s, {x['bytes']:,} bytes"
        )
    for label in ("year", "month"):
        if f"billed_matches_sql_{label}" in results:
            print(
                f"billed ({label}) equals the SQL baseline to the cent: "
                f"{results[f'billed_matches_sql_{label}']}"
            )
    if results["missing"]:
        print(f"missing (not registered yet): {', '.join(results['missing'])}")
    for problem in results["problems"]:
        print(f"PROBLEM: {problem}")
    load = ", ".join(f"{x:.2f}" for x in results["load_average_after"])
    print(f"load average {load} after")
    failed = [t for t in results["timings"] if not t["passed"]]
    print(
        "PASS: every report under target and the checks hold"
        if results["passed"]
        else f"FAIL: {len(failed)} timing(s) over target or in error, "
        f"{len(results['problems'])} problem(s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "build", "pgload"])
    parser.add_argument("--quick", action="store_true", help="the 50,000-entry firm")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--only", default="", help="only reports whose name contains this")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the extras")
    parser.add_argument("--audit", type=int, default=None, help="audit rows (default: entries)")
    parser.add_argument("--cache-dir", type=Path, default=OUT_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, default=None, help=argparse.SUPPRESS)
    for name in PARAM_NAMES:
        parser.add_argument(f"--{name}", type=int, default=None)
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else Params()
    params = Params(
        **{
            name: getattr(args, name)
            if getattr(args, name) is not None
            else getattr(defaults, name)
            for name in PARAM_NAMES
        }
    )
    audit = args.audit if args.audit is not None else params.entries
    if args.command == "build":
        build_cache(params, audit, args.cache_dir)
        return 0
    if args.command == "pgload":
        setup_django(args.database_url)
        counts = load_postgres(args.source)
        _log(f"  {sum(counts.values()):,} rows in {len(counts)} tables")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="lexbill-reports-"))
    os.environ["LEXBILL_DATA_DIR"] = str(workdir)
    try:
        if args.database_url and is_postgres(args.database_url):
            postgres_database(args.database_url, params, audit, args.cache_dir, args.regenerate)
            url, engine = args.database_url, "PostgreSQL"
        else:
            path = sqlite_file(params, audit, args.cache_dir, args.regenerate)
            url, engine = f"sqlite:///{path}", "SQLite"
        setup_django(url)
        results = measure(engine, args.repeat, args.only)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _print(results)
    if args.json:
        print(json.dumps(results, default=str))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
