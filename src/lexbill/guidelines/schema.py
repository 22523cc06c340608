"""Guideline documents to and from plain data (dicts, lists, strings, numbers, dates).

This is the one place that knows the document's shape on disk; YAML (``yamltext``) and the
Django side's JSON column both go through it. Reading checks every rule and parameter and
collects every problem before raising, so a bad file is reported in one pass and never
half-loaded. Parameters are read by their declared types (see ``params``), so a parameter
added there is read and written here without more code.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from lexbill.core.money import MINOR_UNITS
from lexbill.guidelines import params as p
from lexbill.guidelines.document import GuidelineDocument, MatterOverride, RuleSpec
from lexbill.guidelines.errors import GuidelineError
from lexbill.guidelines.model import Severity
from lexbill.guidelines.params import DEFAULT_SEVERITY, PARAMS, RuleParams, RuleType

FORMAT = "lexbill-guidelines/1"
"""Written as ``format:`` so a future change of shape can be recognised and converted."""

_DOCUMENT_KEYS = (
    "format",
    "name",
    "client",
    "version",
    "effective_from",
    "effective_to",
    "currency",
    "description",
    "rules",
    "matters",
)
_RULE_KEYS = ("id", "type", "severity", "source")
_MATTER_KEYS = ("matter", "note", "disable", "rules")

T = TypeVar("T")


class _Bad(Exception):
    """One value that cannot be read; the caller adds where it is."""


# --- reading values ---------------------------------------------------------------------------


def _describe(value: object) -> str:
    """A value as the user wrote it: 7.5 whichever YAML reader made it a float or a Decimal."""
    number = isinstance(value, Decimal | float | int) and not isinstance(value, bool)
    text = str(value) if number else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _read_str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # An id written as a plain number (client: 10231). Both YAML readers refuse numbers a
        # reader could change on the way (0042 is octal 34 to PyYAML), so this one is as typed.
        return str(value)
    if isinstance(value, datetime.date):
        # A plain YAML scalar that looks like a date is read as one; an id may look like that.
        return value.isoformat()
    raise _Bad(f"expected text, got {_describe(value)}")


def _read_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            try:
                return int(value)
            except ValueError:  # "--5", "²" (isdigit, but not a number), 5000 digits
                pass
        raise _Bad(f"expected a whole number, got {_describe(value)}")
    return value


def _read_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _Bad(f"expected true or false, got {_describe(value)}")


def _read_decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise _Bad(f"expected a decimal number, got {_describe(value)}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # PyYAML reads an unquoted 0.10 as a float. Its repr is the shortest text that reads back
        # as the same float, which for any figure a person types is exactly what they typed.
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise _Bad(f"expected a decimal number, got {_describe(value)}") from None
    else:
        raise _Bad(f"expected a decimal number, got {_describe(value)}")
    if not result.is_finite():
        raise _Bad(f"expected a finite number, got {_describe(value)}")
    return result


def _read_date(value: object) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise _Bad(f"expected a date (YYYY-MM-DD), got a date and time {_describe(value)}")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Bad(f"expected a date (YYYY-MM-DD), got {_describe(value)}")


def _read_enum(enum: type[StrEnum], value: object) -> StrEnum:
    choices = ", ".join(member.value for member in enum)
    if isinstance(value, str):
        try:
            return enum(value.strip().lower())
        except ValueError:
            pass
    raise _Bad(f"expected one of {choices}, got {_describe(value)}")


def _read_list(value: object) -> list[object]:
    if isinstance(value, list | tuple):
        return list(value)
    raise _Bad(f"expected a list, got {_describe(value)}")


def _read_mapping(value: object) -> Mapping[str, object]:
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return value
    raise _Bad(f"expected a mapping of names to values, got {_describe(value)}")


_HINTS: dict[object, dict[str, Any]] = {}


def _hints(cls: object) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _read_typed(value: object, hint: Any, path: str, problems: list[str]) -> Any:
    """Reads ``value`` as ``hint``; on failure records the problem and returns ``_MISSING``."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    try:
        if origin in (types.UnionType, typing.Union) and type(None) in args:
            if value is None:
                return None
            (inner,) = (arg for arg in args if arg is not type(None))
            return _read_typed(value, inner, path, problems)
        if origin is tuple:
            items = _read_list(value)
            results = [
                _read_typed(item, args[0], f"{path}[{index}]", problems)
                for index, item in enumerate(items)
            ]
            return tuple(results)
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return _read_dataclass(hint, value, path, problems)
        if isinstance(hint, type) and issubclass(hint, StrEnum):
            return _read_enum(hint, value)
        reader = _READERS.get(hint)
        if reader is None:  # pragma: no cover - a parameter type without a reader is a bug here
            raise TypeError(f"no reader for {hint!r}")
        return reader(value)
    except _Bad as bad:
        problems.append(f"{path}: {bad}")
        return _MISSING


