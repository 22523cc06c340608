"""The bill run: all unbilled work through a date onto one pre-bill per matter, in one pass.

This is the hot path of the whole system (a large firm bills a million entries in one run), so it
is set-based SQL for the pre-bills and the state change, and one streaming pass over the entries for
what SQL can't do exactly on every engine: rate precedence and half-up money rounding, both from
core/. Memory stays flat: entries are read through a chunked (server-side on PostgreSQL) cursor and
lines are written in batches. Running it again creates nothing twice, because only ``unbilled``
entries are taken and taking them marks them ``prebilled`` in the same transaction.

What keeps the pass fast (bench/run.py measures it against a raw-SQL baseline):

* Rates are resolved by ``RateBook`` once per (matter, timekeeper) and rate period, not per entry:
  the periods are cut at every ``effective_from`` of a rate row that could apply to the pair, so
  between two cuts the answer cannot change. Amounts are rounded by ``core.invoice_math`` once per
  (rate, currency, minutes).
* Lines are written through the DB-API connection itself, in storage form (scaled integers).
  On PostgreSQL each batch of whole lines goes in by ``COPY``. On SQLite the pass reads only what
  pricing needs; each batch of prices goes into a temporary table by ``executemany`` and one
  INSERT…SELECT joins it to the entries for the rest of the line (narratives never round-trip
  through Python). That is consistent because SQLite's write lock, taken by the run's first
  statement, keeps every other writer out until the run commits.
* The entries that got a line are marked by id ranges, which stay few because the pass reads in
  id order; no subquery over the lines is needed.
* On SQLite the page cache is enlarged for the run only, so index pages touched by a million
  inserts stay in memory instead of spilling to the WAL mid-transaction (durability unchanged).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.billing.models import BillRun
from lexbill.billing.rates import rate_rows
from lexbill.core.errors import NoRateInForce
from lexbill.core.invoice_math import expense_amount, time_amount
from lexbill.core.rates import RateBook, RateLevel, RateQuery, RateRow, ResolvedRate
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require

BATCH = 5000
Progress = Callable[[int, int], None]
AFTER_BILL_RUN: list[Callable[[BillRun], object]] = []
"""Work other apps do on a run's new pre-bills (``run.prebills``) inside the run's transaction,
registered by them (the client's billing guidelines record their findings); billing itself knows
none of them. Each must cost next to nothing for pre-bills it has no business with: this is the
hot path."""
# SQLite page cache for the run, in KiB (a negative cache_size): room for the line indexes.
SQLITE_RUN_CACHE_KIB = 65536

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
_Line = tuple[Any, ...]

# SQLite: the priced batch, joined to its entries for the rest of each time line. CROSS JOIN
# keeps the batch as the outer loop, so each entry is one rowid lookup and lines go in id order.
_PRICED = "temp.lexbill_bill_run_priced"
_CREATE_PRICED = (
    f"CREATE TABLE {_PRICED} (entry_id INTEGER PRIMARY KEY, prebill_id INTEGER NOT NULL, "
    "rate INTEGER NOT NULL, rate_source TEXT NOT NULL, amount INTEGER NOT NULL)"
)
_INSERT_PRICED = f"INSERT INTO {_PRICED} VALUES (?, ?, ?, ?, ?)"
_TIME_LINES_FROM_PRICED = (
    f"INSERT INTO billing_prebillline ({_LINE_COLUMNS}) "
    "SELECT p.prebill_id, 'time', e.id, NULL, e.work_date, e.timekeeper_id, e.narrative, "
    "e.task_code, e.activity_code, '', e.billed_minutes, NULL, p.rate, p.rate_source, p.amount, "
    "0, '', CASE WHEN e.billable = 'no_charge' THEN 'no_charge' ELSE 'bill' END "
    f"FROM {_PRICED} p CROSS JOIN entries_timeentry e WHERE e.id = p.entry_id "
    "ORDER BY p.entry_id"
)


def _scaled(value: Decimal, places: int) -> int:
    """The FixedDecimalField storage form, written here because this path bypasses the ORM."""
    return int(value.scaleb(places))


def _treatment(billable: str) -> str:
    return "no_charge" if billable == "no_charge" else "bill"


def _as_date(value: Any) -> date:
    """SQLite hands back dates as ISO text (see ``_date_column``); PostgreSQL as dates."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _date_column(name: str) -> str:
    # Django's SQLite converters would parse every date and its adapter format it back again;
    # a cast leaves the stored ISO text alone, and that text is also what a line stores.
    return f"CAST({name} AS TEXT)" if connection.vendor == "sqlite" else name


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
    with _run_cache(), transaction.atomic():
        _hold_entries_still()
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
            lines = _LineWriter()
            time_ids = _bill_time(day, prebill_of, lines, progress, total)
            expense_ids = _bill_expenses(day, prebill_of, lines, progress, total, time_ids.count)
            _mark_prebilled("entries_timeentry", time_ids)
            _mark_prebilled("entries_expense", expense_ids)
            time_count, expense_count = time_ids.count, expense_ids.count
            for after in AFTER_BILL_RUN:
                after(run)
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


def _hold_entries_still() -> None:
    """Keep entries from changing under the run until it commits.

    SQLite's write lock already does this. On PostgreSQL a SHARE lock lets pages read entries but
    makes writers wait, so an entry recorded or corrected mid-run can't miss its pre-bill or be
    priced from a stale row.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE entries_timeentry, entries_expense IN SHARE MODE")


@contextmanager
def _run_cache() -> Iterator[None]:
    """A larger SQLite page cache for this connection while the run lasts, then the old one."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA page_size")
        page_kib = int(cursor.fetchone()[0]) // 1024
        # A negative cache_size is in KiB, a positive one in pages; only ever grow it.
        previous_kib = -previous if previous < 0 else previous * page_kib
        grow = previous_kib < SQLITE_RUN_CACHE_KIB
        if grow:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_RUN_CACHE_KIB}")
    try:
        yield
    finally:
        if grow:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {previous}")


