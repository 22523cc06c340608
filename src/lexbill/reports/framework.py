"""What a report is: a request in (period, filters, grouping), a ``Report`` out.

Every standard report is a function ``build(request) -> Report``, registered once with a
``ReportSpec``. The page, the Excel/CSV/PDF downloads, ``lexbill report NAME`` and the JSON all
print the same ``Report``, so they can never disagree: the figures are computed once (in SQL,
by the report's module) and only formatted afterwards.

Money is never added across currencies: a table with money columns carries a ``currency`` key
per row, and its totals are one row per currency. Charts are a display of a table's figures
(Chart.js draws them); they hold no figure the tables do not.

No Django here, so the shapes are cheap to test and to reuse (the API will serve them too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from lexbill.core.periods import Period
from lexbill.formats.spreadsheet import Column, ColumnType

T = ColumnType


@dataclass(frozen=True)
class ReportFilters:
    """Who and what a report is narrowed to; each is a tuple of numbers/codes, empty = all.

    ``attorneys`` are responsible attorneys of matters (timekeeper codes); ``timekeepers`` are the
    people who did the work. A report applies each filter where it means something (a write-off
    has no timekeeper, so the timekeeper filter leaves write-offs out of a write-off report).
    """

    clients: tuple[str, ...] = ()
    matters: tuple[str, ...] = ()
    attorneys: tuple[str, ...] = ()
    timekeepers: tuple[str, ...] = ()
    practice_areas: tuple[str, ...] = ()

    def as_json(self) -> dict[str, list[str]]:
        return {key: list(value) for key, value in self.__dict__.items() if value}

    def describe(self) -> list[tuple[str, str]]:
        """(label, value) pairs for a heading: only the filters that are set."""
        labels = {
            "clients": "Client",
            "matters": "Matter",
            "attorneys": "Responsible attorney",
            "timekeepers": "Timekeeper",
            "practice_areas": "Practice area",
        }
        return [(labels[key], ", ".join(value)) for key, value in self.__dict__.items() if value]

    @property
    def empty(self) -> bool:
        return not any(self.__dict__.values())


@dataclass(frozen=True)
class ReportRequest:
    period: Period
    filters: ReportFilters = ReportFilters()
    group_by: str = ""  # one of the spec's ``groupings``; "" = the spec's first
    as_of: date | None = None  # for point-in-time figures (aging); defaults to period.end

    @property
    def on(self) -> date:
        return self.as_of or self.period.end


@dataclass
class Table:
    """A table of the report: rows are mappings by column key; ``totals`` one row per currency
    (each with its ``currency`` key) or a single row when the table holds no money."""

    key: str
    title: str
    columns: list[Column]
    rows: Sequence[dict[str, Any]]  # a list, or rows read lazily (the audit extract's million)
    totals: list[dict[str, Any]] = field(default_factory=list)
    link_key: str = ""  # a row key holding a URL to drill down to, if any
    page_rows: int = 0  # >0: the page shows only the first N rows; downloads hold them all

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def total(self, key: str, currency: str | None = None) -> Any:
        """A total by column key (and currency): what tests compare with the Excel sheet."""
        for row in self.totals:
            if currency is None or row.get("currency") == currency:
                return row.get(key)
        return None


@dataclass(frozen=True)
class Dataset:
    label: str
    values: Sequence[Decimal | int | None]
    kind: str = ""  # "" = the chart's kind; "line" over a bar chart, for instance
    axis: str = ""  # "" = the left axis; "right" for a second scale (percentages)


@dataclass(frozen=True)
class Chart:
    """A chart of figures the report already has; ``kind`` is a Chart.js type."""

    key: str
    title: str
    kind: str  # "bar", "line", "doughnut", "pie"
    labels: Sequence[str]
    datasets: Sequence[Dataset]
    stacked: bool = False
    horizontal: bool = False
    unit: str = ""  # axis title: "USD", "hours", "%", "days"

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "labels": list(self.labels),
            "datasets": [
                {
                    "label": d.label,
                    "values": [_plain(v) for v in d.values],
                    "kind": d.kind,
                    "axis": d.axis,
                }
                for d in self.datasets
            ],
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Figure:
    """A headline number above the tables (e.g. "Realization 87.5 %", "DSO 41 days")."""

    key: str
    label: str
    value: Decimal | int | str | None
    type: ColumnType = ColumnType.MONEY
    currency: str = ""
    note: str = ""


@dataclass
class Report:
    name: str
    title: str
    request: ReportRequest
    tables: list[Table]
    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def figure(self, key: str, currency: str = "") -> Figure:
        return next(
            f for f in self.figures if f.key == key and (not currency or f.currency == currency)
        )

    def as_json(self) -> dict[str, Any]:
        """Machine-readable: dates ISO, money as strings (exact), percentages as strings."""
        req = self.request
        return {
            "report": self.name,
            "title": self.title,
            "period": {
                "from": req.period.start.isoformat(),
                "to": req.period.end.isoformat(),
                "label": req.period.label,
            },
            "as_of": req.on.isoformat(),
            "group_by": req.group_by,
            "filters": req.filters.as_json(),
            "figures": [
                {
                    "key": f.key,
                    "label": f.label,
                    "value": _plain(f.value),
                    "type": str(f.type),
                    **({"currency": f.currency} if f.currency else {}),
                }
                for f in self.figures
            ],
            "tables": [
                {
                    "key": t.key,
                    "title": t.title,
                    "columns": [
                        {"key": c.key, "title": c.title, "type": str(c.type)} for c in t.columns
                    ],
                    "rows": [_json_row(r) for r in t.rows],
                    "totals": [_json_row(r) for r in t.totals],
                }
                for t in self.tables
            ],
            "charts": [c.as_json() for c in self.charts],
            "notes": self.notes,
        }


@dataclass(frozen=True)
class ReportSpec:
    """A report the firm can run: its name in URLs and on the command line, and how to build it.

    ``groupings`` are the row groupings offered (the first is the default), as (key, label).
    ``point_in_time`` reports (aging) read ``request.on`` as well as the period.
    """

    name: str
    title: str
    description: str
    build: Callable[[ReportRequest], Report]
    groupings: Sequence[tuple[str, str]] = ()
    point_in_time: bool = False

    def grouping(self, value: str) -> str:
        keys = [key for key, _ in self.groupings]
        if not value:
            return keys[0] if keys else ""
        if value not in keys:
            from lexbill.core.errors import LexbillError

            raise LexbillError(
                f"{self.name} groups by {', '.join(keys) or 'nothing'}, not {value!r}",
                field="by",
            )
        return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in row.items() if not key.startswith("_")}


def totals_by_currency(
    rows: Iterable[Mapping[str, Any]], money_keys: Sequence[str]
) -> list[dict[str, Any]]:
    """The totals rows of a table: one per currency, in currency order, each of ``money_keys``
    summed over the rows of that currency (amounts are never added across currencies), with
    blank ``key`` and ``name`` so the page, CSV and Excel label it "Total".

    Sums keep the rows' own types (Decimal amounts, integer counts or cents). A report adds
    its own extras afterwards: the billed report's distinct invoice count, realization's
    percentages.
    """
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        currency = row["currency"]
        total = totals.get(currency)
        if total is None:
            total = totals[currency] = {"key": "", "name": "", "currency": currency}
            total.update((k, row[k]) for k in money_keys)
            continue
        for k in money_keys:
            total[k] += row[k]
    return [totals[c] for c in sorted(totals)]


def percent(part: Decimal | int, whole: Decimal | int, places: int = 1) -> Decimal | None:
    """``part`` as a percentage of ``whole``, rounded half-up to ``places``; None if whole is 0.

    The one rounding rule for every percentage in the reports (realization, utilization,
    budget used), so two reports showing the same ratio show the same digits.
    """
    from decimal import ROUND_HALF_UP

    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )
