"""Reading a LEDES file into invoices, next to the validation report for the same file.

Parsing never refuses: a value that is not valid for its field comes back as ``None`` (numbers,
dates) or as written (text), and the report says why. That lets an import screen show what it
could read while pointing at what it could not, and lets tests check that an exported file reads
back to the same lines, codes and totals.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from lexbill.ledes.fieldcheck import parse_date, value_finding
from lexbill.ledes.problems import ValidationReport
from lexbill.ledes.reader import Source
from lexbill.ledes.rules import ClientRules
from lexbill.ledes.spec import LedesFormat
from lexbill.ledes.validator import run_validation


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """One line item as the file states it; figures are ``None`` when blank or invalid."""

    line: int
    """Where the record starts in the file."""
    number: str
    type: str
    date: datetime.date | None
    units: Decimal | None
    adjustment: Decimal | None
    total: Decimal | None
    unit_cost: Decimal | None
    task_code: str
    expense_code: str
    activity_code: str
    timekeeper_id: str
    timekeeper_name: str
    timekeeper_classification: str
    description: str
    law_firm_matter_id: str
    client_matter_id: str
    # 98BI only (empty or None in 1998B files).
    po_number: str = ""
    matter_name: str = ""
    timekeeper_last_name: str = ""
    timekeeper_first_name: str = ""
    account_type: str = ""
    tax_rate: Decimal | None = None
    tax_total: Decimal | None = None
    tax_type: str = ""


@dataclass(frozen=True, slots=True)
class ParsedInvoice:
    """An invoice's fields as its first line states them, and all of its lines."""

    number: str
    date: datetime.date | None
    client_id: str
    law_firm_id: str
    total: Decimal | None
    billing_start: datetime.date | None
    billing_end: datetime.date | None
    description: str
    lines: tuple[ParsedLine, ...]
    # 98BI only.
    client_tax_id: str = ""
    tax_total: Decimal | None = None
    net_total: Decimal | None = None
    currency: str = ""
    reported_tax_total: Decimal | None = None
    tax_currency: str = ""
    law_firm: tuple[str, ...] = ()
    """LAW_FIRM_NAME … LAW_FIRM_COUNTRY, in file order."""
    client: tuple[str, ...] = ()
    """CLIENT_NAME … CLIENT_COUNTRY, in file order."""


@dataclass(frozen=True, slots=True)
class ParsedLedes:
    format: LedesFormat | None
    invoices: tuple[ParsedInvoice, ...]
    report: ValidationReport


class _Collector:
    """Builds records from the rows the validator has already split."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, list[str]]] = []

    def __call__(self, rows: list[list[str]], lines: Sequence[int]) -> None:
        self.rows.extend(zip(lines, rows, strict=True))


_PADDING = [""] * (len(LedesFormat.LEDES_98BI.fields) - len(LedesFormat.LEDES_1998B.fields))


def _build(fmt: LedesFormat, rows: list[tuple[int, list[str]]]) -> tuple[ParsedInvoice, ...]:
    specs = fmt.fields
    international = fmt is LedesFormat.LEDES_98BI
    rules = ClientRules()

    def num(row: list[str], position: int) -> Decimal | None:
        value = row[position]
        if not value or value_finding(specs[position], value, fmt, rules) is not None:
            return None
        return Decimal(value)

    def day(value: str) -> datetime.date | None:
        return parse_date(value) if value else None

    grouped: dict[str, list[tuple[int, list[str]]]] = {}
    for line, row in rows:
        # 1998B rows are padded to 98BI width so both read through the same positions.
        grouped.setdefault(row[1], []).append((line, row if international else row + _PADDING))
    invoices = []
    for number, members in grouped.items():
        parsed_lines = tuple(
            ParsedLine(
                line=line,
                number=row[8],
                type=row[9],
                date=day(row[13]),
                units=num(row, 10),
                adjustment=num(row, 11) if row[11] else Decimal(0),
                total=num(row, 12),
                unit_cost=num(row, 20),
                task_code=row[14],
                expense_code=row[15],
                activity_code=row[16],
                timekeeper_id=row[17],
                timekeeper_name=row[21],
                timekeeper_classification=row[22],
                description=row[18],
                law_firm_matter_id=row[3],
                client_matter_id=row[23],
                po_number=row[24],
                matter_name=row[26],
                timekeeper_last_name=row[30],
                timekeeper_first_name=row[31],
                account_type=row[32],
                tax_rate=(num(row, 47) if row[47] else Decimal(0)) if international else None,
                tax_total=num(row, 48) if international else None,
                tax_type=row[49],
            )
            for line, row in members
        )
        first = members[0][1]
        invoices.append(
            ParsedInvoice(
                number=number,
                date=day(first[0]),
                client_id=first[2],
                law_firm_id=first[19],
                total=num(first, 4),
                billing_start=day(first[5]),
                billing_end=day(first[6]),
                description=first[7],
                lines=parsed_lines,
                client_tax_id=first[25],
                tax_total=num(first, 27) if international else None,
                net_total=num(first, 28) if international else None,
                currency=first[29],
                reported_tax_total=num(first, 50) if international else None,
                tax_currency=first[51],
                law_firm=tuple(first[33:40]) if international else (),
                client=tuple(first[40:47]) if international else (),
            )
        )
    return tuple(invoices)


def parse_ledes(source: Source, rules: ClientRules | None = None) -> ParsedLedes:
    """The invoices in a LEDES 1998B or 98BI file, and the validation report of the file.

    Lines with the wrong number of fields cannot be read and are left out (the report names
    them); invoices are in the order their first line appears, lines in file order.
    """
    collector = _Collector()
    report = run_validation(source, rules, collector)
    if report.format is None:
        return ParsedLedes(None, (), report)
    return ParsedLedes(report.format, _build(report.format, collector.rows), report)
