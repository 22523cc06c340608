"""A guideline document as the fields of a web form, and back again.

Billing specialists edit a client's guidelines rule by rule in the browser rather than in YAML.
Each rule's parameters become form fields by their declared types in ``params`` (so a parameter
added there gets its field with no more code), and the posted fields become the plain data that
``document_from_data`` reads: the form and a YAML import are checked by the same code and report
the same problems, each tied back to the rule on the form it came from.

The form is a flat mapping of names to text, as a browser posts it::

    name, version, effective_from, effective_to, currency, description, matters (YAML)
    rule_count
    rule-<i>-id, rule-<i>-type, rule-<i>-severity, rule-<i>-source, rule-<i>-delete
    rule-<i>-<parameter>

A parameter holding a list of texts is one text per line; a list of records (rate caps, expense
caps, event limits) is a small YAML list, the same shape a YAML file uses.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from lexbill.guidelines.document import GuidelineDocument
from lexbill.guidelines.errors import GuidelineError
from lexbill.guidelines.model import Severity
from lexbill.guidelines.params import DEFAULT_SEVERITY, PARAMS, RuleType
from lexbill.guidelines.schema import FORMAT, document_from_data, document_to_data
from lexbill.guidelines.yamltext import dump_yaml, read_yaml

_RULE_KEYS = ("id", "type", "severity", "source", "delete")
_HEADER = ("name", "version", "effective_from", "effective_to", "currency", "description")


class FieldKind(StrEnum):
    WHOLE = "whole"
    """A whole number (minutes, days, a count)."""
    DECIMAL = "decimal"
    """An amount, hours or a percentage, kept as text so no float ever touches it."""
    FLAG = "flag"
    TEXT = "text"
    CHOICE = "choice"
    LINES = "lines"
    """A list of words, phrases or codes: one per line."""
    RECORDS = "records"
    """A list of records (a rate cap per timekeeper or classification), as a YAML list."""


@dataclass(frozen=True)
class ParamField:
    """One parameter as the form shows it; ``value`` is the text in the box."""

    name: str
    kind: FieldKind
    value: str
    optional: bool = False
    """Blank means "no limit" (``None``), not "the default"."""
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def checked(self) -> bool:
        return self.kind is FieldKind.FLAG and self.value == "on"


@dataclass(frozen=True)
class RuleForm:
    """One rule on the form, with the problems found in it after a save was refused."""

    index: int
    id: str
    type: RuleType
    severity: str
    source: str
    fields: tuple[ParamField, ...]
    problems: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return rule_summary(self.type)


def rule_summary(rule_type: RuleType) -> str:
    """The first paragraph of the parameter class's docstring: what the rule checks."""
    doc = PARAMS[rule_type].__doc__ or ""
    return " ".join(doc.strip().split("\n\n", 1)[0].split()).replace("``", "")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _kind(hint: Any) -> tuple[FieldKind, bool, tuple[str, ...]]:
    """The field kind for a declared type, whether blank means None, and any choices."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (types.UnionType, typing.Union) and type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        kind, _, choices = _kind(inner)
        return kind, True, choices
    if typing.get_origin(hint) is tuple:
        return (FieldKind.LINES if args[0] is str else FieldKind.RECORDS), False, ()
    if hint is bool:
        return FieldKind.FLAG, False, ()
    if hint is int:
        return FieldKind.WHOLE, False, ()
    if hint is Decimal:
        return FieldKind.DECIMAL, False, ()
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return FieldKind.CHOICE, False, tuple(member.value for member in hint)
    return FieldKind.TEXT, False, ()


def _as_text(kind: FieldKind, value: object) -> str:
    if value is None:
        return ""
    if kind is FieldKind.FLAG:
        return "on" if value else ""
    if kind is FieldKind.LINES:
        assert isinstance(value, list | tuple)
        return "\n".join(str(item) for item in value)
    if kind is FieldKind.RECORDS:
        assert isinstance(value, list | tuple)
        # a blank text in a record is its default ("no timekeeper"): shown only when set
        records = [
            {key: item for key, item in record.items() if item != ""}
            if isinstance(record, Mapping)
            else record
            for record in value
        ]
        return dump_yaml(records) if records else ""
    return str(value)


def _defaults(rule_type: RuleType) -> dict[str, object]:
    """The parameters a new rule of this type starts with; required ones start blank."""
    values: dict[str, object] = {}
    for spec in dataclasses.fields(PARAMS[rule_type]):
        if spec.default is not dataclasses.MISSING:
            values[spec.name] = spec.default
        else:
            values[spec.name] = None
    plain = document_to_data_value(values)
    assert isinstance(plain, dict)
    return plain


def document_to_data_value(value: object) -> object:
    """Parameter values as the plain data a document is written in (Decimals as text)."""
    if isinstance(value, Mapping):
        return {key: document_to_data_value(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [document_to_data_value(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return f"{value:f}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: document_to_data_value(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    return value


def _rule_values(index: int, rule: Mapping[str, object]) -> dict[str, str]:
    rule_type = RuleType(str(rule["type"]))
    prefix = f"rule-{index}-"
    values = {
        prefix + "id": str(rule.get("id", "")),
        prefix + "type": rule_type.value,
        prefix + "severity": str(rule.get("severity") or DEFAULT_SEVERITY[rule_type].value),
        prefix + "source": str(rule.get("source", "")),
    }
    hints = _hints(PARAMS[rule_type])
    for spec in dataclasses.fields(PARAMS[rule_type]):
        kind, _, _ = _kind(hints[spec.name])
        values[prefix + spec.name] = _as_text(kind, rule.get(spec.name))
    return values


def form_values(document: GuidelineDocument) -> dict[str, str]:
    """The form filled in with a document, every parameter shown (defaults included)."""
    data = document_to_data(document)
    values = {key: "" if data.get(key) is None else str(data.get(key, "")) for key in _HEADER}
    rules = data["rules"]
    assert isinstance(rules, list)
    for index, rule in enumerate(rules):
        values.update(_rule_values(index, rule))
    values["rule_count"] = str(len(rules))
    matters = data.get("matters")
    values["matters"] = dump_yaml(matters) if matters else ""
    return values


def with_new_rule(values: Mapping[str, str], rule_type: RuleType) -> dict[str, str]:
    """The form with one more rule of ``rule_type`` at the end, its parameters at their
    defaults and an id made from the type that no other rule on the form uses."""
    result = dict(values)
    count = _count(values)
    taken = {values.get(f"rule-{i}-id", "") for i in range(count)}
    base = rule_type.value.replace("_", "-")
    rule_id = base
    suffix = 2
    while rule_id in taken:
        rule_id = f"{base}-{suffix}"
        suffix += 1
    result.update(
        _rule_values(count, {"id": rule_id, "type": rule_type.value, **_defaults(rule_type)})
    )
    result["rule_count"] = str(count + 1)
    return result


def _count(values: Mapping[str, str]) -> int:
    raw = values.get("rule_count", "0").strip()
    return int(raw) if raw.isdigit() else 0


def _rule_type(values: Mapping[str, str], index: int) -> RuleType | None:
    try:
        return RuleType(values.get(f"rule-{index}-type", ""))
    except ValueError:
        return None


def rule_forms(
    values: Mapping[str, str], problems: Mapping[int, tuple[str, ...]] | None = None
) -> list[RuleForm]:
    """The rules on the form as they were typed, for showing again (with their problems)."""
    forms: list[RuleForm] = []
    for index in range(_count(values)):
        rule_type = _rule_type(values, index)
        if rule_type is None:
            continue
        prefix = f"rule-{index}-"
        hints = _hints(PARAMS[rule_type])
        fields = []
        for spec in dataclasses.fields(PARAMS[rule_type]):
            kind, optional, choices = _kind(hints[spec.name])
            fields.append(
                ParamField(spec.name, kind, values.get(prefix + spec.name, ""), optional, choices)
            )
        forms.append(
            RuleForm(
                index=index,
                id=values.get(prefix + "id", ""),
                type=rule_type,
                severity=values.get(prefix + "severity", ""),
                source=values.get(prefix + "source", ""),
                fields=tuple(fields),
                problems=(problems or {}).get(index, ()),
            )
        )
    return forms


def _param_data(field: ParamField, where: str, problems: list[str]) -> tuple[bool, object]:
    """(present, value) for one parameter as the document's plain data; blank required
    parameters are left out, so the document's own check names them."""
    text = field.value.strip()
    if field.kind is FieldKind.FLAG:
        return True, field.value == "on"
    if field.kind is FieldKind.LINES:
        return True, [line.strip() for line in field.value.splitlines() if line.strip()]
    if field.kind is FieldKind.RECORDS:
        if not text:
            return True, []
        try:
            data = read_yaml(field.value)
        except GuidelineError as error:
            problems.extend(f"{where}: {field.name}: {problem}" for problem in error.problems)
            return False, None
        return True, data
    if not text:
        if field.optional:
            return True, None
        # blank text is still text (the rule's own check says why it is wanted); a blank
        # number is left out, and the document's check calls it required
        return (True, "") if field.kind is FieldKind.TEXT else (False, None)
    return True, text


