"""The Excel writer for reports mixing currencies: hours as DECIMAL numbers, and one totals row
per currency, each money cell formatted in its own row's currency."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from lexbill.formats.spreadsheet import Column, ColumnType, Sheet, money_format, sheet_bytes

COLUMNS = [
    Column("who", "Timekeeper"),
    Column("currency", "Currency"),
    Column("hours", "Hours", ColumnType.DECIMAL),
    Column("amount", "Amount", ColumnType.MONEY, currency_key="currency"),
]
ROWS = [
    {"who": "PW", "currency": "USD", "hours": Decimal("1.25"), "amount": Decimal("625.00")},
    {"who": "AL", "currency": "EUR", "hours": Decimal("0.1"), "amount": Decimal("40.00")},
    {"who": "PJ", "currency": "JPY", "hours": Decimal("3"), "amount": Decimal("45000")},
    {"who": "AL", "currency": "USD", "hours": Decimal("2.333"), "amount": Decimal("-0.35")},
]


def _open(content: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(content))


def _totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One totals row per currency, in order of first appearance (plain Python)."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        t = out.setdefault(
            row["currency"], {"currency": row["currency"], "hours": Decimal(0), "amount": 0}
        )
        t["hours"] += row["hours"]
        t["amount"] += row["amount"]
    return list(out.values())


def _sheet(rows: list[dict[str, Any]]) -> Sheet:
    totals = _totals(rows)
    return Sheet("By timekeeper", COLUMNS, rows, totals=totals[0], totals_rows=totals[1:])


def _number(cell: Any) -> Decimal:
    assert isinstance(cell.value, (int, float)), f"{cell.coordinate} holds {cell.value!r}"
    return Decimal(str(cell.value))


def test_decimal_columns_are_numbers_with_two_places_and_no_currency() -> None:
    ws = _open(sheet_bytes(_sheet(ROWS))).active
    for r, row in enumerate(ROWS, start=2):
        cell = ws.cell(row=r, column=3)
        assert _number(cell) == row["hours"]
        assert cell.number_format == "#,##0.00"
        assert not any(code in cell.number_format for code in ("USD", "EUR", "JPY"))


def test_each_row_and_each_totals_row_takes_its_own_currency() -> None:
    ws = _open(sheet_bytes(_sheet(ROWS))).active
    for r, row in enumerate(ROWS, start=2):
        amount = ws.cell(row=r, column=4)
        assert _number(amount) == row["amount"]
        assert amount.number_format == money_format(str(row["currency"]))
    totals = _totals(ROWS)
    first_total = 2 + len(ROWS)
    for r, total in enumerate(totals, start=first_total):
        assert ws.cell(row=r, column=1).value == "Total"
        assert ws.cell(row=r, column=2).value == total["currency"]
        assert _number(ws.cell(row=r, column=3)) == total["hours"]
        amount = ws.cell(row=r, column=4)
        assert _number(amount) == total["amount"]
        assert amount.number_format == money_format(total["currency"])
        assert amount.font.bold
    assert ws.cell(row=first_total + len(totals), column=1).value is None


def test_totals_rows_stay_out_of_the_autofilter() -> None:
    ws = _open(sheet_bytes(_sheet(ROWS))).active
    assert ws.auto_filter.ref == f"A1:D{1 + len(ROWS)}"


def test_a_totals_rows_own_first_column_value_replaces_the_label() -> None:
    totals = [{"who": "All USD", "currency": "USD", "amount": Decimal("1")}]
    ws = _open(sheet_bytes(Sheet("T", COLUMNS, [], totals_rows=totals))).active
    assert ws.cell(row=2, column=1).value == "All USD"
    assert ws.cell(row=2, column=3).value is None


rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "who": st.sampled_from(["PW", "AL", "PJ", "=SUM(A1)"]),
            "currency": st.sampled_from(["USD", "EUR", "JPY"]),
            "hours": st.decimals(min_value=0, max_value=10_000, places=2),
            "amount": st.integers(min_value=-(10**9), max_value=10**9),
        }
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(rows_strategy)
def test_the_totals_rows_add_up_the_rows_of_their_currency(rows: list[dict[str, Any]]) -> None:
    for row in rows:  # whole minor units of each currency
        row["amount"] = Decimal(row["amount"]).scaleb(-2 if row["currency"] != "JPY" else 0)
    ws = _open(sheet_bytes(_sheet(rows))).active
    written: dict[str, Decimal] = {}
    for r in range(2, 2 + len(rows)):
        currency = ws.cell(row=r, column=2).value
        written[currency] = written.get(currency, Decimal(0)) + _number(ws.cell(row=r, column=4))
        assert ws.cell(row=r, column=1).data_type == "s"
    for r in range(2 + len(rows), 2 + len(rows) + len(written)):
        currency = ws.cell(row=r, column=2).value
        assert _number(ws.cell(row=r, column=4)) == written.pop(currency)
    assert not written