_READERS: dict[object, Callable[[object], object]] = {
    str: _read_str,
    int: _read_int,
    bool: _read_bool,
    Decimal: _read_decimal,
    datetime.date: _read_date,
}
_MISSING: Any = object()


def _read_dataclass(cls: type[T], value: object, path: str, problems: list[str]) -> T:
    try:
        data = _read_mapping(value)
    except _Bad as bad:
        problems.append(f"{path}: {bad}")
        return _MISSING  # type: ignore[no-any-return]
    return _build(cls, data, f"{path}.", problems)


def _build(
    cls: type[T],
    data: Mapping[str, object],
    prefix: str,
    problems: list[str],
    reserved: tuple[str, ...] = (),
) -> T:
    """Builds a parameter dataclass from the keys of ``data`` that are not ``reserved``.

    ``prefix`` locates the dataclass in the document ("rules[3] 'rate-cap' (rate_cap): " or
    "…caps[1]."), so every problem names the rule and the parameter.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = _hints(cls)
    count = len(problems)
    kwargs: dict[str, object] = {}
    for key, raw in data.items():
        if key in reserved:
            continue
        if key not in fields:
            known = ", ".join(fields) or "no parameters"
            problems.append(f"{prefix}{key}: unknown parameter (takes: {known})")
            continue
        kwargs[key] = _read_typed(raw, hints[key], f"{prefix}{key}", problems)
    for name, spec in fields.items():
        no_default = (
            spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        )
        if no_default and name not in kwargs:
            problems.append(f"{prefix}{name}: required")
    if len(problems) > count:
        return _MISSING  # type: ignore[no-any-return]
    return cls(**kwargs)


# --- checks beyond types ----------------------------------------------------------------------

_HUNDRED = Decimal(100)


def _negative_numbers(value: object, path: str) -> list[str]:
    """Every count, amount and percentage in a guideline is zero or more."""
    found: list[str] = []
    if isinstance(value, Decimal | int) and not isinstance(value, bool) and value < 0:
        found.append(f"{path}: cannot be negative ({value})")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            found += _negative_numbers(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            found += _negative_numbers(item, f"{path}[{index}]")
    return found


def _param_problems(params: RuleParams, path: str) -> list[str]:
    """Limits a type alone cannot say; each names the parameter."""
    found = [
        problem
        for f in dataclasses.fields(params)
        for problem in _negative_numbers(getattr(params, f.name), f"{path}{f.name}")
    ]

    def need(condition: bool, name: str, message: str) -> None:
        if not condition:
            found.append(f"{path}{name}: {message}")

    match params:
        case p.BillingIncrement(minutes=minutes):
            need(1 <= minutes <= 60, "minutes", f"must be 1 to 60, not {minutes}")
        case p.EntryHours(min_hours=low, max_hours=high):
            need(
                low is None or high is None or low <= high,
                "min_hours",
                f"{low} is above max_hours {high}",
            )
        case p.DailyHours(max_hours=hours) | p.TravelDailyCap(max_hours=hours):
            need(0 < hours <= 24, "max_hours", f"must be above 0 and at most 24, not {hours}")
        case p.BlockBilling(task_words=words, min_tasks=tasks, at_risk_percent=percent):
            need(bool(words), "task_words", "needs at least one word")
            need(tasks >= 2, "min_tasks", f"must be at least 2, not {tasks}")
            need(percent <= _HUNDRED, "at_risk_percent", f"must be at most 100, not {percent}")
        case p.VagueNarrative(phrases=phrases, min_length=length, min_subject_words=words):
            need(bool(phrases) or length > 0, "phrases", "needs phrases or a min_length")
        case p.RateCap(caps=caps):
            for index, cap in enumerate(caps):
                need(
                    bool(cap.timekeeper) != bool(cap.classification),
                    f"caps[{index}]",
                    "names exactly one of timekeeper or classification",
                )
            keys = [(cap.timekeeper, cap.classification.lower()) for cap in caps]
            need(len(set(keys)) == len(keys), "caps", "names a timekeeper or class twice")
        case p.TravelTime(billable_percent=percent):
            need(percent <= _HUNDRED, "billable_percent", f"must be at most 100, not {percent}")
        case p.InternalConference(phrases=phrases, activity_codes=codes):
            need(bool(phrases or codes), "phrases", "needs phrases or activity_codes")
        case p.Attendance(events=events):
            need(bool(events), "events", "needs at least one event kind")
            for index, event in enumerate(events):
                need(bool(event.words), f"events[{index}].words", "needs at least one word")
                need(
                    event.max_timekeepers >= 1,
                    f"events[{index}].max_timekeepers",
                    "must be at least 1",
                )
        case p.RestrictedWork(phrases=phrases, label=label):
            need(bool(phrases), "phrases", "needs at least one phrase")
            need(bool(label.strip()), "label", "says why the work is restricted; it is blank")
        case p.RestrictedCodes(codes=codes):
            need(bool(codes), "codes", "needs at least one code")
        case p.DuplicateEntry(similarity=similarity):
            need(
                Decimal("0.5") <= similarity <= 1,
                "similarity",
                f"must be from 0.5 to 1, not {similarity}",
            )
        case p.UtbmsCodes(code_sets=sets):
            known = {"litigation", "counseling", "project", "bankruptcy"}
            unknown = sorted(set(sets) - known)
            need(not unknown, "code_sets", f"unknown sets {unknown}; use {sorted(known)}")
        case _:
            pass
    return found


# --- documents ----------------------------------------------------------------------------------


def _rule_where(index: int, data: object, prefix: str = "") -> str:
    rule_id = data.get("id") if isinstance(data, Mapping) else None
    label = f" {rule_id!r}" if isinstance(rule_id, str) and rule_id else ""
    return f"{prefix}rules[{index}]{label}"


def _read_rule(index: int, data: object, problems: list[str], prefix: str = "") -> RuleSpec | None:
    where = _rule_where(index, data, prefix)
    if not isinstance(data, Mapping):
        problems.append(f"{where}: expected a rule (id, type and parameters), got {data!r}")
        return None
    count = len(problems)
    rule_id = ""
    if "id" in data:
        rule_id = _read_typed(data["id"], str, f"{where}: id", problems)
    else:
        problems.append(f"{where}: id is required")
    raw_type = data.get("type")
    rule_type: RuleType | None = None
    if raw_type is None:
        problems.append(f"{where}: type is required")
    else:
        try:
            rule_type = RuleType(str(raw_type).strip().lower())
        except ValueError:
            choices = ", ".join(t.value for t in RuleType)
            problems.append(f"{where}: unknown rule type {raw_type!r} (one of {choices})")
    severity = _MISSING
    if "severity" in data:
        severity = _read_typed(data["severity"], Severity, f"{where}: severity", problems)
    source = _read_typed(data.get("source", ""), str, f"{where}: source", problems)
    if rule_type is None:
        return None
    label = f"{where} ({rule_type.value}): "
    params = _build(PARAMS[rule_type], data, label, problems, _RULE_KEYS)
    if params is not _MISSING:
        problems.extend(_param_problems(params, label))
    if len(problems) > count:
        return None
    return RuleSpec(
        id=rule_id,
        type=rule_type,
        params=params,
        severity=DEFAULT_SEVERITY[rule_type] if severity is _MISSING else severity,
        source=source,
    )


def _read_matter(index: int, data: object, problems: list[str]) -> MatterOverride | None:
    where = f"matters[{index}]"
    if not isinstance(data, Mapping):
        problems.append(f"{where}: expected a matter override, got {_describe(data)}")
        return None
    count = len(problems)
    for key in data:
        if key not in _MATTER_KEYS:
            problems.append(f"{where}: unknown key {key!r} (takes: {', '.join(_MATTER_KEYS)})")
    matter = ""
    if "matter" in data:
        matter = _read_typed(data["matter"], str, f"{where}: matter", problems)
        where = f"{where} {matter!r}"
    else:
        problems.append(f"{where}: matter is required")
    note = _read_typed(data.get("note", ""), str, f"{where}: note", problems)
    disable = _read_typed(data.get("disable", []), tuple[str, ...], f"{where}: disable", problems)
    rules: list[RuleSpec] = []
    try:
        raw_rules = _read_list(data.get("rules", []))
    except _Bad as bad:
        problems.append(f"{where}: rules: {bad}")
        raw_rules = []
    for r_index, raw in enumerate(raw_rules):
        rule = _read_rule(r_index, raw, problems, prefix=f"{where} ")
        if rule is not None:
            rules.append(rule)
    if len(problems) > count:
        return None
    return MatterOverride(matter_id=matter, rules=tuple(rules), disable=disable, note=note)


def document_from_data(data: object, *, source: str | None = None) -> GuidelineDocument:
    """A checked document from plain data, or ``GuidelineError`` naming every problem."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise GuidelineError(
            [f"expected a guideline document (a mapping), got {_describe(data)}"], source=source
        )
    for key in data:
        if key not in _DOCUMENT_KEYS:
            problems.append(f"unknown key {key!r} (takes: {', '.join(_DOCUMENT_KEYS)})")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        problems.append(f"format: {fmt!r} is not {FORMAT!r}, the only one this version reads")
    for key in ("name", "client", "version", "effective_from", "rules"):
        if key not in data:
            problems.append(f"{key}: required")
    name = _read_typed(data.get("name", ""), str, "name", problems)
    client = _read_typed(data.get("client", ""), str, "client", problems)
    version = _read_typed(data.get("version", 1), int, "version", problems)
    start = _read_typed(
        data.get("effective_from", "0001-01-01"), datetime.date, "effective_from", problems
    )
    end = _read_typed(data.get("effective_to"), datetime.date | None, "effective_to", problems)
    currency = _read_typed(data.get("currency", "USD"), str, "currency", problems)
    if isinstance(currency, str) and currency not in MINOR_UNITS:
        problems.append(f"currency: {currency!r} is not a supported currency")
    description = _read_typed(data.get("description", ""), str, "description", problems)
    rules: list[RuleSpec] = []
    try:
        raw_rules = _read_list(data.get("rules", []))
    except _Bad as bad:
        problems.append(f"rules: {bad}")
        raw_rules = []
    for index, raw in enumerate(raw_rules):
        rule = _read_rule(index, raw, problems)
        if rule is not None:
            rules.append(rule)
    matters: list[MatterOverride] = []
    try:
        raw_matters = _read_list(data.get("matters", []))
    except _Bad as bad:
        problems.append(f"matters: {bad}")
        raw_matters = []
    for index, raw in enumerate(raw_matters):
        override = _read_matter(index, raw, problems)
        if override is not None:
            matters.append(override)
    if problems:
        raise GuidelineError(problems, source=source)
    try:
        return GuidelineDocument(
            name=name,
            client=client,
            version=version,
            effective_from=start,
            rules=tuple(rules),
            effective_to=end,
            currency=currency,
            description=description,
            matters=tuple(matters),
        )
    except GuidelineError as error:
        raise GuidelineError(error.problems, source=source) from None


