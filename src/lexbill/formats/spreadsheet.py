"""Excel workbooks for reports: typed columns in, ``.xlsx`` bytes out (openpyxl, no Django).

A report handed to an accountant must add up in Excel, so every figure is written as a number
with a number format, never as text: money gets a format with its currency code and the
currency's decimals, dates are real dates, integers and percents are numbers too. Text is
always stored as text, even when it starts with ``=`` (a payee named "=HYPERLINK(…)" must not
become a formula in the bookkeeper's copy).

Any report can use it: describe the columns, give the rows as mappings (or sequences in column
order) and an optional totals row, and call :func:`workbook_bytes`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lexbill.core.errors import LexbillError
from lexbill.core.money import minor_unit_places


class ColumnType(StrEnum):
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    MONEY = "money"
    INTEGER = "integer"
    DECIMAL = "decimal"  # hours, days: a number with two decimals, no currency
    PERCENT = "percent"  # values in percent points: 12.5 is written as 0.125 shown "12.50%"


@dataclass(frozen=True)
class Column:
    """One column: ``key`` finds the value in a row mapping; ``type`` decides how it is stored.

    A money column's currency is ``currency_key``'s value in the row when given (a report
    mixing currencies), else the sheet's ``currency``.
    """

    key: str
    title: str
    type: ColumnType = ColumnType.TEXT
    width: int | None = None
    currency_key: str | None = None


Row = Mapping[str, Any] | Sequence[Any]


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a few heading lines, the table, an optional totals row, then notes."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Row]
    totals: Mapping[str, Any] | None = None
    totals_label: str = "Total"
    totals_rows: Sequence[Mapping[str, Any]] = ()
    """More totals rows after ``totals``: one per currency in a report that mixes currencies
    (each row's money takes its currency from the column's ``currency_key``)."""
    currency: str = "USD"
    heading: Sequence[str] = ()
    notes: Sequence[str] = ()
    extra: Sequence[tuple[str, Any, ColumnType]] = field(default_factory=tuple)
    """Label/value pairs printed under the table (opening and closing balances, …)."""


_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_RULE = Border(top=Side(style="thin"), bottom=Side(style="double"))
_UNDERLINE = Border(bottom=Side(style="thin"))
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_WIDTHS = {
    ColumnType.TEXT: 24,
    ColumnType.DATE: 12,
    ColumnType.DATETIME: 17,
    ColumnType.MONEY: 16,
    ColumnType.INTEGER: 9,
    ColumnType.PERCENT: 10,
    ColumnType.DECIMAL: 12,
}
# Excel's limit on a sheet name, and the characters it refuses in one.
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = set("[]:*?/\\")


def money_format(currency: str) -> str:
    """``"USD" #,##0.00`` with the currency's decimals; negatives with a minus, in red."""
    places = minor_unit_places(currency)
    digits = "#,##0" + ("." + "0" * places if places else "")
    code = f'"{currency}" '
    return f"{code}{digits};[Red]{code}-{digits}"


def percent_format(places: int = 2) -> str:
    return "0" + ("." + "0" * places if places else "") + "%"


def _number(value: Any, column: Column) -> Decimal | int:
    if isinstance(value, float):
        raise LexbillError(
            f"column {column.title!r}: {value!r} is a float; pass a Decimal", field=column.key
        )
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise LexbillError(f"column {column.title!r}: {value!r} is not a number", field=column.key)
    try:
        return Decimal(value) if isinstance(value, str) else value
    except ArithmeticError as error:
        raise LexbillError(
            f"column {column.title!r}: {value!r} is not a number", field=column.key
        ) from error


def _value_of(row: Row, index: int, column: Column) -> Any:
    if isinstance(row, Mapping):
        return row.get(column.key)
    return row[index] if index < len(row) else None


