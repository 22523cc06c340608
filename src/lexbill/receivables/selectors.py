"""Read queries for payments and adjustments, shared by the pages, the CLI and reports.

``collections_policy`` and ``adjustment_reasons`` create their defaults on first use: a new firm
gets a working policy and reason list without a set-up step (and without a data migration that
other apps' migrations would have to order themselves around).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, F, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Client, Matter
from lexbill.core.discounts import PromptPaymentTerms
from lexbill.core.errors import InvalidEntry
from lexbill.fields import FixedDecimalField
from lexbill.receivables.models import (
    AdjustmentKind,
    AdjustmentReason,
    AdjustmentRequest,
    CollectionsPolicy,
    Payment,
    PaymentAllocation,
    PaymentKind,
    RequestStatus,
)

ZERO_AMOUNT = Value(0, output_field=FixedDecimalField(places=2))
PROMPT_PAYMENT = "PROMPT_PAYMENT"
# code, label, applies to
DEFAULT_REASONS: tuple[tuple[str, str, str], ...] = (
    ("BILLING_ERROR", "Billing error", AdjustmentKind.CREDIT_NOTE),
    ("CLIENT_RELATIONS", "Client relations", "any"),
    ("FEE_DISPUTE", "Fee dispute settled", "any"),
    ("UNCOLLECTIBLE", "Uncollectible", AdjustmentKind.WRITE_OFF),
    ("SMALL_BALANCE", "Small balance", AdjustmentKind.WRITE_OFF),
    (PROMPT_PAYMENT, "Prompt-payment discount", AdjustmentKind.DISCOUNT),
)


def collections_policy() -> CollectionsPolicy:
    """The firm's one collections policy row, created with the model's defaults on first use."""
    policy = CollectionsPolicy.objects.order_by("pk").first()
    return policy if policy is not None else CollectionsPolicy.objects.create()


def prompt_payment_terms(policy: CollectionsPolicy | None = None) -> PromptPaymentTerms:
    policy = policy or collections_policy()
    return PromptPaymentTerms(policy.prompt_discount_percent, policy.prompt_discount_days)


def ensure_default_reasons() -> None:
    """Seed the default reasons once, when the firm has none at all (retired ones count)."""
    if not AdjustmentReason.objects.exists():
        AdjustmentReason.objects.bulk_create(
            [
                AdjustmentReason(code=code, label=label, applies_to=applies)
                for code, label, applies in DEFAULT_REASONS
            ]
        )


def adjustment_reasons(
    kind: str | None = None, *, active_only: bool = True
) -> QuerySet[AdjustmentReason]:
    """The firm's reasons, for one kind of adjustment (``any`` reasons included) or all."""
    ensure_default_reasons()
    reasons = AdjustmentReason.objects.order_by("label")
    if active_only:
        reasons = reasons.filter(active=True)
    if kind is not None:
        reasons = reasons.filter(applies_to__in=["any", kind])
    return reasons


def reason_for(code: str, kind: str, field: str = "reason") -> AdjustmentReason:
    """The active reason ``code`` valid for ``kind``, or a refusal naming the valid codes."""
    valid = adjustment_reasons(kind)
    found = valid.filter(code=code.strip().upper()).first()
    if found is None:
        codes = ", ".join(valid.values_list("code", flat=True)) or "none"
        label = AdjustmentKind(kind).label.lower()
        raise InvalidEntry(
            f"{code!r} is not an active reason for a {label} (valid: {codes})", field=field
        )
    return found


def invoice_balance(invoice: Invoice) -> Decimal:
    """What is open on one invoice now (total − credits − payments − write-offs)."""
    return Decimal(with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance)  # type: ignore[attr-defined]


def free_amount(payment: Payment) -> Decimal:
    """What of a receipt is neither allocated nor already refunded or reversed."""
    allocated = payment.allocations.aggregate(s=Coalesce(Sum("amount"), ZERO_AMOUNT))["s"]
    corrected = payment.corrections.aggregate(s=Coalesce(Sum("amount"), ZERO_AMOUNT))["s"]
    return Decimal(payment.amount - allocated + corrected)


