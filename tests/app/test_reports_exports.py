"""The billed report downloaded: Excel with numbers (not text) in currency formats and totals
equal to the report's, CSV that parses back and never holds a formula, a PDF with pages, and
JSON that survives ``json.dumps``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from tests.app.reports_billed_firm import NONE, BilledFirm, build_billed_firm

from lexbill.billing.formatting import format_amount
from lexbill.clients.services import update_client
from lexbill.core.periods import Period, year
from lexbill.formats.spreadsheet import ColumnType, money_format
from lexbill.reports import exports
from lexbill.reports.billed import SPEC, build
from lexbill.reports.framework import Figure, Report, ReportFilters, ReportRequest, Table
from lexbill.reports.pdf import report_pdf

FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def billed_firm(small_firm: Any) -> BilledFirm:
    return build_billed_firm(small_firm)


def _report(by: str = "client", period: Period | None = None, **filters: Any) -> Report:
    request = ReportRequest(period or year(2026), ReportFilters(**filters), SPEC.grouping(by))
    return build(request)


def _number(cell: Any) -> Decimal:
    assert isinstance(cell.value, (int, float)), f"{cell.coordinate} holds {cell.value!r}"
    return Decimal(str(cell.value))


def _table_rows(ws: Any, table: Table) -> tuple[int, list[Any]]:
    """The header row's number, and the rows under it, found by the column titles."""
    titles = [c.title for c in table.columns]
    for row in ws.iter_rows():
        if [c.value for c in row[: len(titles)]] == titles:
            header = row[0].row
            return header, list(ws.iter_rows(min_row=header + 1))
    raise AssertionError(f"no header {titles} in {ws.title}")


@pytest.mark.parametrize("by", ["client", "timekeeper", "month"])
def test_excel_money_is_numbers_in_each_rows_currency_and_totals_match(
    billed_firm: BilledFirm, by: str
) -> None:
    report = _report(by)
    table = report.table("billed")
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(report)))
    assert book.sheetnames == ["Summary", table.title]
    ws = book[table.title]
    assert ws["A1"].value == table.title
    _header, rows = _table_rows(ws, table)
    keys = [c.key for c in table.columns]
    for expected in table.rows:
        cells = dict(zip(keys, rows.pop(0), strict=False))
        assert cells["key"].value == str(expected["key"])
        for column in table.columns:
            cell = cells[column.key]
            if column.type == ColumnType.MONEY:
                assert _number(cell) == expected[column.key]
                assert cell.number_format == money_format(expected["currency"])
            elif column.type == ColumnType.INTEGER:
                assert _number(cell) == expected[column.key]
    for expected in table.totals:
        cells = dict(zip(keys, rows.pop(0), strict=False))
        assert cells["key"].value == "Total"
        assert cells["currency"].value == expected["currency"]
        assert cells["invoices"].value == expected["invoices"]
        for column in table.columns:
            if column.type == ColumnType.MONEY:
                assert _number(cells[column.key]) == expected[column.key]
                assert cells[column.key].number_format == money_format(expected["currency"])
                assert cells[column.key].font.bold
    assert all(c.value is None for c in rows[0]) if rows else True


def test_the_summary_sheet_holds_the_figures_as_numbers(billed_firm: BilledFirm) -> None:
    report = _report()
    ws = load_workbook(io.BytesIO(exports.xlsx_bytes(report)))["Summary"]
    found = {}
    for row in ws.iter_rows():
        if row[0].value and row[2].value is not None and row[1].value in ("USD", "EUR"):
            found[(row[0].value, row[1].value)] = row[2]
    for figure in report.figures:
        cell = found[(figure.label, figure.currency)]
        assert _number(cell) == figure.value
        assert cell.number_format == money_format(figure.currency)


def test_csv_parses_back_to_the_reports_rows_and_totals(billed_firm: BilledFirm) -> None:
    report = _report("timekeeper")
    table = report.table("billed")
    data = exports.csv_bytes(report)
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == [report.title]
    header = lines.index([c.title for c in table.columns])
    assert lines[header - 1] == [table.title]
    body = lines[header + 1 : header + 1 + len(table.rows) + len(table.totals)]
    keys = [c.key for c in table.columns]
    for expected, got in zip([*table.rows, *table.totals], body, strict=True):
        cells = dict(zip(keys, got, strict=True))
        assert cells["key"] == (str(expected["key"]) or "Total")
        for k in ("fees", "expenses", "adjustments", "tax", "total", "credited", "net"):
            assert Decimal(cells[k]) == expected[k]
        assert int(cells["invoices"]) == expected["invoices"]
    assert any(cells_key == NONE for cells_key, *_ in body)
    for figure in report.figures:
        assert [figure.label, figure.currency, str(figure.value)] in lines