# --- writing ------------------------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot write {type(value).__name__}")  # pragma: no cover


def rule_to_data(rule: RuleSpec) -> dict[str, object]:
    """Every parameter is written, defaults included: a client's document must not change
    meaning when a later Lexbill changes a default."""
    data: dict[str, object] = {"id": rule.id, "type": rule.type.value}
    data["severity"] = rule.severity.value
    if rule.source:
        data["source"] = rule.source
    params = _plain(rule.params)
    assert isinstance(params, dict)
    data.update(params)
    return data


def document_to_data(document: GuidelineDocument) -> dict[str, object]:
    """JSON-compatible data (Decimals and dates as text) that ``document_from_data`` reads back
    to an equal document."""
    data: dict[str, object] = {
        "format": FORMAT,
        "name": document.name,
        "client": document.client,
        "version": document.version,
        "effective_from": document.effective_from.isoformat(),
        "effective_to": (
            document.effective_to.isoformat() if document.effective_to is not None else None
        ),
        "currency": document.currency,
    }
    if document.description:
        data["description"] = document.description
    data["rules"] = [rule_to_data(rule) for rule in document.rules]
    if document.matters:
        matters: list[dict[str, object]] = []
        for override in document.matters:
            entry: dict[str, object] = {"matter": override.matter_id}
            if override.note:
                entry["note"] = override.note
            if override.disable:
                entry["disable"] = list(override.disable)
            if override.rules:
                entry["rules"] = [rule_to_data(rule) for rule in override.rules]
            matters.append(entry)
        data["matters"] = matters
    return data
