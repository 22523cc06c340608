"""The archive's CSV convention: how each kind of column is written as text and read back exactly.

No Django here: a column is described by its kind (and, for fixed-point money, its places), so the
convention can be tested on its own and read by anyone writing a loader in another language.

* NULL is ``\\N`` in every column; an empty text is an empty field. A text that begins with a
  backslash gets one more in front (``\\N`` as text is written ``\\\\N``), so the two never meet.
* Booleans are ``true`` / ``false``; integers are plain digits with an optional ``-``.
* Money and other fixed-point columns (stored as scaled integers) are the decimal value with
  exactly the column's places: ``1234.50``, ``-0.05``, ``250.0000``.
* Dates are ``YYYY-MM-DD``; moments are UTC with microseconds: ``2026-03-18T14:05:09.000000Z``.
* JSON is compact with sorted keys (``{"a":1,"b":[2]}``): PostgreSQL's jsonb keeps no key order,
  so sorting is what makes archives from SQLite and PostgreSQL byte-identical.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

NULL = "\\N"


class Kind(StrEnum):
    """How a column's values are written; ``fixed`` is the project's FixedDecimalField."""

    INTEGER = "integer"
    TEXT = "text"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    FIXED = "fixed"
    DECIMAL = "decimal"
    FLOAT = "float"
    JSON = "json"
    UUID = "uuid"
    DURATION = "duration"
    BINARY = "binary"


def type_name(kind: Kind, places: int = 0) -> str:
    """The column type as the manifest names it: ``fixed(2)`` says how many places to expect."""
    return f"fixed({places})" if kind is Kind.FIXED else kind.value


def parse_type_name(name: str) -> tuple[Kind, int]:
    """The inverse of :func:`type_name`; ``ValueError`` for a type this version does not know."""
    match = re.fullmatch(r"fixed\((\d+)\)", name)
    if match:
        return Kind.FIXED, int(match[1])
    return Kind(name), 0


# --- writing ------------------------------------------------------------------------------------

Encoder = Callable[[Any], str]


def _text(value: Any) -> str:
    if value.__class__ is not str:
        value = str(value)
    return "\\" + value if value[:1] == "\\" else value  # type: ignore[no-any-return]


def _datetime_in(zone: tzinfo) -> Encoder:
    """Moments as UTC text; a naive value (SQLite hands Django's stored UTC back without a zone)
    is read in ``zone``, the database connection's time zone."""

    naive_is_utc = zone is UTC or str(zone) in ("UTC", "Etc/UTC")

    def write(value: datetime) -> str:
        if value.tzinfo is None:
            if naive_is_utc:
                return value.isoformat(timespec="microseconds") + "Z"
            value = value.replace(tzinfo=zone)
        if value.utcoffset():
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"

    return write


def _date(value: Any) -> str:
    return value if isinstance(value, str) else str(value.isoformat())


def canonical_json(value: Any) -> str:
    """Compact, sorted keys, UTF-8 kept as is: the one spelling of a JSON value in an archive."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fixed_text(scaled: int, places: int) -> str:
    """A scaled integer as its decimal value with exactly ``places`` places (integer arithmetic)."""
    if places == 0:
        return str(scaled)
    whole, part = divmod(abs(scaled), 10**places)
    sign = "-" if scaled < 0 else ""
    return f"{sign}{whole}.{part:0{places}d}"


def encoder(kind: Kind, places: int = 0, *, nullable: bool = True, zone: tzinfo = UTC) -> Encoder:
    """A function from a database value (``None`` included if ``nullable``) to its CSV text.

    It takes what the driver returns: ``fixed`` the *stored* scaled integer (export never builds a
    Decimal), booleans also as 0/1, dates also as ISO text, moments also naive (read in ``zone``).
    """
    base: Encoder
    if kind is Kind.TEXT:
        base = _text
    elif kind is Kind.INTEGER:
        base = str
    elif kind is Kind.BOOLEAN:
        base = lambda v: "true" if v else "false"  # noqa: E731
    elif kind is Kind.DATE:
        base = _date
    elif kind is Kind.TIME:
        base = lambda v: v.isoformat()  # noqa: E731
    elif kind is Kind.DATETIME:
        base = _datetime_in(zone)
    elif kind is Kind.FIXED:
        base = lambda v: fixed_text(v, places)  # noqa: E731
    elif kind is Kind.DECIMAL:
        base = lambda v: format(Decimal(v), "f")  # noqa: E731
    elif kind is Kind.FLOAT:
        base = lambda v: repr(float(v))  # noqa: E731
    elif kind is Kind.JSON:
        base = canonical_json
    elif kind is Kind.UUID:
        base = lambda v: str(uuid.UUID(str(v)))  # noqa: E731
    elif kind is Kind.DURATION:
        base = lambda v: str(_micro(v))  # noqa: E731
    else:
        base = lambda v: base64.b64encode(bytes(v)).decode("ascii")  # noqa: E731
    if not nullable:
        return base

    def encode(value: Any) -> str:
        return NULL if value is None else base(value)

    return encode


def _micro(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


# --- reading ------------------------------------------------------------------------------------

Decoder = Callable[[str], Any]
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z")


def _read_text(text: str) -> str:
    if text.startswith("\\"):
        if not text.startswith("\\\\"):
            raise ValueError(f"{text[:20]!r}: a text starting with a backslash must double it")
        return text[1:]
    return text


def _read_integer(text: str) -> int:
    if text.isascii() and text.isdigit():
        return int(text)
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"{text[:30]!r} is not a whole number")
    return int(text)


def _read_boolean(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"{text[:30]!r} is not true or false")


def _read_date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError(f"{text[:30]!r} is not a date (YYYY-MM-DD)")
    return date.fromisoformat(text)


def _read_datetime(text: str) -> datetime:
    if not _DATETIME.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not a UTC moment (YYYY-MM-DDTHH:MM:SS.ffffffZ)")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def read_fixed(text: str, places: int) -> int:
    """The scaled integer of a decimal text, refusing anything but ``places`` places or fewer."""
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{text[:30]!r} is not a number (e.g. 1234.50)")
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"{text} has more than {places} decimal places")
    return int(value.scaleb(places))


def _read_decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text[:30]!r} is not a number") from None


def _read_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:  # json decodes nested arrays recursively: "[[[[…" exhausts the stack
        raise ValueError("not valid JSON (nested too deeply)") from None


def _read_duration(text: str) -> timedelta:
    try:
        return timedelta(microseconds=_read_integer(text))
    except OverflowError:  # beyond ±999999999 days
        raise ValueError(f"{text[:30]!r} microseconds is longer than a duration can be") from None


def decoder(kind: Kind, places: int = 0) -> Decoder:
    """A function from CSV text to a Python value; ``ValueError`` says what is wrong with it.

    ``NULL`` is handled by the caller, which knows whether the column allows it; ``fixed`` gives
    the scaled integer the database stores.
    """
    if kind is Kind.TEXT:
        return _read_text
    if kind is Kind.INTEGER:
        return _read_integer
    if kind is Kind.BOOLEAN:
        return _read_boolean
    if kind is Kind.DATE:
        return _read_date
    if kind is Kind.DATETIME:
        return _read_datetime
    if kind is Kind.TIME:
        return time.fromisoformat
    if kind is Kind.FIXED:
        return lambda text: read_fixed(text, places)
    if kind is Kind.DECIMAL:
        return _read_decimal
    if kind is Kind.FLOAT:
        return float
    if kind is Kind.JSON:
        return _read_json
    if kind is Kind.UUID:
        return uuid.UUID
    if kind is Kind.DURATION:
        return _read_duration
    return lambda text: base64.b64decode(text.encode("ascii"), validate=True)
