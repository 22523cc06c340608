"""The same tables as the archive, as one Excel workbook: a sheet per table, for reading.

openpyxl's write-only mode streams each row to the file, so a million time entries never sit in
memory. Numbers are numbers (money as its decimal value with a 0.00 format), dates and moments
are Excel dates (moments in UTC: Excel has no time zones), JSON is its text. A sheet holds at most
1,048,575 rows under its header; a longer table continues on "time entries (2)", and so on. The
first sheet, "contents", lists every sheet with its table and row count.

Excel is a view, not the archive: a cell holds at most 32,767 characters (longer text is cut and
marked) and control characters Excel refuses are dropped. Restores use the CSV archive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from lexbill.exports.archive import (
    ExportProgress,
    SilentProgress,
    count_rows,
    read_rows,
    snapshot,
)
from lexbill.exports.codec import Kind, canonical_json
from lexbill.exports.tables import Column, TableSpec, exported_tables

SHEET_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
CELL_CHARS = 32_767
CUT_MARK = " […cut: see the CSV archive]"
_TITLE_CHARS = 31
_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class SheetInfo:
    title: str
    table: str
    model: str
    rows: int


def _text(value: Any) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > CELL_CHARS:
        text = text[: CELL_CHARS - len(CUT_MARK)] + CUT_MARK
    return text


def _moment(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


_Cell = Callable[[Any], Any]


def _cell_maker(column: Column, sheet: WriteOnlyWorksheet) -> _Cell:
    """How one column's database value becomes a cell value (or a styled cell) on ``sheet``."""
    kind = column.kind
    if kind is Kind.FIXED:
        places = column.places
        styled = WriteOnlyCell(sheet)
        styled.number_format = "#,##0." + "0" * places if places else "#,##0"

        def money(value: Any) -> Any:
            if value is None:
                return None
            styled.value = Decimal(int(value)).scaleb(-places)
            return styled

        return money
    if kind is Kind.DATETIME or kind is Kind.DATE:
        fmt = "yyyy-mm-dd hh:mm:ss" if kind is Kind.DATETIME else "yyyy-mm-dd"
        dated = WriteOnlyCell(sheet)
        dated.number_format = fmt

        def day(value: Any) -> Any:
            if value is None:
                return None
            dated.value = _moment(value) if isinstance(value, datetime) else value
            return dated

        return day
    if kind is Kind.TEXT:
        literal = WriteOnlyCell(sheet)

        def text(value: Any) -> Any:
            if value is None:
                return None
            cleaned = _text(value)
            if cleaned.startswith("="):  # text, never a formula
                literal.value = cleaned
                literal.data_type = "s"
                return literal
            return cleaned

        return text
    if kind is Kind.JSON:
        return lambda v: None if v is None else _text(canonical_json(v))
    if kind in (Kind.INTEGER, Kind.BOOLEAN, Kind.FLOAT):
        return lambda v: v
    if kind is Kind.DECIMAL:
        return lambda v: None if v is None else Decimal(v)
    return lambda v: None if v is None else _text(v)


def _titles(specs: list[TableSpec]) -> dict[str, str]:
    """A unique sheet title per table: its plural name ("time entries"), or with the app in
    front when two apps use the same name."""
    plain = {s.table: s.title.translate(_FORBIDDEN).strip() or s.table for s in specs}
    seen: dict[str, int] = {}
    for title in plain.values():
        seen[title.lower()] = seen.get(title.lower(), 0) + 1
    return {
        s.table: (
            plain[s.table]
            if seen[plain[s.table].lower()] == 1
            else f"{s.model._meta.app_label} {plain[s.table]}"
        )
        for s in specs
    }


def _sheet_title(base: str, part: int, used: set[str]) -> str:
    suffix = f" ({part})" if part > 1 else ""
    title = base[: _TITLE_CHARS - len(suffix)].rstrip() + suffix
    n = 2
    while title.lower() in used:  # two long names cut to the same 31 characters
        tag = f"~{n}"
        title = base[: _TITLE_CHARS - len(suffix) - len(tag)].rstrip() + tag + suffix
        n += 1
    used.add(title.lower())
    return title


def write_workbook(
    target: str | IO[bytes],
    *,
    progress: ExportProgress | None = None,
    tables: list[TableSpec] | None = None,
    sheet_rows: int = SHEET_ROWS,
) -> list[SheetInfo]:
    """Write every table to ``target`` as .xlsx; returns the sheets written, in order."""
    progress = progress or SilentProgress()
    specs = tables if tables is not None else exported_tables()
    book = Workbook(write_only=True)
    contents = book.create_sheet("contents")
    used = {"contents"}
    titles = _titles(specs)
    sheets: list[SheetInfo] = []
    bold = Font(bold=True)

    def header(sheet: WriteOnlyWorksheet, names: list[str]) -> None:
        cells = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    with snapshot():
        for spec in specs:
            progress.start(spec, count_rows(spec))
            part = 1
            sheet = book.create_sheet(_sheet_title(titles[spec.table], part, used))
            makers = [_cell_maker(c, sheet) for c in spec.columns]
            header(sheet, spec.column_names)
            on_sheet = 0
            for chunk in read_rows(spec):
                for row in chunk:
                    if on_sheet == sheet_rows:
                        sheets.append(SheetInfo(sheet.title, spec.table, spec.label, on_sheet))
                        part += 1
                        sheet = book.create_sheet(_sheet_title(titles[spec.table], part, used))
                        makers = [_cell_maker(c, sheet) for c in spec.columns]
                        header(sheet, spec.column_names)
                        on_sheet = 0
                    sheet.append([make(v) for make, v in zip(makers, row, strict=True)])
                    on_sheet += 1
                progress.advance(len(chunk))
            sheets.append(SheetInfo(sheet.title, spec.table, spec.label, on_sheet))
    header(contents, ["sheet", "table", "model", "rows"])
    for info in sheets:
        contents.append([info.title, info.table, info.model, info.rows])
    contents.append([])
    contents.append([f"written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; moments are in UTC"])
    book.save(target)
    return sheets


def excel_date(value: date | datetime) -> date | datetime:
    """What a date or moment of the database reads as in the workbook (tests compare with it)."""
    return _moment(value) if isinstance(value, datetime) else value