def net_allocations(payment: Payment) -> dict[int, Decimal]:
    """Invoice id → what this payment still stands paid on it (after any negative rows)."""
    rows = (
        payment.allocations.order_by()
        .values("invoice")
        .annotate(s=Sum("amount", output_field=FixedDecimalField(places=2)))
    )
    return {row["invoice"]: Decimal(row["s"]) for row in rows if row["s"]}


def with_free_amounts(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    """Annotate ``allocated`` (net) and ``free``: for a receipt, what is neither allocated nor
    refunded or reversed; corrections themselves show 0 free (their amount is on the receipt)."""
    money = FixedDecimalField(places=2)
    allocated = (
        PaymentAllocation.objects.filter(payment=OuterRef("pk"))
        .order_by()
        .values("payment")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    corrected = (
        Payment.objects.filter(corrects=OuterRef("pk"))
        .order_by()
        .values("corrects")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return payments.annotate(
        allocated=Coalesce(Subquery(allocated, output_field=money), ZERO_AMOUNT),
        corrected=Coalesce(Subquery(corrected, output_field=money), ZERO_AMOUNT),
    ).annotate(
        free=Case(
            When(kind=PaymentKind.RECEIPT, then=F("amount") - F("allocated") + F("corrected")),
            default=ZERO_AMOUNT,
            output_field=money,
        )
    )


def reversal_of(payment: Payment) -> Payment | None:
    return payment.corrections.filter(kind=PaymentKind.REVERSAL).first()


def pending_requests(invoice: Invoice | None = None) -> QuerySet[AdjustmentRequest]:
    requests = AdjustmentRequest.objects.filter(status=RequestStatus.PENDING)
    if invoice is not None:
        requests = requests.filter(invoice=invoice)
    return requests.select_related("invoice__client", "reason", "requested_by").order_by(
        "requested_at", "pk"
    )


@dataclass(frozen=True)
class HistoryRow:
    """One event in a client's (or matter's) money history, in business-date order."""

    on: date
    event: str  # receipt, reversal, refund, applied, taken back
    payment_id: int
    amount: Decimal
    currency: str
    method: str = ""
    reference: str = ""
    payer_name: str = ""
    invoice: str = ""
    matter: str = ""
    reason: str = ""


_EVENT = {
    PaymentKind.RECEIPT: "receipt",
    PaymentKind.REVERSAL: "reversal",
    PaymentKind.REFUND: "refund",
}


def payment_history(client: Client, matter: Matter | None = None) -> list[HistoryRow]:
    """Every receipt, reversal, refund and allocation of a client, oldest first.

    For a matter: the allocations to that matter's invoices (and their take-backs), since money
    is received from the client, not from a matter.
    """
    allocations = PaymentAllocation.objects.filter(payment__client=client).select_related(
        "payment", "invoice__matter"
    )
    rows: list[HistoryRow] = []
    if matter is not None:
        allocations = allocations.filter(invoice__matter=matter)
    else:
        rows.extend(_payment_rows(Payment.objects.filter(client=client)))
    rows.extend(
        HistoryRow(
            on=a.applied_on,
            event="applied" if a.amount > 0 else "taken back",
            payment_id=a.payment_id,
            amount=a.amount,
            currency=a.payment.currency,
            method=a.payment.method,
            reference=a.payment.reference,
            payer_name=a.payment.payer_name,
            invoice=a.invoice.number,
            matter=a.invoice.matter.number,
        )
        for a in allocations
    )
    order = {"receipt": 0, "applied": 1, "reversal": 2, "taken back": 3, "refund": 4}
    return sorted(rows, key=lambda r: (r.on, r.payment_id, order[r.event], r.invoice))


def _payment_rows(payments: Iterable[Payment]) -> Iterable[HistoryRow]:
    for p in payments:
        yield HistoryRow(
            on=p.received_on,
            event=_EVENT[PaymentKind(p.kind)],
            payment_id=p.pk if p.kind == PaymentKind.RECEIPT else (p.corrects_id or p.pk),
            amount=p.amount,
            currency=p.currency,
            method=p.method,
            reference=p.reference,
            payer_name=p.payer_name,
            reason=p.reason,
        )
