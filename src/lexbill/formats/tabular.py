"""Reading CSV and Excel files as streams of rows, for importing a firm's data (no Django).

Firms arrive with exports from another billing system and with spreadsheets typed by hand, so
the reader is forgiving about *how* a file is written and strict about *what* it says:

* CSV in UTF-8 (with or without a byte-order mark) or Windows-1252, found per line as the file
  streams by. A file whose lines disagree (a UTF-8 export with rows pasted from a Windows
  spreadsheet) is refused with the row where the second encoding appears, because guessing
  would silently turn "Müller" into "MÃ¼ller" in a million narratives.
* The delimiter (comma, semicolon, tab, pipe) is taken from the header line.
* Excel ``.xlsx`` through openpyxl in read-only mode, so a large sheet streams too. Cell values
  are turned into the text a person would type (a date cell becomes ``2026-03-02``, a number
  its shortest decimal form), so CSV and Excel go through the same validators.

Rows are numbered as a spreadsheet shows them (the header is row 1), and a row whose cells run
out before the header's (a file cut off in transfer) is reported as such.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from lexbill.core.errors import LexbillError

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t", "|")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


class TableError(LexbillError):
    """The file cannot be read on as a table at all: every later row would be suspect."""


@dataclass
class ReadState:
    """What the reader learnt while streaming: encoding, position (for the progress bar)."""

    size: int = 0
    tell: Callable[[], int] = lambda: 0
    """Bytes consumed so far (for the progress bar and the estimate of rows to come)."""
    encoding: str = "utf-8"
    bom: bool = False
    records: int = 0
    """Records (rows) handed out so far, the header included."""
    total_rows: int | None = None
    """Known in advance for Excel sheets (their dimension), not for CSV."""
    ended_with_newline: bool = True
    first_non_ascii_row: int | None = None


@dataclass
class Table:
    """An open file: its header row and a one-pass iterator of ``(row number, cells)``.

    ``is_last`` tells the consumer of the final row apart (for "the file ends mid-row").
    """

    headers: list[str]
    rows: Iterator[tuple[int, list[str], bool]]
    state: ReadState
    kind: str  # "csv" or "xlsx"
    _close: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for closer in self._close:
            closer()
        self._close.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_excel(path: Path, file_name: str = "") -> bool:
    """By name first; a zip signature catches an ``.xlsx`` uploaded under another name."""
    name = (file_name or path.name).lower()
    if name.endswith(EXCEL_SUFFIXES):
        return True
    if name.endswith(".xls"):
        raise TableError(
            "old-style .xls workbooks are not read; save the sheet as .xlsx or CSV", line=None
        )
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def open_table(path: Path, file_name: str = "", *, sheet: str = "") -> Table:
    """Open a CSV or Excel file for streaming; raises :class:`TableError` naming the row."""
    if is_excel(path, file_name):
        return _open_excel(path, sheet)
    return _open_csv(path)


# --- CSV -------------------------------------------------------------------------------------


def _decode_lines(stream: IO[bytes], state: ReadState) -> Iterator[str]:
    """Decode each physical line on its own, so a change of encoding is caught where it is.

    The slow path, taken only when the file is not UTF-8 throughout (see ``_utf8_throughout``).
    """
    utf8 = True
    first = True
    for raw in stream:
        if first:
            first = False
            if raw.startswith(BOM):
                raw = raw[3:]
                state.bom = True
                state.encoding = "utf-8-sig"
        if raw.isascii():
            yield raw.decode("ascii")
            continue
        row = state.records + 1
        if utf8:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                if state.first_non_ascii_row is not None or state.bom:
                    seen = state.first_non_ascii_row
                    where = f"row {seen} is UTF-8" if seen else "the file starts as UTF-8"
                    raise TableError(
                        f"the file mixes encodings: {where} but row {row} is not; save the "
                        "whole file in one encoding (UTF-8) and import it again",
                        line=row,
                    ) from None
                utf8 = False
                state.encoding = "cp1252"
            else:
                if state.first_non_ascii_row is None:
                    state.first_non_ascii_row = row
                yield text
                continue
        if state.first_non_ascii_row is None:
            state.first_non_ascii_row = row
        if _is_utf8(raw):
            raise TableError(
                f"the file mixes encodings: it is Windows-1252 (row {state.first_non_ascii_row})"
                f" but row {row} is UTF-8; save the whole file in one encoding (UTF-8) and "
                "import it again",
                line=row,
            )
        try:
            yield raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise TableError(
                f"byte 0x{raw[exc.start]:02x} is neither UTF-8 nor Windows-1252 text",
                line=row,
            ) from None


def _utf8_throughout(path: Path) -> str | None:
    """``utf-8-sig`` or ``utf-8`` when the whole file is UTF-8 (plain ASCII included), else
    None. A quick pass in C (``isascii``, the incremental decoder) that lets the common file
    be decoded by ``io.TextIOWrapper`` instead of line by line in Python."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        head = handle.read(3)
        encoding = "utf-8-sig" if head == BOM else "utf-8"
        block = b"" if head == BOM else head
        try:
            while True:
                if block and not (block.isascii() and not decoder.getstate()[0]):
                    decoder.decode(block)
                block = handle.read(1 << 20)
                if not block:
                    break
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    return encoding


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, io.SEEK_END)
        return handle.read(1) in (b"\n", b"\r")


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_csv(path: Path) -> Table:
    state = ReadState(size=path.stat().st_size, ended_with_newline=_ends_with_newline(path))
    encoding = _utf8_throughout(path)
    handle = path.open("rb")
    closers = [handle.close]

    def tell() -> int:
        return state.size if handle.closed else handle.tell()

    state.tell = tell
    lines: Iterator[str]
    if encoding is not None:
        state.encoding = encoding
        state.bom = encoding == "utf-8-sig"
        wrapper = io.TextIOWrapper(handle, encoding=encoding, newline="")
        # held by the table: an exhausted chain drops it, and collecting it closes the file
        closers.insert(0, wrapper.close)
        lines = wrapper
    else:
        lines = _decode_lines(handle, state)
    try:
        first = next(lines, None)
        while first is not None and not first.strip():
            state.records += 1
            first = next(lines, None)
    except TableError:
        handle.close()
        raise
    if first is None:
        handle.close()
        raise TableError("the file is empty: a header row is needed", line=1)

    reader = csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first), strict=True)
    try:
        headers = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        handle.close()
        raise TableError(f"the header row cannot be read: {exc}", line=1) from None
    state.records += 1

    def rows() -> Iterator[tuple[int, list[str], bool]]:
        previous: tuple[int, list[str]] | None = None
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except (csv.Error, TableError) as exc:
                if previous is not None:  # the rows before the damage are still checked
                    yield previous[0], previous[1], False
                if isinstance(exc, TableError):
                    raise
                message = str(exc)
                if "unexpected end of data" in message:
                    message = "the file ends inside a quoted value: it looks cut off"
                raise TableError(message, line=state.records + 1) from None
            state.records += 1
            if previous is not None:
                yield previous[0], previous[1], False
            previous = (state.records, cells)
        if previous is not None:
            yield previous[0], previous[1], True

    return Table(headers, rows(), state, "csv", closers)


