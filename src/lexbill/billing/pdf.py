"""The printed invoice: a view model built from the frozen invoice, rendered to PDF by WeasyPrint.

Every figure comes from the invoice and its lines as they were finalized; nothing is re-priced
or re-totalled here, so the PDF printed today matches the one sent on the issue date. Credit
notes are separate documents and never appear on the invoice they correct.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from lexbill.billing.formatting import (
    format_amount,
    format_date,
    format_money,
    format_percent,
    format_quantity,
    format_rate,
    format_short_date,
)
from lexbill.billing.models import Invoice, InvoiceLine, LineKind
from lexbill.core.increments import format_hours
from lexbill.firm.models import Classification

TEMPLATE = "billing/invoice_pdf.html"

_ZERO = Decimal(0)
# Partners first, then down the ladder: the order a client reads a fee summary in.
_CLASSIFICATION_RANK = {value: rank for rank, value in enumerate(Classification.values)}


@dataclass(frozen=True)
class LineAdjustment:
    label: str  # "Write-down" / "Write-up"
    reason: str
    amount: str


@dataclass(frozen=True)
class TimeRow:
    date: str
    timekeeper: str
    narrative: str
    hours: str
    rate: str
    amount: str  # "No charge" on a no-charge line
    no_charge: bool
    adjustment: LineAdjustment | None


@dataclass(frozen=True)
class ExpenseRow:
    date: str
    code: str
    description: str
    quantity: str
    unit_cost: str
    amount: str
    no_charge: bool
    adjustment: LineAdjustment | None


@dataclass(frozen=True)
class AdjustmentRow:
    date: str
    description: str
    reason: str
    amount: Decimal
    amount_text: str


@dataclass
class TimekeeperFees:
    name: str
    classification: str
    rank: int
    currency: str
    minutes: int = 0
    no_charge_minutes: int = 0
    amount: Decimal = field(default_factory=lambda: _ZERO)

    @property
    def hours(self) -> str:
        return format_hours(self.minutes)

    @property
    def amount_text(self) -> str:
        return format_amount(self.amount, self.currency)


@dataclass(frozen=True)
class Figure:
    """One labelled amount in the totals or account summary block."""

    label: str
    amount: Decimal
    text: str
    style: str = ""  # "subtotal" or "total": the rule drawn above it


def _adjustment(line: InvoiceLine, currency: str) -> LineAdjustment | None:
    """A no-charge line adds nothing, its adjustment included, so none is printed under it."""
    if line.no_charge or line.adjustment == 0:
        return None
    label = "Write-down" if line.adjustment < 0 else "Write-up"
    return LineAdjustment(label, line.adjustment_reason, format_amount(line.adjustment, currency))


def _time_row(line: InvoiceLine, currency: str) -> TimeRow:
    return TimeRow(
        date=format_short_date(line.date),
        timekeeper=line.timekeeper_name or line.timekeeper_code,
        narrative=line.narrative,
        hours=format_hours(line.minutes or 0),
        rate=format_rate(line.rate),
        amount="No charge" if line.no_charge else format_amount(line.amount, currency),
        no_charge=line.no_charge,
        adjustment=_adjustment(line, currency),
    )


def _expense_row(line: InvoiceLine, currency: str) -> ExpenseRow:
    return ExpenseRow(
        date=format_short_date(line.date),
        code=line.expense_code,
        description=line.narrative,
        quantity=format_quantity(line.quantity) if line.quantity is not None else "",
        unit_cost=format_rate(line.rate),
        amount="No charge" if line.no_charge else format_amount(line.amount, currency),
        no_charge=line.no_charge,
        adjustment=_adjustment(line, currency),
    )


def _classification_label(value: str) -> str:
    try:
        return str(Classification(value).label)
    except ValueError:
        return value.replace("_", " ").capitalize()


def timekeeper_summary(lines: Iterable[InvoiceLine], currency: str) -> list[TimekeeperFees]:
    """Fees by timekeeper from the time lines, before write-downs, so the total equals Fees.

    No-charge time is counted apart: it has no amount, and mixing its hours in would make the
    hours and amount columns disagree.
    """
    groups: dict[tuple[str, str, str], TimekeeperFees] = {}
    for line in lines:
        key = (line.timekeeper_code, line.timekeeper_name, line.classification)
        group = groups.get(key)
        if group is None:
            group = groups[key] = TimekeeperFees(
                name=line.timekeeper_name or line.timekeeper_code,
                classification=_classification_label(line.classification),
                rank=_CLASSIFICATION_RANK.get(line.classification, len(_CLASSIFICATION_RANK)),
                currency=currency,
            )
        if line.no_charge:
            group.no_charge_minutes += line.minutes or 0
        else:
            group.minutes += line.minutes or 0
            group.amount += line.amount
    return sorted(groups.values(), key=lambda g: (g.rank, g.name))


def _line_adjustment_rows(lines: Iterable[InvoiceLine], currency: str) -> list[AdjustmentRow]:
    rows = []
    for line in lines:
        if line.no_charge or line.adjustment == 0:
            continue
        kind = "Write-down" if line.adjustment < 0 else "Write-up"
        if line.kind == LineKind.TIME:
            what = f"{kind}, {line.timekeeper_name or line.timekeeper_code} time"
        else:
            what = f"{kind}, expense {line.expense_code}".rstrip()
        rows.append(
            AdjustmentRow(
                date=format_short_date(line.date),
                description=what,
                reason=line.adjustment_reason,
                amount=line.adjustment,
                amount_text=format_amount(line.adjustment, currency),
            )
        )
    return rows


def _fee_adjustment_rows(lines: Iterable[InvoiceLine], currency: str) -> list[AdjustmentRow]:
    return [
        AdjustmentRow(
            date=format_short_date(line.date),
            description=line.narrative or "Fee adjustment",
            reason="",
            amount=line.total,
            amount_text=format_amount(line.total, currency),
        )
        for line in lines
    ]


def _lines_of(text: str) -> list[str]:
    return [part.strip() for part in text.splitlines() if part.strip()]


def _period(start: date | None, end: date | None) -> str:
    """ "March 2 – March 31, 2026": the year once when both ends share it, so it fits one line."""
    if start is None or end is None:
        return ""
    if start == end:
        return format_date(start)
    first = format_date(start)
    if start.year == end.year:
        first = first.rsplit(",", 1)[0]
    return f"{first} – {format_date(end)}"


@dataclass(frozen=True)
class TrustReplenishment:
    """What an evergreen matter's invoice asks the client to deposit, as fixed at issue."""

    minimum_balance: str
    trust_balance: str
    invoice_due: str
    amount: str
    needed: bool  # False: trust still holds the minimum once this invoice is paid from it


