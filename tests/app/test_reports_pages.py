"""The report pages: the list of reports, the billed report with a period, filters and a
grouping, clear refusals, the downloads, and who may see them."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader
from tests.app.reports_billed_firm import BilledFirm, build_billed_firm, expected_rows

from lexbill.billing.formatting import format_amount
from lexbill.core.periods import last_full_month, year
from lexbill.reports.billed import SPEC
from lexbill.reports.forms import ReportForm
from lexbill.reports.framework import ReportSpec
from lexbill.reports.registry import all_reports

BILLED = reverse("reports:report", args=["billed"])


@pytest.fixture
def billed_firm(small_firm: Any) -> BilledFirm:
    return build_billed_firm(small_firm)


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def _cells(html: str, testid: str) -> list[list[str]]:
    """The text of each row of a ``data-testid`` table section, tags stripped."""
    start = html.index(f'data-testid="{testid}"')
    section = html[start : html.index("</section>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)
        ]
        for r in rows
    ]


def test_the_index_lists_every_registered_report(billed_firm: BilledFirm) -> None:
    page = _as(billed_firm.f.sam).get(reverse("reports:index"))
    assert page.status_code == 200
    specs = all_reports()
    assert specs
    for spec in specs:
        assert reverse("reports:report", args=[spec.name]) in page.text
        assert spec.title in page.text


def test_the_billed_page_shows_the_rows_and_totals_of_the_period(billed_firm: BilledFirm) -> None:
    page = _as(billed_firm.f.carol).get(BILLED, {"period": "2026", "by": "client"})
    assert page.status_code == 200
    assert 'data-testid="table-billed"' in page.text
    assert "Period: 2026 (2026-01-01 to 2026-12-31)" in page.text
    rows = _cells(page.text, "table-billed")
    expected = expected_rows(year(2026), "client")
    body = [r for r in rows[1:] if r and r[0] != "Total"]
    assert {(r[0], r[2]) for r in body} == set(expected)
    for r in body:
        want = expected[(r[0], r[2])]
        assert r[8] == format_amount(want["total"], r[2])  # "Billed"
        assert r[10] == format_amount(want["net"], r[2])
    totals = [r for r in rows if r and r[0] == "Total"]
    assert {r[2] for r in totals} == {"USD", "EUR"}
    for currency in ("USD", "EUR"):
        total = sum((v["total"] for (_, c), v in expected.items() if c == currency), Decimal(0))
        assert f"{currency} {format_amount(total, currency)}" in page.text
    assert 'data-testid="downloads"' in page.text
    assert "?period=2026&amp;by=client&amp;format=xlsx" in page.text


def test_filters_and_grouping_narrow_the_page(billed_firm: BilledFirm) -> None:
    f = billed_firm.f
    page = _as(f.sam).get(
        BILLED,
        {
            "from": "2026-01-01",
            "start": "2026-01-01",
            "end": "2026-03-31",
            "client": "C002",
            "by": "matter",
        },
    )
    assert page.status_code == 200, page.text
    keys = {r[0] for r in _cells(page.text, "table-billed")[1:] if r}
    assert keys == {"C002-001", "C002-002", "Total"}
    by_tk = _as(f.sam).get(
        BILLED, {"period": "2026-Q1", "timekeeper": "AL, PW", "by": "timekeeper"}
    )
    keys = {r[0] for r in _cells(by_tk.text, "table-billed")[1:] if r}
    assert keys == {"AL", "PW", "Total"}
    assert "Timekeeper: AL, PW" in by_tk.text


def test_without_a_period_the_page_shows_last_month(billed_firm: BilledFirm) -> None:
    page = _as(billed_firm.f.sam).get(BILLED)
    assert page.status_code == 200
    assert f"Period: {last_full_month(timezone.localdate()).label}" in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "2026-13"}, "there is no month 13"),
        ({"period": "next year"}, "is not a period"),
        ({"period": "2026", "start": "2026-01-01"}, "not both"),
        ({"start": "2026-01-01"}, "both dates"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "before it starts"),
        ({"period": "2026", "client": "C999"}, "no client C999"),
        ({"period": "2026", "matter": "C001-999"}, "no matter C001-999"),
        ({"period": "2026", "timekeeper": "ZZ"}, "no timekeeper ZZ"),
        ({"period": "2026", "practice_area": "Litgation"}, "no practice area Litgation"),
        ({"period": "2026", "by": "partner"}, "partner"),
    ],
)
def test_a_bad_request_shows_a_clear_error_and_no_report(
    billed_firm: BilledFirm, query: dict[str, str], message: str
) -> None:
    client = _as(billed_firm.f.sam)
    page = client.get(BILLED, query)
    assert page.status_code == 200
    assert message in page.text
    assert 'data-testid="table-billed"' not in page.text
    assert 'data-testid="downloads"' not in page.text
    download = client.get(BILLED, {**query, "format": "xlsx"})
    assert download["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("csv", "text/csv; charset=utf-8", "\ufeff".encode()),
        ("pdf", "application/pdf", b"%PDF-"),
    ],
)
def test_downloads_have_the_type_and_the_file_name(
    billed_firm: BilledFirm, fmt: str, content_type: str, magic: bytes
) -> None:
    response = _as(billed_firm.f.alice).get(BILLED, {"period": "2026-Q1", "format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="billed-2026-01-01-2026-03-31.{fmt}"'
    )
    assert response.content.startswith(magic)


def test_downloads_hold_the_pages_figures(billed_firm: BilledFirm) -> None:
    client = _as(billed_firm.f.sam)
    query = {"period": "2026", "by": "timekeeper"}
    expected = expected_rows(year(2026), "timekeeper")
    text = client.get(BILLED, {**query, "format": "csv"}).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    header = next(
        i for i, line in enumerate(lines) if line[:3] == ["Timekeeper", "Name", "Currency"]
    )
    got = {(ln[0], ln[2]): Decimal(ln[8]) for ln in lines[header + 1 :] if ln and ln[0] != "Total"}
    assert got == {key: row["total"] for key, row in expected.items()}
    book = load_workbook(io.BytesIO(client.get(BILLED, {**query, "format": "xlsx"}).content))
    assert "Billed by timekeeper" in book.sheetnames
    pdf = PdfReader(io.BytesIO(client.get(BILLED, {**query, "format": "pdf"}).content))
    assert len(pdf.pages) >= 1


def test_an_unknown_format_or_report_is_not_found(billed_firm: BilledFirm) -> None:
    client = _as(billed_firm.f.sam)
    assert client.get(BILLED, {"period": "2026", "format": "docx"}).status_code == 404
    assert client.get(reverse("reports:report", args=["nonesuch"])).status_code == 404


@pytest.mark.parametrize("who", ["clara", "pat"])
def test_clerks_and_attorneys_may_not_see_reports(billed_firm: BilledFirm, who: str) -> None:
    client = _as(getattr(billed_firm.f, who))
    assert client.get(reverse("reports:index")).status_code == 403
    assert client.get(BILLED, {"period": "2026"}).status_code == 403
    assert client.get(BILLED, {"period": "2026", "format": "csv"}).status_code == 403


def test_the_page_draws_its_chart_from_json_data(billed_firm: BilledFirm) -> None:
    page = _as(billed_firm.f.sam).get(BILLED, {"period": "2026", "by": "month"})
    assert 'data-chart="chart-data-by-month"' in page.text
    assert '<script id="chart-data-by-month" type="application/json">' in page.text


def _spec(**kwargs: Any) -> ReportSpec:
    """A report that is not registered: the form works for any spec."""
    return ReportSpec("x", "X", "", build=lambda request: None, **kwargs)  # type: ignore[arg-type,return-value]


def test_the_form_offers_the_specs_groupings_and_as_of_only_when_it_means_something(
    db: Any,
) -> None:
    today = date(2026, 5, 20)
    plain = ReportForm(_spec(), {"period": "2026-Q1"}, today=today)
    assert "by" not in plain.fields and "as_of" not in plain.fields
    assert plain.is_valid(), plain.errors
    assert plain.cleaned_data["request"].group_by == ""
    aging = ReportForm(
        _spec(groupings=(("client", "Client"), ("matter", "Matter")), point_in_time=True),
        {"start": "2026-01-01", "end": "2026-01-31", "as_of": "2026-02-15", "by": "matter"},
        today=today,
    )
    assert aging.is_valid(), aging.errors
    request = aging.cleaned_data["request"]
    assert (request.group_by, request.on) == ("matter", date(2026, 2, 15))
    assert list(aging.fields["by"].choices) == [("client", "Client"), ("matter", "Matter")]  # type: ignore[attr-defined]
    default = ReportForm(_spec(), {}, today=today)
    assert default.is_valid()
    assert default.cleaned_data["request"].period == last_full_month(today)
    assert default.cleaned_data["request"].on == date(2026, 4, 30)


def test_the_form_reads_several_codes_in_one_box(billed_firm: BilledFirm) -> None:
    form = ReportForm(
        SPEC,
        {"period": "2026", "client": "C001, C002\nC001", "timekeeper": " AL ,"},
        today=date(2026, 5, 1),
    )
    assert form.is_valid(), form.errors
    filters = form.cleaned_data["request"].filters
    assert (filters.clients, filters.timekeepers) == (("C001", "C002"), ("AL",))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"start": "2026-01-01"}, "end"),
        ({"end": "2026-01-01"}, "start"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end"),
        ({"period": "2026", "client": "C999"}, "client"),
        ({"period": "2026", "attorney": "ZZ"}, "attorney"),
        ({"period": "2026", "practice_area": "Nope"}, "practice_area"),
    ],
)
def test_each_error_is_shown_at_its_box(
    billed_firm: BilledFirm, data: dict[str, str], field: str
) -> None:
    form = ReportForm(SPEC, data, today=date(2026, 5, 1))
    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_the_terminal_table_prints_names_as_they_are(billed_firm: BilledFirm) -> None:
    """Names are data, not Rich markup: brackets print, a stray closing tag does not crash."""
    from typer.testing import CliRunner

    from lexbill.cli import app
    from lexbill.clients.services import update_client

    f = billed_firm.f
    update_client(None, f.acme, name="Acme [bold]Europe[/] [/]")
    result = CliRunner().invoke(app, ["report", "billed", "--period", "2026"])
    assert result.exit_code == 0, result.output
    assert "Acme [bold]Europe[/] [/]" in result.stdout
    assert "Billed by client" in result.stdout


def test_an_empty_period_says_so(billed_firm: BilledFirm) -> None:
    page = _as(billed_firm.f.sam).get(BILLED, {"period": "2025-06"})
    assert page.status_code == 200
    assert "Nothing in this period." in page.text
    assert 'data-testid="totals-billed"' not in page.text
    assert 'data-testid="downloads"' in page.text
