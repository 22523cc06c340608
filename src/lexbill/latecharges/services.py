"""Assessing late charges and putting them on the matter's next bill.

Every change is here: the role is checked, the work runs in one transaction and is audited as one
event. The arithmetic is ``core.late_charges``; the reads are ``latecharges.selectors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from lexbill.audit.recorder import record_event
from lexbill.billing.formatting import format_amount
from lexbill.billing.models import (
    BillRun,
    Invoice,
    LineKind,
    LineTreatment,
    Prebill,
    PrebillLine,
    PrebillStatus,
)
from lexbill.billing.prebills import EDITABLE
from lexbill.clients.models import Matter
from lexbill.core.errors import InvalidEntry, InvalidTransition
from lexbill.core.late_charges import (
    LateChargeComputation,
    LateChargePolicy,
    compute_late_charge,
    first_chargeable_day,
)
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.latecharges.models import LateCharge
from lexbill.latecharges.selectors import (
    balance_events,
    invoices_with_a_fee,
    late_charge_policy,
    late_charge_totals,
    overdue_candidates,
    pending_charges,
)
from lexbill.receivables.models import CollectionsPolicy

_ZERO = Decimal(0)
RATE_SOURCE = "late-charge policy"


@dataclass(frozen=True)
class InvoiceAssessment:
    """What one overdue invoice is charged as of the date, and how it was worked out."""

    invoice: Invoice
    balance: Decimal
    """The whole balance as of the date (late charges the invoice itself bills included)."""
    interest_base: Decimal
    """What bears interest: the invoice total without its own late charges."""
    computation: LateChargeComputation
    charge: LateCharge | None = None
    """The recorded charge; None on a dry run."""


@dataclass
class Assessment:
    as_of: date
    policy: LateChargePolicy
    dry_run: bool
    invoices: list[InvoiceAssessment] = field(default_factory=list)

    @property
    def total_by_currency(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for item in self.invoices:
            currency = item.invoice.currency
            totals[currency] = totals.get(currency, _ZERO) + item.computation.amount
        return totals


def _compute(as_of: date, policy: LateChargePolicy) -> list[InvoiceAssessment]:
    """Set-based: one query finds the candidates, four more fetch the events, late-charge lines
    and earlier fees of those alone; then each candidate is computed in memory."""
    candidates = list(overdue_candidates(as_of, policy.grace_days))
    ids = [invoice.pk for invoice in candidates]
    events = balance_events(ids, as_of)
    own_charges = late_charge_totals(ids)
    with_fee = invoices_with_a_fee(ids)
    found = []
    for invoice in candidates:
        last: date | None = invoice.last_charged_to  # type: ignore[attr-defined]
        start = (
            last + timedelta(days=1)
            if last is not None
            else first_chargeable_day(invoice.due_on, policy.grace_days)
        )
        base = Decimal(invoice.total) - own_charges.get(invoice.pk, _ZERO)
        computation = compute_late_charge(
            opening=base,
            events=events[invoice.pk],
            due_on=invoice.due_on,
            window_from=start,
            window_to=as_of,
            policy=policy,
            fee_already_charged=invoice.pk in with_fee,
            currency=invoice.currency,
        )
        if not computation.is_zero:
            found.append(
                InvoiceAssessment(
                    invoice=invoice,
                    balance=Decimal(invoice.balance_as_of),  # type: ignore[attr-defined]
                    interest_base=base,
                    computation=computation,
                )
            )
    return found


def assess_late_charges(actor: User | None, as_of: date, dry_run: bool = False) -> Assessment:
    """Charge every overdue invoice of a consenting client for the days since its last charge
    (or since its grace period ended) through ``as_of``, by the firm's policy.

    Assessing again for the same date charges nothing new: each charge ends on its ``as_of``
    and the next one starts the day after. A dry run computes the same and records nothing.
    """
    require(actor, Action.ASSESS_LATE_CHARGES)
    if as_of > timezone.localdate():
        raise InvalidEntry(
            f"late charges cannot be assessed ahead of time ({as_of} is after today)",
            field="as_of",
        )
    policy = late_charge_policy()
    result = Assessment(as_of=as_of, policy=policy, dry_run=dry_run)
    if not policy.charges_anything:
        return result
    with transaction.atomic():
        if not dry_run:
            # one assessment at a time: the second sees the first's charges and adds nothing
            CollectionsPolicy.objects.select_for_update().order_by("pk").first()
        found = _compute(as_of, policy)
        if dry_run:
            result.invoices = found
            return result
        now = timezone.now()
        rows = LateCharge.objects.bulk_create(
            [_charge_of(item, as_of, actor, now) for item in found]
        )
        result.invoices = [
            InvoiceAssessment(i.invoice, i.balance, i.interest_base, i.computation, row)
            for i, row in zip(found, rows, strict=True)
        ]
        if rows:
            totals = result.total_by_currency
            record_event(
                "latecharges.LateCharge",
                rows[0].pk,
                f"late charges assessed as of {as_of}: {len(rows)} invoices, "
                + ", ".join(f"{amount} {cur}" for cur, amount in sorted(totals.items())),
                as_of=as_of.isoformat(),
                charges=[row.pk for row in rows],
                totals={cur: str(amount) for cur, amount in totals.items()},
            )
    return result


def _charge_of(
    item: InvoiceAssessment, as_of: date, actor: User | None, now: datetime
) -> LateCharge:
    c = item.computation
    invoice = item.invoice
    return LateCharge(
        invoice=invoice,
        client_id=invoice.client_id,
        matter_id=invoice.matter_id,
        currency=invoice.currency,
        assessed_on=as_of,
        period_from=c.period_from,
        period_to=c.period_to,
        days=c.chargeable_days,
        annual_percent=c.annual_percent,
        interest=c.interest,
        flat_fee=c.flat_fee,
        amount=c.amount,
        computation=[
            {
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "days": p.days,
                "balance": str(p.balance),
                "chargeable": p.chargeable,
                "interest": str(p.interest),
            }
            for p in c.periods
        ],
        created_at=now,
        created_by=actor,
    )


def _percent(value: Decimal) -> str:
    """12.0000 as stored reads 12; 7.25 stays 7.25."""
    return f"{value.normalize():f}"


def late_charge_narrative(charge: LateCharge) -> str:
    """The line as the client reads it: what was charged, on which invoice, and how."""
    currency = charge.currency
    periods = [p for p in charge.computation if p["chargeable"]]
    if len(periods) == 1:
        overdue = f"{format_amount(Decimal(periods[0]['balance']), currency)} overdue"
        overdue += f" {charge.days} day{'s' if charge.days != 1 else ''}"
    else:
        overdue = ", ".join(
            f"{format_amount(Decimal(p['balance']), currency)} for {p['days']} "
            f"day{'s' if p['days'] != 1 else ''}"
            for p in periods
        )
    window = f"{charge.period_from.isoformat()} to {charge.period_to.isoformat()}"
    parts = []
    if charge.interest:
        parts.append(
            f"interest at {_percent(Decimal(charge.annual_percent))}% a year on invoice "
            f"{charge.invoice.number} ({overdue}, {window})"
        )
    if charge.flat_fee:
        fee = format_amount(Decimal(charge.flat_fee), currency)
        parts.append(f"late fee of {fee} on invoice {charge.invoice.number}")
    return "Late charge: " + "; ".join(parts)


def _put_on(prebill_id: int, charges: Sequence[LateCharge]) -> list[PrebillLine]:
    """One line per charge on the pre-bill, linked to it. No role check: callers check theirs."""
    lines = PrebillLine.objects.bulk_create(
        [
            PrebillLine(
                prebill_id=prebill_id,
                kind=LineKind.LATE_CHARGE,
                date=charge.period_to,
                narrative=late_charge_narrative(charge),
                quantity=Decimal(1),
                rate=charge.amount,
                rate_source=RATE_SOURCE,
                amount=charge.amount,
                adjustment=_ZERO,
                treatment=LineTreatment.BILL,
            )
            for charge in charges
        ]
    )
    for charge, line in zip(charges, lines, strict=True):
        charge.billed_line = line
    LateCharge.objects.bulk_update(list(charges), ["billed_line"])
    return lines


def _locked_pending(matter_ids: list[int] | QuerySet[Any] | None) -> list[LateCharge]:
    """The pending charges (of these matters), locked, in the order they are billed."""
    pending = pending_charges(matter_ids).values("pk")
    locked = LateCharge.objects.select_for_update(of=("self",)).filter(pk__in=pending)
    return sorted(locked.select_related("invoice"), key=lambda c: (c.invoice.number, c.period_from))


def bill_run_late_charges(run: BillRun) -> int:
    """After a bill run, inside its transaction: each new pre-bill gets its matter's pending
    late charges (registered in ``billing.bill_run.AFTER_BILL_RUN``). One query when there are
    none, which is the usual case."""
    charges = _locked_pending(run.prebills.values("matter_id"))
    if not charges:
        return 0
    matters = {charge.matter_id for charge in charges}
    prebill_of = dict(run.prebills.filter(matter_id__in=matters).values_list("matter_id", "pk"))
    by_matter: dict[int, list[LateCharge]] = {}
    for charge in charges:
        by_matter.setdefault(charge.matter_id, []).append(charge)
    for matter_id, matter_charges in by_matter.items():
        _put_on(prebill_of[matter_id], matter_charges)
    record_event(
        "billing.BillRun",
        run.pk,
        f"{len(charges)} late charges put on {len(by_matter)} pre-bills of bill run {run.pk}",
        late_charges=[c.pk for c in charges],
    )
    return len(charges)


def bill_late_charges(actor: User | None, matter: Matter, on: date | None = None) -> Prebill | None:
    """Put the matter's pending late charges on a bill now: on its open (draft or sent back)
    pre-bill if it has one, else on a new late-charge-only pre-bill. None when nothing waits."""
    require(actor, Action.ASSESS_LATE_CHARGES)
    on = on or timezone.localdate()
    with transaction.atomic():
        Matter.objects.select_for_update().filter(pk=matter.pk).first()
        charges = _locked_pending([matter.pk])
        if not charges:
            return None
        prebill = Prebill.objects.filter(matter=matter, status__in=EDITABLE).order_by("-pk").first()
        if prebill is None:
            prebill = Prebill.objects.create(
                matter=matter, status=PrebillStatus.DRAFT, through=on, created_at=timezone.now()
            )
        _put_on(prebill.pk, charges)
        record_event(
            "billing.Prebill",
            prebill.pk,
            f"{len(charges)} late charges of matter {matter.number} put on pre-bill {prebill.pk}",
            late_charges=[c.pk for c in charges],
        )
    return prebill


def add_late_charges_to_prebill(actor: User | None, prebill: Prebill) -> int:
    """The "Add late charges" action of a pre-bill under review: its matter's pending charges."""
    require(actor, Action.ASSESS_LATE_CHARGES)
    with transaction.atomic():
        locked = Prebill.objects.select_for_update().get(pk=prebill.pk)
        if locked.status not in EDITABLE:
            raise InvalidTransition(
                f"pre-bill {locked.pk} is {locked.get_status_display().lower()}; late charges "
                "go only on a draft or sent-back pre-bill",
                field="status",
            )
        charges = _locked_pending([locked.matter_id])
        _put_on(locked.pk, charges)
    return len(charges)


def matters_with_pending_charges() -> list[Matter]:
    ids = pending_charges().values("matter_id")
    return list(Matter.objects.filter(pk__in=ids).select_related("client").order_by("number"))