def _trust_replenishment(invoice: Invoice) -> TrustReplenishment | None:
    # the trust app stores it at finalization (trust.retainers.request_replenishment); a
    # matter without an evergreen retainer has none
    stored = getattr(invoice, "trust_replenishment", None)
    if stored is None:
        return None
    return TrustReplenishment(
        minimum_balance=format_money(stored.minimum_balance, invoice.currency),
        trust_balance=format_money(stored.trust_balance, invoice.currency),
        invoice_due=format_money(stored.invoice_due, invoice.currency),
        amount=format_money(stored.amount, invoice.currency),
        needed=stored.amount > 0,
    )


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    """Everything the template prints, already formatted, so the template holds no arithmetic."""
    currency = invoice.currency
    parties = invoice.parties
    lines = list(invoice.lines.order_by("position"))
    time_lines = [line for line in lines if line.kind == LineKind.TIME]
    expense_lines = [line for line in lines if line.kind == LineKind.EXPENSE]
    fee_lines = [line for line in lines if line.kind == LineKind.FEE_ADJUSTMENT]
    # late charges are counted in the invoice's adjustments (never taxed) but printed apart
    late_lines = [line for line in lines if line.kind == LineKind.LATE_CHARGE]
    late_total = sum((line.total for line in late_lines), _ZERO)
    other_adjustments = invoice.adjustments - late_total

    def money(amount: Decimal) -> str:
        return format_money(amount, currency)

    def figure(label: str, amount: Decimal, style: str = "") -> Figure:
        return Figure(label, amount, money(amount), style)

    summary = timekeeper_summary(time_lines, currency)
    summary_minutes = sum(g.minutes for g in summary)
    no_charge_minutes = sum(g.no_charge_minutes for g in summary)
    adjustments = _line_adjustment_rows(time_lines + expense_lines, currency)
    adjustments += _fee_adjustment_rows(fee_lines, currency)

    totals = [figure("Fees", invoice.fees), figure("Expenses", invoice.expenses)]
    if other_adjustments != 0 or adjustments:
        totals.append(figure("Adjustments", other_adjustments))
    if late_lines:
        totals.append(figure("Late charges (not taxed)", late_total))
    totals.append(figure("Subtotal", invoice.subtotal, style="subtotal"))
    tax_label = ""
    if invoice.tax_rate_percent > 0:
        tax_label = f"{invoice.tax_label or 'Tax'} {format_percent(invoice.tax_rate_percent)}"
        totals.append(figure(tax_label, invoice.tax))
    totals.append(figure("Invoice total", invoice.total, style="total"))

    account = [
        figure("Previous balance", invoice.previous_balance),
        # Printed negative so the column adds up down the page as the client reads it.
        figure("Payments and credits", _ZERO - invoice.payments_received),
        figure("Balance forward", invoice.balance_forward),
        figure("Current invoice", invoice.total),
        figure("Total due", invoice.total_due, style="total"),
    ]

    return {
        "title": f"Invoice {invoice.number}",
        "number": invoice.number,
        "currency": currency,
        "issued_on": format_date(invoice.issued_on),
        "due_on": format_date(invoice.due_on),
        "period": _period(invoice.period_start, invoice.period_end),
        "firm": {**parties["firm"], "address_lines": _lines_of(parties["firm"]["address"])},
        "client": {
            **parties["client"],
            "address_lines": _lines_of(parties["client"]["address"]),
        },
        "matter": parties["matter"],
        "time_lines": [_time_row(line, currency) for line in time_lines],
        "expense_lines": [_expense_row(line, currency) for line in expense_lines],
        "fee_adjustment_lines": _fee_adjustment_rows(fee_lines, currency),
        "fees": money(invoice.fees),
        "expenses": money(invoice.expenses),
        "timekeeper_summary": summary,
        "timekeeper_summary_hours": format_hours(summary_minutes),
        "timekeeper_summary_amount": money(sum((g.amount for g in summary), _ZERO)),
        "no_charge_hours": format_hours(no_charge_minutes) if no_charge_minutes else "",
        "adjustments": adjustments,
        "adjustments_total": money(other_adjustments),
        "late_charge_lines": _fee_adjustment_rows(late_lines, currency),
        "late_charges_total": money(late_total),
        "tax": (
            {
                "label": tax_label,
                "rate": format_percent(invoice.tax_rate_percent),
                "amount": money(invoice.tax),
            }
            if tax_label
            else None
        ),
        "totals": totals,
        "account": account,
        "total": money(invoice.total),
        "total_due": money(invoice.total_due),
        "trust_replenishment": _trust_replenishment(invoice),
    }


def render_invoice_pdf(invoice: Invoice) -> bytes:
    return html_to_pdf(render_to_string(TEMPLATE, invoice_context(invoice)))


def html_to_pdf(html: str) -> bytes:
    """Every printed document (invoice, statement, trust report) goes through here.

    Renders offline: every URL fetch is refused, so a stray reference fails loudly instead of
    leaking a request (or hanging on a timeout) from the server that prints them.
    """
    # WeasyPrint loads cairo/pango on import; kept here so that code wanting only the view model
    # (previews, tests) does not pay for it.
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=_refusing_fetcher()).write_pdf()
    return pdf


def _refusing_fetcher() -> Any:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class RefusingFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise FatalURLFetchingError(f"invoice PDFs fetch nothing; refused {url[:80]!r}")

    return RefusingFetcher(fail_on_errors=True)