def _write(
    ws: Worksheet,
    row_no: int,
    col_no: int,
    value: Any,
    column: Column,
    currency: str,
    kind: ColumnType | None = None,
) -> Any:
    cell = ws.cell(row=row_no, column=col_no)
    if value is None or value == "":
        return cell
    kind = kind or column.type
    if kind == ColumnType.MONEY:
        cell.value = _number(value, column)
        cell.number_format = money_format(currency)
    elif kind == ColumnType.INTEGER:
        number = _number(value, column)
        cell.value = int(number)
        cell.number_format = "0"
    elif kind == ColumnType.DECIMAL:
        cell.value = _number(value, column)
        cell.number_format = "#,##0.00"
    elif kind == ColumnType.PERCENT:
        cell.value = _number(value, column) / 100
        cell.number_format = percent_format()
    elif kind == ColumnType.DATETIME:
        if not isinstance(value, datetime):
            raise LexbillError(f"{value!r} is not a date and time", field=column.key)
        cell.value = value.replace(tzinfo=None)  # Excel has no time zones: the local time
        cell.number_format = _DATETIME_FORMAT
    elif kind == ColumnType.DATE:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise LexbillError(f"{value!r} is not a date", field=column.key)
        cell.value = value
        cell.number_format = _DATE_FORMAT
    else:
        cell.value = str(value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


def _safe_title(title: str, taken: set[str]) -> str:
    name = "".join("-" if ch in _SHEET_NAME_BAD else ch for ch in title).strip() or "Sheet"
    name = name[:_SHEET_NAME_MAX]
    candidate, n = name, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate = name[: _SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    taken.add(candidate.casefold())
    return candidate


def _fill(ws: Worksheet, sheet: Sheet) -> None:
    line = 1
    for i, text in enumerate(sheet.heading):
        cell = ws.cell(row=line, column=1, value=str(text))
        cell.data_type = "s"
        cell.font = _TITLE if i == 0 else Font(italic=True)
        line += 1
    if sheet.heading:
        line += 1
    header_row = line
    for c, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=header_row, column=c, value=column.title)
        cell.data_type = "s"
        cell.font = _BOLD
        cell.border = _UNDERLINE
        if column.type != ColumnType.TEXT:
            cell.alignment = Alignment(horizontal="right")
        ws.column_dimensions[get_column_letter(c)].width = column.width or _WIDTHS[column.type]
    line = header_row + 1
    for row in sheet.rows:
        for c, column in enumerate(sheet.columns, start=1):
            currency = sheet.currency
            if column.currency_key and isinstance(row, Mapping):
                currency = row.get(column.currency_key) or sheet.currency
            _write(ws, line, c, _value_of(row, c - 1, column), column, currency)
        line += 1
    last_data_row = line - 1
    totals_rows = ([sheet.totals] if sheet.totals is not None else []) + list(sheet.totals_rows)
    for totals in totals_rows:
        for c, column in enumerate(sheet.columns, start=1):
            total = totals.get(column.key)
            kind = column.type
            if c == 1 and total is None:
                total, kind = sheet.totals_label, ColumnType.TEXT
            currency = sheet.currency
            if column.currency_key:
                currency = totals.get(column.currency_key) or sheet.currency
            written = _write(ws, line, c, total, column, currency, kind)
            written.font = _BOLD
            written.border = _RULE
        line += 1
    if sheet.columns:
        ws.freeze_panes = f"A{header_row + 1}"
        if last_data_row > header_row:
            last = get_column_letter(len(sheet.columns))
            ws.auto_filter.ref = f"A{header_row}:{last}{last_data_row}"
    if sheet.extra:
        line += 1
        for label, value, kind in sheet.extra:
            label_cell = ws.cell(row=line, column=1, value=str(label))
            label_cell.data_type = "s"
            label_cell.font = _BOLD
            _write(ws, line, 2, value, Column(str(label), str(label), kind), sheet.currency)
            line += 1
    if sheet.notes:
        line += 1
        for note in sheet.notes:
            cell = ws.cell(row=line, column=1, value=str(note))
            cell.data_type = "s"
            cell.font = Font(italic=True, color="555555")
            line += 1


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An ``.xlsx`` file with one worksheet per ``Sheet``, in order."""
    if not sheets:
        raise LexbillError("a workbook needs at least one sheet")
    book = Workbook()
    taken: set[str] = set()
    first = book.active
    assert first is not None
    for i, sheet in enumerate(sheets):
        ws = first if i == 0 else book.create_sheet()
        ws.title = _safe_title(sheet.title, taken)
        _fill(ws, sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_bytes(sheet: Sheet) -> bytes:
    """A one-sheet workbook: what most report downloads are."""
    return workbook_bytes([sheet])