def test_text_never_becomes_a_formula(billed_firm: BilledFirm) -> None:
    f = billed_firm.f
    update_client(None, f.acme, name=FORMULA)
    report = _report("client")
    row = next(r for r in report.table("billed").rows if r["key"] == f.acme.number)
    assert row["name"] == FORMULA
    text = exports.csv_bytes(report).decode("utf-8-sig")
    names = [line[1] for line in csv.reader(io.StringIO(text)) if len(line) > 1]
    assert "'" + FORMULA in names and FORMULA not in names
    assert not any(
        cell.startswith(("=", "+", "@")) for line in csv.reader(io.StringIO(text)) for cell in line
    )
    ws = load_workbook(io.BytesIO(exports.xlsx_bytes(report)))[report.table("billed").title]
    cell = next(c for r in ws.iter_rows() for c in r if c.value == FORMULA)
    assert cell.data_type == "s"


def test_negative_money_stays_a_number_in_csv(billed_firm: BilledFirm) -> None:
    report = _report("month")
    text = exports.csv_bytes(report).decode("utf-8-sig")
    negatives = [r for r in report.table("billed").rows if r["net"] < 0]
    assert negatives
    for row in negatives:
        assert str(row["net"]) in text and "'" + str(row["net"]) not in text


def test_the_pdf_has_pages_and_prints_the_totals(billed_firm: BilledFirm) -> None:
    report = _report("timekeeper")
    data = report_pdf(report)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert report.title in text
    for total in report.table("billed").totals:
        assert format_amount(total["total"], total["currency"]) in text
    assert billed_firm.f.partner.name in text


def test_json_round_trips_with_exact_money(billed_firm: BilledFirm) -> None:
    report = _report("matter", clients=("C001", "C002"))
    data = report.as_json()
    again = json.loads(json.dumps(data))
    assert again == data
    assert again["period"] == {"from": "2026-01-01", "to": "2026-12-31", "label": "2026"}
    assert again["filters"] == {"clients": ["C001", "C002"]}
    (table,) = again["tables"]
    for got, expected in zip(table["rows"], report.table("billed").rows, strict=True):
        assert {k: Decimal(got[k]) for k in ("total", "net")} == {
            k: expected[k] for k in ("total", "net")
        }
    assert [Decimal(t["total"]) for t in table["totals"]] == [
        t["total"] for t in report.table("billed").totals
    ]
    assert {(f["key"], f["currency"]) for f in again["figures"]} == {
        (f.key, f.currency) for f in report.figures
    }
    assert again["charts"] and all(
        isinstance(v, str) for v in again["charts"][0]["datasets"][0]["values"]
    )


def test_download_names_carry_the_report_and_the_period(billed_firm: BilledFirm) -> None:
    report = _report()
    assert exports.file_name(report, "xlsx") == "billed-2026-01-01-2026-12-31.xlsx"


def test_every_kind_of_figure_goes_to_the_summary_sheet(small_firm: Any) -> None:
    """Other reports' headline figures: percents, day counts, dates, text."""
    figures = [
        Figure("dso", "Days sales outstanding", 41, ColumnType.INTEGER),
        Figure("realization", "Realization", Decimal("87.5"), ColumnType.PERCENT),
        Figure("hours", "Hours", Decimal("1234.25"), ColumnType.DECIMAL),
        Figure("oldest", "Oldest unbilled work", "2025-03-01", ColumnType.DATE),
        Figure("last", "Last invoice", date(2026, 4, 1), ColumnType.DATE),  # type: ignore[arg-type]
        Figure("status", "Status", "on track", ColumnType.TEXT),
        Figure("none", "Not computable", None, ColumnType.PERCENT),
    ]
    report = Report("x", "X", ReportRequest(year(2026)), tables=[], figures=figures)
    ws = load_workbook(io.BytesIO(exports.xlsx_bytes(report)))["Summary"]
    values = {row[0].value: [c.value for c in row[2:6]] for row in ws.iter_rows() if row[0].value}
    assert values["Days sales outstanding"][2] == 41
    assert Decimal(str(values["Realization"][1])) == Decimal("0.875")
    assert Decimal(str(values["Hours"][2])) == Decimal("1234.25")
    assert values["Oldest unbilled work"][3] == "2025-03-01"
    assert values["Last invoice"][3] == "2026-04-01"
    assert values["Status"][3] == "on track"
    assert values["Not computable"] == [None, None, None, None]
    assert report_pdf(report).startswith(b"%PDF-")
    assert b"Days sales outstanding" in exports.csv_bytes(report)


def test_the_heading_names_the_period_the_date_and_the_filters() -> None:
    request = ReportRequest(
        year(2026), ReportFilters(clients=("C001",), timekeepers=("AL", "PW")), "client"
    )
    report = Report("x", "X", request, tables=[])
    assert exports.heading(report) == [
        "X",
        "Period: 2026 (2026-01-01 to 2026-12-31)",
        "Client: C001",
        "Timekeeper: AL, PW",
    ]
    as_of = Report("x", "X", ReportRequest(year(2026), as_of=date(2027, 1, 15)), tables=[])
    assert exports.heading(as_of)[2] == "As of: 2027-01-15"
    same_day = Report("x", "X", ReportRequest(year(2026), as_of=date(2026, 12, 31)), tables=[])
    assert len(exports.heading(same_day)) == 2
