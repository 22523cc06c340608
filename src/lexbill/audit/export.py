"""The audit page's downloads: the filtered records as CSV (streamed) or an Excel workbook.

Both read the records a keyset chunk at a time (``selectors.export_rows``), so a year's trail
never sits in memory. CSV is produced row by row into the response; Excel through openpyxl's
write-only mode into a temporary file, continuing on a new sheet when one fills (Excel holds
1,048,576 rows a sheet). Each row carries the record's ``previous_hash`` and ``hash``, so an
auditor can check an extract against the chain.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from lexbill.audit.models import AuditRecord
from lexbill.audit.selectors import AuditFilters, diff, export_rows
from lexbill.core.audit_chain import utc_moment

HEADER = [
    "id",
    "at_utc",
    "user",
    "channel",
    "action",
    "model",
    "object_id",
    "summary",
    "changes",
    "before",
    "after",
    "previous_hash",
    "hash",
]
SHEET_ROWS = 1_048_575  # Excel's rows less the header


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _changes(record: AuditRecord) -> str:
    parts = []
    for c in diff(record):
        if c.old is None:
            parts.append(f"{c.field}: {c.new}")
        elif c.new is None:
            parts.append(f"{c.field}: {c.old} → ∅")
        else:
            parts.append(f"{c.field}: {c.old} → {c.new}")
    return "; ".join(parts)


def row_of(record: AuditRecord) -> list[Any]:
    return [
        record.pk,
        utc_moment(record.at),
        record.actor_name or "system",
        record.channel,
        record.action,
        record.model,
        record.object_id,
        record.summary,
        _changes(record),
        _json(record.before),
        _json(record.after),
        record.previous_hash,
        record.hash,
    ]


def _safe(value: Any) -> Any:
    """A text a spreadsheet would run as a formula (=, +, -, @) is quoted with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """As ``_safe``, without the control characters an .xlsx cell cannot hold."""
    value = _safe(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def csv_chunks(filters: AuditFilters) -> Iterator[str]:
    """The CSV text, a few hundred rows per chunk, header first (UTF-8 BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(HEADER)
    for n, record in enumerate(export_rows(filters), start=1):
        writer.writerow([_safe(v) for v in row_of(record)])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_workbook(filters: AuditFilters, target: IO[bytes], sheet_rows: int = SHEET_ROWS) -> int:
    """The records as an .xlsx workbook written to ``target``; returns the number of rows."""
    book = Workbook(write_only=True)
    sheet = None
    rows = 0
    in_sheet = sheet_rows
    for record in export_rows(filters):
        if in_sheet == sheet_rows:
            number = rows // sheet_rows + 1
            sheet = book.create_sheet("audit" if number == 1 else f"audit {number}")
            sheet.append(HEADER)
            in_sheet = 0
        assert sheet is not None
        sheet.append([_cell(v) for v in row_of(record)])
        in_sheet += 1
        rows += 1
    if sheet is None:
        book.create_sheet("audit").append(HEADER)
    book.save(target)
    return rows
