"""Time entries: the import that must take a million rows at 50,000 a second.

The rules are those of ``entries.services`` (open matter, UTBMS codes known and in the matter's
code set, a rate in force for billable work, at most 24 hours per timekeeper and day counting
what is already recorded, the firm's increment and rounding for billed minutes), applied with
everything preloaded: matters and timekeepers as plain tuples, the first priced day per key
from the rate table, each distinct code once through the service's own ``_check_code`` and
``_check_code_set``, what was recorded per day once per distinct day.

Writing is set-based: every 10,000 checked rows are written in multi-row ``INSERT … VALUES``
statements of a hundred rows, in storage form, on the import's connection and transaction
(a writer thread was tried: the GIL serialises parameter binding, so it gained nothing). On
SQLite a large import into a smaller table drops the time-entry indexes at the start of the
transaction and recreates them, from their stored definitions, before it commits: seven
B-trees built by sorting once are faster than a million random inserts into each, and a
rollback brings the old ones back untouched.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Sum

from lexbill.billing.rates import rate_rows
from lexbill.clients.models import Matter
from lexbill.core.errors import LexbillError
from lexbill.core.increments import billed_minutes
from lexbill.core.rates import RateLevel, RateRow
from lexbill.entries.models import Billable, BillingState, TimeEntry
from lexbill.entries.services import DAY_SECONDS, _check_code, _check_code_set, _check_matter_open
from lexbill.formats.import_fields import Problem
from lexbill.formats.utbms import CodeKind
from lexbill.imports.importers import Importer

REBUILD_MIN_ROWS = 50_000
"""Below this many rows, inserting into the live indexes is cheaper than rebuilding them."""
ROWS_PER_INSERT = 100

_BILLABLE = str(Billable.BILLABLE)
_NON_BILLABLE = str(Billable.NON_BILLABLE)
_UNBILLED = str(BillingState.UNBILLED)
_OPEN = str(Matter.Status.OPEN)
_TASK = CodeKind.TASK
_ACTIVITY = CodeKind.ACTIVITY
_UNKNOWN: Any = object()
_COLUMNS = (
    "matter",
    "timekeeper",
    "work_date",
    "duration_seconds",
    "billed_minutes",
    "narrative",
    "task_code",
    "activity_code",
    "billable",
    "state",
    "created_at",
    "created_by",
)


class PricedFrom:
    """The first day on which any rate could price a timekeeper's work on a matter.

    ``RateBook.resolve`` answers *which* rate; an import only asks *whether* one is in force,
    and a rate in force stays in force (rows are superseded, never ended), so per key only the
    earliest ``effective_from`` counts. Keyed like the rate book's six lookups: matter or client
    by timekeeper or classification, the timekeeper's standard rate, the firm's rate for the
    classification, each in the matter's currency.
    """

    def __init__(self, rows: Sequence[RateRow]) -> None:
        scoped: dict[tuple[Any, ...], date] = {}
        keeper: dict[tuple[Any, ...], date] = {}
        for row in rows:
            who = row.timekeeper_id if row.timekeeper_id is not None else row.classification
            if row.level == RateLevel.MATTER:
                key: tuple[Any, ...] = ("m", row.matter_id, who, row.currency)
                target = scoped
            elif row.level == RateLevel.CLIENT:
                key = ("c", row.client_id, who, row.currency)
                target = scoped
            else:
                key = (who, row.currency)
                target = keeper
            if key not in target or row.effective_from < target[key]:
                target[key] = row.effective_from
        self.scoped = scoped
        self.keeper = keeper
        self.scoped_matters = {k[1] for k in scoped if k[0] == "m"}
        self.scoped_clients = {k[1] for k in scoped if k[0] == "c"}
        self.by_keeper: dict[tuple[int, str], date | None] = {}
        self.by_pair: dict[tuple[int, int], date | None] = {}

    def keeper_start(self, keeper_id: int, classification: str, currency: str) -> date | None:
        key = (keeper_id, currency)
        try:
            return self.by_keeper[key]
        except KeyError:
            pass
        days = [
            d
            for d in (
                self.keeper.get((keeper_id, currency)),
                self.keeper.get((classification, currency)),
            )
            if d is not None
        ]
        start = min(days) if days else None
        self.by_keeper[key] = start
        return start

    def start(
        self, matter_id: int, client_id: int, keeper_id: int, classification: str, currency: str
    ) -> date | None:
        base = self.keeper_start(keeper_id, classification, currency)
        if matter_id not in self.scoped_matters and client_id not in self.scoped_clients:
            return base
        pair = (matter_id, keeper_id)
        try:
            return self.by_pair[pair]
        except KeyError:
            pass
        days = [] if base is None else [base]
        for scope, scope_id in (("m", matter_id), ("c", client_id)):
            for who in (keeper_id, classification):
                found = self.scoped.get((scope, scope_id, who, currency))
                if found is not None:
                    days.append(found)
        start = min(days) if days else None
        if len(self.by_pair) >= 100_000:
            self.by_pair.clear()
        self.by_pair[pair] = start
        return start


class _Writer:
    """Rows in storage form, ``ROWS_PER_INSERT`` to one multi-row ``INSERT … VALUES``.

    On the driver's own cursor (the import's connection and transaction): one statement per
    hundred rows instead of ``executemany``'s one per row halves the cost of writing on SQLite,
    where each statement also checks its foreign keys and advances the id sequence.
    """

    def __init__(self, table: str, columns: Sequence[str]) -> None:
        connection.ensure_connection()
        self.cursor = connection.connection.cursor()
        mark = "?" if connection.vendor == "sqlite" else "%s"
        self.prefix = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        self.one = "(" + ", ".join([mark] * len(columns)) + ")"
        self.full = self.prefix + ", ".join([self.one] * ROWS_PER_INSERT)

    def put(self, rows: list[tuple[Any, ...]]) -> None:
        whole = len(rows) - len(rows) % ROWS_PER_INSERT
        execute = self.cursor.execute
        flat = itertools.chain.from_iterable
        for start in range(0, whole, ROWS_PER_INSERT):
            execute(self.full, list(flat(rows[start : start + ROWS_PER_INSERT])))
        if whole < len(rows):
            rest = rows[whole:]
            execute(self.prefix + ", ".join([self.one] * len(rest)), list(flat(rest)))

    def close(self) -> None:
        self.cursor.close()


class TimeImporter(Importer):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.matter_objects: dict[str, Matter] = {}
        self.matters = {
            number: (pk, client_id, currency, code_set, status == _OPEN)
            for number, pk, client_id, currency, code_set, status in Matter.objects.values_list(
                "number", "pk", "client_id", "currency", "task_code_set", "status"
            )
        }
        self.keepers: dict[str, tuple[int, str, str]] = {}
        for keeper in _keepers():
            self.keepers.setdefault(keeper[2], keeper)
            self.keepers.setdefault(keeper[2].upper(), keeper)
        self.priced = PricedFrom(rate_rows())
        self.day_seconds: dict[tuple[int, date], int] = {}
        self.days_loaded: set[date] = set()
        self.all_days_loaded = False
        self.seen: dict[int, int] = {}
        self.allow_duplicates = self.reader.options.allow_duplicates
        self.task_checks: dict[str, dict[str, str | None]] = {}
        self.activity_checks: dict[str, str | None] = {}
        self.minutes: dict[int, int] = {}
        self.dates: dict[date, Any] = {}
        self.buffer: list[tuple[Any, ...]] = []
        self.billed_total = 0
        self.increment = self.firm.increment_minutes
        self.rounding = self.firm.rounding
        self.created_at = connection.ops.adapt_datetimefield_value(self.now)
        self.writer: _Writer | None = None
        self.dropped_indexes: list[str] = []
        meta = TimeEntry._meta
        names = [str(getattr(meta.get_field(name), "column", name)) for name in _COLUMNS]
        self.table = meta.db_table
        self.columns = names

    # --- checks -------------------------------------------------------------------------------

    def _matter(self, number: str) -> Matter:
        """The model object, for the service's own checks; loaded on first need only."""
        found = self.matter_objects.get(number)
        if found is None:
            found = self.matter_objects[number] = Matter.objects.get(number=number)
        return found

    def _code_problem(self, code: str, kind: CodeKind, name: str, number: str) -> str | None:
        """The service's own code rules (``check`` remembers the answer per code and set)."""
        try:
            checked = _check_code(code, kind, name, None)
            if kind == CodeKind.TASK:
                _check_code_set(checked, self._matter(number), None)
        except LexbillError as exc:
            return exc.message
        return None

    def _recorded(self, day: date) -> None:
        """What timekeepers already recorded that day, once per distinct day of the file."""
        self.days_loaded.add(day)
        for keeper_id, seconds in (
            TimeEntry.objects.filter(work_date=day)
            .values_list("timekeeper_id")
            .annotate(s=Sum("duration_seconds"))
            .values_list("timekeeper_id", "s")
        ):
            key = (keeper_id, day)
            self.day_seconds[key] = self.day_seconds.get(key, 0) + int(seconds or 0)

    def _all_recorded(self) -> None:
        """Every day's totals in one grouped query, before the indexes a per-day query would
        need are dropped; days already loaded keep what they have."""
        for keeper_id, day, seconds in (
            TimeEntry.objects.values_list("timekeeper_id", "work_date")
            .annotate(s=Sum("duration_seconds"))
            .values_list("timekeeper_id", "work_date", "s")
        ):
            if day not in self.days_loaded:
                key = (keeper_id, day)
                self.day_seconds[key] = self.day_seconds.get(key, 0) + int(seconds or 0)
        self.all_days_loaded = True

    def check(self, row: int, values: list[Any]) -> None:
        number, code, day, hours, minutes, task, activity, narrative, billable = values
        before = self.problems.count
        seconds = hours if hours is not None else minutes
        matter = self.matters.get(number)
        keeper = self.keepers.get(code)
        if matter is None or keeper is None or not matter[4]:
            self._refuse_reference(row, number, code, matter, keeper)
            if matter is None or keeper is None:
                self._check_codes_and_duration(row, number, matter, task, activity, seconds)
                return
        matter_id, client_id, currency, code_set, _open = matter
        if task:
            checks = self.task_checks.get(code_set)
            if checks is None:
                checks = self.task_checks[code_set] = {}
            message = checks.get(task, _UNKNOWN)
            if message is _UNKNOWN:
                message = checks[task] = self._code_problem(task, _TASK, "task_code", number)
            if message is not None:
                self.problem(row, "task_code", message)
        if activity:
            message = self.activity_checks.get(activity, _UNKNOWN)
            if message is _UNKNOWN:
                message = self.activity_checks[activity] = self._code_problem(
                    activity, _ACTIVITY, "activity_code", number
                )
            if message is not None:
                self.problem(row, "activity_code", message)
        if not 0 < seconds <= DAY_SECONDS:
            self.problem(
                row,
                "hours",
                "duration must be more than zero"
                if seconds <= 0
                else "duration is more than 24 hours",
            )
        keeper_id, classification, keeper_code = keeper
        if billable is None:
            billable = _BILLABLE
        if billable != _NON_BILLABLE:
            priced = self.priced
            if matter_id in priced.scoped_matters or client_id in priced.scoped_clients:
                start = priced.start(matter_id, client_id, keeper_id, classification, currency)
            else:
                start = priced.keeper_start(keeper_id, classification, currency)
            if start is None or day < start:
                self.problem(
                    row,
                    "timekeeper",
                    f"no rate is in force for {keeper_code} on matter {number} on {day}",
                )
        if self.problems.count > before:
            return
        if day not in self.days_loaded and not self.all_days_loaded:
            self._recorded(day)
        key = (keeper_id, day)
        total = self.day_seconds.get(key, 0) + seconds
        self.day_seconds[key] = total
        if total > DAY_SECONDS:
            self.problem(row, "hours", f"{keeper_code} would have more than 24 hours on {day}")
            return
        if narrative[0] <= " " or narrative[-1] <= " ":
            narrative = narrative.strip()
        if not self.allow_duplicates:
            digest = hash((matter_id, keeper_id, day, seconds, narrative, task, activity, billable))
            earlier = self.seen.get(digest)
            if earlier is not None:
                self.problems.add(
                    Problem(
                        row,
                        "",
                        f"the same entry as row {earlier} (matter, timekeeper, date, duration, "
                        "codes and narrative); if both are real, allow duplicates",
                    )
                )
                return
            self.seen[digest] = row
        billed = self.minutes.get(seconds)
        if billed is None:
            billed = self.minutes[seconds] = billed_minutes(seconds, self.increment, self.rounding)
        self.billed_total += billed
        self.created += 1
        if self.write:
            stored_day = self.dates.get(day)
            if stored_day is None:
                stored_day = self.dates[day] = connection.ops.adapt_datefield_value(day)
            self.buffer.append(
                (
                    matter_id,
                    keeper_id,
                    stored_day,
                    seconds,
                    billed,
                    narrative,
                    task or "",
                    activity or "",
                    billable,
                    _UNBILLED,
                    self.created_at,
                    self.actor_id,
                )
            )

    def check_references(self, row: int, values: Sequence[Any]) -> None:
        number, code, _day, _hours, _minutes, task, activity, _narrative, _billable = values
        matter = self.matters.get(number) if number else None
        keeper = self.keepers.get(code) if code else None
        if number and matter is None:
            self.problem(row, "matter", f"unknown matter {number!r}")
        if code and keeper is None:
            self.problem(row, "timekeeper", f"unknown timekeeper {code!r}")
        if matter is not None:
            if task and (message := self._code_problem(task, _TASK, "task_code", number)):
                self.problem(row, "task_code", message)
            if activity and (
                message := self._code_problem(activity, _ACTIVITY, "activity_code", number)
            ):
                self.problem(row, "activity_code", message)

    def _refuse_reference(
        self,
        row: int,
        number: str,
        code: str,
        matter: tuple[Any, ...] | None,
        keeper: tuple[int, str, str] | None,
    ) -> None:
        if matter is None:
            self.problem(row, "matter", f"unknown matter {number!r}")
        elif not matter[4]:
            try:
                _check_matter_open(self._matter(number), row)
            except LexbillError as exc:
                self.problem(row, "matter", exc.message)
        if keeper is None:
            self.problem(row, "timekeeper", f"unknown timekeeper {code!r}")

    def _check_codes_and_duration(
        self,
        row: int,
        number: str,
        matter: tuple[Any, ...] | None,
        task: str | None,
        activity: str | None,
        seconds: int,
    ) -> None:
        """The rest of a row whose matter or timekeeper is unknown, so all its problems show."""
        if matter is not None:
            if task and (message := self._code_problem(task, _TASK, "task_code", number)):
                self.problem(row, "task_code", message)
            if activity and (
                message := self._code_problem(activity, _ACTIVITY, "activity_code", number)
            ):
                self.problem(row, "activity_code", message)
        if not 0 < seconds <= DAY_SECONDS:
            self.problem(
                row,
                "hours",
                "duration must be more than zero"
                if seconds <= 0
                else "duration is more than 24 hours",
            )

    # --- writing ------------------------------------------------------------------------------

    def _start_writing(self, expected_rows: int) -> None:
        if connection.vendor == "sqlite" and expected_rows >= REBUILD_MIN_ROWS:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {self.table}")
                existing = int(cursor.fetchone()[0])
            if expected_rows * 2 >= existing:
                self._all_recorded()
                self._drop_indexes()
        self.writer = _Writer(self.table, self.columns)

    def _drop_indexes(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL ORDER BY name",
                [self.table],
            )
            found = cursor.fetchall()
            for name, _sql in found:
                cursor.execute(f'DROP INDEX "{name}"')
        self.dropped_indexes = [sql for _name, sql in found]

    def flush(self, expected_rows: int = 0) -> None:
        if not self.buffer:
            return
        if self.problems.count or not self.write:
            self.buffer.clear()
            return
        if self.writer is None:
            self._start_writing(expected_rows)
        assert self.writer is not None
        self.writer.put(self.buffer)
        self.buffer = []

    def finish(self) -> None:
        self.flush()
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.close()
        if self.dropped_indexes and not self.problems.count:
            with connection.cursor() as cursor, _sorting_room(cursor):
                for sql in self.dropped_indexes:
                    cursor.execute(sql)
            self.dropped_indexes = []

    def close(self) -> None:
        """Also after an error; the rollback restores any dropped index."""
        if self.writer is not None:
            writer, self.writer = self.writer, None
            # the original error is what propagates, not a failure to close a cursor
            with contextlib.suppress(Exception):
                writer.close()

    def counts(self) -> dict[str, Any]:
        hours = Decimal(self.billed_total) / Decimal(60)
        return {"time": self.created, "billed_hours": f"{hours.quantize(Decimal('0.01'))}"}


SORT_CACHE_KIB = 65536


@contextlib.contextmanager
def _sorting_room(cursor: Any) -> Iterator[None]:
    """A larger page cache for SQLite's sorter while the indexes are built (as large as the
    bill run's, ``billing.bill_run.SQLITE_RUN_CACHE_KIB``), then the connection's own again.
    Sorter threads (``PRAGMA threads``) were tried: no faster on two shared cores, and each
    thread sorts in memory of its own."""
    cursor.execute("PRAGMA cache_size")
    cache = int(cursor.fetchone()[0])
    cursor.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {cache}")


def _keepers() -> list[tuple[int, str, str]]:
    from lexbill.firm.models import Timekeeper

    return list(Timekeeper.objects.values_list("pk", "classification", "code"))
