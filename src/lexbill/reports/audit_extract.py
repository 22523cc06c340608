"""The audit extract: every billing change in a period, for the firm's auditors.

One row per audit record (who, when, through which channel, what record, what changed from
what to what), oldest first, with a count by model and action and a chart of changes per day.
The page shows the first ``PAGE_ROWS`` rows with a note; Excel, CSV, PDF and JSON hold all.

No filter applies: an audit record names a model and an id, not a client or a timekeeper, and
an extract narrowed by a guess could silently leave out a change the auditors must see. A
filter is therefore refused with a message rather than ignored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, overload

from django.db import connection
from django.db.models import CharField, Count, QuerySet
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from lexbill.audit.models import AuditRecord
from lexbill.core.errors import LexbillError
from lexbill.formats.spreadsheet import Column
from lexbill.reports.framework import (
    Chart,
    Dataset,
    Figure,
    Report,
    ReportRequest,
    ReportSpec,
    T,
    Table,
)
from lexbill.reports.registry import register

NAME = "audit"
PAGE_ROWS = 500
MAX_VALUE = 80  # characters of one before/after value in the changes text


def _bounds(request: ReportRequest) -> tuple[datetime, datetime]:
    """The period's days as aware datetimes in the firm's time zone: [start, end + 1 day)."""
    tz = timezone.get_current_timezone()
    p = request.period
    start = timezone.make_aware(datetime.combine(p.start, time.min), tz)
    end = timezone.make_aware(datetime.combine(p.end + timedelta(days=1), time.min), tz)
    return start, end


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def changes_text(before: Any, after: Any) -> str:
    """``field: old → new; …`` for the fields that differ (a create shows only new values)."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    parts = []
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and old[key] == new[key]:
            continue
        if key not in old:
            parts.append(f"{key}: {_value(new[key])}")
        elif key not in new:
            parts.append(f"{key}: {_value(old[key])} → ∅")
        else:
            parts.append(f"{key}: {_value(old[key])} → {_value(new[key])}")
    return "; ".join(parts)


_FIELDS = (
    "at",
    "actor_name",
    "channel",
    "action",
    "model",
    "object_id",
    "summary",
    "before",
    "after",
)


def _row(record: tuple[Any, ...], tz: tzinfo | None = None) -> dict[str, Any]:
    """One record as a row; ``tz`` the firm's time zone when the caller has it already (a
    million lookups of the current zone cost a download seconds)."""
    at, actor_name, channel, action, model, object_id, summary, before, after = record
    return {
        "at": timezone.localtime(at, tz or timezone.get_current_timezone()),
        "who": actor_name or "system",
        "channel": channel,
        "action": action,
        "record": f"{model}#{object_id}" if object_id else model,
        "summary": summary,
        "changes": changes_text(before, after),
    }


class RecordRows(Sequence[dict[str, Any]]):
    """The extract's rows, read from the database only when asked for.

    A year can hold a million records: building them all would take the report far past its
    two seconds, and the page shows only the first few hundred anyway (one LIMIT query). The
    downloads iterate every row, streamed in chunks, oldest first.
    """

    def __init__(self, records: QuerySet[AuditRecord], count: int | None = None) -> None:
        self._records = records.order_by("at", "id").values_list(*_FIELDS)
        self._count = count  # known already (the summary's total): no second scan

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._records.count()
        return self._count

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            rows = [_row(r) for r in self._records[start:stop]] if stop > start else []
            return rows[::step]
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        return _row(self._records[position])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        tz = timezone.get_current_timezone()
        for record in self._records.iterator(chunk_size=5000):
            yield _row(record, tz)


