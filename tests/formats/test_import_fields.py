"""The import schemas: mapping guessed from headers, rows typed into values or named problems,
and money and hours parsed exactly (Decimal from text, never float)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.formats.import_fields import (
    SCHEMAS,
    CellError,
    ImportOptions,
    Kind,
    RowReader,
    check_mapping,
    guess_mapping,
    header_signature,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_hours,
    parse_minutes,
)

TIME_HEADERS = ["Matter No.", "TK ID", "Work Date", "Hrs", "Task", "Activity", "Description"]


def test_the_mapping_is_guessed_from_headers_other_systems_write() -> None:
    mapping = guess_mapping(Kind.TIME, TIME_HEADERS)
    assert mapping == {
        "matter": "Matter No.",
        "timekeeper": "TK ID",
        "work_date": "Work Date",
        "hours": "Hrs",
        "task_code": "Task",
        "activity_code": "Activity",
        "narrative": "Description",
    }
    assert check_mapping(Kind.TIME, TIME_HEADERS, mapping) == []


def test_a_file_of_the_wrong_kind_names_each_missing_required_field_on_row_1() -> None:
    headers = ["Client number", "Name", "Address"]
    problems = check_mapping(Kind.TIME, headers, guess_mapping(Kind.TIME, headers))
    missing = {p.field for p in problems}
    required = {f.name for f in SCHEMAS[Kind.TIME].fields if f.required}
    assert required <= missing
    assert "hours" in missing  # hours or minutes: the group is named once
    assert all(p.row == 1 for p in problems)


def test_a_mapping_naming_a_column_the_file_lacks_is_a_problem() -> None:
    mapping = {**guess_mapping(Kind.TIME, TIME_HEADERS), "hours": "Duration"}
    problems = check_mapping(Kind.TIME, TIME_HEADERS, mapping)
    assert [(p.row, p.column, p.field) for p in problems] == [(1, "Duration", "hours")]


def test_one_column_for_two_fields_is_a_problem() -> None:
    mapping = {**guess_mapping(Kind.TIME, TIME_HEADERS), "minutes": "Hrs"}
    problems = check_mapping(Kind.TIME, TIME_HEADERS, mapping)
    assert any(p.column == "Hrs" and "both" in p.message for p in problems)


def test_the_header_signature_ignores_case_and_surrounding_spaces() -> None:
    assert header_signature(["Matter", " Hours "]) == header_signature(["matter", "HOURS"])
    assert header_signature(["Matter", "Hours"]) != header_signature(["Hours", "Matter"])


def _reader(headers: list[str] = TIME_HEADERS, **options: object) -> RowReader:
    return RowReader(
        Kind.TIME,
        headers,
        guess_mapping(Kind.TIME, headers),
        ImportOptions.from_dict(options),
    )


def test_a_good_row_becomes_typed_values_in_field_order() -> None:
    values, problems = _reader().read(
        2, ["C001-001", "PW", "03/02/2026", "1.25", "l110", "a101", " Drafted "]
    )
    assert problems == []
    assert values == [
        "C001-001",
        "PW",
        date(2026, 3, 2),
        4500,
        None,
        "L110",
        "A101",
        "Drafted",
        None,
    ]


def test_every_problem_of_a_row_is_named_with_its_row_and_column() -> None:
    values, problems = _reader().read(7, ["C001-001", "", "2026-02-30", "1,5h", "", "", " "])
    assert values is None
    assert {(p.row, p.column) for p in problems} == {
        (7, "TK ID"),
        (7, "Work Date"),
        (7, "Hrs"),
        (7, "Description"),
    }
    by_column = {p.column: p.message for p in problems}
    assert "not a date" in by_column["Work Date"]
    assert "required" in by_column["TK ID"]


def test_a_short_last_row_of_a_file_without_a_final_newline_reads_as_cut_off() -> None:
    values, problems = _reader().read(9, ["C001-001", "PW", "2026-03"], last=True, cut_off=True)
    assert values is None
    assert problems[0].row == 9
    assert problems[0].column == "Hrs"  # the first column the row does not reach
    assert "cut off" in problems[0].message


def test_hours_and_minutes_together_are_refused() -> None:
    headers = [*TIME_HEADERS, "Minutes"]
    values, problems = _reader(headers).read(
        3, ["C001-001", "PW", "2026-03-02", "1", "", "", "x", "60"]
    )
    assert values is None and "not both" in problems[0].message


def test_day_first_dates_need_the_option() -> None:
    assert parse_date("02/03/2026") == date(2026, 2, 3)
    assert parse_date("02/03/2026", "%d/%m/%Y") == date(2026, 3, 2)
    with pytest.raises(CellError):
        parse_date("2026-13-01")
    with pytest.raises(CellError):
        parse_date("0202-03-01")  # a typo, not a date of work


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.50", "1234.50"), ("$ 99", "99"), ("(12.5)", "-12.5"), ("€0.10", "0.10")],
)
def test_amounts_as_people_write_them(text: str, expected: str) -> None:
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["NaN", "inf", "1.2.3", "twelve", ""])
def test_non_numbers_are_refused(text: str) -> None:
    with pytest.raises(CellError):
        parse_decimal(text)


def test_yes_and_no() -> None:
    assert [parse_bool(t) for t in ("Yes", "x", "TRUE", "0", "n", "")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    with pytest.raises(CellError):
        parse_bool("maybe")


amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False
)


@given(amounts)
def test_a_decimal_written_plainly_or_with_thousands_separators_reads_back_exactly(
    value: Decimal,
) -> None:
    for text in (str(value), f"{value:,}", f"{value:f}"):
        parsed = parse_decimal(text)
        assert isinstance(parsed, Decimal)
        assert parsed == value


@given(amounts)
def test_a_decimal_comma_reads_back_exactly(value: Decimal) -> None:
    text = f"{value:,}".replace(",", " ").replace(".", ",").replace(" ", ".")
    assert parse_decimal(text, decimal_comma=True) == value


@given(st.decimals(min_value=0, max_value=24, places=4, allow_nan=False))
def test_hours_become_whole_seconds_rounded_half_up(hours: Decimal) -> None:
    expected = int((hours * 3600).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert parse_hours(str(hours)) == expected


@given(st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_clock_hours_are_hours_and_minutes(h: int, m: int) -> None:
    assert parse_hours(f"{h}:{m:02d}") == h * 3600 + m * 60


@given(st.decimals(min_value=0, max_value=1440, places=2, allow_nan=False))
def test_minutes_become_whole_seconds(minutes: Decimal) -> None:
    expected = int((minutes * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert parse_minutes(str(minutes)) == expected


def test_the_schemas_name_each_field_once_and_groups_only_their_own_fields() -> None:
    for kind, spec in SCHEMAS.items():
        names = [f.name for f in spec.fields]
        assert len(names) == len(set(names)), kind
        for group in spec.one_of:
            assert set(group) <= set(names)
