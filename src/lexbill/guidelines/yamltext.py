"""Guideline documents as YAML text: ``load_document`` and ``dump_document``.

Reading is PyYAML's safe loader, made stricter (a key given twice, or a number YAML reads
differently from how it looks, is refused with its line). Writing is a small emitter rather than
``yaml.safe_dump``, which would turn amounts into floats: it quotes every amount, and every string
a YAML 1.1 reader might take for something else ("no", "on", "1e3").
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import yaml

from lexbill.guidelines.document import GuidelineDocument
from lexbill.guidelines.errors import GuidelineError
from lexbill.guidelines.schema import document_from_data, document_to_data

# YAML 1.1 (PyYAML) reads these plain words as booleans or null: written quoted.
_TRUE = frozenset({"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
_FALSE = frozenset({"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
_NULL = frozenset({"null", "Null", "NULL", "~", ""})
_AMBIGUOUS_INT = re.compile(r"[-+]?(?:0[0-9_]+|0[box].*|.*[_:].*)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@cache
def _strict_safe_load() -> Callable[[str], object]:
    """PyYAML's safe loader, made to refuse a key given twice (it keeps the last silently,
    and a guideline whose second ``max_rate`` wins unnoticed is a wrong guideline) and a number
    it would read differently from how it looks (``0042`` is octal 34 to YAML 1.1)."""

    class StrictLoader(yaml.SafeLoader):
        def construct_yaml_int(self, node: Any) -> Any:
            if _AMBIGUOUS_INT.fullmatch(str(node.value)):
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{node.value} is a number YAML reads differently from how it looks "
                    "(octal, 1_000, 1:30); put it in quotes",
                    node.start_mark,
                )
            return super().construct_yaml_int(node)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[object] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    hash(key)
                except TypeError:  # a list or mapping as a key (``? [a]``): not a name
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        "a key must be a name, not a list or mapping",
                        key_node.start_mark,
                    ) from None
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} appears twice", key_node.start_mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep)

    StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)

    def load(text: str) -> object:
        return yaml.load(text, Loader=StrictLoader)  # a SafeLoader: no arbitrary objects

    return load


def load_document(text: str | bytes, *, source: str | None = None) -> GuidelineDocument:
    """A checked document from YAML text, or ``GuidelineError`` naming every problem."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise GuidelineError([f"not UTF-8 text: {error}"], source=source) from None
    return document_from_data(read_yaml(text, source=source), source=source)


def read_yaml(text: str, *, source: str | None = None) -> object:
    """The data in a YAML text, or ``GuidelineError`` naming the line."""
    try:
        return _strict_safe_load()(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f"line {line}: " if line is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise GuidelineError(
            [f"{where}not valid YAML: {problem}"], source=source, line=line
        ) from None
    except RecursionError:
        # PyYAML composes nested collections recursively: thousands of "[" exhaust the stack
        raise GuidelineError(["not valid YAML: nested too deeply"], source=source) from None
    except ValueError as error:
        # PyYAML's timestamp constructor lets a date like 2026-02-30 fail as a ValueError
        raise GuidelineError([f"not valid YAML: {error}"], source=source) from None


def dump_document(document: GuidelineDocument) -> str:
    """YAML text that ``load_document`` reads back to an equal document."""
    header = (
        f"# {document.name}: billing guidelines of client {document.client}, "
        f"version {document.version}\n"
    )
    return header + dump_yaml(document_to_data(document))


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
