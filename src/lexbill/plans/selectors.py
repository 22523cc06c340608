"""Reads about payment plans shared by pages, the CLI and the reminder run.

What is paid on a plan is derived each time from the money posted against its invoices after
the plan was made (``allocated_at``/``created_at`` at or after the plan's ``created_at``), dated
by business date (``applied_on``, never before the plan's start), so a payment already counted
in the plan's total is never counted again, and a later bounced payment un-fills instalments.
A fixed number of queries answers for any number of plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from lexbill.billing.models import CreditNote
from lexbill.core.instalments import (
    InstalmentState,
    MoneyIn,
    ScheduledInstalment,
    in_good_standing,
    instalment_states,
    next_unpaid,
)
from lexbill.plans.models import Instalment, PaymentPlan, PlanInvoice, PlanStatus
from lexbill.receivables.models import PaymentAllocation, WriteOff

_ZERO = Decimal(0)


@dataclass(frozen=True)
class InstalmentDue:
    """One instalment of an active plan as of a day, for the reminder run to follow the plan."""

    instalment_id: int
    plan_id: int
    client_id: int
    invoice_ids: tuple[int, ...]
    sequence: int
    due_on: date
    amount: Decimal
    unpaid: Decimal
    status: str  # "due", "paid", "paid late", "late", "missed" (lexbill.core.instalments)


@dataclass(frozen=True)
class PlanView:
    """A plan with its instalments' states as of a day: what the pages and commands show."""

    plan: PaymentPlan
    invoice_ids: tuple[int, ...]
    instalment_ids: tuple[int, ...]
    states: tuple[InstalmentState, ...]

    @property
    def paid(self) -> Decimal:
        return sum((s.paid for s in self.states), _ZERO)

    @property
    def reduced(self) -> Decimal:
        """Taken off the plan by credit notes and write-offs since it was made."""
        return sum((s.amount - s.owed for s in self.states), _ZERO)

    @property
    def left(self) -> Decimal:
        return sum((s.unpaid for s in self.states), _ZERO)

    @property
    def good_standing(self) -> bool:
        return in_good_standing(self.states)

    @property
    def next_instalment(self) -> InstalmentState | None:
        return next_unpaid(self.states)

    @property
    def standing(self) -> str:
        """Stored status, with an active plan's derived standing beside it."""
        if self.plan.status != PlanStatus.ACTIVE:
            return str(self.plan.get_status_display())
        return "in good standing" if self.good_standing else "instalment missed"


def plan_views(plans: Sequence[PaymentPlan], as_of: date) -> list[PlanView]:
    """Each plan with its instalments' states as of ``as_of``, in four queries for any number."""
    if not plans:
        return []
    by_id = {p.pk: p for p in plans}
    invoices: dict[int, list[int]] = defaultdict(list)
    for plan_id, invoice_id in PlanInvoice.objects.filter(plan__in=by_id).values_list(
        "plan_id", "invoice_id"
    ):
        invoices[plan_id].append(invoice_id)
    instalments: dict[int, list[Instalment]] = defaultdict(list)
    for inst in Instalment.objects.filter(plan__in=by_id).order_by("plan", "sequence"):
        instalments[inst.plan_id].append(inst)
    plans_of_invoice: dict[int, list[PaymentPlan]] = defaultdict(list)
    for plan_id, ids in invoices.items():
        for invoice_id in ids:
            plans_of_invoice[invoice_id].append(by_id[plan_id])
    earliest = min(p.created_at for p in plans)
    all_invoice_ids = list(plans_of_invoice)

    money: dict[int, list[MoneyIn]] = defaultdict(list)
    for invoice_id, amount, applied_on, at in PaymentAllocation.objects.filter(
        invoice_id__in=all_invoice_ids, allocated_at__gte=earliest, applied_on__lte=as_of
    ).values_list("invoice_id", "amount", "applied_on", "allocated_at"):
        for plan in plans_of_invoice[invoice_id]:
            if at >= plan.created_at:
                money[plan.pk].append(MoneyIn(on=max(applied_on, plan.start_on), amount=amount))
    reductions: dict[int, Decimal] = defaultdict(lambda: _ZERO)
    credits = CreditNote.objects.filter(
        invoice_id__in=all_invoice_ids, created_at__gte=earliest, issued_on__lte=as_of
    ).values_list("invoice_id", "total", "created_at")
    write_offs = WriteOff.objects.filter(
        invoice_id__in=all_invoice_ids, created_at__gte=earliest, written_off_on__lte=as_of
    ).values_list("invoice_id", "amount", "created_at")
    for invoice_id, amount, at in [*credits, *write_offs]:
        for plan in plans_of_invoice[invoice_id]:
            if at >= plan.created_at:
                reductions[plan.pk] += amount

    views = []
    for plan in plans:
        rows = instalments[plan.pk]
        states = instalment_states(
            [ScheduledInstalment(i.sequence, i.due_on, i.amount) for i in rows],
            money[plan.pk],
            as_of,
            grace_days=plan.grace_days,
            reductions=reductions[plan.pk],
        )
        views.append(
            PlanView(
                plan=plan,
                invoice_ids=tuple(sorted(invoices[plan.pk])),
                instalment_ids=tuple(i.pk for i in rows),
                states=tuple(states),
            )
        )
    return views


def plan_view(plan: PaymentPlan, as_of: date) -> PlanView:
    return plan_views([plan], as_of)[0]


def active_plans() -> QuerySet[PaymentPlan]:
    return PaymentPlan.objects.filter(status=PlanStatus.ACTIVE).select_related("client")


def plans_list(*, status: str | None = None, client_id: int | None = None) -> QuerySet[PaymentPlan]:
    plans = PaymentPlan.objects.select_related("client").order_by("-start_on", "-id")
    if status:
        plans = plans.filter(status=status)
    if client_id:
        plans = plans.filter(client_id=client_id)
    return plans


def invoice_ids_on_plan_in_good_standing(as_of: date) -> set[int]:
    """Invoices covered by an active plan with no instalment missed as of ``as_of``: reminders
    about these invoices give way to the plan's own instalment reminders."""
    return {
        invoice_id
        for view in plan_views(list(active_plans()), as_of)
        if view.good_standing
        for invoice_id in view.invoice_ids
    }


def instalments_due(as_of: date) -> list[InstalmentDue]:
    """Every instalment of every active plan with its state as of ``as_of``, by due date."""
    due = [
        InstalmentDue(
            instalment_id=instalment_id,
            plan_id=view.plan.pk,
            client_id=view.plan.client_id,
            invoice_ids=view.invoice_ids,
            sequence=state.sequence,
            due_on=state.due_on,
            amount=state.amount,
            unpaid=state.unpaid,
            status=str(state.status),
        )
        for view in plan_views(list(active_plans()), as_of)
        for instalment_id, state in zip(view.instalment_ids, view.states, strict=True)
    ]
    return sorted(due, key=lambda d: (d.due_on, d.plan_id, d.sequence))


def active_plan_of_invoices(invoice_ids: Iterable[int]) -> dict[int, int]:
    """Invoice id → id of the active plan covering it, for the invoice pages."""
    return dict(
        PlanInvoice.objects.filter(invoice_id__in=list(invoice_ids), active=True).values_list(
            "invoice_id", "plan_id"
        )
    )
