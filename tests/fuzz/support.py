"""What every fuzz test shares: the settings, the one acceptable failure, and the mutations.

The mutations are structure-aware: they start from a real, valid file (the LEDES reference pack,
the project's bank statement fixtures, the guideline templates) and break it the ways files
really break — lines dropped, repeated or swapped, a field moved, a delimiter or quote or NUL put
in, a number made huge, the encoding changed, a byte-order mark added, the file cut midway — so
the parser gets past its first check and the deeper code paths are exercised too.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st

from lexbill.core.errors import LexbillError

from .conftest import db_examples

FUZZ = settings(settings.get_profile("lexbill-fuzz"))
DB_FUZZ = settings(FUZZ, max_examples=db_examples())

ROOT = Path(__file__).resolve().parents[2]
SHARED_LEDES = ROOT.parent / "shared" / "ledes"
BANK_DATA = ROOT / "tests" / "formats" / "data" / "bank"

T = TypeVar("T")


def only_lexbill_errors(parse: Callable[[], T]) -> T | LexbillError:
    """The parser's value, or the ``LexbillError`` it raised; anything else propagates (a bug).

    A ``LexbillError`` must say something: an empty message is as useless as a crash.
    """
    try:
        return parse()
    except LexbillError as error:
        assert str(error).strip(), f"{type(error).__name__} without a message"
        return error


# --- the pieces a mutation inserts -------------------------------------------------------------

NASTY_TEXT = [
    "",
    "\x00",
    "|",
    ",",
    ";",
    "\t",
    '"',
    "'",
    "[]",
    "<",
    ">",
    "&amp;",
    "&#0;",
    "\r",
    "\n",
    "\r\n",
    "\ufeff",
    "\u2028",
    "\ud800",
    "9" * 40,
    "-" + "9" * 25 + ".999",
    "1e999999999",
    "-1E-999999",
    "NaN",
    "Infinity",
    "sNaN",
    "0x1F",
    "٣٤٥",
    "²",
    "--5",
    "99999999",
    "00000000",
    "2026-02-30",
    "20261399",
    "-0001-01-01",
    "12345-01-01",
    "é",
    "\u202e",
    "%s%n",
    "{{}}",
    "*a",
    "&a",
    "!!python/object:os.system",
    "? [a]",
    "[" * 50,
    "{" * 50,
    "<OFX>",
    "</OFX>",
    "<A>" * 30,
]

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]


@st.composite
def mutated_text(draw: st.DrawFn, sample: str, *, max_steps: int = 4) -> str:
    """``sample`` after a few line- and field-level mutations, chosen by hypothesis."""
    lines = sample.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, max_steps))):
        kind = draw(
            st.sampled_from(
                ["drop", "duplicate", "swap", "truncate", "insert", "replace", "cut", "field"]
            )
        )
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        if kind == "drop" and len(lines) > 1:
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at] if lines else "")
        elif kind == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "truncate" and lines:
            line = lines[at]
            lines[at] = line[: draw(st.integers(0, len(line)))]
        elif kind in ("insert", "replace") and lines:
            line = lines[at]
            where = draw(st.integers(0, len(line)))
            piece = draw(st.sampled_from(NASTY_TEXT) | st.text(max_size=8))
            end = where + draw(st.integers(0, 12)) if kind == "replace" else where
            lines[at] = line[:where] + piece + line[end:]
        elif kind == "cut":
            text = "".join(lines)
            cut = draw(st.integers(0, len(text)))
            lines = text[:cut].splitlines(keepends=True) or [""]
        elif kind == "field" and lines:
            lines[at] = _swap_fields(draw, lines[at])
    return "".join(lines)


def _swap_fields(draw: st.DrawFn, line: str) -> str:
    """Swap two fields of a delimited line (whichever of | , ; or tab it uses)."""
    for delimiter in ("|", ";", ",", "\t", "><"):
        parts = line.split(delimiter)
        if len(parts) > 2:
            a = draw(st.integers(0, len(parts) - 1))
            b = draw(st.integers(0, len(parts) - 1))
            parts[a], parts[b] = parts[b], parts[a]
            return delimiter.join(parts)
    return line


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """Text as bytes in an encoding the file might come in, maybe with a BOM it doesn't need."""
    encoding = draw(st.sampled_from(ENCODINGS))
    try:
        text.encode(encoding, errors="surrogateescape")
    except UnicodeEncodeError:
        text = text.encode("utf-16", errors="surrogatepass").decode("utf-16", errors="replace")
    # a lone surrogate (U+DC80..U+DCFF from undecodable bytes, or one inserted) becomes a raw
    # byte where it can, else "?": the file is then bytes again, as an upload would be
    data = text.encode(encoding, errors="surrogateescape" if "utf-8" in encoding else "replace")
    if draw(st.booleans()):
        data = draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b""])) + data
    return data


@st.composite
def mutated_bytes(draw: st.DrawFn, sample: bytes) -> bytes:
    """Byte-level damage to a real file: flipped, inserted, deleted bytes, or a cut."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "cut":
            del data[at:]
    return bytes(data)


def any_input(sample: str) -> Any:
    """Arbitrary bytes, or structure-aware mutations of ``sample`` as text or as bytes."""
    raw = sample.encode("utf-8", errors="surrogateescape")
    return st.one_of(
        st.binary(max_size=512),
        mutated_text(sample).flatmap(encoded),
        mutated_bytes(raw),
    )
