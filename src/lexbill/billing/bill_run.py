"""The bill run: all unbilled work through a date onto one pre-bill per matter, in one pass.

This is the hot path of the whole system (a large firm bills a million entries in one run), so it
is set-based SQL for the pre-bills and the state change, and one streaming pass over the entries for
what SQL can't do exactly on every engine: rate precedence and half-up money rounding, both from
core/. Memory stays flat: entries are read through a chunked (server-side on PostgreSQL) cursor and
lines are written in batches. Running it again creates nothing twice, because only ``unbilled``
entries are taken and taking them marks them ``prebilled`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.billing.models import BillRun
from lexbill.billing.rates import load_ratebook
from lexbill.core.errors import NoRateInForce
from lexbill.core.invoice_math import expense_amount, time_amount
from lexbill.core.rates import RateQuery
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require

BATCH = 5000
Progress = Callable[[int, int], None]

_UNBILLED_TIME = (
    "FROM entries_timeentry WHERE state = 'unbilled' AND billable <> 'non_billable' "
    "AND work_date <= %s"
)
_UNBILLED_EXPENSES = (
    "FROM entries_expense WHERE state = 'unbilled' AND billable <> 'non_billable' AND date <= %s"
)
_LINE_COLUMNS = (
    "prebill_id, kind, time_entry_id, expense_id, date, timekeeper_id, narrative, task_code, "
    "activity_code, expense_code, minutes, quantity, rate, rate_source, amount, adjustment, "
    "adjustment_reason, treatment"
)
_INSERT_LINE = (
    f"INSERT INTO billing_prebillline ({_LINE_COLUMNS}) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def _scaled(value: Decimal, places: int) -> int:
    """The FixedDecimalField storage form, written here because this path bypasses the ORM."""
    return int(value.scaleb(places))


class _Dates:
    """SQLite hands back dates as text; parse each distinct day once."""

    def __init__(self) -> None:
        self._seen: dict[Any, date] = {}

    def __call__(self, value: Any) -> date:
        if isinstance(value, date):
            return value
        day = self._seen.get(value)
        if day is None:
            day = self._seen[value] = date.fromisoformat(value)
        return day


def _stream(sql: str, params: list[Any]) -> Iterator[list[tuple[Any, ...]]]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH):
            yield rows


def run_bill_run(
    actor: User | None,
    through: date,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> BillRun:
    """Bill all unbilled work dated on or before ``through``; returns the run with its counts."""
    require(actor, Action.RUN_BILLS)
    now = now or timezone.now()
    ops = connection.ops
    day = ops.adapt_datefield_value(through)
    with transaction.atomic():
        run = BillRun.objects.create(through=through, started_at=now, started_by=actor)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) {_UNBILLED_TIME}", [day])
            total = cursor.fetchone()[0]
            cursor.execute(f"SELECT COUNT(*) {_UNBILLED_EXPENSES}", [day])
            total += cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO billing_prebill (run_id, matter_id, status, through, created_at) "
                "SELECT %s, matter_id, 'draft', %s, %s FROM ("
                f"SELECT matter_id {_UNBILLED_TIME} UNION SELECT matter_id {_UNBILLED_EXPENSES}"
                ") work ORDER BY matter_id",
                [run.pk, day, ops.adapt_datetimefield_value(now), day, day],
            )
            cursor.execute("SELECT matter_id, id FROM billing_prebill WHERE run_id = %s", [run.pk])
            prebill_of = dict(cursor.fetchall())
        if prebill_of:
            done = _bill_time(day, prebill_of, progress, total)
            expense_count = _bill_expenses(day, prebill_of, progress, total, done)
            time_count = done
            _mark_prebilled(run.pk)
        else:
            time_count = expense_count = 0
        run.prebill_count = len(prebill_of)
        run.time_line_count = time_count
        run.expense_line_count = expense_count
        run.finished_at = timezone.now()
        run.save()
        record_event(
            "billing.BillRun",
            run.pk,
            f"bill run through {through}: {run.prebill_count} pre-bills, "
            f"{time_count} time lines, {expense_count} expense lines",
            through=through.isoformat(),
            prebills=run.prebill_count,
            time_lines=time_count,
            expense_lines=expense_count,
        )
    return run


def _matter_facts() -> dict[int, tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, client_id, currency FROM clients_matter")
        return {pk: (client_id, currency) for pk, client_id, currency in cursor.fetchall()}


def _classifications() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, classification FROM firm_timekeeper")
        return dict(cursor.fetchall())


def _bill_time(day: Any, prebill_of: dict[int, int], progress: Progress | None, total: int) -> int:
    book = load_ratebook()
    matters = _matter_facts()
    classes = _classifications()
    as_date = _Dates()

    @lru_cache(maxsize=65536)
    def price(rate: Decimal, minutes: int, currency: str) -> int:
        return _scaled(time_amount(minutes, rate, currency), 2)

    @lru_cache(maxsize=65536)
    def rate_on(matter_id: int, timekeeper_id: int, work_date: date) -> tuple[Decimal, int, str]:
        client_id, currency = matters[matter_id]
        resolved = book.resolve(
            RateQuery(work_date, matter_id, client_id, timekeeper_id, classes[timekeeper_id], currency)
        )
        if resolved is None:
            raise NoRateInForce(
                f"no {currency} rate in force for timekeeper {timekeeper_id} on matter "
                f"{matter_id} on {work_date}; add one and run again (nothing was billed)",
                field="rate",
            )
        return resolved.amount, _scaled(resolved.amount, 4), resolved.source

    done = 0
    with connection.cursor() as writer:
        for rows in _stream(
            "SELECT id, matter_id, timekeeper_id, work_date, billed_minutes, narrative, "
            f"task_code, activity_code, billable {_UNBILLED_TIME} ORDER BY id",
            [day],
        ):
            batch = []
            for pk, matter_id, tk_id, work_date, minutes, narrative, task, activity, billable in rows:
                work_day = as_date(work_date)
                rate, rate_scaled, source = rate_on(matter_id, tk_id, work_day)
                batch.append(
                    (
                        prebill_of[matter_id], "time", pk, None, work_date, tk_id, narrative,
                        task, activity, "", minutes, None, rate_scaled, source,
                        price(rate, minutes, matters[matter_id][1]), 0, "",
                        "no_charge" if billable == "no_charge" else "bill",
                    )
                )
            writer.executemany(_INSERT_LINE, batch)
            done += len(batch)
            if progress:
                progress(done, total)
    return done


def _bill_expenses(
    day: Any, prebill_of: dict[int, int], progress: Progress | None, total: int, done: int
) -> int:
    currency_of = {pk: currency for pk, (_, currency) in _matter_facts().items()}
    count = 0
    with connection.cursor() as writer:
        for rows in _stream(
            "SELECT id, matter_id, timekeeper_id, date, expense_code, quantity, unit_cost, "
            f"description, billable {_UNBILLED_EXPENSES} ORDER BY id",
            [day],
        ):
            batch = []
            for pk, matter_id, tk_id, when, code, qty, cost, description, billable in rows:
                quantity = Decimal(int(qty)).scaleb(-4)
                unit_cost = Decimal(int(cost)).scaleb(-4)
                amount = expense_amount(quantity, unit_cost, currency_of[matter_id])
                batch.append(
                    (
                        prebill_of[matter_id], "expense", None, pk, when, tk_id, description,
                        "", "", code, None, int(qty), int(cost), "", _scaled(amount, 2), 0, "",
                        "no_charge" if billable == "no_charge" else "bill",
                    )
                )
            writer.executemany(_INSERT_LINE, batch)
            count += len(batch)
            if progress:
                progress(done + count, total)
    return count


def _mark_prebilled(run_id: int) -> None:
    """Mark exactly the entries that got a line, so work recorded meanwhile stays unbilled."""
    with connection.cursor() as cursor:
        lines_of_run = (
            "SELECT {col} FROM billing_prebillline WHERE {col} IS NOT NULL AND prebill_id IN "
            "(SELECT id FROM billing_prebill WHERE run_id = %s)"
        )
        cursor.execute(
            "UPDATE entries_timeentry SET state = 'prebilled' WHERE id IN ("
            + lines_of_run.format(col="time_entry_id")
            + ")",
            [run_id],
        )
        cursor.execute(
            "UPDATE entries_expense SET state = 'prebilled' WHERE id IN ("
            + lines_of_run.format(col="expense_id")
            + ")",
            [run_id],
        )
