"""Bank statement CSV exports, read through a column mapping the firm saves per bank account.

Every bank lays out its CSV export differently (a US bank: ``Date,Description,Amount``; a European
one: semicolons, decimal commas, separate credit and debit columns, cp1252). A ``CsvLayout`` says
which column holds what and how numbers and dates are written; columns are named by their header
text, or by a 1-based position when the text is a number.

A malformed file is refused as a whole, naming the file line (blank lines and preamble rows
counted) and the field, so nothing from a half-read statement is ever booked.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lexbill.formats.bank.model import BankEntry, BankStatement, BankStatementError, line_of_offset

ENCODINGS = ("utf-8-sig", "utf-8", "cp1252", "latin-1")


@dataclass(frozen=True)
class CsvLayout:
    """Where each value sits in one bank's CSV export, and how it is written.

    Give either ``amount_column`` (signed: credits positive) or ``credit_column`` and/or
    ``debit_column`` (both written as positive numbers; a debit becomes a negative amount).
    """

    date_column: str
    amount_column: str = ""
    credit_column: str = ""
    debit_column: str = ""
    reference_column: str = ""
    payer_column: str = ""
    bank_id_column: str = ""
    value_date_column: str = ""
    type_column: str = ""
    check_number_column: str = ""
    date_format: str = "%m/%d/%Y"
    decimal_separator: str = "."
    thousands_separator: str = ","
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    skip_rows: int = 0
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not self.date_column:
            raise BankStatementError("the mapping needs a date column", field="date_column")
        if not (self.amount_column or self.credit_column or self.debit_column):
            raise BankStatementError(
                "the mapping needs an amount column, or credit and debit columns",
                field="amount_column",
            )
        if len(self.delimiter) != 1:
            raise BankStatementError("the delimiter is one character", field="delimiter")
        if self.decimal_separator not in {".", ","}:
            raise BankStatementError(
                "the decimal separator is '.' or ','", field="decimal_separator"
            )
        if self.thousands_separator == self.decimal_separator:
            raise BankStatementError(
                "the thousands separator must differ from the decimal separator",
                field="thousands_separator",
            )
        if self.encoding not in ENCODINGS:
            raise BankStatementError(
                f"the encoding is one of {', '.join(ENCODINGS)}", field="encoding"
            )
        if self.skip_rows < 0:
            raise BankStatementError("rows to skip can't be negative", field="skip_rows")

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> CsvLayout:
        """A layout from saved or typed settings (JSON, YAML, a form); unknown keys refused."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BankStatementError(
                f"unknown mapping setting(s): {', '.join(unknown)}", field=unknown[0]
            )
        kwargs: dict[str, object] = {}
        for name, value in values.items():
            if name == "skip_rows":
                try:
                    kwargs[name] = int(str(value or 0))
                except ValueError:
                    raise BankStatementError(
                        f"rows to skip must be a whole number, not {value!r}", field=name
                    ) from None
            else:
                kwargs[name] = "" if value is None else str(value)
        kwargs.setdefault("date_column", "")  # so a mapping without one is refused by name
        return cls(**kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CsvRow:
    line: int
    cells: tuple[str, ...]


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode(encoding, errors="replace")
        raise BankStatementError(
            f"byte {data[exc.start]:#04x} is not valid {encoding}; choose the file's encoding "
            "(banks often export cp1252)",
            line=line_of_offset(good, len(good)),
            field="encoding",
        ) from None


def read_rows(data: bytes, layout: CsvLayout) -> Iterator[CsvRow]:
    """Every non-blank row after the skipped preamble, with the file line it starts on."""
    text = _decode(data, layout.encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter, strict=True)
    consumed = 0
    skipped = 0
    while True:
        start = consumed + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BankStatementError(f"not valid CSV: {exc}", line=start) from None
        consumed = reader.line_num
        if skipped < layout.skip_rows:
            skipped += 1
            continue
        if not any(c.strip() for c in cells):
            continue
        yield CsvRow(start, tuple(c.strip() for c in cells))


def preview(data: bytes, layout: CsvLayout, rows: int = 5) -> list[CsvRow]:
    """The header and first rows as the mapping sees them, so a person can check the columns."""
    shown = []
    for row in read_rows(data, layout):
        shown.append(row)
        if len(shown) > rows:
            break
    return shown


def _column_index(header: CsvRow, name: str, field: str) -> int:
    if name.isdigit():
        index = int(name) - 1
        if 0 <= index < len(header.cells):
            return index
        raise BankStatementError(
            f"the header has {len(header.cells)} columns; there is no column {name}",
            line=header.line,
            field=field,
        )
    wanted = name.strip().casefold()
    for index, title in enumerate(header.cells):
        if title.casefold() == wanted:
            return index
    raise BankStatementError(
        f"no column {name!r} in the header ({', '.join(header.cells)})",
        line=header.line,
        field=field,
    )


_CURRENCY_MARKS = re.compile(r"[$€£¥\s\u00a0]|[A-Z]{3}")


def parse_amount(text: str, layout: CsvLayout, *, line: int, field: str) -> Decimal:
    """A bank's way of writing money: ``1,234.56``, ``1.234,56``, ``-50``, ``(50.00)``, ``$50``."""
    raw = text.strip()
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    raw = _CURRENCY_MARKS.sub("", raw)
    if raw.endswith("-"):
        negative, raw = not negative, raw[:-1]
    if raw.startswith("-"):
        negative, raw = not negative, raw[1:]
    elif raw.startswith("+"):
        raw = raw[1:]
    if layout.thousands_separator:
        raw = raw.replace(layout.thousands_separator, "")
    if layout.decimal_separator != ".":
        if "." in raw:
            raw = "!"  # a point where only a comma may be: refuse rather than misread
        raw = raw.replace(layout.decimal_separator, ".")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", raw):
        raise BankStatementError(f"{text!r} is not an amount", line=line, field=field)
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern above already refused it
        raise BankStatementError(f"{text!r} is not an amount", line=line, field=field) from None
    return -value if negative else value


def parse_date(text: str, layout: CsvLayout, *, line: int, field: str) -> date:
    try:
        return datetime.strptime(text.strip(), layout.date_format).date()  # noqa: DTZ007
    except ValueError:
        raise BankStatementError(
            f"{text!r} is not a date in the format {layout.date_format}", line=line, field=field
        ) from None


class _Columns:
    """The header resolved once: for each mapped role, its column index (or None)."""

    ROLES = (
        ("date", "date_column"),
        ("amount", "amount_column"),
        ("credit", "credit_column"),
        ("debit", "debit_column"),
        ("reference", "reference_column"),
        ("payer", "payer_column"),
        ("bank_id", "bank_id_column"),
        ("value_date", "value_date_column"),
        ("type", "type_column"),
        ("check_number", "check_number_column"),
    )

    def __init__(self, header: CsvRow, layout: CsvLayout) -> None:
        self.index: dict[str, int] = {}
        for role, setting in self.ROLES:
            name = getattr(layout, setting)
            if name:
                self.index[role] = _column_index(header, name, role)
        self.width = len(header.cells)

    def cell(self, row: CsvRow, role: str) -> str:
        index = self.index.get(role)
        if index is None:
            return ""
        if index >= len(row.cells):
            raise BankStatementError(
                f"the row has {len(row.cells)} columns, the header {self.width}; "
                f"the {role} column is missing",
                line=row.line,
                field=role,
            )
        return row.cells[index]


def _amount(row: CsvRow, columns: _Columns, layout: CsvLayout) -> Decimal:
    if "amount" in columns.index:
        return parse_amount(columns.cell(row, "amount"), layout, line=row.line, field="amount")
    credit = columns.cell(row, "credit")
    debit = columns.cell(row, "debit")
    if credit and debit:
        raise BankStatementError(
            "the row has both a credit and a debit amount", line=row.line, field="amount"
        )
    if not credit and not debit:
        raise BankStatementError(
            "the row has neither a credit nor a debit amount", line=row.line, field="amount"
        )
    if credit:
        return abs(parse_amount(credit, layout, line=row.line, field="credit"))
    return -abs(parse_amount(debit, layout, line=row.line, field="debit"))


def read_csv_statement(data: bytes, layout: CsvLayout, *, account_id: str = "") -> BankStatement:
    """Parse a CSV export into a statement; the first row after the skipped ones is the header."""
    rows = read_rows(data, layout)
    header = next(rows, None)
    if header is None:
        raise BankStatementError("the file has no header row", line=layout.skip_rows + 1)
    columns = _Columns(header, layout)
    entries = []
    for row in rows:
        value_text = columns.cell(row, "value_date")
        entries.append(
            BankEntry(
                line=row.line,
                booked_on=parse_date(
                    columns.cell(row, "date"), layout, line=row.line, field="date"
                ),
                value_on=(
                    parse_date(value_text, layout, line=row.line, field="value_date")
                    if value_text
                    else None
                ),
                amount=_amount(row, columns, layout),
                currency=layout.currency,
                bank_ref=columns.cell(row, "bank_id"),
                reference=columns.cell(row, "reference"),
                counterparty=columns.cell(row, "payer"),
                kind=columns.cell(row, "type"),
                check_number=columns.cell(row, "check_number"),
            )
        )
    if not entries:
        raise BankStatementError("the file has a header but no transactions", line=header.line)
    return BankStatement(
        format="csv",
        account_id=account_id,
        currency=layout.currency,
        entries=tuple(entries),
        period_start=min(e.booked_on for e in entries),
        period_end=max(e.booked_on for e in entries),
    )
