"""Making free text safe for a LEDES line, and saying exactly what was changed.

LEDES has no quoting: a ``|`` ends the field, ``[]`` ends the record, a line break splits it, and
receivers reject non-ASCII. Narratives are therefore transliterated (curly quotes to straight,
"é" to "e", "ß" to "ss"), never silently dropped: every change is returned as a record so the
export can show the billing team what the client will actually read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

# Characters LEDES cannot carry even though they are ASCII, with what stands in for them.
_STRUCTURAL = {"|": "/", "[": "(", "]": ")"}

# Replacements NFKD does not produce (or produces badly); applied before decomposition.
_TABLE: dict[str, str] = {
    **dict.fromkeys("‘’‚‛′‵´`", "'"),
    **dict.fromkeys("“”„‟″‶«»", '"'),
    "‹": "<",
    "›": ">",
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
    "…": "...",
    **dict.fromkeys("•◦▪‣·", "-"),
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ł": "l",
    "Ł": "L",
    "ı": "i",
    "ħ": "h",
    "Ħ": "H",
    "ŋ": "ng",
    "Ŋ": "NG",
    "ĸ": "k",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "¢": "c",
    "©": "(c)",
    "®": "(R)",
    "§": "Sec.",
    "¶": "Para.",
    "°": "deg",
    "×": "x",
    "÷": "/",
    "±": "+/-",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "→": "->",
    "←": "<-",
    "⁄": "/",
    "\u00a0": " ",
    "\t": " ",
    "\n": " ",
    "\r": " ",
    "\u2028": " ",
    "\u2029": " ",
    # Invisible characters: removing them changes nothing a reader sees, and it is reported.
    "\u00ad": "",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
}

UNREPRESENTABLE = "?"


class ChangeKind(StrEnum):
    REPLACED = "replaced"
    TRUNCATED = "truncated"


@dataclass(frozen=True, slots=True)
class TextChange:
    """One kind of change made to one field of one invoice line.

    ``line_item`` is the LINE_ITEM_NUMBER, or ``None`` for an invoice-level field. For a
    replacement, ``original`` is the character (or ``\\r\\n`` pair) and ``replacement`` what was
    written instead, ``count`` times; for a truncation, ``original`` is the text cut off.
    """

    invoice: str
    line_item: str | None
    field: str
    kind: ChangeKind
    original: str
    replacement: str
    count: int = 1

    @property
    def message(self) -> str:
        where = f"invoice {self.invoice}"
        if self.line_item is not None:
            where += f", line {self.line_item}"
        if self.kind is ChangeKind.TRUNCATED:
            return (
                f"{where}, {self.field}: cut to the length limit; "
                f"{len(self.original)} characters removed: {self.original[:40]!r}"
            )
        times = f" ({self.count} times)" if self.count > 1 else ""
        return (
            f"{where}, {self.field}: {_describe(self.original)} written as "
            f"{self.replacement!r}{times}"
        )


@dataclass(frozen=True, slots=True)
class CleanText:
    """The text as it will be written, and the changes (original → replacement, count)."""

    text: str
    replacements: tuple[tuple[str, str, int], ...] = ()
    truncated: str = ""
    """The tail cut off to respect the length limit, empty when nothing was cut."""

    @property
    def changed(self) -> bool:
        return bool(self.replacements or self.truncated)

    def changes(self, invoice: str, line_item: str | None, field: str) -> list[TextChange]:
        """The change records for this text once it is known where it goes."""
        records = [
            TextChange(invoice, line_item, field, ChangeKind.REPLACED, old, new, count)
            for old, new, count in self.replacements
        ]
        if self.truncated:
            records.append(
                TextChange(invoice, line_item, field, ChangeKind.TRUNCATED, self.truncated, "")
            )
        return records


def _describe(original: str) -> str:
    if original == "\r\n":
        return "line break (CR LF)"
    names = []
    for char in original:
        name = unicodedata.name(char, "")
        names.append(f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})")
    return " ".join(names)


def is_ledes_safe(value: str) -> bool:
    """True when ``value`` can be written as it is: printable ASCII without | [ ]."""
    return (
        value.isascii()
        and value.isprintable()
        and "|" not in value
        and "[" not in value
        and "]" not in value
    )


@cache
def replacement_for(char: str) -> str:
    """What one unsafe character becomes: the table, then NFKD without accents, else '?'."""
    if char in _STRUCTURAL:
        return _STRUCTURAL[char]
    if char in _TABLE:
        return _TABLE[char]
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    out = []
    for c in base:
        if c in _STRUCTURAL:
            out.append(_STRUCTURAL[c])
        elif c in _TABLE and c != char:
            out.append(_TABLE[c])
        elif c.isascii() and c.isprintable():
            out.append(c)
        else:
            # Control characters read as a space; anything else unknown is a visible '?'.
            out.append(" " if unicodedata.category(c).startswith("C") else UNREPRESENTABLE)
    return "".join(out) if base else UNREPRESENTABLE


def clean_text(value: str, limit: int | None = None) -> CleanText:
    """``value`` made LEDES-safe, then cut to ``limit`` characters if it is longer."""
    if is_ledes_safe(value):
        if limit is None or len(value) <= limit:
            return CleanText(value)
        head = _cut(value, limit)
        return CleanText(head, truncated=value[len(head) :])
    counts: dict[tuple[str, str], int] = {}
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        char = value[i]
        if char == "\r" and i + 1 < n and value[i + 1] == "\n":
            original, new = "\r\n", " "
            i += 2
        else:
            i += 1
            if " " <= char <= "~" and char not in _STRUCTURAL:
                out.append(char)
                continue
            original, new = char, replacement_for(char)
        out.append(new)
        counts[original, new] = counts.get((original, new), 0) + 1
    text = "".join(out)
    truncated = ""
    if limit is not None and len(text) > limit:
        head = _cut(text, limit)
        text, truncated = head, text[len(head) :]
    return CleanText(
        text, tuple((old, new, count) for (old, new), count in counts.items()), truncated
    )


def _cut(text: str, limit: int) -> str:
    """The first ``limit`` characters, without the dangling space a cut mid-sentence leaves."""
    return text[:limit].rstrip(" ")


def transliterate(
    value: str,
    *,
    invoice: str,
    field: str,
    line_item: str | None = None,
    limit: int | None = None,
) -> tuple[str, list[TextChange]]:
    """``value`` as LEDES can carry it, and one record per kind of change made to it."""
    cleaned = clean_text(value, limit)
    return cleaned.text, cleaned.changes(invoice, line_item, field)
