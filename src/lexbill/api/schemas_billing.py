"""Request and response shapes of the pre-bill, bill-run, invoice and payment operations.

Responses are built by the ``from_…`` functions from records the routers read through the
billing and receivables selectors, so a figure the API returns is the one the web page shows.
Money is a decimal string (``DecimalOut``), dates are ISO; inputs refuse JSON numbers with a
fraction (``DecimalIn``), so no amount ever passes through a float.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from lexbill.api.schemas import DecimalIn, DecimalOut
from lexbill.billing.models import BillRun, Invoice, InvoiceLine, Prebill, PrebillLine
from lexbill.billing.prebills import PrebillFigures
from lexbill.billing.selectors import invoice_status
from lexbill.core.balances import AccountBalance
from lexbill.receivables.models import Payment, PaymentAllocation

MAX_ID = 2**63 - 1
"""The largest id either engine stores: a larger one in a filter is refused, not a server error."""

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold a NUL; refuse it here as the request's fault
    if "\x00" in value:
        raise ValueError("text cannot contain a NUL character")
    return value


Comment = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_no_nul)]
Reference = Annotated[str, StringConstraints(max_length=100), AfterValidator(_no_nul)]
PayerName = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]


def _money_places(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("at most 2 decimal places")
    if abs(value) >= Decimal(10) ** 12:
        raise ValueError("must be less than 1,000,000,000,000 in size")
    return value


Money = Annotated[DecimalIn, AfterValidator(_money_places)]
"""An amount sent by a client: ``"1234.50"``; the currency's own places are checked by the
service (a JPY amount with cents is refused there, naming the field)."""

PrebillStatusName = Literal["draft", "returned", "approved", "finalized", "cancelled"]
InvoiceStatusName = Literal["final", "sent", "partly paid", "paid", "credited"]
LedesFormatName = Literal["1998B", "98BI"]


# ---- pre-bills ---------------------------------------------------------------------------------


class PrebillFilters(Schema):
    status: PrebillStatusName | None = Field(None, description="one status; all when omitted")
    open: bool | None = Field(
        None, description="true: draft, sent back or approved (the review queue)"
    )
    matter: Id | None = Field(None, description="matter id")
    client: Id | None = Field(None, description="client id")
    bill_run: Id | None = Field(None, description="bill run id")
    responsible_attorney: Id | None = Field(None, description="timekeeper id")


class PrebillOut(Schema):
    id: int
    bill_run_id: int | None
    status: str
    through: date
    created_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    matter_id: int
    matter_number: str
    matter_name: str
    client_id: int
    client_number: str
    client_name: str
    responsible_attorney_id: int
    currency: str
    line_count: int
    time_minutes: int
    billed: DecimalOut = Field(
        description="the lines as they stand (amount ± write-downs, billed lines only), "
        "before a flat fee, cap or tax"
    )
    invoice_id: int | None


class PrebillLineOut(Schema):
    id: int
    kind: str
    date: date
    timekeeper_id: int | None
    timekeeper_code: str | None
    narrative: str
    task_code: str
    activity_code: str
    expense_code: str
    minutes: int | None
    quantity: DecimalOut | None
    rate: DecimalOut
    rate_source: str
    amount: DecimalOut
    adjustment: DecimalOut
    adjustment_reason: str
    treatment: str


class PrebillFiguresOut(Schema):
    """What the pre-bill will invoice, computed exactly as finalization will."""

    fees: DecimalOut
    expenses: DecimalOut
    adjustments: DecimalOut
    subtotal: DecimalOut
    tax: DecimalOut
    total: DecimalOut
    fee_adjustment: DecimalOut
    fee_adjustment_label: str
    held_lines: int


class PrebillCommentOut(Schema):
    at: datetime
    author: str | None
    action: str
    text: str


class PrebillDetailOut(PrebillOut):
    figures: PrebillFiguresOut
    lines: list[PrebillLineOut]
    comments: list[PrebillCommentOut]


class ApproveIn(Schema):
    comment: Comment = ""


class SendBackIn(Schema):
    comment: Comment = Field(description="what must change; required")


class FinalizeIn(Schema):
    issued_on: date | None = Field(None, description="the invoice date; today when omitted")


def from_prebill(prebill: Prebill) -> PrebillOut:
    """Needs ``with_prebill_figures`` and ``matter__client``, ``approved_by``, ``invoice``."""
    matter = prebill.matter
    invoice = getattr(prebill, "invoice", None) if prebill.status == "finalized" else None
    return PrebillOut(
        id=prebill.pk,
        bill_run_id=prebill.run_id,
        status=prebill.status,
        through=prebill.through,
        created_at=prebill.created_at,
        approved_at=prebill.approved_at,
        approved_by=prebill.approved_by.username if prebill.approved_by else None,
        matter_id=matter.pk,
        matter_number=matter.number,
        matter_name=matter.name,
        client_id=matter.client_id,
        client_number=matter.client.number,
        client_name=matter.client.name,
        responsible_attorney_id=matter.responsible_attorney_id,
        currency=matter.currency,
        line_count=prebill.line_count,  # type: ignore[attr-defined]
        time_minutes=prebill.time_minutes,  # type: ignore[attr-defined]
        billed=prebill.billed,  # type: ignore[attr-defined]
        invoice_id=invoice.pk if invoice is not None else None,
    )


def from_prebill_line(line: PrebillLine) -> PrebillLineOut:
    return PrebillLineOut(
        id=line.pk,
        kind=line.kind,
        date=line.date,
        timekeeper_id=line.timekeeper_id,
        timekeeper_code=line.timekeeper.code if line.timekeeper else None,
        narrative=line.narrative,
        task_code=line.task_code,
        activity_code=line.activity_code,
        expense_code=line.expense_code,
        minutes=line.minutes,
        quantity=line.quantity,
        rate=line.rate,
        rate_source=line.rate_source,
        amount=line.amount,
        adjustment=line.adjustment,
        adjustment_reason=line.adjustment_reason,
        treatment=line.treatment,
    )


def from_prebill_detail(prebill: Prebill, figures: PrebillFigures) -> PrebillDetailOut:
    totals = figures.totals
    return PrebillDetailOut(
        **from_prebill(prebill).model_dump(),
        figures=PrebillFiguresOut(
            fees=totals.fees,
            expenses=totals.expenses,
            adjustments=totals.adjustments,
            subtotal=totals.subtotal,
            tax=totals.tax,
            total=totals.total,
            fee_adjustment=figures.fee_adjustment,
            fee_adjustment_label=figures.fee_adjustment_label,
            held_lines=figures.held,
        ),
        lines=[
            from_prebill_line(line)
            for line in prebill.lines.select_related("timekeeper").order_by("kind", "date", "id")
        ],
        comments=[
            PrebillCommentOut(
                at=c.at,
                author=c.author.username if c.author else None,
                action=c.action,
                text=c.text,
            )
            for c in prebill.comments.select_related("author")
        ],
    )


# ---- bill runs ---------------------------------------------------------------------------------


class BillRunIn(Schema):
    through: date = Field(description="bill all unbilled work dated on or before this day")


class BillRunOut(Schema):
    id: int
    through: date
    started_at: datetime
    finished_at: datetime | None
    started_by: str | None
    prebill_count: int
    time_line_count: int
    expense_line_count: int


def from_bill_run(run: BillRun) -> BillRunOut:
    return BillRunOut(
        id=run.pk,
        through=run.through,
        started_at=run.started_at,
        finished_at=run.finished_at,
        started_by=run.started_by.username if run.started_by else None,
        prebill_count=run.prebill_count,
        time_line_count=run.time_line_count,
        expense_line_count=run.expense_line_count,
    )


# ---- invoices ----------------------------------------------------------------------------------


class InvoiceFilters(Schema):
    client: Id | None = Field(None, description="client id")
    matter: Id | None = Field(None, description="matter id")
    status: InvoiceStatusName | None = None
    issued_from: date | None = Field(None, description="issued on or after")
    issued_to: date | None = Field(None, description="issued on or before")
    open: bool | None = Field(None, description="true: money still owing; false: settled")
    number: Annotated[str, StringConstraints(max_length=40), AfterValidator(_no_nul)] | None = (
        Field(None, description="the exact invoice number")
    )


class InvoiceOut(Schema):
    id: int
    number: str
    prebill_id: int
    client_id: int
    client_number: str
    client_name: str
    matter_id: int
    matter_number: str
    matter_name: str
    currency: str
    issued_on: date
    due_on: date
    period_start: date | None
    period_end: date | None
    fees: DecimalOut
    expenses: DecimalOut
    adjustments: DecimalOut
    subtotal: DecimalOut
    tax_rate_percent: DecimalOut
    tax_label: str
    tax: DecimalOut
    total: DecimalOut
    credited: DecimalOut
    paid: DecimalOut
    written_off: DecimalOut
    balance: DecimalOut = Field(description="total − credit notes − payments − write-offs")
    status: str
    overdue: bool


class InvoiceLineOut(Schema):
    position: int
    kind: str
    date: date
    timekeeper_code: str
    timekeeper_name: str
    classification: str
    narrative: str
    task_code: str
    activity_code: str
    expense_code: str
    minutes: int | None
    quantity: DecimalOut | None
    rate: DecimalOut
    rate_source: str
    amount: DecimalOut
    adjustment: DecimalOut
    adjustment_reason: str
    no_charge: bool
    total: DecimalOut
    tax: DecimalOut


class InvoiceAllocationOut(Schema):
    payment_id: int
    amount: DecimalOut
    applied_on: date


class CreditNoteOut(Schema):
    number: str
    issued_on: date
    amount: DecimalOut
    tax: DecimalOut
    total: DecimalOut
    reason: str


class InvoiceDetailOut(InvoiceOut):
    previous_balance: DecimalOut
    payments_received: DecimalOut
    total_due: DecimalOut = Field(description="as printed: balance forward + this invoice")
    finalized_at: datetime
    finalized_by: str | None
    lines: list[InvoiceLineOut]
    allocations: list[InvoiceAllocationOut]
    credit_notes: list[CreditNoteOut]


def from_invoice(invoice: Invoice, today: date) -> InvoiceOut:
    """Needs ``with_balances`` and ``client``, ``matter``."""
    balance: Decimal = invoice.balance  # type: ignore[attr-defined]
    return InvoiceOut(
        id=invoice.pk,
        number=invoice.number,
        prebill_id=invoice.prebill_id,
        client_id=invoice.client_id,
        client_number=invoice.client.number,
        client_name=invoice.client.name,
        matter_id=invoice.matter_id,
        matter_number=invoice.matter.number,
        matter_name=invoice.matter.name,
        currency=invoice.currency,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        fees=invoice.fees,
        expenses=invoice.expenses,
        adjustments=invoice.adjustments,
        subtotal=invoice.subtotal,
        tax_rate_percent=invoice.tax_rate_percent,
        tax_label=invoice.tax_label,
        tax=invoice.tax,
        total=invoice.total,
        credited=invoice.credited,  # type: ignore[attr-defined]
        paid=invoice.paid,  # type: ignore[attr-defined]
        written_off=invoice.written_off,  # type: ignore[attr-defined]
        balance=balance,
        status=invoice_status(invoice),
        overdue=balance > 0 and invoice.due_on < today,
    )


def _invoice_line(line: InvoiceLine) -> InvoiceLineOut:
    return InvoiceLineOut(
        **{name: getattr(line, name) for name in InvoiceLineOut.model_fields},
    )


def from_invoice_detail(invoice: Invoice, today: date) -> InvoiceDetailOut:
    return InvoiceDetailOut(
        **from_invoice(invoice, today).model_dump(),
        previous_balance=invoice.previous_balance,
        payments_received=invoice.payments_received,
        total_due=invoice.total_due,
        finalized_at=invoice.finalized_at,
        finalized_by=invoice.finalized_by.username if invoice.finalized_by else None,
        lines=[_invoice_line(line) for line in invoice.lines.order_by("position")],
        allocations=[
            InvoiceAllocationOut(payment_id=a.payment_id, amount=a.amount, applied_on=a.applied_on)
            for a in invoice.allocations.order_by("applied_on", "id")
        ],
        credit_notes=[
            CreditNoteOut(
                number=c.number,
                issued_on=c.issued_on,
                amount=c.amount,
                tax=c.tax,
                total=c.total,
                reason=c.reason,
            )
            for c in invoice.credit_notes.order_by("issued_on", "id")
        ],
    )


# ---- payments and balances ---------------------------------------------------------------------


class PaymentFilters(Schema):
    client: Id | None = Field(None, description="client id")
    kind: Literal["receipt", "reversal", "refund"] | None = None
    method: Literal["check", "ach", "wire", "card", "cash", "trust", "other"] | None = None
    received_from: date | None = Field(None, description="received on or after")
    received_to: date | None = Field(None, description="received on or before")
    unapplied: bool | None = Field(
        None, description="true: receipts with money not yet allocated to any invoice"
    )
    invoice: Id | None = Field(None, description="payments allocated to this invoice id")


class AllocationIn(Schema):
    invoice_id: Id
    amount: Money


class PaymentIn(Schema):
    client_id: Id
    amount: Money
    received_on: date
    currency: Currency | None = Field(
        None, description="needed only when the client is billed in several currencies"
    )
    method: Literal["check", "ach", "wire", "card", "cash", "other"] = "check"
    reference: Reference = ""
    payer_name: PayerName = ""
    allocations: list[AllocationIn] | None = Field(
        None,
        description="omitted or null: oldest invoice first, as the web suggests; an empty "
        "list keeps the whole payment as unapplied credit",
        max_length=1000,
    )


class PaymentAllocationOut(Schema):
    invoice_id: int
    invoice_number: str
    amount: DecimalOut
    applied_on: date
    allocated_at: datetime


class PaymentOut(Schema):
    id: int
    kind: str
    client_id: int
    client_number: str
    received_on: date
    amount: DecimalOut
    currency: str
    method: str
    reference: str
    payer_name: str
    corrects_id: int | None
    reason: str
    posted_at: datetime
    posted_by: str | None
    allocated: DecimalOut = Field(description="net of any reversal")
    unapplied: DecimalOut = Field(description="what of a receipt is not allocated nor refunded")


class PaymentDetailOut(PaymentOut):
    allocations: list[PaymentAllocationOut]
    corrections: list[int] = Field(description="ids of the reversal and refunds of this receipt")


def from_payment(payment: Payment) -> PaymentOut:
    """Needs ``with_free_amounts`` and ``client``, ``posted_by``."""
    return PaymentOut(
        id=payment.pk,
        kind=payment.kind,
        client_id=payment.client_id,
        client_number=payment.client.number,
        received_on=payment.received_on,
        amount=payment.amount,
        currency=payment.currency,
        method=payment.method,
        reference=payment.reference,
        payer_name=payment.payer_name,
        corrects_id=payment.corrects_id,
        reason=payment.reason,
        posted_at=payment.posted_at,
        posted_by=payment.posted_by.username if payment.posted_by else None,
        allocated=payment.allocated,  # type: ignore[attr-defined]
        unapplied=payment.free,  # type: ignore[attr-defined]
    )


def _allocation(a: PaymentAllocation) -> PaymentAllocationOut:
    return PaymentAllocationOut(
        invoice_id=a.invoice_id,
        invoice_number=a.invoice.number,
        amount=a.amount,
        applied_on=a.applied_on,
        allocated_at=a.allocated_at,
    )


def from_payment_detail(payment: Payment) -> PaymentDetailOut:
    return PaymentDetailOut(
        **from_payment(payment).model_dump(),
        allocations=[
            _allocation(a)
            for a in payment.allocations.select_related("invoice").order_by("applied_on", "id")
        ],
        corrections=list(payment.corrections.order_by("id").values_list("pk", flat=True)),
    )


class BalanceFilters(Schema):
    currency: Currency | None = Field(None, description="one currency; all when omitted")


class AccountOut(Schema):
    currency: str
    invoiced: DecimalOut
    credited: DecimalOut
    paid: DecimalOut
    written_off: DecimalOut
    balance_due: DecimalOut = Field(description="invoiced − credited − paid − written off")
    unapplied: DecimalOut = Field(description="payments received and not yet allocated")
    net: DecimalOut = Field(description="balance due − unapplied; negative means in credit")


class ClientBalanceOut(Schema):
    client_id: int
    client_number: str
    accounts: list[AccountOut]


class MatterBalanceOut(Schema):
    matter_id: int
    matter_number: str
    account: AccountOut


def from_account(currency: str, account: AccountBalance) -> AccountOut:
    return AccountOut(
        currency=currency,
        invoiced=account.invoiced,
        credited=account.credited,
        paid=account.paid,
        written_off=account.written_off,
        balance_due=account.balance_due,
        unapplied=account.unapplied,
        net=account.net,
    )
