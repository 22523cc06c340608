"""Final invoices: numbering, freezing the lines, credit notes, and recording delivery."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    LineKind,
    LineTreatment,
    Prebill,
    PrebillLine,
    PrebillStatus,
)
from lexbill.billing.prebills import (
    fee_adjustment_for,
    line_inputs,
    require_prebill_access,
    set_entry_state,
    set_status,
)
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Client, Matter
from lexbill.core.credit_lines import CreditableLine, LineCredit, credit_per_line
from lexbill.core.errors import InvalidEntry
from lexbill.core.invoice_math import LineInput, invoice_totals, line_tax, tax_of_line
from lexbill.core.invoice_math import LineKind as CoreKind
from lexbill.core.money import round_money, to_decimal
from lexbill.entries.models import BillingState
from lexbill.fields import FixedDecimalField
from lexbill.firm.models import Firm, User
from lexbill.firm.permissions import Action, require
from lexbill.firm.services import get_firm, next_number

# Apps that add to an invoice as it is issued (trust: an evergreen matter's replenishment) append
# here; each runs inside the finalizing transaction, so the invoice and its additions land together.
AFTER_FINALIZE: list[Callable[[Invoice], object]] = []


def finalize_prebill(
    actor: User | None, prebill: Prebill, issued_on: date | None = None
) -> Invoice:
    """Turn an approved pre-bill into a numbered, frozen invoice, in one transaction."""
    firm = get_firm()
    issued_on = issued_on or timezone.localdate()
    with transaction.atomic():
        locked = (
            Prebill.objects.select_for_update().select_related("matter__client").get(pk=prebill.pk)
        )
        require_prebill_access(actor, locked, Action.FINALIZE_INVOICE)
        set_status(locked, PrebillStatus.FINALIZED)
        matter = locked.matter
        client = matter.client
        all_lines = locked.lines.select_related("timekeeper").order_by("kind", "date", "id")
        billed = [line for line in all_lines if line.treatment != LineTreatment.HOLD]
        if not billed:
            raise InvalidEntry(
                f"pre-bill {locked.pk} has nothing to bill (every line is held)", field="lines"
            )
        inputs = line_inputs(billed)
        fees = sum((i.total for i in inputs if i.kind == CoreKind.TIME), Decimal(0))
        fee_adj, fee_label = fee_adjustment_for(matter, fees)
        tax_rate = client.tax_rate_percent
        currency = matter.currency
        if fee_adj:
            inputs.append(LineInput(kind=CoreKind.FEE_ADJUSTMENT, amount=fee_adj))
        totals = invoice_totals(inputs, currency, tax_rate)

        earlier = with_balances(Invoice.objects.filter(matter=matter))
        previous = earlier.order_by("-finalized_at", "-id").first()
        previous_balance = previous.total_due if previous else Decimal(0)
        outstanding = sum((inv.balance for inv in earlier), Decimal(0))  # type: ignore[attr-defined]
        period = locked.lines.exclude(treatment=LineTreatment.HOLD).aggregate(
            start=Min("date"), end=Max("date")
        )

        invoice = Invoice.objects.create(
            number=next_number("invoice", firm.invoice_number_format, issued_on),
            prebill=locked,
            matter=matter,
            client=client,
            currency=currency,
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=firm.payment_terms_days),
            period_start=period["start"],
            period_end=period["end"],
            fees=totals.fees,
            expenses=totals.expenses,
            adjustments=totals.adjustments,
            subtotal=totals.subtotal,
            tax_rate_percent=tax_rate,
            tax_label=client.tax_label,
            tax=totals.tax,
            total=totals.total,
            previous_balance=previous_balance,
            payments_received=previous_balance - outstanding,
            parties=invoice_parties(firm, client, matter),
            finalized_at=timezone.now(),
            finalized_by=actor,
        )
        frozen = [
            _frozen_line(invoice, position, line, line_input, tax_rate, currency)
            for position, (line, line_input) in enumerate(zip(billed, inputs, strict=False), 1)
        ]
        if fee_adj:
            frozen.append(
                InvoiceLine(
                    invoice=invoice,
                    position=len(frozen) + 1,
                    kind=LineKind.FEE_ADJUSTMENT,
                    date=period["end"] or issued_on,
                    narrative=fee_label,
                    rate=Decimal(0),
                    amount=fee_adj,
                    adjustment=Decimal(0),
                    total=fee_adj,
                    tax=line_tax(fee_adj, tax_rate, currency),
                )
            )
        InvoiceLine.objects.bulk_create(frozen)
        _settle_entries(locked)
        locked.save()
        for after in AFTER_FINALIZE:
            after(invoice)
        record_event(
            "billing.Invoice",
            invoice.pk,
            f"invoice {invoice.number} finalized from pre-bill {locked.pk}: "
            f"{len(frozen)} lines, total {invoice.total} {currency}",
            lines=len(frozen),
            total=str(invoice.total),
        )
    return invoice


def invoice_parties(firm: Firm, client: Client, matter: Matter) -> dict[str, dict[str, str]]:
    """Who billed whom for what, as of issue: a later address change must not alter the invoice."""
    return {
        "firm": {
            "name": firm.name,
            "address": firm.address,
            "tax_id": firm.tax_id,
            "email": firm.email,
            "phone": firm.phone,
        },
        "client": {
            "name": client.name,
            "number": client.number,
            "address": client.address,
            "billing_contact": client.billing_contact,
            "billing_email": client.billing_email,
            "tax_id": client.tax_id,
        },
        "matter": {
            "number": matter.number,
            "name": matter.name,
            "client_matter_id": matter.client_matter_id,
        },
    }


def _frozen_line(
    invoice: Invoice,
    position: int,
    line: PrebillLine,
    line_input: LineInput,
    tax_rate: Decimal,
    currency: str,
) -> InvoiceLine:
    tk = line.timekeeper
    return InvoiceLine(
        invoice=invoice,
        position=position,
        kind=line.kind,
        time_entry_id=line.time_entry_id,
        expense_id=line.expense_id,
        date=line.date,
        timekeeper_code=tk.code if tk else "",
        timekeeper_name=tk.name if tk else "",
        classification=tk.classification if tk else "",
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
        no_charge=line_input.no_charge,
        total=line_input.total,
        tax=tax_of_line(line_input, tax_rate, currency),
    )


def _settle_entries(prebill: Prebill) -> None:
    """Billed work becomes ``billed``; held work goes back to WIP for the next bill run."""
    lines = prebill.lines
    set_entry_state(lines.exclude(treatment=LineTreatment.HOLD), BillingState.BILLED)
    set_entry_state(lines.filter(treatment=LineTreatment.HOLD), BillingState.UNBILLED)


def issue_credit_note(
    actor: User | None,
    invoice: Invoice,
    amount: Decimal | str | None,
    reason: str,
    issued_on: date | None = None,
    *,
    reason_code: str = "",
    lines: Mapping[int, Decimal] | None = None,
) -> CreditNote:
    """Credit part of an invoice, or with ``amount=None`` all that is still open.

    A partial amount is before tax, and tax is credited at the invoice's rate. A full credit takes
    the open balance exactly, splitting out the tax in the invoice's own proportion, because the
    invoice's tax is a sum of per-line roundings that a single recomputation could miss by a cent.
    ``lines`` (invoice line id → amount before tax) credits line by line instead; see
    ``post_credit_note``. Coordinators issue at once; others go through
    ``receivables.adjustments.request_credit_note`` and its approval threshold.
    """
    require(actor, Action.ISSUE_CREDIT)
    return post_credit_note(
        actor, invoice, amount, reason, issued_on, reason_code=reason_code, lines=lines
    )


def post_credit_note(
    actor: User | None,
    invoice: Invoice,
    amount: Decimal | str | None,
    reason: str,
    issued_on: date | None = None,
    *,
    reason_code: str = "",
    lines: Mapping[int, Decimal] | None = None,
) -> CreditNote:
    """Post a credit note; the caller has checked the role (issue_credit_note, or receivables'
    request and approval of an adjustment).

    With ``lines`` each named line is credited up to what is left of it, its tax computed per
    line at the invoice's rate (``amount`` is then ignored), and ``CreditNoteLine`` rows record
    it. Either way the credit's total must fit the invoice's open balance, checked under the
    invoice's row lock.
    """
    if not reason.strip():
        raise InvalidEntry("a credit note needs a reason", field="reason")
    value = None if amount is None or lines else to_decimal(amount)
    if value is not None and (value <= 0 or value != round_money(value, invoice.currency)):
        raise InvalidEntry("credit amount must be positive, in whole cents", field="amount")
    firm = get_firm()
    issued_on = issued_on or timezone.localdate()
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        open_balance: Decimal = with_balances(Invoice.objects.filter(pk=locked.pk)).get().balance  # type: ignore[attr-defined]
        per_line: list[LineCredit] = []
        if lines:
            per_line = credit_per_line(
                creditable_lines(locked),
                {int(k): to_decimal(v) for k, v in lines.items()},
                locked.tax_rate_percent,
                locked.currency,
            )
            value = sum((c.amount for c in per_line), Decimal(0))
            tax = sum((c.tax for c in per_line), Decimal(0))
        elif value is None:
            if open_balance <= 0:
                raise InvalidEntry(f"invoice {locked.number} has nothing open", field="amount")
            tax = (
                round_money(open_balance * locked.tax / locked.total, locked.currency)
                if locked.tax and locked.total
                else Decimal(0)
            )
            value = open_balance - tax
        else:
            tax = line_tax(value, locked.tax_rate_percent, locked.currency)
        if value + tax > open_balance:
            raise InvalidEntry(
                f"invoice {locked.number} has {open_balance} {locked.currency} left to credit "
                "(a paid part is refunded, not credited)",
                field="lines" if lines else "amount",
            )
        note = CreditNote.objects.create(
            number=next_number("credit_note", firm.credit_note_number_format, issued_on),
            invoice=locked,
            issued_on=issued_on,
            amount=value,
            tax=tax,
            total=value + tax,
            reason=reason.strip(),
            reason_code=reason_code,
            created_at=timezone.now(),
            created_by=actor,
        )
        for credit in per_line:
            CreditNoteLine.objects.create(
                credit_note=note,
                invoice_line_id=credit.line_id,
                amount=credit.amount,
                tax=credit.tax,
            )
        return note


def creditable_lines(invoice: Invoice) -> list[CreditableLine]:
    """The invoice's lines with what earlier per-line credit notes already took from each."""
    return [
        CreditableLine(line.pk, line.position, line.total, line.already)
        for line in invoice.lines.annotate(
            already=Coalesce(
                Sum("credit_lines__amount"), Value(0, output_field=FixedDecimalField(places=2))
            )
        )
    ]


def record_delivery(
    actor: User | None, invoice: Invoice, recipient: str, channel: str = "email"
) -> InvoiceDelivery:
    require(actor, Action.FINALIZE_INVOICE)
    return InvoiceDelivery.objects.create(
        invoice=invoice, sent_at=timezone.now(), channel=channel, recipient=recipient, sent_by=actor
    )
