"""The shared totals row of the reports, and the Excel export of a lazily read table."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, overload

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from lexbill.core.periods import Period
from lexbill.formats.spreadsheet import Column, ColumnType
from lexbill.reports import exports
from lexbill.reports.framework import Report, ReportRequest, Table, totals_by_currency

_ROW = st.fixed_dictionaries(
    {
        "key": st.text(max_size=3),
        "name": st.text(max_size=3),
        "currency": st.sampled_from(["USD", "EUR", "JPY"]),
        "fees": st.decimals(min_value=-(10**6), max_value=10**6, places=2),
        "hours": st.integers(min_value=0, max_value=10**4),
    }
)


@given(st.lists(_ROW, max_size=30))
def test_one_row_per_currency_summing_only_its_own_rows(rows: list[dict[str, Any]]) -> None:
    totals = totals_by_currency(rows, ("fees", "hours"))
    currencies = sorted({r["currency"] for r in rows})
    assert [t["currency"] for t in totals] == currencies
    for t in totals:
        mine = [r for r in rows if r["currency"] == t["currency"]]
        assert t["fees"] == sum((r["fees"] for r in mine), Decimal(0))
        assert t["hours"] == sum(r["hours"] for r in mine)
        assert isinstance(t["hours"], int)
        assert (t["key"], t["name"]) == ("", "")
    for r in rows:  # the rows are left as they were
        assert set(r) == {"key", "name", "currency", "fees", "hours"}


class _Once(Sequence[dict[str, Any]]):
    """Rows that may be read only once, as a million-row extract is streamed."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.reads = 0

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        raise AssertionError("the export indexes the rows instead of streaming them")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.reads += 1
        return iter(self.rows)


def test_the_excel_export_reads_a_lazy_table_once() -> None:
    data = [{"at": f"r{i}", "n": i} for i in range(50)]
    rows = _Once(data)
    table = Table(
        key="t",
        title="Lazy",
        columns=[Column("at", "At"), Column("n", "N", ColumnType.INTEGER)],
        rows=rows,
    )
    request = ReportRequest(Period(date(2026, 1, 1), date(2026, 1, 31)))
    report = Report(name="lazy", title="Lazy", request=request, tables=[table])
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(report)))
    assert rows.reads == 1
    ws = book["Lazy"]
    written = [r for r in ws.iter_rows(values_only=True) if r and r[0] and str(r[0])[:1] == "r"]
    assert written == [(d["at"], d["n"]) for d in data]
