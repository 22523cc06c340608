"""The streaming Excel writer: a table longer than a worksheet goes on in further sheets, each
with the heading and column titles again, the totals only under the last; styles survive."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from lexbill.core.errors import LexbillError
from lexbill.formats.spreadsheet import Column, ColumnType, Sheet, money_format, sheet_bytes

COLUMNS = [
    Column("who", "Who"),
    Column("currency", "Currency"),
    Column("amount", "Amount", ColumnType.MONEY, currency_key="currency"),
]


def _rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "who": f"=row {i}" if i % 7 == 0 else f"row {i}",
            "currency": "JPY" if i % 3 == 0 else "USD",
            "amount": Decimal(i * 3) if i % 3 == 0 else Decimal(i) / 4,
        }
        for i in range(n)
    ]


def _totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, Decimal] = {}
    for row in rows:
        out[row["currency"]] = out.get(row["currency"], Decimal(0)) + row["amount"]
    return [{"currency": c, "amount": a} for c, a in sorted(out.items())]


def _sheet(rows: list[dict[str, Any]]) -> Sheet:
    totals = _totals(rows)
    return Sheet(
        "Ledger: 2026",
        COLUMNS,
        rows,
        totals=totals[0] if totals else None,
        totals_rows=totals[1:],
        heading=["Ledger", "Period: 2026"],
        notes=["a note"],
    )


@pytest.mark.parametrize("count", [0, 1, 13, 14, 40])
def test_rows_past_the_limit_continue_on_further_sheets(count: int) -> None:
    max_rows = 20
    rows = _rows(count)
    book = load_workbook(io.BytesIO(sheet_bytes(_sheet(rows), max_rows=max_rows)))
    tail = len(_totals(rows)) + 2  # the totals rows, a gap, the note
    per_sheet = max_rows - 4 - tail  # the titles on row 4: two heading lines and a gap above
    expected_sheets = max(1, -(-count // per_sheet))
    assert len(book.worksheets) == expected_sheets
    read: list[tuple[Any, ...]] = []
    for n, ws in enumerate(book.worksheets, start=1):
        assert ws.title == ("Ledger- 2026" if n == 1 else f"Ledger- 2026 ({n})")
        assert ws.max_row <= max_rows
        assert [ws.cell(row=i, column=1).value for i in (1, 2)] == ["Ledger", "Period: 2026"]
        assert [c.value for c in ws[4]] == [c.title for c in COLUMNS]
        assert ws.cell(row=4, column=1).font.bold
        assert ws.freeze_panes == "A5"
        last = n == expected_sheets
        data = list(ws.iter_rows(min_row=5, max_row=ws.max_row))
        if last:
            data = data[: len(data) - tail]
        else:
            assert len(data) == per_sheet
        if data:
            assert ws.auto_filter.ref == f"A4:C{4 + len(data)}"
        for cells in data:
            who, currency, amount = cells
            assert who.data_type == "s"  # "=row 7" is text, not a formula
            assert amount.number_format == money_format(currency.value)
            read.append((who.value, currency.value, Decimal(str(amount.value))))
    assert read == [(r["who"], r["currency"], r["amount"]) for r in rows]
    last_ws = book.worksheets[-1]
    values = [tuple(c.value for c in r) for r in last_ws.iter_rows()]
    totals = [v for v in values if v[0] == "Total"]
    assert [(t[1], Decimal(str(t[2]))) for t in totals] == [
        (t["currency"], t["amount"]) for t in _totals(rows)
    ]
    for ws in book.worksheets[:-1]:
        assert all(row[0].value != "Total" for row in ws.iter_rows())
    assert values[-1] == ("a note", None, None)


def test_a_limit_leaving_no_room_for_rows_is_refused() -> None:
    with pytest.raises(LexbillError, match="no room"):
        sheet_bytes(_sheet(_rows(3)), max_rows=7)


def test_a_refused_value_mid_sheet_is_an_error_not_a_broken_file() -> None:
    rows: list[dict[str, Any]] = [*_rows(5), {"who": "x", "currency": "USD", "amount": 0.5}]
    with pytest.raises(LexbillError, match="float"):
        sheet_bytes(Sheet("T", COLUMNS, rows))
