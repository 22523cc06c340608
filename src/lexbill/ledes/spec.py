"""The two LEDES text formats as data: marker, field order, and what each field may hold.

Both the writer and the validator read these tables, so the file Lexbill writes and the rules it
checks other people's files against cannot drift apart. Lengths and requirements follow
``shared/ledes/spec`` (the 1998B field table and the 98BI V2 notes); where the sources disagree,
the choice is written next to the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class LedesFormat(StrEnum):
    """The format named by a file's first line."""

    LEDES_1998B = "1998B"
    LEDES_98BI = "98BI"

    @property
    def marker(self) -> str:
        """The exact first line, terminator included."""
        return _MARKERS[self]

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return FIELDS_1998B if self is LedesFormat.LEDES_1998B else FIELDS_98BI

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    @property
    def header(self) -> str:
        """The exact second line, terminator included."""
        return "|".join(self.field_names) + "[]"


class Kind(Enum):
    """What a field holds, which decides how its text is checked and converted."""

    TEXT = "text"
    DATE = "date"
    AMOUNT = "amount"
    UNITS = "units"
    TAX_RATE = "tax rate"
    LINE_TYPE = "line type"
    TASK_CODE = "task code"
    EXPENSE_CODE = "expense code"
    ACTIVITY_CODE = "activity code"
    CLASSIFICATION = "timekeeper classification"
    CURRENCY = "currency"
    ACCOUNT_TYPE = "account type"
    COUNTRY = "country"
    LAW_FIRM_ID = "law firm id"


class Need(Enum):
    """When a blank value is an error."""

    ALWAYS = "always"
    OPTIONAL = "optional"
    # Units and unit cost: every line but the invoice-level adjustments (IF, IE), which may leave
    # them blank and carry their amount in LINE_ITEM_ADJUSTMENT_AMOUNT.
    PRICED_LINES = "priced lines"
    # Timekeeper fields: fee lines. A line of unknown type is held to it too, so a typo in the
    # type does not also hide a missing timekeeper.
    FEE_LINES = "fee lines"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    position: int
    name: str
    kind: Kind
    need: Need
    max_length: int = 0
    """Longest text allowed (TEXT and code-like kinds); 0 when the kind decides."""
    integer_digits: int = 0
    """Digits allowed before the point (AMOUNT, UNITS)."""
    decimals: int = 0
    """Digits allowed after the point (AMOUNT, UNITS, TAX_RATE)."""
    invoice_level: bool = False
    """Repeated on every line of an invoice and required to be identical on each."""


def _f(
    position: int,
    name: str,
    kind: Kind,
    need: Need = Need.OPTIONAL,
    *,
    length: int = 0,
    digits: tuple[int, int] = (0, 0),
    invoice_level: bool = False,
) -> FieldSpec:
    return FieldSpec(
        position=position,
        name=name,
        kind=kind,
        need=need,
        max_length=length,
        integer_digits=digits[0],
        decimals=digits[1],
        invoice_level=invoice_level,
    )


_K = Kind
_N = Need

# Character fields documented as "15 KB" are read as 15,000 characters.
DESCRIPTION_LIMIT = 15_000

