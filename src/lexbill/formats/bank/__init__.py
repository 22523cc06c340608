"""Bank statement readers: CSV (through a saved column mapping), OFX 1.x/2.x and camt.053.

Each is a pure function from the file's bytes to a ``BankStatement``; ``read_statement`` picks
one by name and ``guess_format`` names one from the bytes and the file name.
"""

from __future__ import annotations

from lexbill.formats.bank.camt053 import read_camt053
from lexbill.formats.bank.csv_statement import CsvLayout, read_csv_statement
from lexbill.formats.bank.model import BankEntry, BankStatement, BankStatementError
from lexbill.formats.bank.ofx import read_ofx

FORMATS = ("csv", "ofx", "camt053")

__all__ = [
    "FORMATS",
    "BankEntry",
    "BankStatement",
    "BankStatementError",
    "CsvLayout",
    "guess_format",
    "read_statement",
]


def guess_format(data: bytes, file_name: str = "") -> str:
    """``ofx``, ``camt053`` or ``csv``, by what the file starts with, then by its extension."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"OFXHEADER") or b"<OFX>" in head or b"<?OFX" in head:
        return "ofx"
    if head.startswith(b"<") and b"camt.053" in head:
        return "camt053"
    name = file_name.lower()
    if name.endswith((".ofx", ".qfx")):
        return "ofx"
    if name.endswith(".xml"):
        return "camt053"
    return "csv"


def read_statement(
    data: bytes, format: str, *, layout: CsvLayout | None = None, account_id: str = ""
) -> BankStatement:
    """Read a statement in the named format; a CSV needs its column layout."""
    if format == "ofx":
        return read_ofx(data)
    if format == "camt053":
        return read_camt053(data)
    if format == "csv":
        if layout is None:
            raise BankStatementError("a CSV statement needs a column mapping", field="mapping")
        return read_csv_statement(data, layout, account_id=account_id)
    raise BankStatementError(
        f"unknown statement format {format!r}; use one of {', '.join(FORMATS)}", field="format"
    )
