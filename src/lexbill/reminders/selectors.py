"""What the reminder run would send as of a day, and why it leaves the rest alone.

Decisions (docs/receivables/reminders.md says the same for the billing team):

- An invoice is reminded while its balance (today's, after every payment, credit and write-off
  posted so far) is above zero: a reminder never asks for money already received.
- Per invoice a run sends only the latest rule that applies (core.reminder_schedule); rules
  that were skipped because the run came late are not sent afterwards.
- An invoice under an unresolved dispute is skipped; so is one covered by a payment plan in good
  standing — its plan's instalments are reminded instead, each on the schedule counted from
  the instalment's due date, while it is unpaid. When the plan falls out of good standing
  (an instalment missed), its invoices return to the normal schedule and the instalments are
  no longer reminded separately, so the client never gets both.
- Everything due for one client goes into one e-mail; its wording is the latest rule's among
  them (the most insistent), and the client's statement is attached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Client
from lexbill.core.reminder_schedule import DueItem, latest_applicable
from lexbill.reminders.models import LogStatus, ReminderLog, ReminderRule


class SkipReason:
    DISPUTED = "disputed"
    ON_PLAN = "on a payment plan in good standing"
    NO_EMAIL = "no billing e-mail"
    ALREADY_SENT = "already sent"


@dataclass(frozen=True)
class DueReminder:
    """One invoice or instalment due for a reminder under one rule."""

    rule: ReminderRule
    client: Client
    item: DueItem
    invoice_id: int | None = None
    instalment_id: int | None = None
    plan_invoice_ids: tuple[int, ...] = ()  # for an instalment: the invoices its plan covers


@dataclass(frozen=True)
class SkippedReminder:
    reminder: DueReminder
    reason: str


@dataclass
class ClientReminder:
    """Everything due for one client: one e-mail."""

    client: Client
    reminders: list[DueReminder] = field(default_factory=list)

    @property
    def recipient(self) -> str:
        return self.client.billing_email

    @property
    def rule(self) -> ReminderRule:
        """Whose wording the e-mail uses: the latest (most insistent) rule among the items."""
        return max((r.rule for r in self.reminders), key=lambda rule: rule.offset_days)

    @property
    def items(self) -> list[DueItem]:
        return [r.item for r in self.reminders]

    @property
    def invoice_ids(self) -> set[int]:
        return {r.invoice_id for r in self.reminders if r.invoice_id is not None}


@dataclass
class ReminderPlan:
    as_of: date
    clients: list[ClientReminder]
    skipped: list[SkippedReminder]

    @property
    def reminder_count(self) -> int:
        return sum(len(c.reminders) for c in self.clients)


def active_rules() -> list[ReminderRule]:
    return list(ReminderRule.objects.filter(active=True).order_by("offset_days"))


def _held(invoice_ids: set[int], instalment_ids: set[int]) -> set[tuple[str, int, int]]:
    """(kind, rule, id) of every reminder already sent or being sent by another run."""
    holding = ReminderLog.objects.filter(status__in=[LogStatus.SENDING, LogStatus.SENT])
    held = {
        ("invoice", rule_id, invoice_id)
        for rule_id, invoice_id in holding.filter(invoice_id__in=invoice_ids).values_list(
            "rule_id", "invoice_id"
        )
    }
    held |= {
        ("instalment", rule_id, instalment_id)
        for rule_id, instalment_id in holding.filter(instalment_id__in=instalment_ids).values_list(
            "rule_id", "instalment_id"
        )
        if instalment_id is not None
    }
    return held


def _invoice_reminders(rules: list[ReminderRule], as_of: date) -> list[DueReminder]:
    by_offset = {r.offset_days: r for r in rules}
    latest_due = as_of - timedelta(days=min(by_offset))
    invoices = (
        with_balances(Invoice.objects.filter(issued_on__lte=as_of, due_on__lte=latest_due))
        .filter(balance__gt=0)  # type: ignore[misc]
        .select_related("client")
        .order_by("client__name", "due_on", "number")
    )
    due = []
    applicable = [
        (invoice, offset)
        for invoice in invoices
        if (offset := latest_applicable(by_offset, invoice.due_on, as_of)) is not None
    ]
    replenish = trust_replenishments([invoice.pk for invoice, _ in applicable])
    for invoice, offset in applicable:
        item = DueItem(
            reference=invoice.number,
            due_on=invoice.due_on,
            amount_due=invoice.balance,  # type: ignore[attr-defined]
            currency=invoice.currency,
            invoice_numbers=(invoice.number,),
            trust_replenishment=replenish.get(invoice.pk, Decimal(0)),
        )
        due.append(DueReminder(by_offset[offset], invoice.client, item, invoice_id=invoice.pk))
    return due


def trust_replenishments(invoice_ids: list[int]) -> dict[int, Decimal]:
    """The deposit to trust each evergreen matter's invoice asked for when issued (one query).

    A reminder repeats the request as the invoice made it, so the client reads the same amount
    on both; invoices of other matters have none.
    """
    from lexbill.trust.models import Replenishment

    rows = Replenishment.objects.filter(invoice_id__in=invoice_ids, amount__gt=0)
    return dict(rows.values_list("invoice_id", "amount"))


def _instalment_reminders(
    rules: list[ReminderRule], as_of: date, good_standing: set[int]
) -> list[DueReminder]:
    """Unpaid instalments of plans in good standing, on the schedule from their due dates."""
    from lexbill.plans.selectors import instalments_due

    by_offset = {r.offset_days: r for r in rules}
    candidates = []
    for inst in instalments_due(as_of):
        if inst.unpaid <= 0 or not good_standing.intersection(inst.invoice_ids):
            continue
        offset = latest_applicable(by_offset, inst.due_on, as_of)
        if offset is not None:
            candidates.append((inst, by_offset[offset]))
    if not candidates:
        return []
    invoice_ids = {i for inst, _ in candidates for i in inst.invoice_ids}
    invoices = {inv.pk: inv for inv in Invoice.objects.filter(pk__in=invoice_ids)}
    clients = Client.objects.in_bulk({inst.client_id for inst, _ in candidates})
    due = []
    for inst, rule in candidates:
        numbers = tuple(sorted(invoices[i].number for i in inst.invoice_ids))
        currency = invoices[inst.invoice_ids[0]].currency
        label = f"Instalment {inst.sequence} of payment plan {inst.plan_id}"
        item = DueItem(
            reference=label,
            due_on=inst.due_on,
            amount_due=inst.unpaid,
            currency=currency,
            invoice_numbers=numbers,
            instalment=label,
        )
        due.append(
            DueReminder(
                rule,
                clients[inst.client_id],
                item,
                instalment_id=inst.instalment_id,
                plan_invoice_ids=inst.invoice_ids,
            )
        )
    return due


def reminders_due(as_of: date) -> ReminderPlan:
    """What a run on ``as_of`` would send, grouped per client, and what it skips and why."""
    from lexbill.disputes.selectors import disputed_invoice_ids
    from lexbill.plans.selectors import invoice_ids_on_plan_in_good_standing

    rules = active_rules()
    if not rules:
        return ReminderPlan(as_of, [], [])
    good_standing = invoice_ids_on_plan_in_good_standing(as_of)
    invoice_due = _invoice_reminders(rules, as_of)
    instalment_due = _instalment_reminders(rules, as_of, good_standing)
    every = invoice_due + instalment_due
    touched = {r.invoice_id for r in invoice_due if r.invoice_id is not None}
    touched |= {i for r in instalment_due for i in r.plan_invoice_ids}
    disputed = disputed_invoice_ids(touched)
    held = _held(
        {r.invoice_id for r in invoice_due if r.invoice_id is not None},
        {r.instalment_id for r in instalment_due if r.instalment_id is not None},
    )
    groups: dict[int, ClientReminder] = {}
    skipped = []
    for reminder in every:
        reason = _skip_reason(reminder, disputed, good_standing, held)
        if reason is not None:
            skipped.append(SkippedReminder(reminder, reason))
            continue
        group = groups.setdefault(reminder.client.pk, ClientReminder(reminder.client))
        group.reminders.append(reminder)
    clients = sorted(groups.values(), key=lambda g: (g.client.name, g.client.number))
    skipped.sort(key=lambda s: (s.reminder.client.name, s.reminder.item.due_on))
    return ReminderPlan(as_of, clients, skipped)


def _skip_reason(
    reminder: DueReminder,
    disputed: set[int],
    good_standing: set[int],
    held: set[tuple[str, int, int]],
) -> str | None:
    if reminder.invoice_id is not None:
        if reminder.invoice_id in disputed:
            return SkipReason.DISPUTED
        if reminder.invoice_id in good_standing:
            return SkipReason.ON_PLAN
        key = ("invoice", reminder.rule.pk, reminder.invoice_id)
    else:
        assert reminder.instalment_id is not None
        if disputed.intersection(reminder.plan_invoice_ids):
            return SkipReason.DISPUTED
        key = ("instalment", reminder.rule.pk, reminder.instalment_id)
    if key in held:
        return SkipReason.ALREADY_SENT
    if not reminder.client.billing_email:
        return SkipReason.NO_EMAIL
    return None


def reminder_log(client: Client | None = None) -> QuerySet[ReminderLog]:
    """The reminders sent (and failed), newest first, optionally for one client."""
    logs = ReminderLog.objects.select_related("rule", "client", "invoice", "run")
    if client is not None:
        logs = logs.filter(client=client)
    return logs.order_by("-claimed_at", "-id")


def open_invoice_for_preview(number: str | None = None) -> Invoice | None:
    """An invoice to show a template with: the one named, else the oldest still open."""
    invoices = with_balances(Invoice.objects.select_related("client"))
    if number:
        return invoices.filter(number=number).first()
    return invoices.filter(balance__gt=Decimal(0)).order_by("due_on", "number").first()  # type: ignore[misc]