class _LineWriter:
    """Inserts pre-bill lines by the backend's fastest path, in storage form."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self._raw: Any = connection.connection
        self._priced_table = False

    def write(self, lines: Sequence[_Line]) -> None:
        """Whole lines, as tuples in ``_LINE_COLUMNS`` order."""
        if self.vendor == "sqlite":
            cursor = self._raw.cursor()
            try:
                cursor.executemany(_INSERT_LINE.replace("%s", "?"), lines)
            finally:
                cursor.close()
        elif self.vendor == "postgresql":
            with (
                self._raw.cursor() as cursor,
                cursor.copy(f"COPY billing_prebillline ({_LINE_COLUMNS}) FROM STDIN") as copy,
            ):
                for line in lines:
                    copy.write_row(line)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(_INSERT_LINE, lines)

    def write_priced_time(self, priced: Sequence[tuple[int, int, int, str, int]]) -> None:
        """SQLite only: (entry id, pre-bill id, rate, rate source, amount) per time line."""
        cursor = self._raw.cursor()
        try:
            if not self._priced_table:
                cursor.execute(f"DROP TABLE IF EXISTS {_PRICED}")
                cursor.execute(_CREATE_PRICED)
                self._priced_table = True
            cursor.executemany(_INSERT_PRICED, priced)
            cursor.execute(_TIME_LINES_FROM_PRICED)
            cursor.execute(f"DELETE FROM {_PRICED}")
        finally:
            cursor.close()

    def close(self) -> None:
        if self._priced_table:
            self._raw.execute(f"DROP TABLE {_PRICED}")
            self._priced_table = False


@dataclass
class _IdRanges:
    """The ids of the entries that got a line, as inclusive runs of consecutive ids."""

    ranges: list[list[int]] = field(default_factory=list)
    count: int = 0

    def add(self, ids: Sequence[int]) -> None:
        ranges = self.ranges
        last = ranges[-1] if ranges else None
        for pk in ids:
            if last is not None and pk == last[1] + 1:
                last[1] = pk
            else:
                last = [pk, pk]
                ranges.append(last)
        self.count += len(ids)


def _mark_prebilled(table: str, ids: _IdRanges) -> None:
    """Mark exactly the entries that got a line, so work recorded meanwhile stays unbilled."""
    if not ids.ranges:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lows, highs = zip(*ids.ranges, strict=True)
            cursor.execute(
                f"UPDATE {table} SET state = 'prebilled' FROM unnest(%s::bigint[], %s::bigint[]) "
                f"AS billed(low, high) WHERE {table}.id BETWEEN billed.low AND billed.high",
                [list(lows), list(highs)],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET state = 'prebilled' WHERE id BETWEEN %s AND %s",
                [tuple(pair) for pair in ids.ranges],
            )


def _matter_facts() -> dict[int, tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, client_id, currency FROM clients_matter")
        return {pk: (client_id, currency) for pk, client_id, currency in cursor.fetchall()}


def _classifications() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, classification FROM firm_timekeeper")
        return dict(cursor.fetchall())


@dataclass(frozen=True, slots=True)
class _Priced:
    """One resolved rate in storage form, with its amounts by billed minutes filled in lazily."""

    rate: Decimal
    rate_scaled: int
    source: str
    currency: str
    amounts: dict[int, int]

    def amount(self, minutes: int) -> int:
        amount = self.amounts.get(minutes)
        if amount is None:
            amount = _scaled(time_amount(minutes, self.rate, self.currency), 2)
            self.amounts[minutes] = amount
        return amount


# Per (matter, timekeeper): the days a rate that could apply takes effect, ascending, and the
# priced rate in force from each of them (None while none is in force yet).
_Timeline = tuple[list[date], list[_Priced | None]]


class _Rates:
    """The RateBook's answer for any (matter, timekeeper, day), asked once per rate period."""

    def __init__(self) -> None:
        rows = rate_rows()
        self._book = RateBook(rows)
        self._starts = _rate_starts(rows)
        self._matters = _matter_facts()
        self._classes = _classifications()
        self._priced: dict[tuple[ResolvedRate, str], _Priced] = {}
        # Pairs mostly share their rate days (only the firm-wide and their timekeeper's rows).
        self._days: dict[tuple[int, ...], list[date]] = {}

    def lookup(self) -> Callable[[int, int, Any], _Priced]:
        """``rate_on(matter_id, timekeeper_id, work_date)``; the date may be SQLite's ISO text."""
        timelines: dict[tuple[int, int], _Timeline] = {}
        days: dict[Any, date] = {}
        timeline_of = self._timeline

        def rate_on(matter_id: int, timekeeper_id: int, work_date: Any) -> _Priced:
            timeline = timelines.get((matter_id, timekeeper_id))
            if timeline is None:
                timeline = timelines[(matter_id, timekeeper_id)] = timeline_of(
                    matter_id, timekeeper_id
                )
            day = days.get(work_date)
            if day is None:
                day = days[work_date] = _as_date(work_date)
            starts, priced = timeline
            position = bisect_right(starts, day)
            rate = priced[position - 1] if position else None
            if rate is None:
                raise self._missing(matter_id, timekeeper_id, day)
            return rate

        return rate_on

    def _missing(self, matter_id: int, timekeeper_id: int, day: date) -> NoRateInForce:
        return NoRateInForce(
            f"no {self._matters[matter_id][1]} rate in force for timekeeper {timekeeper_id} "
            f"on matter {matter_id} on {day}; add one and run again (nothing was billed)",
            field="rate",
        )

    def _timeline(self, matter_id: int, timekeeper_id: int) -> _Timeline:
        client_id, currency = self._matters[matter_id]
        classification = self._classes[timekeeper_id]
        scopes = (
            self._starts.get((RateLevel.MATTER, matter_id), _NO_DAYS),
            self._starts.get((RateLevel.CLIENT, client_id), _NO_DAYS),
            self._starts.get((RateLevel.TIMEKEEPER, timekeeper_id), _NO_DAYS),
            self._starts.get((RateLevel.CLASSIFICATION, classification), _NO_DAYS),
        )
        key = tuple(map(id, scopes))  # the sets live as long as the run
        days = self._days.get(key)
        if days is None:
            days = self._days[key] = sorted(frozenset().union(*scopes))
        priced = []
        for day in days:
            resolved = self._book.resolve(
                RateQuery(day, matter_id, client_id, timekeeper_id, classification, currency)
            )
            priced.append(None if resolved is None else self._price(resolved, currency))
        return days, priced

    def _price(self, resolved: ResolvedRate, currency: str) -> _Priced:
        key = (resolved, currency)
        found = self._priced.get(key)
        if found is None:
            found = self._priced[key] = _Priced(
                resolved.amount, _scaled(resolved.amount, 4), resolved.source, currency, {}
            )
        return found


