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

import contextlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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


_FONTS = {
    "bold": Font(bold=True),
    "title": Font(bold=True, size=13),
    "italic": Font(italic=True),
    "note": Font(italic=True, color="555555"),
}
_BORDERS = {
    "rule": Border(top=Side(style="thin"), bottom=Side(style="double")),  # totals
    "under": Border(bottom=Side(style="thin")),  # column titles
}
EXCEL_MAX_ROWS = 1_048_576  # lines in one Excel worksheet
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


class _Cells:
    """Makes the cells of one write-only worksheet, fast.

    A styled cell is a copy of a template cell made once per (type, currency): setting a
    number format or a font on each of millions of cells goes through openpyxl's style
    registry every time, a copy of the template's style array does not. Values that need no
    style (most text) are handed to openpyxl as they are.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self._styles: dict[tuple[str, str, str, bool], Any] = {}

    def _style(self, number_format: str, font: str, border: str, right: bool) -> Any:
        """The style array of a template cell with this look (openpyxl copies it per cell)."""
        key = (number_format, font, border, right)
        style = self._styles.get(key)
        if style is None:
            cell = WriteOnlyCell(self.ws)
            if number_format:
                cell.number_format = number_format
            if font:
                cell.font = _FONTS[font]
            if border:
                cell.border = _BORDERS[border]
            if right:
                cell.alignment = Alignment(horizontal="right")
            style = self._styles[key] = cell._style  # type: ignore[attr-defined]
        return style

    def styled(self, value: Any, number_format: str = "", font: str = "", border: str = "") -> Cell:
        style = self._style(number_format, font, border, False)
        # row and column are set by openpyxl as it writes the row; it needs some to start with
        return Cell(self.ws, row=1, column=1, value=value, style_array=style)

    def text(self, value: Any, font: str = "", border: str = "", right: bool = False) -> Any:
        """Text stored as text: never a formula, whatever it starts with."""
        text = str(value)
        if not font and not border and not text.startswith("="):
            return text
        style = self._style("", font, border, right)
        cell = Cell(self.ws, row=1, column=1, style_array=style)
        cell.value = text
        cell.data_type = "s"
        return cell

    def value(
        self,
        value: Any,
        column: Column,
        currency: str,
        kind: ColumnType | None = None,
        font: str = "",
        border: str = "",
    ) -> Any:
        """The cell for ``value`` in ``column`` (or written as ``kind``); None for no value."""
        kind = kind or column.type
        if value is None or value == "":
            return self.styled(None, "", font, border) if font or border else None
        if kind == ColumnType.MONEY:
            return self.styled(_number(value, column), money_format(currency), font, border)
        if kind == ColumnType.INTEGER:
            return self.styled(int(_number(value, column)), "0", font, border)
        if kind == ColumnType.DECIMAL:
            return self.styled(_number(value, column), "#,##0.00", font, border)
        if kind == ColumnType.PERCENT:
            return self.styled(_number(value, column) / 100, percent_format(), font, border)
        if kind == ColumnType.DATETIME:
            if not isinstance(value, datetime):
                raise LexbillError(f"{value!r} is not a date and time", field=column.key)
            # Excel has no time zones: the local time
            return self.styled(value.replace(tzinfo=None), _DATETIME_FORMAT, font, border)
        if kind == ColumnType.DATE:
            if isinstance(value, datetime) or not isinstance(value, date):
                raise LexbillError(f"{value!r} is not a date", field=column.key)
            return self.styled(value, _DATE_FORMAT, font, border)
        return self.text(value, font, border)


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


def _tail_lines(sheet: Sheet) -> int:
    """Lines written after the table's rows: totals, extra figures, notes and their gaps."""
    totals = (1 if sheet.totals is not None else 0) + len(sheet.totals_rows)
    extra = len(sheet.extra) + 1 if sheet.extra else 0
    notes = len(sheet.notes) + 1 if sheet.notes else 0
    return totals + extra + notes


