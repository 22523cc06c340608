"""A LEDES file from anywhere, checked against a client's guidelines before it is submitted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from lexbill import guidelines as g
from lexbill import ledes
from lexbill.clients.models import Client
from lexbill.compliance.services import document_for
from lexbill.core.errors import InvalidEntry

_UNITS_TO_MINUTES = Decimal(60)


def _line(invoice: ledes.ParsedInvoice, line: ledes.ParsedLine) -> g.Line | None:
    if line.type not in ("F", "E") or line.date is None:
        return None  # invoice-level adjustments are judged by their own lines' rules
    is_fee = line.type == "F"
    units = line.units or Decimal(0)
    unit_cost = line.unit_cost or Decimal(0)
    return g.Line(
        id=f"{invoice.number}/{line.number}",
        kind=g.LineKind.TIME if is_fee else g.LineKind.EXPENSE,
        matter_id=line.law_firm_matter_id,
        work_date=line.date,
        amount=line.total if line.total is not None else Decimal(0),
        timekeeper_id=line.timekeeper_id,
        classification=line.timekeeper_classification,
        minutes=int((units * _UNITS_TO_MINUTES).to_integral_value()) if is_fee else 0,
        rate=unit_cost if is_fee else Decimal(0),
        narrative=line.description,
        task_code=line.task_code,
        activity_code=line.activity_code,
        expense_code=line.expense_code,
        quantity=units if not is_fee else Decimal(0),
        unit_cost=unit_cost if not is_fee else Decimal(0),
    )


def check_ledes_file(path: Path, client: Client) -> g.CheckResult:
    """Every finding of the client's guidelines on the file's fee and expense lines; a file that
    is not valid LEDES is refused with its first problems, since its figures can't be trusted."""
    parsed = ledes.parse_ledes(path)
    if not parsed.report.is_valid:
        shown = "; ".join(str(p) for p in parsed.report.errors[:3])
        raise InvalidEntry(
            f"{path.name} is not valid LEDES ({len(parsed.report.errors)} errors: {shown}); "
            "run `lexbill ledes validate` for all of them",
            field="file",
        )
    dates = [day for inv in parsed.invoices if (day := inv.billing_end or inv.date) is not None]
    document = document_for(client, max(dates)) if dates else None
    if document is None:
        raise InvalidEntry(f"client {client.number} has no guidelines in force", field="client")
    lines = [
        record
        for invoice in parsed.invoices
        for line in invoice.lines
        if (record := _line(invoice, line)) is not None
    ]
    currency = next((inv.currency for inv in parsed.invoices if inv.currency), document.currency)
    first = parsed.invoices[0] if parsed.invoices else None
    context = g.CheckContext(
        currency=currency,
        period_start=first.billing_start if first else None,
        period_end=first.billing_end if first else None,
        invoice_date=first.date if first else None,
    )
    return g.check_lines(document, lines, context)