_NO_DAYS: frozenset[date] = frozenset()


def _rate_starts(rows: Sequence[RateRow]) -> dict[tuple[RateLevel, Any], frozenset[date]]:
    """Every day a rate takes effect, by the scope that decides whom it can apply to.

    A matter row can only apply to work on that matter, a client row to that client's matters,
    a timekeeper row to that timekeeper and a classification row to that classification, so the
    union of these for one (matter, timekeeper) holds every day on which its answer can change.
    """
    starts: dict[tuple[RateLevel, Any], set[date]] = defaultdict(set)
    scope_of: dict[RateLevel, Callable[[RateRow], Any]] = {
        RateLevel.MATTER: lambda row: row.matter_id,
        RateLevel.CLIENT: lambda row: row.client_id,
        RateLevel.TIMEKEEPER: lambda row: row.timekeeper_id,
        RateLevel.CLASSIFICATION: lambda row: row.classification,
    }
    for row in rows:
        starts[(row.level, scope_of[row.level](row))].add(row.effective_from)
    return {scope: frozenset(days) for scope, days in starts.items()}


def _bill_time(
    day: Any, prebill_of: dict[int, int], lines: _LineWriter, progress: Progress | None, total: int
) -> _IdRanges:
    rate_on = _Rates().lookup()
    billed = _IdRanges()
    select = f"SELECT id, matter_id, timekeeper_id, {_date_column('work_date')}, billed_minutes"
    if lines.vendor == "sqlite":
        for rows in _stream(f"{select} {_UNBILLED_TIME} ORDER BY id", [day]):
            priced = []
            for pk, matter_id, tk_id, work_date, minutes in rows:
                rate = rate_on(matter_id, tk_id, work_date)
                amount = rate.amounts.get(minutes)
                if amount is None:
                    amount = rate.amount(minutes)
                priced.append((pk, prebill_of[matter_id], rate.rate_scaled, rate.source, amount))
            lines.write_priced_time(priced)
            billed.add([row[0] for row in rows])
            if progress:
                progress(billed.count, total)
        lines.close()
        return billed
    for rows in _stream(
        f"{select}, narrative, task_code, activity_code, billable {_UNBILLED_TIME} ORDER BY id",
        [day],
    ):
        batch = []
        for pk, matter_id, tk_id, work_date, minutes, narrative, task, activity, billable in rows:
            rate = rate_on(matter_id, tk_id, work_date)
            amount = rate.amounts.get(minutes)
            if amount is None:
                amount = rate.amount(minutes)
            batch.append(
                (
                    prebill_of[matter_id], "time", pk, None, work_date, tk_id, narrative,
                    task, activity, "", minutes, None, rate.rate_scaled, rate.source, amount,
                    0, "", _treatment(billable),
                )
            )  # fmt: skip
        lines.write(batch)
        billed.add([row[0] for row in rows])
        if progress:
            progress(billed.count, total)
    return billed


def _bill_expenses(
    day: Any,
    prebill_of: dict[int, int],
    lines: _LineWriter,
    progress: Progress | None,
    total: int,
    done: int,
) -> _IdRanges:
    currency_of = {pk: currency for pk, (_, currency) in _matter_facts().items()}
    billed = _IdRanges()
    for rows in _stream(
        f"SELECT id, matter_id, timekeeper_id, {_date_column('date')}, expense_code, quantity, "
        f"unit_cost, description, billable {_UNBILLED_EXPENSES} ORDER BY id",
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
                    _treatment(billable),
                )
            )  # fmt: skip
        lines.write(batch)
        billed.add([row[0] for row in rows])
        if progress:
            progress(done + billed.count, total)
    return billed
