"""The report shapes (no database): one rounding rule for percentages, filters that describe
themselves, groupings refused by name, and JSON with exact money."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import LexbillError
from lexbill.core.periods import month, year
from lexbill.formats.spreadsheet import Column, ColumnType
from lexbill.reports.framework import (
    Chart,
    Dataset,
    Figure,
    Report,
    ReportFilters,
    ReportRequest,
    ReportSpec,
    Table,
    percent,
)


def _half_up(value: Fraction, places: int) -> Fraction:
    scaled = value * 10**places
    magnitude = floor(abs(scaled) + Fraction(1, 2))
    return Fraction(magnitude if scaled >= 0 else -magnitude, 10**places)


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=-(10**12), max_value=10**12).filter(bool),
    st.integers(min_value=0, max_value=3),
)
def test_percent_rounds_half_up_away_from_zero(part: int, whole: int, places: int) -> None:
    got = percent(Decimal(part).scaleb(-2), Decimal(whole).scaleb(-2), places)
    assert got is not None
    assert Fraction(got) == _half_up(Fraction(part * 100, whole), places)
    assert got.as_tuple().exponent == -places


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 8, "12.5"), (1, 3, "33.3"), (2, 3, "66.7"), (1, 400, "0.3"), (-1, 400, "-0.3")],
)
def test_percent_examples(part: int, whole: int, expected: str) -> None:
    assert percent(part, whole) == Decimal(expected)


def test_percent_of_nothing_is_none() -> None:
    assert percent(Decimal("5.00"), Decimal("0.00")) is None
    assert percent(0, 0) is None
    assert percent(0, 7) == Decimal("0.0")


def test_filters_describe_only_what_is_set() -> None:
    empty = ReportFilters()
    assert empty.empty and empty.as_json() == {} and empty.describe() == []
    f = ReportFilters(clients=("C001", "C002"), practice_areas=("Litigation",))
    assert not f.empty
    assert f.as_json() == {"clients": ["C001", "C002"], "practice_areas": ["Litigation"]}
    assert f.describe() == [("Client", "C001, C002"), ("Practice area", "Litigation")]


def test_as_of_defaults_to_the_end_of_the_period() -> None:
    assert ReportRequest(month(2026, 2)).on == date(2026, 2, 28)
    assert ReportRequest(month(2026, 2), as_of=date(2026, 3, 5)).on == date(2026, 3, 5)


def test_a_spec_offers_its_groupings_and_refuses_others() -> None:
    spec = ReportSpec("x", "X", "", build=lambda r: _report(r), groupings=(("client", "Client"),))
    assert spec.grouping("") == "client" and spec.grouping("client") == "client"
    with pytest.raises(LexbillError, match="x groups by client, not 'month'") as refused:
        spec.grouping("month")
    assert refused.value.field == "by"
    bare = ReportSpec("y", "Y", "", build=lambda r: _report(r))
    assert bare.grouping("") == ""
    with pytest.raises(LexbillError, match="groups by nothing"):
        bare.grouping("client")


def _report(request: ReportRequest) -> Report:
    table = Table(
        "t",
        "T",
        [
            Column("key", "Key"),
            Column("currency", "Currency"),
            Column("amount", "Amount", ColumnType.MONEY),
        ],
        rows=[
            {"key": "a", "currency": "USD", "amount": Decimal("1.10"), "_hidden": object()},
            {"key": "b", "currency": "EUR", "amount": Decimal("-2.00")},
        ],
        totals=[
            {"key": "", "currency": "USD", "amount": Decimal("1.10")},
            {"key": "", "currency": "EUR", "amount": Decimal("-2.00")},
        ],
    )
    return Report(
        "x",
        "X",
        request,
        [table],
        figures=[
            Figure("amount", "Amount (USD)", Decimal("1.10"), ColumnType.MONEY, "USD"),
            Figure("amount", "Amount (EUR)", Decimal("-2.00"), ColumnType.MONEY, "EUR"),
            Figure("share", "Share", None, ColumnType.PERCENT),
        ],
        charts=[Chart("c", "C", "bar", ["a"], [Dataset("Amount", [Decimal("1.10"), None])])],
        notes=["a note"],
    )


def test_tables_and_figures_are_found_by_key_and_currency() -> None:
    report = _report(ReportRequest(year(2026)))
    table = report.table("t")
    assert table.column("amount").type == ColumnType.MONEY
    assert table.total("amount", "EUR") == Decimal("-2.00")
    assert table.total("amount") == Decimal("1.10")
    assert table.total("amount", "JPY") is None
    assert report.figure("amount", "EUR").value == Decimal("-2.00")
    assert report.figure("amount").currency == "USD"


def test_json_is_exact_and_leaves_private_keys_out() -> None:
    request = ReportRequest(year(2026), ReportFilters(clients=("C001",)), "client")
    data = _report(request).as_json()
    assert json.loads(json.dumps(data)) == data
    (table,) = data["tables"]
    assert table["rows"][0] == {"key": "a", "currency": "USD", "amount": "1.10"}
    assert table["columns"][2] == {"key": "amount", "title": "Amount", "type": "money"}
    assert data["figures"][2] == {
        "key": "share",
        "label": "Share",
        "value": None,
        "type": "percent",
    }
    assert data["charts"][0]["datasets"][0]["values"] == ["1.10", None]
    assert (data["as_of"], data["group_by"], data["filters"]) == (
        "2026-12-31",
        "client",
        {"clients": ["C001"]},
    )