def build(request: ReportRequest) -> Report:
    if not request.filters.empty:
        raise LexbillError(
            "the audit extract lists every billing change and takes no client, matter, "
            "attorney, timekeeper or practice area filter",
            field="filters",
        )
    request = replace(request, group_by="")
    start, end = _bounds(request)
    records = AuditRecord.objects.filter(at__gte=start, at__lt=end)
    counts = _counts(records, request)
    by_model: dict[tuple[str, str], int] = defaultdict(int)
    for _day, model, action, n in counts:
        by_model[(model, action)] += n
    total = sum(by_model.values())
    table = Table(
        key="audit",
        title="Billing changes",
        columns=[
            Column("at", "When", T.DATETIME),
            Column("who", "Who"),
            Column("channel", "Channel"),
            Column("action", "Action"),
            Column("record", "Record"),
            Column("summary", "Summary"),
            Column("changes", "Changes (before → after)", width=60),
        ],
        rows=RecordRows(records, total),
        totals=[],
        page_rows=PAGE_ROWS,
    )
    summary = Table(
        key="audit-summary",
        title="Changes by record type and action",
        columns=[
            Column("model", "Record type"),
            Column("action", "Action"),
            Column("n", "Changes", T.INTEGER),
        ],
        rows=[
            {"model": model, "action": action, "n": n}
            for (model, action), n in sorted(by_model.items())
        ],
        totals=[{"model": "", "action": "", "n": total}] if by_model else [],
    )
    return Report(
        name=NAME,
        title="Audit extract",
        request=request,
        tables=[summary, table],
        figures=[Figure("changes", "Changes", total, T.INTEGER)],
        charts=_chart(counts),
        notes=[
            "Every change to billing records in the period, oldest first, as recorded when it "
            "was made. Times are in the firm's time zone. No filters apply.",
            f"The page shows the first {PAGE_ROWS} changes; Excel, CSV, PDF and JSON hold all.",
        ],
    )


def _counts(
    records: QuerySet[AuditRecord], request: ReportRequest
) -> list[tuple[date, str, str, int]]:
    """(local day, model, action, count), in one grouped scan: the summary table and the chart
    are both sums of it. PostgreSQL truncates to the day in SQL; SQLite's TruncDate is a Python
    function called per row (seconds on a million records), so there the records are grouped by
    their stored UTC hour (plain text, in C) and each hour is dated in Python: exact for every
    time zone whose offsets over the period are whole hours (otherwise TruncDate is used)."""
    grouped = records.order_by()
    if connection.vendor != "sqlite" or not _whole_hour_offsets(request):
        return list(
            grouped.annotate(day=TruncDate("at"))
            .values_list("day", "model", "action")
            .annotate(n=Count("pk"))
        )
    days: dict[str, date] = {}
    counts: dict[tuple[date, str, str], int] = defaultdict(int)
    for hour, model, action, n in (
        grouped.annotate(hour=Substr("at", 1, 13, output_field=CharField()))
        .values_list("hour", "model", "action")
        .annotate(n=Count("pk"))
    ):
        day = days.get(hour)
        if day is None:
            utc = datetime.fromisoformat(f"{hour}:00:00").replace(tzinfo=UTC)
            day = days[hour] = timezone.localtime(utc).date()
        counts[(day, model, action)] += n
    return [(day, model, action, n) for (day, model, action), n in counts.items()]


def _whole_hour_offsets(request: ReportRequest) -> bool:
    tz = timezone.get_current_timezone()
    day, end = request.period.start, request.period.end
    while day <= end:
        offset = tz.utcoffset(datetime.combine(day, time(12)))
        if offset is None or offset.total_seconds() % 3600:
            return False
        day += timedelta(days=1)
    return True


def _chart(counts: list[tuple[date, str, str, int]]) -> list[Chart]:
    per_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    actions: set[str] = set()
    for day, _model, action, n in counts:
        per_day[day.isoformat()][action] += n
        actions.add(action)
    if not per_day:
        return []
    days = sorted(per_day)
    return [
        Chart(
            key="per-day",
            title="Changes per day",
            kind="bar",
            labels=days,
            datasets=[
                Dataset(action, [per_day[d].get(action, 0) for d in days])
                for action in sorted(actions)
            ],
            stacked=True,
            unit="changes",
        )
    ]


SPEC = register(
    ReportSpec(
        name=NAME,
        title="Audit extract",
        description="Every billing change in the period: who, when, through which channel, "
        "what record and what changed, for the auditors.",
        build=build,
        groupings=(),
    )
)
