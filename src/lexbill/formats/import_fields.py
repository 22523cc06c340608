"""What each kind of import expects, and turning one row of text into typed values (no Django).

Per kind a tuple of :class:`FieldSpec` (required or not, type, the header names other systems
use for it); :func:`guess_mapping` matches a file's header row against them; :class:`RowReader`
is compiled once per file from a mapping and then converts each row into typed values or a list
of :class:`Problem` records — *every* problem of the row, each naming its row and column, so a
person fixes a file in one pass instead of one error per attempt.

Money, rates, quantities and hours are ``Decimal`` parsed from the text, never ``float``.
References (does matter 10905-0008 exist? is there a rate?) are the app's job: it knows the
database. This module only knows what a well-formed cell looks like.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from lexbill.core.errors import LexbillError
from lexbill.core.increments import hours_to_seconds


class Kind(StrEnum):
    """What a file holds; imported in this order, since each refers to the ones before."""

    TIMEKEEPERS = "timekeepers"
    CLIENTS = "clients"
    MATTERS = "matters"
    RATES = "rates"
    TIME = "time"
    EXPENSES = "expenses"


class FieldType(StrEnum):
    TEXT = "text"
    CODE = "code"
    DATE = "date"
    DECIMAL = "decimal"
    HOURS = "hours"
    MINUTES = "minutes"
    INTEGER = "whole number"
    BOOL = "yes/no"
    CHOICE = "choice"


@dataclass(frozen=True)
class FieldSpec:
    """One target field. ``choices`` maps what files say (normalised) to the stored value."""

    name: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    max_length: int | None = None
    choices: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Schema:
    kind: Kind
    fields: tuple[FieldSpec, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    """Groups of fields of which exactly one must be given (hours or minutes)."""

    def index(self, name: str) -> int:
        return next(i for i, f in enumerate(self.fields) if f.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: the row as a spreadsheet numbers it (the header is row 1; none
    for the file as a whole), the column as the file names it, and what is wrong."""

    row: int | None
    column: str
    message: str
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return (
            f"{where}, column {self.column!r}: {self.message}"
            if self.column
            else (f"{where}: {self.message}")
        )


class CellError(ValueError):
    """A cell that does not hold what its field needs; the message is shown as is."""


