"""The Excel writer: numbers stay numbers with their formats, text stays text, totals add up."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lexbill.core.errors import LexbillError
from lexbill.formats.spreadsheet import (
    Column,
    ColumnType,
    Sheet,
    money_format,
    sheet_bytes,
    workbook_bytes,
)

COLUMNS = [
    Column("day", "Date", ColumnType.DATE),
    Column("payee", "Payee"),
    Column("count", "Items", ColumnType.INTEGER),
    Column("rate", "Rate", ColumnType.PERCENT),
    Column("amount", "Amount", ColumnType.MONEY),
]
ROWS = [
    {
        "day": date(2026, 3, 2),
        "payee": "Court clerk",
        "count": 2,
        "rate": "12.5",
        "amount": Decimal("1200.10"),
    },
    {
        "day": date(2026, 3, 9),
        "payee": '=HYPERLINK("http://x")',
        "count": 1,
        "rate": Decimal("0"),
        "amount": Decimal("-0.35"),
    },
    {"day": date(2026, 3, 10), "payee": "", "count": None, "rate": None, "amount": None},
]


def _open(content: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(content))


def _sheet(**more: object) -> Sheet:
    total = sum((r["amount"] for r in ROWS if r["amount"] is not None), Decimal(0))
    return Sheet(
        "March payments",
        COLUMNS,
        ROWS,
        totals={"amount": total},
        **more,  # type: ignore[arg-type]
    )


def test_money_is_a_number_with_the_currency_format_and_the_total_adds_up() -> None:
    ws = _open(sheet_bytes(_sheet())).active
    header = [c.value for c in ws[1]]
    assert header == [c.title for c in COLUMNS]
    amounts = [ws.cell(row=r, column=5) for r in range(2, 2 + len(ROWS))]
    for cell, row in zip(amounts, ROWS, strict=True):
        if row["amount"] is None:
            assert cell.value is None
        else:
            assert isinstance(cell.value, (int, float))
            assert Decimal(str(cell.value)) == row["amount"]
            assert cell.number_format == money_format("USD")
            assert "USD" in cell.number_format and "0.00" in cell.number_format
    total_row = 2 + len(ROWS)
    assert ws.cell(row=total_row, column=1).value == "Total"
    written = [Decimal(str(c.value)) for c in amounts if c.value is not None]
    assert Decimal(str(ws.cell(row=total_row, column=5).value)) == sum(written, Decimal(0))


def test_dates_integers_and_percents_are_typed_and_text_never_becomes_a_formula() -> None:
    ws = _open(sheet_bytes(_sheet())).active
    day = ws.cell(row=2, column=1)
    assert isinstance(day.value, datetime) and day.value.date() == ROWS[0]["day"]
    assert day.is_date
    assert ws.cell(row=2, column=3).value == ROWS[0]["count"]
    rate = ws.cell(row=2, column=4)
    assert Decimal(str(rate.value)) == Decimal(ROWS[0]["rate"]) / 100  # type: ignore[arg-type]
    assert rate.number_format.endswith("%")
    formula_like = ws.cell(row=3, column=2)
    assert formula_like.value == ROWS[1]["payee"]
    assert formula_like.data_type == "s"


def test_a_heading_moves_the_table_down_and_figures_and_notes_follow_it() -> None:
    heading = ["Trust journal", "From: 2026-03-01"]
    extra = [("Closing balance", Decimal("1199.75"), ColumnType.MONEY)]
    ws = _open(sheet_bytes(_sheet(heading=heading, extra=extra, notes=["a note"]))).active
    assert [ws.cell(row=i + 1, column=1).value for i in range(len(heading))] == heading
    header_row = len(heading) + 2
    assert ws.cell(row=header_row, column=1).value == "Date"
    assert ws.freeze_panes == f"A{header_row + 1}"
    values = [(c[0].value, c[1].value) for c in ws.iter_rows(min_col=1, max_col=2)]
    closing = next(v for label, v in values if label == "Closing balance")
    assert Decimal(str(closing)) == extra[0][1]
    assert ("a note", None) in values


def test_a_money_column_can_take_each_rows_currency() -> None:
    columns = [Column("amount", "Amount", ColumnType.MONEY, currency_key="cur")]
    rows = [{"amount": Decimal("5"), "cur": "JPY"}, {"amount": Decimal("5.25"), "cur": "EUR"}]
    ws = _open(sheet_bytes(Sheet("Mixed", columns, rows))).active
    assert ws.cell(row=2, column=1).number_format == money_format("JPY")
    assert "0.00" not in money_format("JPY")
    assert ws.cell(row=3, column=1).number_format == money_format("EUR")


def test_floats_and_unknown_currencies_are_refused() -> None:
    columns = [Column("amount", "Amount", ColumnType.MONEY)]
    with pytest.raises(LexbillError, match="float"):
        sheet_bytes(Sheet("Bad", columns, [{"amount": 0.1}]))
    with pytest.raises(LexbillError, match="currency"):
        sheet_bytes(Sheet("Bad", columns, [{"amount": Decimal(1)}], currency="XXX"))


def test_several_sheets_get_distinct_valid_names() -> None:
    long_name = "Trial balance: IOLTA / operating [2026]"
    book = _open(workbook_bytes([Sheet(long_name, COLUMNS, []), Sheet(long_name, COLUMNS, [])]))
    names = book.sheetnames
    assert len(set(names)) == 2
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
