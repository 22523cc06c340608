"""What is wrong with a LEDES file or an invoice, as data rather than as exceptions.

The validator returns every problem at once (a billing team fixes a file in one pass, not one
rejection at a time); the writer gathers its refusals the same way and raises them together.
Each problem says where (line and field, or invoice and line item), a short machine code for
``--json`` and tests, and a sentence a billing clerk can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from lexbill.core.errors import LexbillError
from lexbill.ledes.spec import LedesFormat


class Severity(StrEnum):
    ERROR = "error"
    """A receiver would reject the file."""
    WARNING = "warning"
    """Accepted by some receivers, rejected by others, or likely a mistake."""


class Code(StrEnum):
    """Machine codes of the problems; stable, since ``--json`` consumers key on them."""

    EMPTY_FILE = "empty_file"
    BAD_MARKER = "bad_marker"
    BAD_HEADER = "bad_header"
    NO_LINE_ITEMS = "no_line_items"
    MISSING_TERMINATOR = "missing_terminator"
    LINE_BREAK_IN_RECORD = "line_break_in_record"
    SEVERAL_RECORDS_ON_LINE = "several_records_on_line"
    BLANK_LINE = "blank_line"
    FIELD_COUNT = "field_count"
    TERMINATOR_IN_VALUE = "terminator_in_value"
    NON_ASCII = "non_ascii"
    CONTROL_CHARACTER = "control_character"
    MISSING_REQUIRED = "missing_required"
    NULL_LITERAL = "null_literal"
    TOO_LONG = "too_long"
    BAD_DATE = "bad_date"
    BAD_NUMBER = "bad_number"
    NEGATIVE_UNITS = "negative_units"
    NEGATIVE_UNIT_COST = "negative_unit_cost"
    BAD_TAX_RATE = "bad_tax_rate"
    UNKNOWN_LINE_TYPE = "unknown_line_type"
    UNKNOWN_CODE = "unknown_code"
    CODE_OF_WRONG_KIND = "code_of_wrong_kind"
    PHASE_CODE = "phase_code"
    MISPLACED_CODE = "misplaced_code"
    MISSING_CODE = "missing_code"
    CODE_SET_NOT_ACCEPTED = "code_set_not_accepted"
    UNKNOWN_CLASSIFICATION = "unknown_classification"
    BAD_CURRENCY = "bad_currency"
    BAD_ACCOUNT_TYPE = "bad_account_type"
    BAD_COUNTRY = "bad_country"
    BAD_LAW_FIRM_ID = "bad_law_firm_id"
    INVOICE_NUMBER_RULE = "invoice_number_rule"
    NARRATIVE_TOO_LONG = "narrative_too_long"
    INCONSISTENT_INVOICE_FIELD = "inconsistent_invoice_field"
    DUPLICATE_LINE_NUMBER = "duplicate_line_number"
    DUPLICATE_INVOICE_NUMBER = "duplicate_invoice_number"
    MIXED_CURRENCY = "mixed_currency"
    BILLING_PERIOD_REVERSED = "billing_period_reversed"
    LINE_DATE_OUTSIDE_PERIOD = "line_date_outside_period"
    LINE_TOTAL_MISMATCH = "line_total_mismatch"
    LINE_TAX_MISMATCH = "line_tax_mismatch"
    INVOICE_TOTAL_MISMATCH = "invoice_total_mismatch"
    INVOICE_TAX_TOTAL_MISMATCH = "invoice_tax_total_mismatch"
    INVOICE_NET_TOTAL_MISMATCH = "invoice_net_total_mismatch"
    REPORTED_TAX_MISMATCH = "reported_tax_mismatch"
    # Writer only: the invoice record itself cannot be written.
    NOT_DECIMAL = "not_decimal"
    NO_LINES = "no_lines"
    BILLED_AMOUNT_MISMATCH = "billed_amount_mismatch"
    EXPECTED_TOTAL_MISMATCH = "expected_total_mismatch"
    MISSING_DETAILS = "missing_details"
    BAD_TIMEKEEPER_NAME = "bad_timekeeper_name"


ARITHMETIC_CODES = frozenset(
    {
        Code.LINE_TOTAL_MISMATCH,
        Code.LINE_TAX_MISMATCH,
        Code.INVOICE_TOTAL_MISMATCH,
        Code.INVOICE_TAX_TOTAL_MISMATCH,
        Code.INVOICE_NET_TOTAL_MISMATCH,
        Code.REPORTED_TAX_MISMATCH,
    }
)
"""Figures that do not add up, as opposed to values that are malformed or misplaced."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a LEDES file.

    ``line`` is the physical line where the record starts (1 is the marker, 2 the header); it is
    the record number too, unless a record was wrapped over several lines. ``field`` is the LEDES
    field name, or ``None`` for a whole line or file. ``position`` is the field's 1-based place
    in the record (0 when there is no field), kept so problems sort in reading order.
    """

    line: int
    field: str | None
    code: Code
    message: str
    severity: Severity = Severity.ERROR
    position: int = 0

    def as_dict(self) -> dict[str, object]:
        """The ``--json`` shape: line, field, code, message, severity."""
        return {
            "line": self.line,
            "field": self.field,
            "code": self.code.value,
            "message": self.message,
            "severity": self.severity.value,
        }

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.severity.value}: {self.message} [{self.code.value}]"


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Everything found in one file, in reading order."""

    format: LedesFormat | None
    problems: tuple[Problem, ...]
    line_items: int
    invoices: int

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def is_valid(self) -> bool:
        """No errors; warnings alone do not make a file invalid."""
        return not any(p.severity is Severity.ERROR for p in self.problems)

    def as_dict(self) -> dict[str, object]:
        return {
            "format": self.format.value if self.format else None,
            "valid": self.is_valid,
            "line_items": self.line_items,
            "invoices": self.invoices,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class ExportProblem:
    """Why one invoice cannot be written: which invoice, which line item, which field."""

    invoice: str
    line_item: str | None
    field: str
    code: Code
    message: str

    def __str__(self) -> str:
        where = f"invoice {self.invoice}"
        if self.line_item is not None:
            where += f", line item {self.line_item}"
        return f"{where}, {self.field}: {self.message} [{self.code.value}]"


class ExportRefused(LexbillError):
    """The invoices cannot be written as valid LEDES; nothing was written.

    Carries every problem found, in every invoice, so the billing team can fix them in one go.
    """

    def __init__(self, problems: Sequence[ExportProblem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else None
        count = len(self.problems)
        summary = "; ".join(str(p) for p in self.problems[:20])
        more = f"; and {count - 20} more" if count > 20 else ""
        super().__init__(
            f"cannot write LEDES: {count} problem{'s' if count != 1 else ''}: {summary}{more}",
            field=first.field if first else None,
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problems,))
