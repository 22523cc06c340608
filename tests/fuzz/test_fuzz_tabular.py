"""Fuzz the mapped-import file reader (``lexbill.formats.tabular``: CSV in any of its encodings,
and .xlsx) and the export archive's cell decoders (``lexbill.exports.codec``).

``open_table`` and its row iterator raise ``TableError`` (a ``LexbillError``) naming the row, or
give rows; the archive decoders raise ``ValueError`` for the loader to name file, line and
column, and nothing else.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from lexbill.exports.codec import Kind, decoder
from lexbill.formats.tabular import TableError, open_table

from .support import FUZZ, NASTY_TEXT, any_input, mutated_bytes, only_lexbill_errors

TIME_CSV = (
    "Date,Timekeeper,Matter,Hours,Narrative,Task,Activity\r\n"
    '2026-06-01,PW,C001-001,1.5,"Draft motion, review ""exhibits""",L120,A103\r\n'
    "2026-06-02,AL,C001-001,0.25,Call with client,L110,A106\r\n"
    "06/03/2026,PJ,C002-001,3,Copying;\tbinders,L140,A110\r\n"
)


def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in TIME_CSV.splitlines():
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = _workbook()


def _read_all(path: Path, name: str) -> None:
    def read() -> int:
        with open_table(path, name) as table:
            assert isinstance(table.headers, list)
            count = 0
            for number, cells, _last in table.rows:
                assert number >= 1 and all(isinstance(c, str) for c in cells)
                count += 1
            return count

    only_lexbill_errors(read)


@FUZZ
@given(data=any_input(TIME_CSV))
def test_a_mutated_csv_import_is_refused_or_read(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("csv") / "time.csv"
    path.write_bytes(data)
    _read_all(path, "time.csv")


@FUZZ
@given(data=mutated_bytes(XLSX) | st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b))
def test_a_damaged_workbook_is_refused_or_read(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("xlsx") / "time.xlsx"
    path.write_bytes(data)
    _read_all(path, "time.xlsx")


@pytest.mark.parametrize("kind", list(Kind), ids=str)
@FUZZ
@given(text=st.sampled_from(NASTY_TEXT) | st.text(max_size=40))
def test_an_archive_cell_is_decoded_or_refused_with_a_value_error(kind: Kind, text: str) -> None:
    decode = decoder(kind, 2)
    try:
        decode(text)
    except ValueError as error:
        assert str(error)


# --- inputs found, pinned ---------------------------------------------------------------------


def test_json_nested_too_deeply_is_a_value_error() -> None:
    # json.loads raised RecursionError, which the archive loader does not turn into a refusal
    with pytest.raises(ValueError, match="nested too deeply"):
        decoder(Kind.JSON)("[" * 100_000)


@pytest.mark.parametrize("text", ["9" * 30, "-" + "9" * 30])
def test_a_duration_longer_than_timedelta_holds_is_a_value_error(text: str) -> None:
    # timedelta(microseconds=…) raised OverflowError
    with pytest.raises(ValueError, match="longer than a duration can be"):
        decoder(Kind.DURATION)(text)


def test_a_csv_named_file_starting_like_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "time.csv"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(TableError):
        open_table(path, "time.csv")


def _rezipped(change: dict[str, Any]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(XLSX)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(change)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_workbook_without_sheets_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(XLSX)) as archive:
        workbook = archive.read("xl/workbook.xml")
    no_sheets = re.sub(rb"<sheet [^>]*/>", b"", workbook)
    assert no_sheets != workbook
    path = tmp_path / "time.xlsx"
    path.write_bytes(_rezipped({"xl/workbook.xml": no_sheets}))
    with pytest.raises(TableError):
        open_table(path, "time.xlsx")


def _corrupt_deflate_stream() -> bytes:
    """The workbook with one byte of a compressed member changed so that inflating it fails
    (zlib.error) rather than only the CRC check (BadZipFile): found by trying each byte."""
    with zipfile.ZipFile(io.BytesIO(XLSX)) as archive:
        info = archive.getinfo("xl/workbook.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start, start + info.compress_size):
        data = bytearray(XLSX)
        data[offset] ^= 0xFF
        try:
            with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
                archive.read("xl/workbook.xml")
        except zlib.error:
            return bytes(data)
        except zipfile.BadZipFile:
            continue
    raise AssertionError("no byte of the member breaks its deflate stream")


def test_a_workbook_with_a_broken_compressed_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "time.xlsx"
    path.write_bytes(_corrupt_deflate_stream())
    with pytest.raises(TableError):
        open_table(path, "time.xlsx")
