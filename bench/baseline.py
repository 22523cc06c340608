"""The raw-SQL baseline: the bill run's work done by INSERT…SELECT and UPDATE statements only.

It writes the same pre-bills and lines as ``lexbill.billing.bill_run.run_bill_run``: the rate is
resolved in SQL by one correlated subquery per precedence level (matter/timekeeper,
matter/classification, client/timekeeper, client/classification, timekeeper, classification; the
latest row with ``effective_from`` on or before the work date, in the matter's currency), labelled
with the same ``rate_source``, and priced with integer arithmetic on the scaled columns, rounding
half up to the currency's minor unit exactly as ``core.invoice_math`` does (``check_formulas``
proves that on many values before the benchmark trusts it).

It is what the bill run is measured against, not a replacement: it has no per-entry error message
when a rate is missing (the NOT NULL constraint on ``rate`` just fails the statement), and every
new rate rule would have to be written twice.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.billing.bill_run import SQLITE_RUN_CACHE_KIB
from lexbill.billing.models import BillRun
from lexbill.core.invoice_math import expense_amount, time_amount
from lexbill.core.money import MINOR_UNITS

_BY_TIMEKEEPER = "r.timekeeper_id = e.timekeeper_id AND r.classification = ''"
_BY_CLASSIFICATION = "r.timekeeper_id IS NULL AND r.classification = t.classification"
_MATTER = "r.matter_id = e.matter_id AND r.client_id IS NULL"
_CLIENT = "r.matter_id IS NULL AND r.client_id = m.client_id"
_FIRM = "r.matter_id IS NULL AND r.client_id IS NULL"

# (code, level, scope, key, rate_source) in precedence order; every key column is pinned, so a
# lookup is one probe of PostgreSQL's unique (level, matter, client, timekeeper, classification,
# currency, effective_from) index.
_LEVELS: tuple[tuple[int, str, str, str, str], ...] = (
    (1, "matter", _MATTER, _BY_TIMEKEEPER, "matter/timekeeper"),
    (2, "matter", _MATTER, _BY_CLASSIFICATION, "matter/classification"),
    (3, "client", _CLIENT, _BY_TIMEKEEPER, "client/timekeeper"),
    (4, "client", _CLIENT, _BY_CLASSIFICATION, "client/classification"),
    (5, "timekeeper", _FIRM, _BY_TIMEKEEPER, "timekeeper"),
    (6, "classification", _FIRM, _BY_CLASSIFICATION, "classification"),
)


# SQLite has no counterpart of PostgreSQL's unique key index on billing_rate (Django skips a
# nulls-not-distinct constraint there, warning W047), and without it each lookup sorts its
# candidates. The baseline copies the few thousand rates into a temporary table with that key
# as an index, so both engines probe one index per level.
_SQLITE_RATES = "temp.bench_rate"
_SQLITE_RATE_SETUP = (
    "CREATE TEMP TABLE bench_rate AS SELECT * FROM billing_rate",
    "CREATE INDEX temp.bench_rate_key ON bench_rate "
    "(level, matter_id, client_id, timekeeper_id, classification, currency, effective_from)",
)


def _resolved_rate_sql(vendor: str) -> str:
    """The winning rate packed with its level as ``amount * 8 + code``; NULL when none applies."""
    rates = _SQLITE_RATES if vendor == "sqlite" else "billing_rate"
    lookups = [
        f"(SELECT r.amount * 8 + {code} FROM {rates} r WHERE r.level = '{level}' "
        f"AND {scope} AND {who} AND r.currency = m.currency AND r.effective_from <= e.work_date "
        "ORDER BY r.effective_from DESC LIMIT 1)"
        for code, level, scope, who, _ in _LEVELS
    ]
    return "COALESCE(" + ", ".join(lookups) + ")"


def _source_sql(packed: str) -> str:
    whens = " ".join(f"WHEN {code} THEN '{source}'" for code, *_, source in _LEVELS)
    return f"CASE {packed} - {packed} / 8 * 8 {whens} END"


# Exact integer pricing on the stored scales, rounding half up at the currency's minor unit:
#   time:    rate (10^-4) × minutes / 60           → units = rate4·min / 600 000
#   expense: quantity (10^-4) × unit cost (10^-4)  → units = q4·c4 / 10^8
# rounded to p places = (2·x·10^p + d) div 2d, stored in cents = that × 10^(2−p).
_POW10 = (1, 10, 100)  # minor units have 0–2 places here (see MINOR_UNITS)


def time_cents(rate4: int, minutes: int, places: int) -> int:
    return (2 * rate4 * minutes * _POW10[places] + 600_000) // 1_200_000 * _POW10[2 - places]


def expense_cents(quantity4: int, cost4: int, places: int) -> int:
    return (2 * quantity4 * cost4 * _POW10[places] + 10**8) // (2 * 10**8) * _POW10[2 - places]


_TIME_CENTS_SQL = "(2 * x.rate4 * x.billed_minutes * {scale} + 600000) / 1200000 * {back}"
_EXPENSE_CENTS_SQL = "(2 * x.quantity * x.unit_cost * {scale} + 100000000) / 200000000 * {back}"


def _cents_sql(template: str) -> str:
    """One CASE arm per minor-unit size (2 for most currencies, 0 for JPY)."""
    places_used = sorted(set(MINOR_UNITS.values()))
    parts = []
    for places in places_used:
        codes = ", ".join(f"'{c}'" for c, p in sorted(MINOR_UNITS.items()) if p == places)
        expression = template.format(scale=10**places, back=10 ** (2 - places))
        parts.append(f"WHEN x.currency IN ({codes}) THEN {expression}")
    return "CASE " + " ".join(parts) + " END"


def check_formulas(samples: int = 200_000, seed: int = 7) -> None:
    """The integer formulas above equal core.invoice_math on random and edge values, or raise."""
    rng = random.Random(seed)
    currencies = sorted(MINOR_UNITS)
    for n in range(samples):
        currency = currencies[n % len(currencies)]
        places = MINOR_UNITS[currency]
        rate_cents = rng.randint(0, 500_000) if n % 3 else rng.choice((1, 5, 25, 50, 99, 333))
        minutes = rng.randint(0, 1440) if n % 5 else rng.choice((0, 1, 6, 15, 18, 30, 42))
        expected = int(time_amount(minutes, Decimal(rate_cents).scaleb(-2), currency).scaleb(2))
        got = time_cents(rate_cents * 100, minutes, places)
        if got != expected:
            raise AssertionError(f"time {rate_cents}c × {minutes}m {currency}: {got} != {expected}")
        q4 = rng.randint(0, 10_000_000)
        c4 = rng.randint(0, 100_000_000)
        exact = expense_amount(Decimal(q4).scaleb(-4), Decimal(c4).scaleb(-4), currency)
        expected = int(exact.scaleb(2))
        got = expense_cents(q4, c4, places)
        if got != expected:
            raise AssertionError(f"expense {q4} × {c4} {currency}: {got} != {expected}")


def _unbilled(date_column: str, alias: str = "e.") -> str:
    return (
        f"{alias}state = 'unbilled' AND {alias}billable <> 'non_billable' "
        f"AND {alias}{date_column} <= %s"
    )


_UNBILLED_TIME = _unbilled("work_date")
_UNBILLED_EXPENSES = _unbilled("date")
_LINE_COLUMNS = (
    "prebill_id, kind, time_entry_id, expense_id, date, timekeeper_id, narrative, task_code, "
    "activity_code, expense_code, minutes, quantity, rate, rate_source, amount, adjustment, "
    "adjustment_reason, treatment"
)


def _time_lines_sql(vendor: str) -> str:
    # The fence keeps the planner from inlining the subquery, which would copy the six lookups
    # into every expression that uses ``packed``; the rows then stream through once each.
    fence = "LIMIT -1" if vendor == "sqlite" else "OFFSET 0"
    return (
        f"INSERT INTO billing_prebillline ({_LINE_COLUMNS}) "
        "SELECT p.id, 'time', x.id, NULL, x.work_date, x.timekeeper_id, x.narrative, "
        "x.task_code, x.activity_code, '', x.billed_minutes, NULL, x.rate4, "
        f"{_source_sql('x.packed')}, {_cents_sql(_TIME_CENTS_SQL)}, 0, '', "
        "CASE WHEN x.billable = 'no_charge' THEN 'no_charge' ELSE 'bill' END "
        "FROM (SELECT y.*, y.packed / 8 * 100 AS rate4 FROM ("
        "SELECT e.id, e.matter_id, e.timekeeper_id, e.work_date, e.billed_minutes, e.narrative, "
        "e.task_code, e.activity_code, e.billable, m.currency, "
        f"{_resolved_rate_sql(vendor)} AS packed "
        "FROM entries_timeentry e JOIN clients_matter m ON m.id = e.matter_id "
        f"JOIN firm_timekeeper t ON t.id = e.timekeeper_id WHERE {_UNBILLED_TIME} {fence}) y) x "
        # CROSS JOIN keeps the entries as SQLite's outer loop, and ``+ 0`` makes it find each
        # pre-bill by matter, not scan the run's pre-bills; PostgreSQL plans its join freely.
        "CROSS JOIN billing_prebill p WHERE p.matter_id = x.matter_id AND p.run_id + 0 = %s"
    )


def _expense_lines_sql() -> str:
    return (
        f"INSERT INTO billing_prebillline ({_LINE_COLUMNS}) "
        "SELECT p.id, 'expense', NULL, x.id, x.date, x.timekeeper_id, x.description, '', '', "
        "x.expense_code, NULL, x.quantity, x.unit_cost, '', "
        f"{_cents_sql(_EXPENSE_CENTS_SQL)}, 0, '', "
        "CASE WHEN x.billable = 'no_charge' THEN 'no_charge' ELSE 'bill' END "
        "FROM (SELECT e.*, m.currency FROM entries_expense e "
        f"JOIN clients_matter m ON m.id = e.matter_id WHERE {_UNBILLED_EXPENSES}) x "
        "CROSS JOIN billing_prebill p WHERE p.matter_id = x.matter_id AND p.run_id + 0 = %s"
    )


def run_baseline(through: date) -> dict[str, Any]:
    """One bill run in SQL only; the run and audit rows through the ORM, as the real run does."""
    ops = connection.ops
    day = ops.adapt_datefield_value(through)
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"
    with transaction.atomic():
        run = BillRun.objects.create(through=through, started_at=now, started_by=None)
        with connection.cursor() as cursor:
            if sqlite:
                # The same page cache the real run gives itself, so both pay the same I/O (the
                # phase's connection ends with the phase, so it is not put back).
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_RUN_CACHE_KIB}")
                for statement in _SQLITE_RATE_SETUP:
                    cursor.execute(statement)
            cursor.execute(
                "INSERT INTO billing_prebill (run_id, matter_id, status, through, created_at) "
                "SELECT %s, matter_id, 'draft', %s, %s FROM ("
                f"SELECT matter_id FROM entries_timeentry e WHERE {_UNBILLED_TIME} UNION "
                f"SELECT matter_id FROM entries_expense e WHERE {_UNBILLED_EXPENSES}"
                ") work ORDER BY matter_id",
                [run.pk, day, ops.adapt_datetimefield_value(now), day, day],
            )
            prebills = cursor.rowcount
            cursor.execute(_time_lines_sql(connection.vendor), [day, run.pk])
            time_lines = cursor.rowcount
            cursor.execute(_expense_lines_sql(), [day, run.pk])
            expense_lines = cursor.rowcount
            cursor.execute(
                "UPDATE entries_timeentry SET state = 'prebilled' "
                f"WHERE {_unbilled('work_date', alias='')}",
                [day],
            )
            cursor.execute(
                "UPDATE entries_expense SET state = 'prebilled' "
                f"WHERE {_unbilled('date', alias='')}",
                [day],
            )
            if sqlite:
                cursor.execute(f"DROP TABLE {_SQLITE_RATES}")
        run.prebill_count = prebills
        run.time_line_count = time_lines
        run.expense_line_count = expense_lines
        run.finished_at = timezone.now()
        run.save()
        record_event(
            "billing.BillRun",
            run.pk,
            f"baseline bill run through {through}",
            prebills=prebills,
            time_lines=time_lines,
            expense_lines=expense_lines,
        )
    return {"prebills": prebills, "time_lines": time_lines, "expense_lines": expense_lines}