def _choices(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """``{value: synonyms}`` → ``{normalised synonym: value}`` (the value itself included)."""
    found: dict[str, str] = {}
    for value, synonyms in table.items():
        for word in (value, *synonyms):
            found[normal(word)] = value
    return found


def normal(text: str) -> str:
    """Header names and choice words compared without case, spaces or punctuation."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


BILLABLE = _choices(
    {
        "billable": ("yes", "y", "true", "t", "1", "b", "bill", "billed"),
        "no_charge": ("no charge", "nc", "n/c", "n.c.", "zero", "nocharge"),
        "non_billable": ("non-billable", "nonbillable", "no", "n", "false", "f", "0", "nb"),
    }
)
CLASSIFICATIONS = _choices(
    {
        "partner": ("ptr", "pt", "shareholder", "member"),
        "of_counsel": ("of counsel", "counsel", "oc"),
        "associate": ("assoc", "as", "ass"),
        "paralegal": ("pl", "para", "legal assistant paralegal"),
        "legal_assistant": ("legal assistant", "la", "assistant", "secretary"),
        "other": ("other timekeeper", "ot"),
    }
)
RATE_LEVELS = _choices(
    {
        "matter": ("matter override", "matter rate"),
        "client": ("client rate card", "client rate", "client override"),
        "timekeeper": ("standard", "timekeeper standard", "standard rate"),
        "classification": ("firm", "firm-wide", "class", "firmwide"),
    }
)
ARRANGEMENTS = _choices(
    {
        "hourly": ("hour", "time and materials", "t&m", "tm"),
        "flat_fee": ("flat", "flat fee", "fixed", "fixed fee"),
        "capped": ("cap", "fee cap", "capped fee", "hourly with a fee cap"),
    }
)
MATTER_STATUSES = _choices({"open": ("active", "o"), "closed": ("inactive", "c", "close")})
CODE_SETS = _choices(
    {
        "litigation": ("l", "lit"),
        "counseling": ("c", "counselling"),
        "project": ("p",),
        "bankruptcy": ("b",),
    }
)
TRAVEL_CLASSES = _choices(
    {"economy": ("coach", "y"), "premium": ("premium economy",), "business": ("j",), "first": ()}
)

_MATTER = FieldSpec(
    "matter",
    "Matter number",
    required=True,
    aliases=("matter no", "matter id", "matter #", "matter code", "file number", "file no"),
    max_length=30,
)
_TIMEKEEPER_REF = FieldSpec(
    "timekeeper",
    "Timekeeper ID",
    aliases=(
        "timekeeper code",
        "timekeeper initials",
        "initials",
        "tk",
        "tk id",
        "tkid",
        "tk code",
        "attorney",
        "lawyer",
        "user",
    ),
    max_length=20,
)
_BILLABLE = FieldSpec(
    "billable",
    "Billable",
    FieldType.CHOICE,
    aliases=("billable status", "bill status", "billing status", "chargeable"),
    help="billable (blank), no charge, or non-billable",
    choices=BILLABLE,
)

SCHEMAS: dict[Kind, Schema] = {
    Kind.TIMEKEEPERS: Schema(
        Kind.TIMEKEEPERS,
        (
            FieldSpec(
                "code",
                "Timekeeper ID",
                required=True,
                aliases=("timekeeper id", "initials", "tk", "tk id", "timekeeper code", "id"),
                max_length=20,
            ),
            FieldSpec(
                "first_name",
                "First name",
                required=True,
                aliases=("first", "given name"),
                max_length=80,
            ),
            FieldSpec(
                "last_name",
                "Last name",
                required=True,
                aliases=("last", "surname", "family name"),
                max_length=80,
            ),
            FieldSpec(
                "classification",
                "Classification",
                FieldType.CHOICE,
                required=True,
                aliases=("title", "position", "level", "class", "rank"),
                choices=CLASSIFICATIONS,
            ),
            FieldSpec(
                "billable_target_hours",
                "Billable hours target",
                FieldType.INTEGER,
                aliases=("target hours", "annual target", "target"),
            ),
            FieldSpec("active", "Active", FieldType.BOOL, aliases=("is active", "current")),
        ),
    ),
    Kind.CLIENTS: Schema(
        Kind.CLIENTS,
        (
            FieldSpec(
                "number",
                "Client number",
                required=True,
                aliases=("client number", "client no", "client id", "client code", "client #"),
                max_length=20,
            ),
            FieldSpec(
                "name", "Name", required=True, aliases=("client name", "client"), max_length=200
            ),
            FieldSpec("address", "Address", aliases=("billing address", "mailing address")),
            FieldSpec(
                "billing_contact",
                "Billing contact",
                aliases=("contact", "attention"),
                max_length=150,
            ),
            FieldSpec(
                "billing_email",
                "Billing e-mail",
                aliases=("email", "e-mail", "billing email", "invoice email"),
                max_length=254,
            ),
            FieldSpec(
                "tax_rate_percent",
                "Tax rate %",
                FieldType.DECIMAL,
                aliases=("tax rate", "vat rate", "vat", "tax %", "tax percent"),
            ),
            FieldSpec("tax_label", "Tax label", aliases=("tax name",), max_length=20),
            FieldSpec(
                "tax_id", "Tax ID", aliases=("vat id", "vat number", "tax number"), max_length=40
            ),
            FieldSpec(
                "late_charges_allowed",
                "Late charges allowed",
                FieldType.BOOL,
                aliases=("late charges", "interest allowed"),
            ),
        ),
    ),
    Kind.MATTERS: Schema(
        Kind.MATTERS,
        (
            FieldSpec(
                "number",
                "Matter number",
                required=True,
                aliases=(
                    "matter number",
                    "matter no",
                    "matter id",
                    "matter code",
                    "matter #",
                    "file number",
                ),
                max_length=30,
            ),
            FieldSpec(
                "client",
                "Client number",
                required=True,
                aliases=("client number", "client no", "client id", "client code", "client #"),
                max_length=20,
            ),
            FieldSpec(
                "name",
                "Matter name",
                required=True,
                aliases=("matter name", "description", "title"),
                max_length=200,
            ),
            FieldSpec(
                "responsible_attorney",
                "Responsible attorney",
                required=True,
                aliases=(
                    "responsible timekeeper",
                    "billing attorney",
                    "responsible",
                    "attorney",
                    "partner",
                    "responsible attorney id",
                ),
                max_length=20,
            ),
            FieldSpec(
                "opened_on",
                "Opened on",
                FieldType.DATE,
                required=True,
                aliases=("open date", "opened", "date opened", "start date"),
            ),
            FieldSpec(
                "client_matter_id",
                "Client's matter ID",
                aliases=("client matter id", "client reference", "client ref"),
                max_length=60,
            ),
            FieldSpec(
                "task_code_set",
                "UTBMS code set",
                FieldType.CHOICE,
                aliases=("code set", "utbms", "task code set"),
                choices=CODE_SETS,
            ),
            FieldSpec(
                "currency", "Currency", FieldType.CODE, aliases=("ccy", "curr"), max_length=3
            ),
            FieldSpec(
                "arrangement",
                "Arrangement",
                FieldType.CHOICE,
                aliases=("billing arrangement", "fee arrangement", "fee type"),
                choices=ARRANGEMENTS,
            ),
            FieldSpec("flat_fee", "Flat fee", FieldType.DECIMAL, aliases=("fixed fee",)),
            FieldSpec("fee_cap", "Fee cap", FieldType.DECIMAL, aliases=("cap",)),
            FieldSpec(
                "practice_area",
                "Practice area",
                aliases=("practice", "department", "practice group"),
                max_length=60,
            ),
            FieldSpec(
                "status",
                "Status",
                FieldType.CHOICE,
                aliases=("matter status",),
                choices=MATTER_STATUSES,
            ),
            FieldSpec(
                "closed_on",
                "Closed on",
                FieldType.DATE,
                aliases=("close date", "closed", "date closed"),
            ),
        ),
    ),
    Kind.RATES: Schema(
        Kind.RATES,
        (
            FieldSpec(
                "level",
                "Level",
                FieldType.CHOICE,
                aliases=("rate level", "rate type", "type"),
                help="matter, client, timekeeper or classification; blank: "
                "the most specific the row names",
                choices=RATE_LEVELS,
            ),
            FieldSpec(
                "amount",
                "Rate",
                FieldType.DECIMAL,
                required=True,
                aliases=("hourly rate", "rate", "amount", "rate amount"),
            ),
            FieldSpec(
                "currency", "Currency", FieldType.CODE, aliases=("ccy", "curr"), max_length=3
            ),
            FieldSpec(
                "effective_from",
                "Effective from",
                FieldType.DATE,
                required=True,
                aliases=("effective date", "effective", "from", "start date", "valid from"),
            ),
            _TIMEKEEPER_REF,
            FieldSpec(
                "classification",
                "Classification",
                FieldType.CHOICE,
                aliases=("title", "class", "position"),
                choices=CLASSIFICATIONS,
            ),
            FieldSpec(
                "client",
                "Client number",
                aliases=("client number", "client no", "client id", "client"),
                max_length=20,
            ),
            FieldSpec("matter", "Matter number", aliases=_MATTER.aliases, max_length=30),
        ),
    ),
    Kind.TIME: Schema(
        Kind.TIME,
        (
            _MATTER,
            FieldSpec(
                _TIMEKEEPER_REF.name,
                _TIMEKEEPER_REF.label,
                required=True,
                aliases=_TIMEKEEPER_REF.aliases,
                max_length=20,
            ),
            FieldSpec(
                "work_date",
                "Work date",
                FieldType.DATE,
                required=True,
                aliases=("date", "service date", "date worked", "entry date", "work date"),
            ),
            FieldSpec(
                "hours",
                "Hours",
                FieldType.HOURS,
                aliases=("hrs", "duration", "time", "quantity", "qty", "units", "hours worked"),
                help="decimal hours (1.25) or h:mm (1:15)",
            ),
            FieldSpec("minutes", "Minutes", FieldType.MINUTES, aliases=("mins", "min")),
            FieldSpec(
                "task_code",
                "Task code",
                FieldType.CODE,
                aliases=("task", "utbms task", "task code", "phase task"),
                max_length=10,
            ),
            FieldSpec(
                "activity_code",
                "Activity code",
                FieldType.CODE,
                aliases=("activity", "utbms activity", "activity code"),
                max_length=10,
            ),
            FieldSpec(
                "narrative",
                "Narrative",
                required=True,
                aliases=(
                    "description",
                    "narrative",
                    "notes",
                    "text",
                    "work description",
                    "comment",
                ),
            ),
            _BILLABLE,
        ),
        one_of=(("hours", "minutes"),),
    ),
    Kind.EXPENSES: Schema(
        Kind.EXPENSES,
        (
            _MATTER,
            FieldSpec(
                "date",
                "Date",
                FieldType.DATE,
                required=True,
                aliases=("expense date", "date incurred", "incurred"),
            ),
            FieldSpec(
                "expense_code",
                "Expense code",
                FieldType.CODE,
                required=True,
                aliases=("code", "utbms expense", "expense", "cost code"),
                max_length=10,
            ),
            FieldSpec("quantity", "Quantity", FieldType.DECIMAL, aliases=("qty", "units")),
            FieldSpec(
                "unit_cost",
                "Unit cost",
                FieldType.DECIMAL,
                aliases=("unit price", "price", "rate", "cost"),
            ),
            FieldSpec(
                "amount",
                "Amount",
                FieldType.DECIMAL,
                aliases=("total", "amount", "expense amount"),
                help="instead of quantity × unit cost",
            ),
            FieldSpec(
                "description",
                "Description",
                required=True,
                aliases=("narrative", "notes", "text", "memo"),
            ),
            _TIMEKEEPER_REF,
            _BILLABLE,
            FieldSpec(
                "receipt", "Receipt", FieldType.BOOL, aliases=("receipt attached", "has receipt")
            ),
            FieldSpec(
                "persons",
                "People",
                FieldType.INTEGER,
                aliases=("persons", "attendees", "people covered"),
            ),
            FieldSpec(
                "travel_class",
                "Travel class",
                FieldType.CHOICE,
                aliases=("fare class", "class"),
                choices=TRAVEL_CLASSES,
            ),
        ),
        one_of=(("unit_cost", "amount"),),
    ),
}


def schema(kind: Kind | str) -> Schema:
    try:
        return SCHEMAS[Kind(kind)]
    except ValueError:
        raise LexbillError(
            f"unknown import kind {kind!r}; one of {', '.join(Kind)}", field="kind"
        ) from None


# --- the mapping ------------------------------------------------------------------------------


def header_signature(headers: Sequence[str]) -> str:
    """Names a layout of columns: the same export from the same system gets the same key, so its
    saved mapping is found again. Case and surrounding spaces do not count."""
    text = "\x1f".join(h.strip().lower() for h in headers)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def guess_mapping(kind: Kind | str, headers: Sequence[str]) -> dict[str, str]:
    """Field → header, for every field a header plausibly names; each header is used once.

    Exact names win over aliases so that a file with both "Date" and "Work date" maps the
    latter to the work date.
    """
    spec = schema(kind)
    by_normal: dict[str, str] = {}
    for header in headers:
        if header.strip():
            by_normal.setdefault(normal(header), header)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for strict in (True, False):
        for fld in spec.fields:
            if fld.name in mapping:
                continue
            names = (fld.name, fld.label) if strict else fld.aliases
            for candidate in names:
                found = by_normal.get(normal(candidate))
                if found is not None and found not in used:
                    mapping[fld.name] = found
                    used.add(found)
                    break
    return mapping


def _column_positions(headers: Sequence[str]) -> dict[str, int]:
    """Header (stripped, any case) → its first position: a saved mapping names columns as the
    first file wrote them, and the next export may capitalise them differently."""
    where: dict[str, int] = {}
    for position, header in enumerate(headers):
        where.setdefault(header.strip().lower(), position)
    return where


def check_mapping(
    kind: Kind | str, headers: Sequence[str], mapping: Mapping[str, str]
) -> list[Problem]:
    """Problems that make every row unreadable: a required field without a column, a column
    that is not in the file, one column used for two fields, a header used twice."""
    spec = schema(kind)
    problems: list[Problem] = []
    known = set(spec.names)
    present = [h.strip() for h in headers]
    lowered = [h.lower() for h in present]
    for name in mapping:
        if name not in known:
            problems.append(Problem(1, name, f"{name!r} is not a field of a {spec.kind} import"))
    for fld in spec.fields:
        column = (mapping.get(fld.name) or "").strip()
        if column and column.lower() not in lowered:
            problems.append(
                Problem(
                    1,
                    column,
                    f"the mapping names column {column!r} for {fld.label}, but "
                    "the file has no such column",
                    fld.name,
                )
            )
        elif column and lowered.count(column.lower()) > 1:
            problems.append(
                Problem(1, column, f"the header row names {column!r} twice; rename one", fld.name)
            )
    grouped = {name for group in spec.one_of for name in group}
    for fld in spec.fields:
        if fld.required and fld.name not in grouped and not (mapping.get(fld.name) or ""):
            problems.append(
                Problem(
                    1,
                    fld.label,
                    f"no column is mapped to the required field {fld.label} "
                    f"(the file's columns: {', '.join(present)})",
                    fld.name,
                )
            )
    for group in spec.one_of:
        if not any(mapping.get(name) for name in group):
            labels = " or ".join(spec.fields[spec.index(n)].label for n in group)
            problems.append(Problem(1, labels, f"no column is mapped to {labels}", group[0]))
    used: dict[str, str] = {}
    for name, column in mapping.items():
        key = (column or "").strip().lower()
        if key and key in used:
            problems.append(
                Problem(
                    1,
                    column,
                    f"column {column!r} is mapped to both {used[key]} and {name}",
                    name,
                )
            )
        elif key:
            used[key] = name
    return problems


# --- cells ------------------------------------------------------------------------------------

DATE_FORMATS: dict[str, str] = {
    "auto": "YYYY-MM-DD or MM/DD/YYYY",
    "%m/%d/%Y": "MM/DD/YYYY",
    "%d/%m/%Y": "DD/MM/YYYY",
    "%d.%m.%Y": "DD.MM.YYYY",
    "%Y-%m-%d": "YYYY-MM-DD",
    "%Y/%m/%d": "YYYY/MM/DD",
}
EARLIEST_YEAR = 1950
LATEST_YEAR = 2100
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_CLOCK = re.compile(r"^(\d+):([0-5]\d)(?::([0-5]\d))?$")
_CURRENCY_SIGNS = str.maketrans("", "", "$€£¥ \u00a0")
_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class ImportOptions:
    """How to read values that files write differently; saved with the mapping."""

    date_format: str = "auto"
    decimal_comma: bool = False
    """1.234,56 instead of 1,234.56."""
    allow_duplicates: bool = False
    """Two identical time rows are both real (two calls on one day); otherwise refused."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "date_format": self.date_format,
            "decimal_comma": self.decimal_comma,
            "allow_duplicates": self.allow_duplicates,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ImportOptions:
        data = data or {}
        fmt = str(data.get("date_format") or "auto")
        if fmt not in DATE_FORMATS:
            raise LexbillError(
                f"unknown date format {fmt!r}; one of {', '.join(DATE_FORMATS)}",
                field="date_format",
            )
        return cls(
            date_format=fmt,
            decimal_comma=bool(data.get("decimal_comma", False)),
            allow_duplicates=bool(data.get("allow_duplicates", False)),
        )


def parse_date(text: str, date_format: str = "auto") -> date:
    """A date as firms write it; ``auto`` reads ISO and US (month first) dates only, since a
    guess between 03/04 meaning March or April would silently misdate a month of work."""
    value = text.strip()
    if len(value) > 10 and value[10] in " T" and value[:4].isdigit():
        value = value[:10]  # a date cell with a time of day (Excel) is its date
    try:
        if date_format == "auto":
            if len(value) == 10 and value[4] == "-":
                day = date.fromisoformat(value)
            else:
                match = _US_DATE.match(value)
                if match is None:
                    raise ValueError
                day = date(int(match[3]), int(match[1]), int(match[2]))
        else:
            day = datetime.strptime(value, date_format).date()  # noqa: DTZ007 a date, no zone
    except (ValueError, IndexError):
        raise CellError(
            f"{text!r} is not a date (expected {DATE_FORMATS.get(date_format, date_format)})"
        ) from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise CellError(f"{text!r} is not a plausible date (year {day.year})")
    return day


def parse_decimal(text: str, *, decimal_comma: bool = False) -> Decimal:
    """An exact decimal from text: currency signs and thousands separators dropped, a bracketed
    amount is negative. Never through float, so 0.1 + 0.2 stays 0.3."""
    value = text.strip().translate(_CURRENCY_SIGNS)
    negative = value.startswith("(") and value.endswith(")")
    if negative:
        value = value[1:-1]
    value = value.replace(".", "").replace(",", ".") if decimal_comma else value.replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise CellError(f"{text!r} is not a number")
    return -number if negative else number


def parse_hours(text: str, *, decimal_comma: bool = False) -> int:
    """Hours as decimal (1.25) or clock time (1:15, 1:15:30) → whole seconds, half-up."""
    value = text.strip()
    clock = _CLOCK.match(value)
    if clock is not None:
        return int(clock[1]) * 3600 + int(clock[2]) * 60 + int(clock[3] or 0)
    hours = parse_decimal(value, decimal_comma=decimal_comma)
    if hours < 0:
        raise CellError("hours cannot be negative")
    try:
        return hours_to_seconds(hours)
    except LexbillError as exc:  # pragma: no cover - parse_decimal already refused the rest
        raise CellError(exc.message) from None


def parse_minutes(text: str, *, decimal_comma: bool = False) -> int:
    minutes = parse_decimal(text, decimal_comma=decimal_comma)
    if minutes < 0:
        raise CellError("minutes cannot be negative")
    return int((minutes * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_integer(text: str) -> int:
    value = text.strip().replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise CellError(f"{text!r} is not a whole number")
    return int(number)


_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0", ""}


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError(f"{text!r} is not yes or no")


def parse_choice(text: str, choices: Mapping[str, str]) -> str:
    found = choices.get(normal(text))
    if found is None:
        allowed = ", ".join(sorted(set(choices.values())))
        raise CellError(f"{text.strip()!r} is not one of {allowed}")
    return found


def _converter(fld: FieldSpec, options: ImportOptions) -> Callable[[str], Any]:
    """One function per column, with a cache where values repeat (dates, hours, codes)."""
    comma = options.decimal_comma
    if fld.type == FieldType.TEXT:
        limit = fld.max_length

        def text(value: str) -> str:
            value = value.strip()
            if limit is not None and len(value) > limit:
                raise CellError(f"at most {limit} characters ({len(value)} given)")
            return value

        # short references (matter numbers, timekeeper IDs) repeat; narratives do not
        return _cached(text) if limit is not None and limit <= 60 else text
    if fld.type == FieldType.CODE:
        code_limit = fld.max_length or 10

        def code(value: str) -> str:
            value = value.strip().upper()
            if len(value) > code_limit:
                raise CellError(f"{value!r} is longer than {code_limit} characters")
            return value

        return _cached(code)
    if fld.type == FieldType.DATE:
        fmt = options.date_format
        return _cached(lambda v: parse_date(v, fmt))
    if fld.type == FieldType.DECIMAL:
        return _cached(lambda v: parse_decimal(v, decimal_comma=comma))
    if fld.type == FieldType.HOURS:
        return _cached(lambda v: parse_hours(v, decimal_comma=comma))
    if fld.type == FieldType.MINUTES:
        return _cached(lambda v: parse_minutes(v, decimal_comma=comma))
    if fld.type == FieldType.INTEGER:
        return parse_integer
    if fld.type == FieldType.BOOL:
        return parse_bool
    choices = fld.choices or {}
    return _cached(lambda v: parse_choice(v, choices))


def _cached(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """Memoise a pure converter; a million rows hold a few thousand distinct dates and hours.

    Bounded (cleared when full) so a column of distinct values cannot grow memory without end.
    Errors are not cached: they are rare, and each must be reported with its own row.
    """
    cache: dict[str, Any] = {}

    def cached(value: str) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = convert(value)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[value] = result
            return result

    cached.cache = cache  # type: ignore[attr-defined]  # read directly by RowReader.read
    return cached


_MISSING: Any = object()


@dataclass
class RowReader:
    """A file's mapping compiled into column positions and converters, for a million rows.

    ``read`` returns the row's values in the schema's field order (``None`` where blank) or,
    when anything is wrong, ``None`` and the row's problems — every one of them.
    """

    kind: Kind
    headers: Sequence[str]
    mapping: Mapping[str, str]
    options: ImportOptions = field(default_factory=ImportOptions)

    def __post_init__(self) -> None:
        spec = schema(self.kind)
        self.schema = spec
        self.kind = spec.kind
        self.problems = check_mapping(spec.kind, self.headers, self.mapping)
        present = [h.strip() for h in self.headers]
        self.width = len(present)
        where = _column_positions(self.headers)
        self._plan: list[tuple[int, int, str, Callable[[str], Any], bool, str]] = []
        for position, fld in enumerate(spec.fields):
            column = (self.mapping.get(fld.name) or "").strip()
            index = where.get(column.lower(), -1) if column else -1
            self._plan.append(
                (
                    position,
                    index,
                    present[index] if index >= 0 else column or fld.label,
                    _converter(fld, self.options),
                    fld.required,
                    fld.label,
                )
            )
        self._groups = [
            tuple((spec.index(n), spec.fields[spec.index(n)].label) for n in group)
            for group in spec.one_of
        ]
        self._names = spec.names
        # the mapped columns only: (position, index, convert, required, text)
        # the mapped columns only: (position, index, the converter's cache or an empty one,
        # convert, required, text); a cache hit costs a dict lookup instead of a call
        self._mapped = [
            (
                position,
                index,
                getattr(convert, "cache", {}),
                convert,
                required,
                spec.fields[position].type == FieldType.TEXT,
            )
            for position, index, _column, convert, required, _label in self._plan
            if index >= 0
        ]
        self._unmapped_required = [plan for plan in self._plan if plan[1] < 0 and plan[4]]
        self.columns = {
            fld.name: plan[2] for fld, plan in zip(spec.fields, self._plan, strict=True)
        }

    partial: list[Any] | None = None
    """After a row with problems: the values that were well formed (``None`` elsewhere), so
    the app can still name what else is wrong with them (an unknown matter, say)."""

    @property
    def usable(self) -> bool:
        """False when the mapping itself is broken: then no row can be read."""
        return not self.problems

    def column_of(self, name: str) -> str:
        """The file's header for a field (or the field's label when it is not mapped)."""
        return self.columns.get(name, name)

    def read(
        self, row: int, cells: Sequence[str], *, last: bool = False, cut_off: bool = False
    ) -> tuple[list[Any] | None, list[Problem]]:
        """The row's values in field order, or None and every problem of the row.

        A row as wide as the header with every value well formed takes the fast path; anything
        else goes through :meth:`_read_slowly`, which names each problem.
        """
        if len(cells) != self.width or self._unmapped_required:
            return self._read_slowly(row, cells, last=last, cut_off=cut_off)
        values: list[Any] = [None] * len(self._plan)
        missing = _MISSING
        for position, index, cache, convert, required, text in self._mapped:
            cell = cells[index]
            value = cache.get(cell, missing)
            if value is missing:
                if not cell or (cell[0] <= " " and cell.isspace()):
                    if required:
                        return self._read_slowly(row, cells, last=last, cut_off=cut_off)
                    continue
                try:
                    value = convert(cell)
                except CellError:
                    return self._read_slowly(row, cells, last=last, cut_off=cut_off)
            if text and required and not value:
                return self._read_slowly(row, cells, last=last, cut_off=cut_off)
            values[position] = value
        for group in self._groups:
            given = 0
            for position, _label in group:
                if values[position] is not None:
                    given += 1
            if given != 1:
                return self._read_slowly(row, cells, last=last, cut_off=cut_off)
        return values, []

    def _read_slowly(
        self, row: int, cells: Sequence[str], *, last: bool = False, cut_off: bool = False
    ) -> tuple[list[Any] | None, list[Problem]]:
        values: list[Any] = [None] * len(self._plan)
        problems: list[Problem] = []
        count = len(cells)
        if count < self.width:
            missing = self.headers[count].strip() if count < len(self.headers) else ""
            if last and cut_off:
                # its last value is a fragment too; the one thing to say is where it stops
                message = (
                    f"the file ends in the middle of this row ({count} of {self.width} columns):"
                    " it looks cut off"
                )
                return None, [Problem(row, missing, message)]
            else:
                message = f"the row has {count} columns, the header row has {self.width}"
            problems.append(Problem(row, missing, message))
        elif count > self.width and any(c.strip() for c in cells[self.width :]):
            problems.append(
                Problem(
                    row,
                    f"column {self.width + 1}",
                    f"the row has {count} values but the "
                    f"header row names {self.width} columns (a delimiter inside an unquoted "
                    "value?)",
                )
            )
        for position, index, column, convert, required, label in self._plan:
            if index < 0 or index >= count:
                if required and index >= count and not problems:
                    problems.append(
                        Problem(row, column, f"{label} is required", self._names[position])
                    )
                continue
            text = cells[index]
            if not text or text.isspace():
                if required:
                    problems.append(
                        Problem(row, column, f"{label} is required", self._names[position])
                    )
                continue
            try:
                values[position] = convert(text)
            except CellError as exc:
                problems.append(Problem(row, column, str(exc), self._names[position]))
                continue
            if required and values[position] == "":
                problems.append(Problem(row, column, f"{label} is required", self._names[position]))
        for group in self._groups:
            given = [label for position, label in group if values[position] is not None]
            if len(given) > 1:
                problems.append(
                    Problem(
                        row,
                        self.column_of(self._names[group[1][0]]),
                        f"give {' or '.join(label for _p, label in group)}, not both",
                        self._names[group[1][0]],
                    )
                )
            elif (
                not given
                and count >= self.width
                and not any(
                    p.field in {self._names[position] for position, _l in group} for p in problems
                )
            ):
                labels = " or ".join(label for _p, label in group)
                problems.append(
                    Problem(
                        row,
                        self.column_of(self._names[group[0][0]]),
                        f"{labels} is required",
                        self._names[group[0][0]],
                    )
                )
        if problems:
            self.partial = values
            return None, problems
        return values, problems
