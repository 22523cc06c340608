"""A report as Excel, CSV and PDF: the same ``Report`` the page shows, only formatted.

Excel: one worksheet per table, numbers as numbers with currency formats (formats.spreadsheet),
the totals one row per currency, the report's headline figures on a first "Summary" sheet.
CSV: every table one after the other, each under its title, money as plain decimals with the
currency in its own column, so a spreadsheet or a script reads it without guessing.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lexbill.formats.spreadsheet import Column, ColumnType, Sheet, workbook_bytes
from lexbill.reports.framework import Report, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"


def heading(report: Report) -> list[str]:
    req = report.request
    lines = [report.title, f"Period: {req.period.label} ({req.period.start} to {req.period.end})"]
    if req.as_of and req.as_of != req.period.end:
        lines.append(f"As of: {req.as_of}")
    lines += [f"{label}: {value}" for label, value in req.filters.describe()]
    return lines


def _money_columns(table: Table) -> list[Column]:
    """Money columns take their currency from the row's ``currency`` key when it has one."""
    has_currency = any(c.key == "currency" for c in table.columns)
    return [
        Column(c.key, c.title, c.type, c.width, "currency")
        if c.type == ColumnType.MONEY and has_currency and not c.currency_key
        else c
        for c in table.columns
    ]


def _summary_sheet(report: Report) -> Sheet:
    """The headline figures, each in the column of its type so Excel formats it as a number."""
    kinds = {
        ColumnType.MONEY: "money",
        ColumnType.PERCENT: "percent",
        ColumnType.TEXT: "text",
        ColumnType.DATE: "text",  # a date figure is read, not added up: its ISO text
        ColumnType.DATETIME: "text",
    }
    rows = []
    for f in report.figures:
        row: dict[str, Any] = {"label": f.label, "currency": f.currency}
        value: Any = f.value
        row[kinds.get(f.type, "number")] = value.isoformat() if isinstance(value, date) else value
        rows.append(row)
    return Sheet(
        title="Summary",
        columns=[
            Column("label", "Figure", width=44),
            Column("currency", "Currency"),
            Column("money", "Amount", ColumnType.MONEY, currency_key="currency"),
            Column("percent", "Percent", ColumnType.PERCENT),
            Column("number", "Number", ColumnType.DECIMAL),
            Column("text", "Note"),
        ],
        rows=rows,
        heading=heading(report),
        notes=report.notes,
    )


def xlsx_bytes(report: Report) -> bytes:
    sheets = [_summary_sheet(report)]
    for table in report.tables:
        totals = _labelled_totals(table)
        sheets.append(
            Sheet(
                title=table.title,
                columns=_money_columns(table),
                rows=table.rows,
                totals=totals[0] if totals else None,
                totals_rows=totals[1:],
                currency=_first_currency(table),
                heading=[table.title, *heading(report)[1:]],
            )
        )
    return workbook_bytes(sheets)


def _labelled_totals(table: Table) -> list[dict[str, Any]]:
    """Totals rows whose first cell is blank get the sheet's "Total" label, as on the page and
    in the CSV (a blank string would otherwise be written as an empty cell)."""
    if not table.columns:
        return list(table.totals)
    first = table.columns[0].key
    return [{**t, first: None} if t.get(first) in (None, "") else dict(t) for t in table.totals]


def _first_currency(table: Table) -> str:
    """The sheet's default currency: the first row's, read lazily (a million-row extract is
    not read twice for it) and only where the table has a currency column at all."""
    if not any(c.key == "currency" for c in table.columns):
        return "USD"
    for row in itertools.chain(table.totals, table.rows):
        if row.get("currency"):
            return str(row["currency"])
    return "USD"


def _csv_value(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    text = str(value)
    if column.type == ColumnType.TEXT and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # never a formula when the CSV is opened in a spreadsheet
    return text


def csv_bytes(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in heading(report):
        writer.writerow([line])
    for f in report.figures:
        writer.writerow([f.label, f.currency, "" if f.value is None else str(f.value)])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([c.title for c in table.columns])
        for row in table.rows:
            writer.writerow([_csv_value(row.get(c.key), c) for c in table.columns])
        for totals in table.totals:
            cells = [_csv_value(totals.get(c.key), c) for c in table.columns]
            if not cells[0]:
                cells[0] = "Total"
            writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def file_name(report: Report, extension: str) -> str:
    p = report.request.period
    return f"{report.name}-{p.start.isoformat()}-{p.end.isoformat()}.{extension}"
