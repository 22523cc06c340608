"""Making, ending and closing payment plans; each a role check and one transaction (audited by
the audit signals, which cover the plans app).

A plan's stored status changes only by the transitions below. A missed instalment does *not*
change it: "missed" is derived from the money received (see lexbill.core.instalments), the plan
then stops being "in good standing" (so the normal reminders about its invoices resume), and a
person decides whether to declare it defaulted (ending it, so its invoices may go on a new plan)
or to let the client catch up. A plan whose instalments are all paid becomes completed when its
status is refreshed (``complete_paid_plans``, run by ``lexbill plan refresh`` and the plans page).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Client
from lexbill.core.errors import CurrencyMismatch, InvalidEntry, InvalidTransition
from lexbill.core.instalments import MONTHLY, Interval, all_paid, parse_interval, schedule
from lexbill.core.money import to_decimal
from lexbill.firm.models import User
from lexbill.firm.permissions import Action, require
from lexbill.plans.models import Instalment, PaymentPlan, PlanInvoice, PlanStatus
from lexbill.plans.selectors import plan_view, plan_views

S = PlanStatus
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.ACTIVE, S.COMPLETED): "complete",
    (S.ACTIVE, S.CANCELLED): "cancel",
    (S.ACTIVE, S.DEFAULTED): "declare defaulted",
}


def set_status(plan: PaymentPlan, new: str) -> None:
    """The one way a plan's status changes; anything not in ``TRANSITIONS`` is refused."""
    if (plan.status, new) not in TRANSITIONS:
        raise InvalidTransition(
            f"payment plan {plan.pk} is {plan.get_status_display().lower()} and cannot become "
            f"{S(new).label.lower()}",
            field="status",
        )
    plan.status = new


def _plan_invoices(client: Client, numbers: Sequence[str]) -> list[Invoice]:
    wanted = [n.strip() for n in numbers if n.strip()]
    if not wanted:
        raise InvalidEntry("choose at least one invoice for the plan", field="invoices")
    if len(set(wanted)) != len(wanted):
        raise InvalidEntry("an invoice is named twice", field="invoices")
    # lock the rows (a credit note locks the invoice), then read balances: FOR UPDATE and the
    # balance sums don't mix in one PostgreSQL query
    locked = list(
        Invoice.objects.select_for_update().filter(number__in=wanted).values_list("pk", flat=True)
    )
    found = {inv.number: inv for inv in with_balances(Invoice.objects.filter(pk__in=locked))}
    invoices = []
    for line, number in enumerate(wanted, start=1):
        invoice = found.get(number)
        if invoice is None:
            raise InvalidEntry(f"there is no invoice {number}", field="invoices", line=line)
        if invoice.client_id != client.pk:
            raise InvalidEntry(
                f"invoice {number} is not an invoice of client {client.number}",
                field="invoices",
                line=line,
            )
        if invoice.balance <= 0:  # type: ignore[attr-defined]
            raise InvalidEntry(f"invoice {number} has no balance", field="invoices", line=line)
        invoices.append(invoice)
    currencies = sorted({inv.currency for inv in invoices})
    if len(currencies) > 1:
        raise CurrencyMismatch(
            f"the invoices are in {' and '.join(currencies)}; a plan is in one currency",
            field="invoices",
        )
    on_plan = dict(
        PlanInvoice.objects.filter(invoice__in=invoices, active=True).values_list(
            "invoice__number", "plan_id"
        )
    )
    if on_plan:
        number, plan_id = sorted(on_plan.items())[0]
        raise InvalidEntry(
            f"invoice {number} is already on active payment plan {plan_id}",
            field="invoices",
            line=wanted.index(number) + 1,
        )
    return invoices