# Lines 1-24 as in LEDES 1998B. INVOICE_TOTAL is 12.4 (Mitratech's copy of the spec; Collaborati
# documents 14.2), line money 10.4, units 10.4: integer digits before the point, decimals after.
_COMMON: tuple[FieldSpec, ...] = (
    _f(1, "INVOICE_DATE", _K.DATE, _N.ALWAYS, invoice_level=True),
    _f(2, "INVOICE_NUMBER", _K.TEXT, _N.ALWAYS, length=20),
    _f(3, "CLIENT_ID", _K.TEXT, _N.ALWAYS, length=20, invoice_level=True),
    _f(4, "LAW_FIRM_MATTER_ID", _K.TEXT, _N.ALWAYS, length=20),
    _f(5, "INVOICE_TOTAL", _K.AMOUNT, _N.ALWAYS, digits=(12, 4), invoice_level=True),
    _f(6, "BILLING_START_DATE", _K.DATE, _N.ALWAYS, invoice_level=True),
    _f(7, "BILLING_END_DATE", _K.DATE, _N.ALWAYS, invoice_level=True),
    _f(8, "INVOICE_DESCRIPTION", _K.TEXT, length=DESCRIPTION_LIMIT, invoice_level=True),
    _f(9, "LINE_ITEM_NUMBER", _K.TEXT, _N.ALWAYS, length=20),
    _f(10, "EXP/FEE/INV_ADJ_TYPE", _K.LINE_TYPE, _N.ALWAYS),
    _f(11, "LINE_ITEM_NUMBER_OF_UNITS", _K.UNITS, _N.PRICED_LINES, digits=(10, 4)),
    _f(12, "LINE_ITEM_ADJUSTMENT_AMOUNT", _K.AMOUNT, digits=(10, 4)),
    _f(13, "LINE_ITEM_TOTAL", _K.AMOUNT, _N.ALWAYS, digits=(10, 4)),
    _f(14, "LINE_ITEM_DATE", _K.DATE, _N.ALWAYS),
    _f(15, "LINE_ITEM_TASK_CODE", _K.TASK_CODE, length=20),
    _f(16, "LINE_ITEM_EXPENSE_CODE", _K.EXPENSE_CODE, length=20),
    _f(17, "LINE_ITEM_ACTIVITY_CODE", _K.ACTIVITY_CODE, length=20),
    _f(18, "TIMEKEEPER_ID", _K.TEXT, _N.FEE_LINES, length=20),
    _f(19, "LINE_ITEM_DESCRIPTION", _K.TEXT, length=DESCRIPTION_LIMIT),
    _f(20, "LAW_FIRM_ID", _K.LAW_FIRM_ID, _N.ALWAYS, length=20, invoice_level=True),
    _f(21, "LINE_ITEM_UNIT_COST", _K.AMOUNT, _N.PRICED_LINES, digits=(10, 4)),
    _f(22, "TIMEKEEPER_NAME", _K.TEXT, _N.FEE_LINES, length=30),
    _f(23, "TIMEKEEPER_CLASSIFICATION", _K.CLASSIFICATION, _N.FEE_LINES, length=10),
    _f(24, "CLIENT_MATTER_ID", _K.TEXT, length=20),
)

FIELDS_1998B: tuple[FieldSpec, ...] = _COMMON

# 98BI: fee lines name their timekeeper in TIMEKEEPER_LAST_NAME / _FIRST_NAME (validators require
# them); TIMEKEEPER_NAME becomes optional there. INVOICE_NUMBER stays at 20 characters (the
# Lexitree conformance sample rejects 21), LAW_FIRM_ID may hold up to three '~'-separated IDs.
FIELDS_98BI: tuple[FieldSpec, ...] = (
    *_COMMON[:19],
    _f(20, "LAW_FIRM_ID", _K.LAW_FIRM_ID, _N.ALWAYS, length=50, invoice_level=True),
    _COMMON[20],
    _f(22, "TIMEKEEPER_NAME", _K.TEXT, length=30),
    *_COMMON[22:],
    _f(25, "PO_NUMBER", _K.TEXT, length=100),
    _f(26, "CLIENT_TAX_ID", _K.TEXT, _N.ALWAYS, length=20, invoice_level=True),
    _f(27, "MATTER_NAME", _K.TEXT, _N.ALWAYS, length=255),
    _f(28, "INVOICE_TAX_TOTAL", _K.AMOUNT, digits=(12, 4), invoice_level=True),
    _f(29, "INVOICE_NET_TOTAL", _K.AMOUNT, _N.ALWAYS, digits=(12, 4), invoice_level=True),
    _f(30, "INVOICE_CURRENCY", _K.CURRENCY, _N.ALWAYS, invoice_level=True),
    _f(31, "TIMEKEEPER_LAST_NAME", _K.TEXT, _N.FEE_LINES, length=30),
    _f(32, "TIMEKEEPER_FIRST_NAME", _K.TEXT, _N.FEE_LINES, length=30),
    _f(33, "ACCOUNT_TYPE", _K.ACCOUNT_TYPE, _N.ALWAYS),
    _f(34, "LAW_FIRM_NAME", _K.TEXT, length=60, invoice_level=True),
    _f(35, "LAW_FIRM_ADDRESS_1", _K.TEXT, length=60, invoice_level=True),
    _f(36, "LAW_FIRM_ADDRESS_2", _K.TEXT, length=60, invoice_level=True),
    _f(37, "LAW_FIRM_CITY", _K.TEXT, length=40, invoice_level=True),
    _f(38, "LAW_FIRM_STATEorREGION", _K.TEXT, length=40, invoice_level=True),
    _f(39, "LAW_FIRM_POSTCODE", _K.TEXT, length=20, invoice_level=True),
    _f(40, "LAW_FIRM_COUNTRY", _K.COUNTRY, length=3, invoice_level=True),
    _f(41, "CLIENT_NAME", _K.TEXT, length=60, invoice_level=True),
    _f(42, "CLIENT_ADDRESS_1", _K.TEXT, length=60, invoice_level=True),
    _f(43, "CLIENT_ADDRESS_2", _K.TEXT, length=60, invoice_level=True),
    _f(44, "CLIENT_CITY", _K.TEXT, length=40, invoice_level=True),
    _f(45, "CLIENT_STATEorREGION", _K.TEXT, length=40, invoice_level=True),
    _f(46, "CLIENT_POSTCODE", _K.TEXT, length=20, invoice_level=True),
    _f(47, "CLIENT_COUNTRY", _K.COUNTRY, length=3, invoice_level=True),
    _f(48, "LINE_ITEM_TAX_RATE", _K.TAX_RATE, digits=(1, 10)),
    _f(49, "LINE_ITEM_TAX_TOTAL", _K.AMOUNT, _N.ALWAYS, digits=(10, 4)),
    _f(50, "LINE_ITEM_TAX_TYPE", _K.TEXT, length=20),
    _f(51, "INVOICE_REPORTED_TAX_TOTAL", _K.AMOUNT, digits=(12, 4), invoice_level=True),
    _f(52, "INVOICE_TAX_CURRENCY", _K.CURRENCY, invoice_level=True),
)

