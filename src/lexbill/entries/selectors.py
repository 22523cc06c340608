"""Read queries for the time and expense pages, shaped for a firm with millions of entries.

The list never counts or offsets through the whole table: pages are cut by keyset (the last
row's sort key and id), and the count stops at ``COUNT_CAP`` rows. Every sort is a prefix that an
existing index serves (``(matter, work_date)``, ``(timekeeper, work_date)``, the partial
``work_date`` index on unbilled work), with the primary key as the tie-break — SQLite keeps the
rowid at the end of every index, so the tie-break is free there.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from lexbill.clients.models import Matter
from lexbill.entries.models import Expense, TimeEntry
from lexbill.firm.models import Timekeeper
from lexbill.formats.utbms import CodeKind, UtbmsCode, codes_of

PAGE_SIZE = 50
COUNT_CAP = 1000
SEARCH_LIMIT = 20

# sort name -> the columns of the key, most significant first (the primary key is appended)
SORTS: dict[str, tuple[str, ...]] = {
    "date": ("work_date",),
    "timekeeper": ("timekeeper_id", "work_date"),
    "matter": ("matter_id", "work_date"),
    "hours": ("billed_minutes",),
}
SORT_LABELS = {"date": "Date", "timekeeper": "Timekeeper", "matter": "Matter", "hours": "Hours"}
# Expenses are a few percent of the time entries, so their sorts need no index of their own.
EXPENSE_SORTS: dict[str, tuple[str, ...]] = {
    "date": ("date",),
    "matter": ("matter_id", "date"),
    "code": ("expense_code", "date"),
}
EXPENSE_SORT_LABELS = {"date": "Date", "matter": "Matter", "code": "Code"}


@dataclass(frozen=True)
class TimeFilters:
    """The list's filters after parsing; empty values mean "any"."""

    matter: Matter | None = None
    timekeeper: Timekeeper | None = None
    date_from: date | None = None
    date_to: date | None = None
    state: str = ""
    task_code: str = ""
    sort: str = "date"
    descending: bool = True
    match_nothing: bool = False
    """Set when a filter names something that does not exist (an unknown matter number)."""


@dataclass(frozen=True)
class ExpenseFilters:
    matter: Matter | None = None
    timekeeper: Timekeeper | None = None
    date_from: date | None = None
    date_to: date | None = None
    state: str = ""
    expense_code: str = ""
    sort: str = "date"
    descending: bool = True
    match_nothing: bool = False


@dataclass
class Page:
    """One keyset page of a list, with cursors for the pages either side and a capped count."""

    rows: list[Any]
    next_cursor: str | None
    count: int
    count_capped: bool
    previous_cursor: str | None = None


def _filtered(
    qs: QuerySet[Any], filters: TimeFilters | ExpenseFilters, date_field: str, code: dict[str, str]
) -> QuerySet[Any]:
    """Filter on the foreign-key columns directly so no join is needed to narrow the rows."""
    if filters.match_nothing:
        return qs.none()
    if filters.matter is not None:
        qs = qs.filter(matter_id=filters.matter.pk)
    if filters.timekeeper is not None:
        qs = qs.filter(timekeeper_id=filters.timekeeper.pk)
    if filters.date_from is not None:
        qs = qs.filter(**{f"{date_field}__gte": filters.date_from})
    if filters.date_to is not None:
        qs = qs.filter(**{f"{date_field}__lte": filters.date_to})
    if filters.state:
        qs = qs.filter(state=filters.state)
    return qs.filter(**{name: value.strip().upper() for name, value in code.items() if value})


def filtered_time(filters: TimeFilters) -> QuerySet[TimeEntry]:
    return _filtered(
        TimeEntry.objects.all(), filters, "work_date", {"task_code": filters.task_code}
    )


def filtered_expenses(filters: ExpenseFilters) -> QuerySet[Expense]:
    return _filtered(Expense.objects.all(), filters, "date", {"expense_code": filters.expense_code})


