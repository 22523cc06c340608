"""A report printed: the same ``Report`` the page shows, every figure formatted here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from lexbill.billing.formatting import format_amount, format_date, format_short_date
from lexbill.formats.spreadsheet import Column, ColumnType
from lexbill.reports.exports import heading
from lexbill.reports.framework import Figure, Report


def cell_text(value: Any, column_type: ColumnType, currency: str = "") -> str:
    """One value as a person reads it; money with its currency's decimals."""
    if value is None or value == "":
        return ""
    if column_type == ColumnType.MONEY:
        return format_amount(Decimal(value), currency or "USD")
    if column_type == ColumnType.PERCENT:
        return f"{Decimal(value):.1f} %"
    if column_type == ColumnType.DECIMAL:
        return f"{Decimal(value):,.2f}"
    if column_type == ColumnType.INTEGER:
        return f"{int(value):,}"
    if column_type == ColumnType.DATETIME and isinstance(value, datetime):
        local = timezone.localtime(value)
        return f"{format_short_date(local.date())} {local:%H:%M}"
    if column_type == ColumnType.DATE and isinstance(value, date):
        return format_short_date(value)
    return str(value)


def figure_text(figure: Figure) -> str:
    text = cell_text(figure.value, figure.type, figure.currency)
    if figure.type == ColumnType.MONEY and figure.currency:
        return f"{figure.currency} {text}"
    return text or "—"


def _cells(row: dict[str, Any], columns: list[Column]) -> list[dict[str, Any]]:
    currency = str(row.get("currency") or "")
    return [
        {"text": cell_text(row.get(c.key), c.type, currency), "num": c.type != ColumnType.TEXT}
        for c in columns
    ]


def report_context(report: Report, *, page: bool = False) -> dict[str, Any]:
    """The report with every value already text: what the page and the PDF print.

    On the ``page``, a table with ``page_rows`` shows only its first rows (a browser cannot
    draw a million); the PDF and the other downloads always hold every row."""
    from lexbill.firm.services import get_firm

    tables = []
    for table in report.tables:
        totals = []
        for row in table.totals:
            cells = _cells(row, table.columns)
            if cells and not cells[0]["text"]:
                cells[0] = {"text": "Total", "num": False}
            totals.append(cells)
        shown = table.rows
        hidden = 0
        if page and table.page_rows and len(shown) > table.page_rows:
            shown, hidden = shown[: table.page_rows], len(shown) - table.page_rows
        tables.append(
            {
                "key": table.key,
                "count": len(table.rows),
                "hidden": hidden,
                "title": table.title,
                "columns": [
                    {"title": c.title, "num": c.type != ColumnType.TEXT} for c in table.columns
                ],
                "rows": [
                    {
                        "cells": _cells(row, table.columns),
                        "url": row.get(table.link_key) if table.link_key else "",
                    }
                    for row in shown
                ],
                "totals": totals,
                "wide": len(table.columns) > 7,
            }
        )
    return {
        "report": report,
        "firm": get_firm(),
        "heading": heading(report),
        "figures": [
            {
                "label": f.label,
                "text": figure_text(f),
                "note": f.note,
                "key": f.key,
                "currency": f.currency,
            }
            for f in report.figures
        ],
        "tables": tables,
        "notes": report.notes,
        "printed_at": f"{format_date(timezone.localdate())} {timezone.localtime():%H:%M}",
    }


def report_pdf(report: Report) -> bytes:
    from lexbill.billing.pdf import html_to_pdf

    return html_to_pdf(render_to_string("reports/report_pdf.html", report_context(report)))