# --- Excel -----------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """The text a person would have typed for a cell's value.

    Floats never reach the caller as floats, only as their shortest decimal form (``1.3``, not
    1.3000000000000000444), so hours and money are parsed as ``Decimal`` from text like CSV's.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.hour}:{value.minute:02d}:{value.second:02d}"
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def _open_excel(path: Path, sheet: str) -> Table:
    from openpyxl import load_workbook

    state = ReadState(size=path.stat().st_size, encoding="xlsx")
    # Opened as a file object so a workbook saved under another name (.csv) is read by what it
    # is; openpyxl's extension check applies to names only.
    handle = path.open("rb")
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # a damaged zip or XML raises whatever its parser raises
        handle.close()
        raise TableError(
            f"not a readable .xlsx workbook ({type(exc).__name__}: {exc}); a file cut off in "
            "transfer reads like this",
            line=None,
        ) from None
    closers = [book.close, handle.close]
    try:
        if not sheet and not book.worksheets:
            raise TableError("the workbook has no sheets", line=None)
        worksheet = book[sheet] if sheet else book.worksheets[0]
    except KeyError:
        for close in closers:
            close()
        raise TableError(
            f"the workbook has no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})",
            field="sheet",
        ) from None
    except TableError:
        for close in closers:
            close()
        raise
    try:
        state.total_rows = worksheet.max_row
    except Exception:  # no stored dimension, or a damaged one: the rows will tell
        state.total_rows = None
    source = worksheet.iter_rows(values_only=True)

    def texts() -> Iterator[list[str]]:
        try:
            for values in source:
                yield [cell_text(v) for v in values]
        except Exception as exc:  # damaged XML or a broken compressed member, as above
            raise TableError(
                f"the workbook cannot be read past row {state.records} "
                f"({type(exc).__name__}: {exc}); it looks cut off",
                line=state.records + 1,
            ) from None

    cells_iter = texts()
    headers: list[str] | None = None
    for cells in cells_iter:
        state.records += 1
        if any(cells):
            headers = cells
            break
    if headers is None:
        for close in closers:
            close()
        raise TableError("the sheet is empty: a header row is needed", line=1)
    while headers and not headers[-1]:
        headers.pop()  # openpyxl pads rows to the sheet's widest; trailing blanks are not columns

    def rows() -> Iterator[tuple[int, list[str], bool]]:
        previous: tuple[int, list[str]] | None = None
        for cells in cells_iter:
            state.records += 1
            while len(cells) > len(headers) and not cells[-1]:
                cells.pop()
            if previous is not None:
                yield previous[0], previous[1], False
            previous = (state.records, cells)
        if previous is not None:
            yield previous[0], previous[1], True

    return Table(headers, rows(), state, "xlsx", closers)


def read_header(path: Path, file_name: str = "", *, sheet: str = "") -> list[str]:
    """Only the header row, for the mapping step."""
    with open_table(path, file_name, sheet=sheet) as table:
        return list(table.headers)


def sample_rows(
    path: Path, file_name: str = "", count: int = 5, *, sheet: str = ""
) -> list[tuple[int, list[str]]]:
    """The first data rows, shown beside the mapping so a person sees what each column holds."""
    found: list[tuple[int, list[str]]] = []
    with open_table(path, file_name, sheet=sheet) as table:
        try:
            for row, cells, _last in table.rows:
                if any(c.strip() for c in cells):
                    found.append((row, cells))
                if len(found) >= count:
                    break
        except TableError:
            pass  # the dry run reports it with its row; a preview shows what could be read
    return found


def csv_bytes(rows: list[list[str]]) -> bytes:
    """A CSV file's bytes from rows of text (tests and examples)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")