def _encode(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_DATE_KEYS = {"work_date", "date"}
_TEXT_KEYS = {"expense_code"}


def _key_value(column: str, value: Any) -> Any:
    if column in _DATE_KEYS:
        return date.fromisoformat(value)
    if column in _TEXT_KEYS:
        if not isinstance(value, str):
            raise TypeError(column)
        return value
    return int(value)


def _decode(cursor: str, columns: Sequence[str]) -> list[Any] | None:
    """A cursor that does not parse (edited by hand, or from an older sort) starts at page one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(columns):
            return None
        return [_key_value(c, v) for c, v in zip(columns, values, strict=True)]
    except (ValueError, TypeError):
        return None


def _after(columns: Sequence[str], values: Sequence[Any], descending: bool) -> Q:
    """Rows strictly after ``values`` in the sort order, led by a range the index can seek.

    (a, b, id) > (x, y, z) is written as a >= x AND (a > x OR (b > y OR (b = y AND id > z)))…
    """
    op = "lt" if descending else "gt"
    op_eq = "lte" if descending else "gte"
    tail = Q(**{f"{columns[-1]}__{op}": values[-1]})
    for col, val in zip(reversed(columns[:-1]), reversed(values[:-1]), strict=True):
        tail = Q(**{f"{col}__{op}": val}) | (Q(**{col: val}) & tail)
    return Q(**{f"{columns[0]}__{op_eq}": values[0]}) & tail


def keyset_page(
    qs: QuerySet[Any],
    columns: Sequence[str],
    descending: bool,
    cursor: str = "",
    before: str = "",
    page_size: int = PAGE_SIZE,
    related: Sequence[str] = ("matter__client", "timekeeper"),
) -> Page:
    """``page_size`` rows after ``cursor`` (or, going back, just before ``before``) in the order
    of ``columns`` (the last one the primary key), plus a capped count.

    Keyset paging both ways: a page back is the same seek read in the opposite order and turned
    round, so the thousandth page costs what the first does, with no OFFSET scan.
    """
    backwards = bool(before) and not cursor
    reverse = descending != backwards
    ordered = qs.order_by(*[f"-{c}" if reverse else c for c in columns])
    values = _decode(before if backwards else cursor, columns) if (cursor or before) else None
    if values is not None:
        ordered = ordered.filter(_after(columns, values, reverse))
    # The keys first, from this table alone, then the rows with their joins: joined in one
    # query, SQLite may plan the join first and sort every matching row before cutting the page.
    keys = list(ordered.values_list(*columns)[: page_size + 1])
    more = len(keys) > page_size
    keys = keys[:page_size]
    if backwards:
        keys.reverse()
    by_pk = qs.select_related(*related).in_bulk([key[-1] for key in keys])
    rows = [by_pk[key[-1]] for key in keys]
    first = _encode(keys[0]) if keys else None
    last = _encode(keys[-1]) if keys else None
    if backwards:
        # came back from a page, so one follows; one precedes only if the seek found more
        next_cursor, previous_cursor = last, first if more else None
    else:
        next_cursor, previous_cursor = (last if more else None), (first if values else None)
    count = qs[: COUNT_CAP + 1].count()
    return Page(rows, next_cursor, min(count, COUNT_CAP), count > COUNT_CAP, previous_cursor)


def time_page(
    filters: TimeFilters, cursor: str = "", page_size: int = PAGE_SIZE, *, before: str = ""
) -> Page:
    columns = (*SORTS.get(filters.sort, SORTS["date"]), "id")
    qs = filtered_time(filters)
    return keyset_page(qs, columns, filters.descending, cursor, before, page_size)


def expense_page(filters: ExpenseFilters, cursor: str = "", before: str = "") -> Page:
    columns = (*EXPENSE_SORTS.get(filters.sort, EXPENSE_SORTS["date"]), "id")
    qs = filtered_expenses(filters)
    return keyset_page(qs, columns, filters.descending, cursor, before)


def search_matters(query: str, limit: int = SEARCH_LIMIT) -> list[Matter]:
    """Open matters whose number or name, or whose client's number or name, starts with the text.

    Prefix matches first (they use the unique and name indexes); words inside names are found
    too, as a second, slower step only when the first did not fill the list.
    """
    text = query.strip()
    if not text:
        return []
    base = Matter.objects.filter(status=Matter.Status.OPEN).select_related("client")
    found = list(
        base.filter(
            Q(number__istartswith=text)
            | Q(client__number__istartswith=text)
            | Q(client__name__istartswith=text)
            | Q(name__istartswith=text)
        ).order_by("number")[:limit]
    )
    if len(found) < limit and len(text) >= 3:
        more = base.filter(Q(name__icontains=text) | Q(client__name__icontains=text)).exclude(
            pk__in=[m.pk for m in found]
        )
        found += list(more.order_by("number")[: limit - len(found)])
    return found


def search_codes(
    kind: CodeKind, query: str, limit: int = SEARCH_LIMIT, code_set: str = ""
) -> list[UtbmsCode]:
    """Codes by code prefix first, then by a word of the description; from one code set only
    when ``code_set`` names it (a matter billed under one)."""
    text = query.strip().upper()
    codes = [c for c in codes_of(kind) if not code_set or c.code_set == code_set]
    if not text:
        return codes[:limit]
    by_code = [c for c in codes if c.code.startswith(text)]
    by_text = [c for c in codes if text in c.description.upper() and c not in by_code]
    return (by_code + by_text)[:limit]


def timekeepers() -> QuerySet[Timekeeper]:
    return Timekeeper.objects.filter(active=True).order_by("code")
