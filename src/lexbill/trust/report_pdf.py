"""Trust reports printed: the same ``TrustReport`` the page shows, formatted and rendered to PDF.

Every figure is formatted here, so the template holds no arithmetic, and the printed copy a
reviewer files matches the page and the spreadsheet to the cent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from lexbill.billing.formatting import (
    format_amount,
    format_date,
    format_money,
    format_short_date,
)
from lexbill.formats.spreadsheet import Column, ColumnType
from lexbill.trust.reports import TrustReport

TEMPLATE = "trust/report_pdf.html"


def _cell(value: Any, column: Column, currency: str) -> str:
    if value is None or value == "":
        return ""
    if column.type == ColumnType.MONEY:
        # the report's currency is printed once in the heading; a row's own only when it has one
        if column.currency_key:
            return format_money(Decimal(value), currency)
        return format_amount(Decimal(value), currency)
    if column.type == ColumnType.DATETIME and isinstance(value, datetime):
        return f"{format_short_date(value.date())} {value:%H:%M}"
    if column.type == ColumnType.DATE and isinstance(value, date):
        return format_short_date(value)
    return str(value)


def _criterion(value: Any) -> str:
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def report_context(report: TrustReport) -> dict[str, Any]:
    """What the PDF template prints, every value already a string."""
    from lexbill.firm.services import get_firm

    firm = get_firm()

    def currency_of(values: dict[str, Any], column: Column) -> str:
        if column.currency_key:
            return str(values.get(column.currency_key) or report.currency)
        return report.currency

    columns = [{"title": c.title, "num": c.type != ColumnType.TEXT} for c in report.columns]
    rows = [
        {
            "flag": row.flag,
            "cells": [
                {
                    "text": _cell(row.values.get(c.key), c, currency_of(row.values, c)),
                    "num": c.type != ColumnType.TEXT,
                }
                for c in report.columns
            ],
        }
        for row in report.rows
    ]
    totals = None
    if report.totals is not None:
        totals = [
            {
                "text": _cell(report.totals.get(c.key), c, report.currency),
                "num": c.type != ColumnType.TEXT,
            }
            for c in report.columns
        ]
        if not totals[0]["text"]:
            totals[0] = {"text": "Total", "num": False}
    return {
        "title": report.title,
        "firm": {"name": firm.name, "address_lines": firm.address.splitlines()},
        "criteria": [
            {"label": label, "value": _criterion(value)}
            for _, label, value in report.criteria
            if value not in ("", None)
        ]
        + [{"label": "Currency", "value": report.currency}],
        "columns": columns,
        "rows": rows,
        "totals": totals,
        "figures": [
            {
                "label": f.label,
                "value": format_money(Decimal(f.amount), report.currency)
                if f.type == ColumnType.MONEY
                else str(f.amount),
            }
            for f in report.figures
        ],
        "notes": report.notes,
        "printed_at": f"{format_date(timezone.localdate())} {timezone.localtime():%H:%M}",
        "wide": len(report.columns) > 7,
    }


def report_html(report: TrustReport) -> str:
    return render_to_string(TEMPLATE, report_context(report))


def report_pdf(report: TrustReport) -> bytes:
    """The report as a PDF, rendered offline like invoices and statements."""
    from lexbill.billing.pdf import html_to_pdf

    return html_to_pdf(report_html(report))