_WHERE = re.compile(r"rules\[(\d+)\]")


def document_from_form(
    values: Mapping[str, str], client: str
) -> tuple[GuidelineDocument | None, list[str], dict[int, tuple[str, ...]]]:
    """The document the form describes, or every problem in it.

    Returns (document, problems, problems by the form's rule index). Rules ticked for deletion
    are left out; the problems of the others name the rule as the form shows it.
    """
    problems: list[str] = []
    data: dict[str, object] = {"format": FORMAT, "client": client}
    for key in _HEADER:
        text = values.get(key, "").strip()
        if text or key in ("name", "version", "effective_from"):
            data[key] = text
    rules: list[dict[str, object]] = []
    form_index: list[int] = []
    by_rule: dict[int, list[str]] = {}
    for form in rule_forms(values):
        prefix = f"rule-{form.index}-"
        if values.get(prefix + "delete") == "on":
            continue
        where = f"rule {form.id or form.index + 1!r}"
        rule: dict[str, object] = {"id": form.id.strip(), "type": form.type.value}
        if form.severity:
            rule["severity"] = form.severity
        if form.source.strip():
            rule["source"] = form.source.strip()
        own: list[str] = []
        for field in form.fields:
            present, value = _param_data(field, where, own)
            if present:
                rule[field.name] = value
        if own:
            by_rule[form.index] = own
            problems.extend(own)
        rules.append(rule)
        form_index.append(form.index)
    data["rules"] = rules
    matters_text = values.get("matters", "").strip()
    if matters_text:
        try:
            data["matters"] = read_yaml(values["matters"])
        except GuidelineError as error:
            problems.extend(f"matters: {problem}" for problem in error.problems)
    if problems:
        return None, problems, {k: tuple(v) for k, v in by_rule.items()}
    try:
        document = document_from_data(data)
    except GuidelineError as error:
        for problem in error.problems:
            found = _WHERE.match(problem)
            if found and int(found.group(1)) < len(form_index):
                by_rule.setdefault(form_index[int(found.group(1))], []).append(problem)
        return None, list(error.problems), {k: tuple(v) for k, v in by_rule.items()}
    return document, [], {}


SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
RULE_TYPES: tuple[str, ...] = tuple(t.value for t in RuleType)
