"""LEDES e-billing: writing invoices as LEDES 1998B / LEDES98BI V2, and validating any such file.

Pure Python (no Django, no I/O beyond the file or stream handed in), so the web page, the CLI
and the tests all run the same checks. The usual entry points:

* ``export_ledes(invoices, format, rules)`` / ``write_ledes(invoices, stream, …)``: the file, or
  ``ExportRefused`` listing every reason it cannot be written; the summary lists what text was
  transliterated.
* ``validate_ledes(source, rules)``: every problem in a file (line, field, code, message).
* ``parse_ledes(source)``: the invoices in a file, next to its validation report.
"""

from lexbill.ledes.adjustments import fee_cap, invoice_adjustment, percentage_discount, subtotal
from lexbill.ledes.arithmetic import line_amount, line_tax, reconciling_adjustment, round_cents
from lexbill.ledes.codes import timekeeper_classifications
from lexbill.ledes.model import InternationalDetails, Invoice, LineItem, LineType, Party
from lexbill.ledes.parser import ParsedInvoice, ParsedLedes, ParsedLine, parse_ledes
from lexbill.ledes.problems import (
    ARITHMETIC_CODES,
    Code,
    ExportProblem,
    ExportRefused,
    Problem,
    Severity,
    ValidationReport,
)
from lexbill.ledes.reader import Source
from lexbill.ledes.rules import ClientRules
from lexbill.ledes.spec import LedesFormat
from lexbill.ledes.text import ChangeKind, CleanText, TextChange, clean_text, transliterate
from lexbill.ledes.validator import validate_ledes
from lexbill.ledes.writer import (
    ExportSummary,
    InvoiceFigures,
    LedesExport,
    check_invoices,
    export_ledes,
    write_ledes,
)

__all__ = [
    "ARITHMETIC_CODES",
    "ChangeKind",
    "CleanText",
    "ClientRules",
    "Code",
    "ExportProblem",
    "ExportRefused",
    "ExportSummary",
    "InternationalDetails",
    "Invoice",
    "InvoiceFigures",
    "LedesExport",
    "LedesFormat",
    "LineItem",
    "LineType",
    "ParsedInvoice",
    "ParsedLedes",
    "ParsedLine",
    "Party",
    "Problem",
    "Severity",
    "Source",
    "TextChange",
    "ValidationReport",
    "check_invoices",
    "clean_text",
    "export_ledes",
    "fee_cap",
    "invoice_adjustment",
    "line_amount",
    "line_tax",
    "parse_ledes",
    "percentage_discount",
    "reconciling_adjustment",
    "round_cents",
    "subtotal",
    "timekeeper_classifications",
    "transliterate",
    "validate_ledes",
    "write_ledes",
]
