"""Checks of one field value on its own: is it a date, a plain number, a known code?

The validator calls these once per *distinct* value of a column, never once per line, and most
columns (dates, codes, rates, invoice-level fields) repeat heavily; the bulk functions answer
"all fine?" for a whole set of values with one regular-expression scan in C.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import date
from functools import lru_cache

from lexbill.formats.utbms import CodeKind
from lexbill.ledes.codes import CURRENCIES, timekeeper_classifications, utbms_code
from lexbill.ledes.problems import Code
from lexbill.ledes.rules import ClientRules
from lexbill.ledes.spec import (
    ACCOUNT_TYPES,
    LAW_FIRM_ID_PART_LENGTH,
    LAW_FIRM_ID_PARTS,
    LINE_TYPES,
    FieldSpec,
    Kind,
    LedesFormat,
)

Finding = tuple[Code, str]
"""A problem with a value: its code and the plain-English explanation."""

NULL_TEXTS = frozenset({"NULL", "null", "Null"})

_CODE_FIELDS = {
    CodeKind.TASK: "LINE_ITEM_TASK_CODE",
    CodeKind.ACTIVITY: "LINE_ITEM_ACTIVITY_CODE",
    CodeKind.EXPENSE: "LINE_ITEM_EXPENSE_CODE",
}
_KIND_OF_FIELD = {
    Kind.TASK_CODE: CodeKind.TASK,
    Kind.ACTIVITY_CODE: CodeKind.ACTIVITY,
    Kind.EXPENSE_CODE: CodeKind.EXPENSE,
}


@lru_cache(maxsize=64)
def _number_regex(integer_digits: int, decimals: int, signed: bool) -> re.Pattern[str]:
    sign = "-?" if signed else ""
    return re.compile(
        rf"{sign}(?:0*\d{{1,{integer_digits}}}(?:\.\d{{0,{decimals}}})?|\.\d{{1,{decimals}}})"
    )


@lru_cache(maxsize=64)
def _bulk_number_regex(integer_digits: int, decimals: int, signed: bool) -> re.Pattern[str]:
    single = _number_regex(integer_digits, decimals, signed).pattern
    return re.compile(rf"(?:(?:{single})\n)*")


_ANY_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")
_TAX_RATE = re.compile(r"0*(?:\.\d{0,10})?")
_BULK_DATES = re.compile(r"(?:\d{8}\n)*")
_COUNTRY = re.compile(r"[A-Z]{2,3}")


def _why_not_a_number(value: str) -> str:
    """The most useful explanation for a value that is not a plain LEDES number."""
    if "," in value:
        return f"{value!r} has a comma (thousands separator or decimal comma); write 1234.56"
    if value.startswith("+"):
        return f"{value!r} has a '+' sign; only a leading '-' is allowed"
    if value.strip() != value or " " in value:
        return f"{value!r} contains spaces"
    if "(" in value or ")" in value:
        return f"{value!r} uses parentheses for a negative amount; write -123.45"
    if any(symbol in value for symbol in "$€£¥"):
        return f"{value!r} has a currency symbol; write the bare number"
    if value.endswith("-"):
        return f"{value!r} has a trailing minus; put the '-' in front"
    if "e" in value.lower() and _ANY_NUMBER.fullmatch(value.lower().split("e")[0] or "x"):
        return f"{value!r} is in scientific notation; write the plain number"
    return f"{value!r} is not a number (digits, one '.', and a leading '-' only)"


def _number_finding(spec: FieldSpec, value: str, signed: bool) -> Finding | None:
    if _number_regex(spec.integer_digits, spec.decimals, signed).fullmatch(value):
        return None
    if not _ANY_NUMBER.fullmatch(value):
        return Code.BAD_NUMBER, _why_not_a_number(value)
    if value.startswith("-") and not signed:
        return Code.NEGATIVE_UNITS, f"{value!r}: the number of units must not be negative"
    whole, _, fraction = value.lstrip("-").partition(".")
    if len(fraction) > spec.decimals:
        return (
            Code.BAD_NUMBER,
            f"{value!r} has {len(fraction)} decimals; at most {spec.decimals} are allowed",
        )
    digits = len(whole.lstrip("0"))
    return (
        Code.BAD_NUMBER,
        f"{value!r} has {digits} digits before the point; at most {spec.integer_digits} fit",
    )


@lru_cache(maxsize=65536)
def date_finding(value: str) -> Finding | None:
    """``None`` for a real calendar date written YYYYMMDD."""
    if len(value) != 8 or not value.isdigit() or not value.isascii():
        return Code.BAD_DATE, f"{value!r} is not a date written YYYYMMDD"
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return Code.BAD_DATE, f"{value!r} is not a real calendar date (YYYYMMDD)"
    return None


def parse_date(value: str) -> date | None:
    if date_finding(value) is not None:
        return None
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


def _code_finding(spec: FieldSpec, value: str, rules: ClientRules) -> Finding | None:
    wanted = _KIND_OF_FIELD[spec.kind]
    found = utbms_code(value)
    if found is None:
        hint = ""
        close = utbms_code(value.strip().upper())
        if close is not None:
            hint = f"; codes are compared exactly, write {close.code!r}"
        return Code.UNKNOWN_CODE, f"{value!r} is not a UTBMS {wanted.value} code{hint}"
    if found.kind is not wanted:
        return (
            Code.CODE_OF_WRONG_KIND,
            f"{value} is a UTBMS {found.kind.value} code ({found.description}); "
            f"it belongs in {_CODE_FIELDS[found.kind]}",
        )
    if found.is_phase:
        return (
            Code.PHASE_CODE,
            f"{value} is a phase heading ({found.description}); bill to one of its tasks",
        )
    if (
        wanted is CodeKind.TASK
        and rules.task_code_sets
        and found.code_set not in (rules.task_code_sets)
    ):
        accepted = ", ".join(sorted(rules.task_code_sets))
        return (
            Code.CODE_SET_NOT_ACCEPTED,
            f"{value} is a {found.code_set} code; this client accepts {accepted} codes only",
        )
    return None


def _law_firm_id_finding(spec: FieldSpec, value: str, fmt: LedesFormat) -> Finding | None:
    if fmt is LedesFormat.LEDES_1998B:
        if len(value) > spec.max_length:
            return Code.TOO_LONG, _too_long(value, spec.max_length)
        return None
    parts = value.split("~")
    if len(value) > spec.max_length or len(parts) > LAW_FIRM_ID_PARTS:
        return (
            Code.BAD_LAW_FIRM_ID,
            f"{value!r}: at most {LAW_FIRM_ID_PARTS} IDs separated by '~', "
            f"{spec.max_length} characters in all",
        )
    if any(not part or len(part) > LAW_FIRM_ID_PART_LENGTH for part in parts):
        return (
            Code.BAD_LAW_FIRM_ID,
            f"{value!r}: each ID must have 1 to {LAW_FIRM_ID_PART_LENGTH} characters",
        )
    return None


def _too_long(value: str, limit: int) -> str:
    return f"{len(value)} characters; at most {limit} are allowed"


def value_finding(
    spec: FieldSpec, value: str, fmt: LedesFormat, rules: ClientRules
) -> Finding | None:
    """What is wrong with a non-blank ``value`` of field ``spec``, or ``None``."""
    if value in NULL_TEXTS:
        return (
            Code.NULL_LITERAL,
            f"{value!r} written for an empty value; leave the field empty instead",
        )
    kind = spec.kind
    if kind is Kind.TEXT:
        return (
            (Code.TOO_LONG, _too_long(value, spec.max_length))
            if (len(value) > spec.max_length)
            else None
        )
    if kind is Kind.DATE:
        return date_finding(value)
    if kind is Kind.AMOUNT:
        return _number_finding(spec, value, signed=True)
    if kind is Kind.UNITS:
        return _number_finding(spec, value, signed=False)
    if kind is Kind.TAX_RATE:
        if _TAX_RATE.fullmatch(value) and value != ".":
            return None
        return (
            Code.BAD_TAX_RATE,
            f"{value!r} is not a tax rate: a fraction from 0 to below 1 (0.2 for 20%), "
            "at most 10 decimals",
        )
    if kind is Kind.LINE_TYPE:
        if value in LINE_TYPES:
            return None
        hint = f"; write {value.upper()!r}" if value.upper() in LINE_TYPES else ""
        return Code.UNKNOWN_LINE_TYPE, f"{value!r} is not F, E, IF or IE{hint}"
    if kind in _KIND_OF_FIELD:
        if len(value) > spec.max_length:
            return Code.TOO_LONG, _too_long(value, spec.max_length)
        return _code_finding(spec, value, rules)
    if kind is Kind.CLASSIFICATION:
        if value in timekeeper_classifications():
            return None
        return (
            Code.UNKNOWN_CLASSIFICATION,
            f"{value!r} is not a LEDES timekeeper classification (PARTNR, ASSOC, PARALG…)",
        )
    if kind is Kind.CURRENCY:
        if value in CURRENCIES:
            return None
        return Code.BAD_CURRENCY, f"{value!r} is not an ISO 4217 currency code"
    if kind is Kind.ACCOUNT_TYPE:
        if value in ACCOUNT_TYPES:
            return None
        return Code.BAD_ACCOUNT_TYPE, f"{value!r}: ACCOUNT_TYPE is O or T"
    if kind is Kind.COUNTRY:
        if _COUNTRY.fullmatch(value):
            return None
        return Code.BAD_COUNTRY, f"{value!r} is not a 2- or 3-letter ISO 3166 country code"
    if kind is Kind.LAW_FIRM_ID:
        return _law_firm_id_finding(spec, value, fmt)
    raise AssertionError(f"unhandled field kind {kind}")  # pragma: no cover


def _all_numbers(spec: FieldSpec, values: Collection[str], signed: bool) -> bool:
    joined = "\n".join(values) + "\n"
    return (
        _bulk_number_regex(spec.integer_digits, spec.decimals, signed).fullmatch(joined) is not None
    )


def bulk_check(spec: FieldSpec, values: Collection[str]) -> bool:
    """True when every (non-blank) value is certainly fine; False means "look one by one"."""
    if not values:
        return True
    if not NULL_TEXTS.isdisjoint(values):
        return False
    kind = spec.kind
    if kind is Kind.TEXT:
        return max(map(len, values)) <= spec.max_length
    if kind is Kind.AMOUNT:
        return _all_numbers(spec, values, signed=True)
    if kind is Kind.UNITS:
        return _all_numbers(spec, values, signed=False)
    if kind is Kind.DATE:
        if _BULK_DATES.fullmatch("\n".join(values) + "\n") is None:
            return False
        return all(date_finding(value) is None for value in values)
    return False


def findings_for(
    spec: FieldSpec,
    values: Collection[str],
    fmt: LedesFormat,
    rules: ClientRules,
    cache: dict[str, Finding | None] | None = None,
) -> dict[str, Finding]:
    """The problem with each bad value among ``values`` (blank excluded by the caller)."""
    if bulk_check(spec, values):
        return {}
    check: Callable[[str], Finding | None]
    if cache is None:

        def check(value: str) -> Finding | None:
            return value_finding(spec, value, fmt, rules)

    else:

        def check(value: str) -> Finding | None:
            if value in cache:
                return cache[value]
            found = value_finding(spec, value, fmt, rules)
            if len(cache) < 100_000:
                cache[value] = found
            return found

    bad: dict[str, Finding] = {}
    for value in values:
        found = check(value)
        if found is not None:
            bad[value] = found
    return bad
