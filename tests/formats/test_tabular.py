"""Reading import files as streams of rows: encodings, delimiters, cut-off files, Excel cells."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from lexbill.formats.tabular import (
    TableError,
    cell_text,
    is_excel,
    open_table,
    read_header,
    sample_rows,
)

HEADER = "Matter,Timekeeper,Date,Hours,Narrative\n"
CAFE = "Café Müller – 20€"


def _write(tmp_path: Path, data: bytes, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    with open_table(path) as table:
        return [(row, cells) for row, cells, _last in table.rows]


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("cp1252", b"", "cp1252")],
)
def test_utf8_utf8_with_bom_and_windows_1252_read_the_same_text(
    tmp_path: Path, encoding: str, prefix: bytes, expected: str
) -> None:
    text = HEADER + f"C001-001,PW,2026-03-02,1.5,{CAFE}\n"
    path = _write(tmp_path, prefix + text.encode(encoding))
    with open_table(path) as table:
        assert table.headers == HEADER.strip().split(",")
        rows = [(row, cells) for row, cells, _last in table.rows]
        assert table.state.encoding == expected
    assert rows == [(2, ["C001-001", "PW", "2026-03-02", "1.5", CAFE])]


def test_a_utf8_file_with_a_windows_1252_row_is_refused_naming_both_rows(tmp_path: Path) -> None:
    data = (
        HEADER.encode()
        + "C001-001,PW,2026-03-02,1.5,Müller\n".encode()
        + b"C001-001,PW,2026-03-03,1.5,plain\n"
        + "C001-001,PW,2026-03-04,1.5,Caf\xe9\n".encode("cp1252")
    )
    path = _write(tmp_path, data)
    with pytest.raises(TableError) as caught:
        _rows(path)
    assert caught.value.line == 4
    assert "mixes encodings" in caught.value.message
    assert "row 2" in caught.value.message and "row 4" in caught.value.message


def test_a_windows_1252_file_with_a_utf8_row_is_refused_naming_the_row(tmp_path: Path) -> None:
    data = (
        HEADER.encode()
        + "C001-001,PW,2026-03-02,1.5,Caf\xe9\n".encode("cp1252")
        + "C001-001,PW,2026-03-03,1.5,Müller\n".encode()
    )
    with pytest.raises(TableError) as caught:
        _rows(_write(tmp_path, data))
    assert caught.value.line == 3
    assert "Windows-1252 (row 2)" in caught.value.message


def test_rows_before_an_encoding_error_are_still_handed_out(tmp_path: Path) -> None:
    data = (
        HEADER.encode()
        + "C001-001,PW,2026-03-02,1.5,Müller\n".encode()
        + "C001-001,PW,2026-03-04,1.5,Caf\xe9\n".encode("cp1252")
    )
    seen: list[int] = []
    with pytest.raises(TableError), open_table(_write(tmp_path, data)) as table:
        for row, _cells, _last in table.rows:
            seen.append(row)
    assert seen == [2]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_taken_from_the_header_line(tmp_path: Path, delimiter: str) -> None:
    text = delimiter.join(["Matter", "Hours", "Narrative"]) + "\n"
    text += delimiter.join(["C001-001", "1,5" if delimiter != "," else "1.5", "x"]) + "\n"
    rows = _rows(_write(tmp_path, text.encode()))
    assert len(rows) == 1 and rows[0][1][0] == "C001-001"


def test_quoted_values_keep_delimiters_and_newlines_and_rows_count_records(
    tmp_path: Path,
) -> None:
    text = HEADER + 'C001-001,PW,2026-03-02,1.5,"Call, then\nletter"\nC001-001,PW,2026-03-03,1,x\n'
    rows = _rows(_write(tmp_path, text.encode()))
    assert rows == [
        (2, ["C001-001", "PW", "2026-03-02", "1.5", "Call, then\nletter"]),
        (3, ["C001-001", "PW", "2026-03-03", "1", "x"]),
    ]


def test_a_file_cut_off_inside_a_quoted_value_names_the_row(tmp_path: Path) -> None:
    text = HEADER + "C001-001,PW,2026-03-02,1.5,x\n" + 'C001-001,PW,2026-03-03,1,"Drafted the mo'
    with pytest.raises(TableError) as caught:
        _rows(_write(tmp_path, text.encode()))
    assert caught.value.line == 3
    assert "cut off" in caught.value.message


def test_the_last_row_is_marked_and_a_missing_final_newline_is_known(tmp_path: Path) -> None:
    text = HEADER + "C001-001,PW,2026-03-02,1.5,x\nC001-001,PW,2026-03-0"
    with open_table(_write(tmp_path, text.encode())) as table:
        rows = list(table.rows)
        assert not table.state.ended_with_newline
    assert [(row, last) for row, _cells, last in rows] == [(2, False), (3, True)]


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TableError) as caught:
        read_header(_write(tmp_path, b"\n\n"))
    assert caught.value.line == 1


def _workbook(tmp_path: Path, rows: list[list[object]], name: str = "book.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_excel_cells_become_the_text_a_person_would_type(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path,
        [
            ["Matter", "Date", "Hours", "Billable", "Clock"],
            ["C001-001", datetime(2026, 3, 2), 1.3, True, time(1, 15)],  # noqa: DTZ001 a naive Excel cell
            ["C001-002", date(2026, 3, 3), 2, False, None],
        ],
    )
    assert is_excel(path)
    with open_table(path) as table:
        assert table.headers == ["Matter", "Date", "Hours", "Billable", "Clock"]
        rows = [(row, cells) for row, cells, _last in table.rows]
    assert rows == [
        (2, ["C001-001", "2026-03-02", "1.3", "yes", "1:15:00"]),
        (3, ["C001-002", "2026-03-03", "2", "no", ""]),
    ]


def test_a_workbook_cut_off_in_transfer_is_refused_as_unreadable(tmp_path: Path) -> None:
    whole = _workbook(tmp_path, [["Matter"], ["C001-001"]]).read_bytes()
    path = _write(tmp_path, whole[: len(whole) // 2], "cut.xlsx")
    with pytest.raises(TableError) as caught:
        read_header(path)
    assert "cut off" in caught.value.message


def test_floats_from_excel_are_shown_in_their_shortest_decimal_form() -> None:
    assert cell_text(0.1 + 0.2) == "0.30000000000000004"  # what Excel really stored
    assert cell_text(1.3) == "1.3"
    assert cell_text(2.0) == "2"
    assert cell_text(None) == ""


def test_sample_rows_skip_blank_rows(tmp_path: Path) -> None:
    text = HEADER + "\n,,,,\nC001-001,PW,2026-03-02,1.5,x\n"
    assert sample_rows(_write(tmp_path, text.encode())) == [
        (4, ["C001-001", "PW", "2026-03-02", "1.5", "x"])
    ]