_MARKERS = {LedesFormat.LEDES_1998B: "LEDES1998B[]", LedesFormat.LEDES_98BI: "LEDES98BI V2[]"}

LINE_TYPES = frozenset({"F", "E", "IF", "IE"})
ADJUSTMENT_TYPES = frozenset({"IF", "IE"})
NOT_FEE_TYPES = frozenset({"E", "IF", "IE"})
ACCOUNT_TYPES = frozenset({"O", "T"})

# LAW_FIRM_ID in 98BI: up to three identifiers separated by '~', each as long as a 1998B ID.
LAW_FIRM_ID_PARTS = 3
LAW_FIRM_ID_PART_LENGTH = 20

# Field positions used by the arithmetic, named once so the writer and validator agree.
INVOICE_DATE = 0
INVOICE_NUMBER = 1
CLIENT_ID = 2
LAW_FIRM_MATTER_ID = 3
INVOICE_TOTAL = 4
BILLING_START_DATE = 5
BILLING_END_DATE = 6
INVOICE_DESCRIPTION = 7
LINE_ITEM_NUMBER = 8
LINE_TYPE = 9
UNITS = 10
ADJUSTMENT = 11
LINE_TOTAL = 12
LINE_DATE = 13
TASK_CODE = 14
EXPENSE_CODE = 15
ACTIVITY_CODE = 16
TIMEKEEPER_ID = 17
LINE_DESCRIPTION = 18
LAW_FIRM_ID = 19
UNIT_COST = 20
TIMEKEEPER_NAME = 21
TIMEKEEPER_CLASSIFICATION = 22
CLIENT_MATTER_ID = 23
PO_NUMBER = 24
CLIENT_TAX_ID = 25
MATTER_NAME = 26
INVOICE_TAX_TOTAL = 27
INVOICE_NET_TOTAL = 28
INVOICE_CURRENCY = 29
TIMEKEEPER_LAST_NAME = 30
TIMEKEEPER_FIRST_NAME = 31
ACCOUNT_TYPE = 32
LAW_FIRM_NAME = 33
CLIENT_NAME = 40
TAX_RATE = 47
LINE_TAX = 48
TAX_TYPE = 49
REPORTED_TAX_TOTAL = 50
TAX_CURRENCY = 51


def detect_format(marker: str, header: str | None, first_row: str | None) -> LedesFormat:
    """Guesses the intended format of a file whose marker may be wrong.

    A wrong marker is still reported; the guess only decides which field table the rest of the
    file is checked against, so one typo in line 1 does not turn into an error on every field.
    """
    text = marker.strip().upper().replace(" ", "")
    if text.startswith("LEDES98BI"):
        return LedesFormat.LEDES_98BI
    if text.startswith("LEDES1998B"):
        return LedesFormat.LEDES_1998B
    for line in (header, first_row):
        if line is not None:
            count = line.count("|") + 1
            if count >= len(FIELDS_98BI):
                return LedesFormat.LEDES_98BI
            if count == len(FIELDS_1998B):
                return LedesFormat.LEDES_1998B
    return LedesFormat.LEDES_1998B