def create_plan(
    actor: User | None,
    client: Client,
    invoice_numbers: Sequence[str],
    *,
    first_due: date,
    count: int | None = None,
    every: Interval | str = MONTHLY,
    amounts: Sequence[Decimal | str] | None = None,
    grace_days: int = 10,
    start_on: date | None = None,
    note: str = "",
) -> PaymentPlan:
    """Put the open balance of some of a client's invoices on a plan of instalments: ``count``
    equal ones (remainder on the last) or the given ``amounts``, due ``every`` interval from
    ``first_due``.

    The client row is locked first, as payments lock it, so no payment or second plan can slip
    between reading the balances and recording the plan's total.
    """
    require(actor, Action.MANAGE_PAYMENT_PLANS)
    start_on = start_on or timezone.localdate()
    interval = parse_interval(every) if isinstance(every, str) else every
    if grace_days < 0:
        raise InvalidEntry("grace days cannot be negative", field="grace_days")
    if first_due < start_on:
        raise InvalidEntry(
            f"the first instalment ({first_due}) cannot be due before the plan starts ({start_on})",
            field="first_due",
        )
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        invoices = _plan_invoices(locked, invoice_numbers)
        currency = invoices[0].currency
        total = sum((inv.balance for inv in invoices), Decimal(0))  # type: ignore[attr-defined]
        parts = schedule(
            total,
            first_due,
            count=count,
            every=interval,
            amounts=None if amounts is None else [to_decimal(a) for a in amounts],
            currency=currency,
        )
        plan = PaymentPlan.objects.create(
            client=locked,
            currency=currency,
            start_on=start_on,
            total=total,
            grace_days=grace_days,
            note=note.strip(),
            created_at=timezone.now(),
            created_by=actor,
        )
        for invoice in invoices:
            PlanInvoice.objects.create(
                plan=plan,
                invoice=invoice,
                balance_at_start=invoice.balance,  # type: ignore[attr-defined]
            )
        for part in parts:
            Instalment.objects.create(
                plan=plan, sequence=part.sequence, due_on=part.due_on, amount=part.amount
            )
    return plan


def _end(actor: User | None, plan: PaymentPlan, new: str, why: str = "") -> PaymentPlan:
    with transaction.atomic():
        locked = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        set_status(locked, new)
        locked.ended_at = timezone.now()
        locked.ended_by = actor
        if why.strip():
            locked.note = f"{locked.note}\n{why.strip()}".strip()
        locked.save()
        for entry in locked.plan_invoices.filter(active=True):
            entry.active = False
            entry.save(update_fields=["active"])
    return locked


def cancel_plan(actor: User | None, plan: PaymentPlan, reason: str = "") -> PaymentPlan:
    """End an active plan by agreement (or by mistake): its invoices return to the normal
    reminders and may go on a new plan."""
    require(actor, Action.MANAGE_PAYMENT_PLANS)
    return _end(actor, plan, S.CANCELLED, reason)


def declare_defaulted(
    actor: User | None, plan: PaymentPlan, as_of: date | None = None, reason: str = ""
) -> PaymentPlan:
    """End a plan the client did not keep: only once an instalment is missed (past grace)."""
    require(actor, Action.MANAGE_PAYMENT_PLANS)
    as_of = as_of or timezone.localdate()
    if plan_view(plan, as_of).good_standing:
        raise InvalidTransition(
            f"payment plan {plan.pk} has no missed instalment as of {as_of}; cancel it instead",
            field="status",
        )
    return _end(actor, plan, S.DEFAULTED, reason)


def complete_paid_plans(actor: User | None, as_of: date | None = None) -> list[PaymentPlan]:
    """Mark completed every active plan whose instalments are all paid as of ``as_of``."""
    require(actor, Action.MANAGE_PAYMENT_PLANS)
    as_of = as_of or timezone.localdate()
    active = list(PaymentPlan.objects.filter(status=S.ACTIVE))
    done = [v.plan for v in plan_views(active, as_of) if all_paid(v.states)]
    return [_end(actor, plan, S.COMPLETED) for plan in done]
