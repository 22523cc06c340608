"""Guideline documents as YAML text: ``load_document`` and ``dump_document``.

Reading uses PyYAML's ``safe_load`` when PyYAML is installed. Without it, a small reader of the
block-style subset that guideline files need (mappings, lists, flow lists of scalars, quoted and
plain scalars, comments) is used, so import and export work on a machine without PyYAML; it
refuses what it does not read (anchors, tags, multi-line scalars) with the line number, rather
than reading it differently. Both give the same values for files in that subset: plain numbers
with a decimal point come back as ``Decimal`` from the subset reader and as float from PyYAML,
and ``schema`` reads either exactly.

Writing never needs PyYAML: the writer emits that same subset, quoting every amount so that no
YAML reader turns "0.10" into a float, and every string a YAML 1.1 reader might take for
something else ("no", "on", "1e3").
"""

from __future__ import annotations

import datetime
import importlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from lexbill.guidelines.document import GuidelineDocument
from lexbill.guidelines.errors import GuidelineError
from lexbill.guidelines.schema import document_from_data, document_to_data

# YAML 1.1 (PyYAML) reads these plain words as booleans or null; the subset reader agrees.
_TRUE = frozenset({"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
_FALSE = frozenset({"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
_NULL = frozenset({"null", "Null", "NULL", "~", ""})
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+")
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KEY = re.compile(
    r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#\-?:,\[\]{}][^:#]*?)\s*:(?:\s+|$)"""
)


def _pyyaml_safe_load() -> Callable[[str], object] | None:
    try:
        module = importlib.import_module("yaml")
    except ImportError:
        return None
    return cast(Callable[[str], object], module.safe_load)


def load_document(text: str | bytes, *, source: str | None = None) -> GuidelineDocument:
    """A checked document from YAML text, or ``GuidelineError`` naming every problem."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise GuidelineError([f"not UTF-8 text: {error}"], source=source) from None
    return document_from_data(read_yaml(text, source=source), source=source)


def read_yaml(text: str, *, source: str | None = None) -> object:
    """The data in a YAML text: PyYAML when installed, else the subset reader."""
    safe_load = _pyyaml_safe_load()
    if safe_load is None:
        return parse_yaml_subset(text, source=source)
    try:
        return safe_load(text)
    except Exception as error:  # PyYAML's YAMLError; the module is optional, so no import
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f"line {line}: " if line is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise GuidelineError(
            [f"{where}not valid YAML: {problem}"], source=source, line=line
        ) from None


def dump_document(document: GuidelineDocument) -> str:
    """YAML text that ``load_document`` reads back to an equal document."""
    header = (
        f"# {document.name}: billing guidelines of client {document.client}, "
        f"version {document.version}\n"
    )
    return header + dump_yaml(document_to_data(document))


# --- the subset reader --------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    number: int
    indent: int
    text: str


def _fail(line: int, message: str, source: str | None) -> GuidelineError:
    return GuidelineError([f"line {line}: {message}"], source=source, line=line)


def parse_yaml_subset(text: str, *, source: str | None = None) -> object:
    """Reads block-style YAML: what guideline files use and what ``dump_yaml`` writes."""
    lines: list[_Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if number == 1 and stripped.startswith("%"):
            raise _fail(number, "YAML directives are not supported", source)
        if stripped == "---" and not lines:
            continue
        if stripped in ("---", "..."):
            raise _fail(number, "only one YAML document per file", source)
        body = raw.rstrip()
        indent = len(body) - len(body.lstrip(" "))
        if body[indent:indent + 1] == "\t" or "\t" in body[:indent]:  # fmt: skip
            raise _fail(number, "tabs cannot indent YAML; use spaces", source)
        lines.append(_Line(number, indent, body[indent:]))
    if not lines:
        return None
    reader = _Reader(lines, source)
    value = reader.block(0, lines[0].indent)
    if reader.position < len(lines):
        line = lines[reader.position]
        raise _fail(line.number, "unexpected indentation", source)
    return value


class _Reader:
    def __init__(self, lines: list[_Line], source: str | None) -> None:
        self.lines = lines
        self.source = source
        self.position = 0

    def fail(self, line: _Line, message: str) -> GuidelineError:
        return _fail(line.number, message, self.source)

    def block(self, position: int, indent: int) -> object:
        self.position = position
        line = self.lines[position]
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(indent)
        if _KEY.match(line.text):
            return self.mapping(indent)
        value = _scalar_or_flow(line.text, line.number, self.source)
        self.position += 1
        return value

    def nested(self, parent: _Line, parent_indent: int, allow_same_indent_list: bool) -> object:
        """The value below ``parent`` (a ``key:`` or a ``-`` with nothing after it)."""
        following = self.position + 1
        if following < len(self.lines):
            child = self.lines[following]
            if child.indent > parent_indent:
                return self.block(following, child.indent)
            if (
                allow_same_indent_list
                and child.indent == parent_indent
                and (child.text == "-" or child.text.startswith("- "))
            ):
                return self.sequence_at(following, parent_indent)
        self.position = following
        return None

    def sequence_at(self, position: int, indent: int) -> list[object]:
        self.position = position
        return self.sequence(indent)

    def sequence(self, indent: int) -> list[object]:
        items: list[object] = []
        while self.position < len(self.lines):
            line = self.lines[self.position]
            if line.indent < indent:
                break
            if line.indent > indent:
                raise self.fail(line, "unexpected indentation")
            if not (line.text == "-" or line.text.startswith("- ")):
                break
            rest = line.text[1:].lstrip(" ")
            if not rest:
                items.append(self.nested(line, indent, allow_same_indent_list=False))
                continue
            inner_indent = indent + len(line.text) - len(rest)
            if not rest.startswith("[") and _KEY.match(rest):
                # "- key: value" opens a mapping whose other keys line up under "key".
                self.lines[self.position] = _Line(line.number, inner_indent, rest)
                items.append(self.mapping(inner_indent))
                continue
            if rest.startswith("- "):
                raise self.fail(line, "nested '- - ' lists are not supported; indent the list")
            items.append(_scalar_or_flow(rest, line.number, self.source))
            self.position += 1
        return items

    def mapping(self, indent: int) -> dict[str, object]:
        result: dict[str, object] = {}
        while self.position < len(self.lines):
            line = self.lines[self.position]
            if line.indent < indent:
                break
            if line.indent > indent:
                raise self.fail(line, "unexpected indentation")
            if line.text == "-" or line.text.startswith("- "):
                break
            match = _KEY.match(line.text)
            if match is None:
                raise self.fail(line, f"expected 'key: value', got {line.text!r}")
            key = _key_text(match.group("key"), line.number, self.source)
            if key in result:
                raise self.fail(line, f"the key {key!r} appears twice")
            rest = line.text[match.end() :]
            if rest.startswith("#") or not rest.strip():
                result[key] = self.nested(line, indent, allow_same_indent_list=True)
                continue
            result[key] = _scalar_or_flow(rest, line.number, self.source)
            self.position += 1
        return result


def _key_text(raw: str, number: int, source: str | None) -> str:
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        value, rest = _quoted(raw, number, source)
        if rest.strip():
            raise _fail(number, f"unexpected text after the key {value!r}", source)
        return value
    if raw[:1] in "&*!|>%@`":
        raise _fail(number, f"keys starting with {raw[0]!r} are not supported", source)
    return raw


def _quoted(text: str, number: int, source: str | None) -> tuple[str, str]:
    """The quoted scalar at the start of ``text`` and what follows it."""
    if text[0] == "'":
        index = 1
        while True:
            end = text.find("'", index)
            if end < 0:
                raise _fail(number, "unterminated quoted string (one line only)", source)
            if text[end + 1 : end + 2] == "'":
                index = end + 2
                continue
            return text[1:end].replace("''", "'"), text[end + 1 :]
    index = 1
    while True:
        end = text.find('"', index)
        if end < 0:
            raise _fail(number, "unterminated quoted string (one line only)", source)
        backslashes = len(text[:end]) - len(text[:end].rstrip("\\"))
        if backslashes % 2:
            index = end + 1
            continue
        try:
            value = json.loads(text[: end + 1])
        except ValueError:
            raise _fail(number, f"bad escape in {text[: end + 1]}", source) from None
        return cast(str, value), text[end + 1 :]


def _after_value(rest: str, number: int, source: str | None) -> None:
    rest = rest.strip()
    if rest and not rest.startswith("#"):
        raise _fail(number, f"unexpected text {rest!r} after the value", source)


def _scalar_or_flow(text: str, number: int, source: str | None) -> object:
    first = text[:1]
    if first in ("'", '"'):
        value, rest = _quoted(text, number, source)
        _after_value(rest, number, source)
        return value
    if first == "[":
        return _flow_list(text, number, source)
    if first == "{":
        if re.fullmatch(r"\{\s*\}\s*(?:#.*)?", text):
            return {}
        raise _fail(number, "flow mappings {…} are not supported; use one key per line", source)
    if first in ("|", ">"):
        raise _fail(
            number, "multi-line text (| or >) is not supported; quote it on one line", source
        )
    if first in ("&", "*", "!"):
        raise _fail(number, "anchors, aliases and tags (& * !) are not supported", source)
    plain = re.split(r"\s#", text, maxsplit=1)[0].strip()
    if ": " in plain or plain.endswith(":"):
        raise _fail(number, f"a value cannot contain ': ' unquoted: {plain!r}; quote it", source)
    return _resolve_plain(plain, number, source)


def _resolve_plain(plain: str, number: int, source: str | None) -> object:
    if plain in _NULL:
        return None
    if plain in _TRUE:
        return True
    if plain in _FALSE:
        return False
    if _LEADING_ZERO.fullmatch(plain):
        raise _fail(
            number, f"{plain} has a leading zero, which YAML reads as octal; quote it", source
        )
    if _INT.fullmatch(plain):
        return int(plain)
    if _DECIMAL.fullmatch(plain):
        return Decimal(plain)
    if _DATE.fullmatch(plain):
        try:
            return datetime.date.fromisoformat(plain)
        except ValueError:
            raise _fail(number, f"{plain} is not a calendar date", source) from None
    return plain


def _flow_list(text: str, number: int, source: str | None) -> list[object]:
    items: list[object] = []
    rest = text[1:].lstrip()
    if rest.startswith("]"):
        _after_value(rest[1:], number, source)
        return items
    while True:
        rest = rest.lstrip()
        if rest[:1] in ("'", '"'):
            value, rest = _quoted(rest, number, source)
            items.append(value)
        elif rest[:1] in ("[", "{"):
            raise _fail(number, "nested flow collections are not supported", source)
        else:
            match = re.match(r"[^,\]]*", rest)
            assert match is not None
            plain = match.group(0).strip()
            if not plain:
                raise _fail(number, "empty item in a [ ] list", source)
            items.append(_resolve_plain(plain, number, source))
            rest = rest[match.end() :]
        rest = rest.lstrip()
        if rest.startswith(","):
            rest = rest[1:]
            continue
        if rest.startswith("]"):
            _after_value(rest[1:], number, source)
            return items
        raise _fail(number, "a [ ] list must be closed on the same line", source)


# --- the writer ---------------------------------------------------------------------------------

_SAFE_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 _.,/()&'+-]*")
_RESERVED_WORDS = _TRUE | _FALSE | _NULL | {"y", "Y", "n", "N"}


def _scalar_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f'"{value:f}"'
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        if _DATE.fullmatch(value):
            try:
                datetime.date.fromisoformat(value)
                return value  # read back as a date, which text fields accept as its ISO form
            except ValueError:
                pass
        plain = (
            _SAFE_PLAIN.fullmatch(value)
            and value not in _RESERVED_WORDS
            and not value.endswith(" ")
            and "  " not in value
        )
        return value if plain else json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def dump_yaml(data: object) -> str:
    """Block-style YAML for plain data (mappings with text keys, lists, scalars)."""
    out: list[str] = []
    _emit(data, 0, out)
    return "".join(out)


def _emit(value: object, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            out.append(f"{pad}{{}}\n")
        for key, item in value.items():
            _emit_entry(f"{pad}{_scalar_text(str(key))}:", item, indent, out)
    elif isinstance(value, list | tuple):
        if not value:
            out.append(f"{pad}[]\n")
        for item in value:
            if isinstance(item, Mapping) and item:
                first = True
                for key, inner in item.items():
                    lead = f"{pad}- " if first else f"{pad}  "
                    _emit_entry(f"{lead}{_scalar_text(str(key))}:", inner, indent + 2, out)
                    first = False
            elif isinstance(item, list | tuple) and item:
                out.append(f"{pad}-\n")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{pad}- {_inline(item)}\n")
    else:
        out.append(f"{pad}{_scalar_text(value)}\n")


def _inline(value: object) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return _scalar_text(value)


def _emit_entry(lead: str, item: Any, indent: int, out: list[str]) -> None:
    if (isinstance(item, Mapping) and item) or (isinstance(item, list | tuple) and item):
        out.append(f"{lead}\n")
        _emit(item, indent + 2, out)
    else:
        out.append(f"{lead} {_inline(item)}\n")