def _start(book: Workbook, sheet: Sheet, title: str, taken: set[str]) -> tuple[Any, _Cells, int]:
    """A new worksheet with the sheet's heading and column titles; returns it, its cell maker
    and the number of its header row."""
    ws = book.create_sheet(_safe_title(title, taken))
    for c, column in enumerate(sheet.columns, start=1):  # widths go before the first row
        ws.column_dimensions[get_column_letter(c)].width = column.width or _WIDTHS[column.type]
    header_row = len(sheet.heading) + (2 if sheet.heading else 1)
    if sheet.columns:  # the sheet's view is written with its first row, so it goes first
        ws.freeze_panes = f"A{header_row + 1}"
    cells = _Cells(ws)
    for i, text in enumerate(sheet.heading):
        ws.append([cells.text(text, font="title" if i == 0 else "italic")])
    if sheet.heading:
        ws.append([])
    ws.append(
        [
            cells.text(column.title, "bold", "under", right=column.type != ColumnType.TEXT)
            for column in sheet.columns
        ]
    )
    return ws, cells, header_row


def _fill(book: Workbook, sheet: Sheet, taken: set[str], max_rows: int) -> None:
    """Write ``sheet`` as one worksheet, or as several when its rows pass ``max_rows`` lines
    (Excel's limit): each continuation repeats the heading and the column titles, and only
    the last carries the totals, the extra figures and the notes."""
    tail = _tail_lines(sheet)
    ws, cells, header_row = _start(book, sheet, sheet.title, taken)
    room = max_rows - header_row - tail
    if room < 1:
        raise LexbillError(f"sheet {sheet.title!r}: no room for rows under {max_rows} lines")
    line, part = header_row, 1
    currency_keys = [c.currency_key for c in sheet.columns]
    for row in sheet.rows:
        if line - header_row >= room:
            _close_table(ws, sheet, header_row, line)
            part += 1
            ws, cells, header_row = _start(book, sheet, f"{sheet.title} ({part})", taken)
            line = header_row
        mapping = isinstance(row, Mapping)
        values = []
        for c, column in enumerate(sheet.columns):
            currency = sheet.currency
            key = currency_keys[c]
            if key and mapping:
                currency = row.get(key) or sheet.currency  # type: ignore[union-attr]
            values.append(cells.value(_value_of(row, c, column), column, currency))
        ws.append(values)
        line += 1
    _close_table(ws, sheet, header_row, line)
    totals_rows = ([sheet.totals] if sheet.totals is not None else []) + list(sheet.totals_rows)
    for totals in totals_rows:
        values = []
        for c, column in enumerate(sheet.columns, start=1):
            total = totals.get(column.key)
            kind = column.type
            if c == 1 and total is None:
                total, kind = sheet.totals_label, ColumnType.TEXT
            currency = sheet.currency
            if column.currency_key:
                currency = totals.get(column.currency_key) or sheet.currency
            values.append(cells.value(total, column, currency, kind, font="bold", border="rule"))
        ws.append(values)
    if sheet.extra:
        ws.append([])
        for label, value, kind in sheet.extra:
            column = Column(str(label), str(label), kind)
            ws.append([cells.text(label, font="bold"), cells.value(value, column, sheet.currency)])
    if sheet.notes:
        ws.append([])
        for note in sheet.notes:
            ws.append([cells.text(note, font="note")])


def _close_table(ws: Any, sheet: Sheet, header_row: int, last_row: int) -> None:
    """The filter over the table's rows (written at the sheet's end, so it can come last)."""
    if sheet.columns and last_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(sheet.columns))}{last_row}"


def workbook_bytes(sheets: Sequence[Sheet], max_rows: int = EXCEL_MAX_ROWS) -> bytes:
    """An ``.xlsx`` file with one worksheet per ``Sheet``, in order (a sheet whose rows pass
    ``max_rows`` lines goes on as "Title (2)", …).

    Written in openpyxl's write-only mode: each row goes to the file as it is read, so a
    million-row extract streams from the database to the zip without ever being held as a
    million rows of cell objects (the workbook model took ~9 GB and 87 s for a year's audit
    extract; bench/REPORTS.md has the figures).
    """
    if not sheets:
        raise LexbillError("a workbook needs at least one sheet")
    book = Workbook(write_only=True)
    taken: set[str] = set()
    try:
        for sheet in sheets:
            _fill(book, sheet, taken, max_rows)
    except BaseException:
        # a refused value mid-sheet: finish the half-written sheets' streams (and their
        # temporary files) now, not when the collector finds them
        for ws in book.worksheets:
            with contextlib.suppress(Exception):
                ws.close()
        raise
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_bytes(sheet: Sheet, max_rows: int = EXCEL_MAX_ROWS) -> bytes:
    """A one-sheet workbook: what most report downloads are."""
    return workbook_bytes([sheet], max_rows)
