"""Read queries about clients and matters that pages, the CLI, the guideline check and (later)
reports share: a matter's budgets against what has been billed on it.

"Billed to date" is what the matter's final invoices billed before tax: the sum of their lines'
totals (time and expenses after write-downs, no-charge lines at zero, fee-cap and flat-fee
adjustments), less the credit notes issued against them (before tax). It is the figure a
client's e-billing system counts against a budget, and the one the budget rules add a pre-bill's
lines to. A credit note names no line, so it reduces the whole matter's figure but no phase's:
phase figures are the lines' totals only. Both are two set-based queries (lines summed per task
code, credit notes summed), whatever the number of invoices.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from lexbill.billing.models import CreditNote, Invoice, InvoiceLine
from lexbill.clients.models import Matter, MatterBudget
from lexbill.core.money import round_money
from lexbill.guidelines.rules.bill import phase_key

_ZERO = Decimal(0)


def budget_key(task_code: str, budgeted: Collection[str]) -> str:
    """The budget a line with ``task_code`` counts against, as the guideline engine decides it:
    its own task code when that has a budget, else its phase (L210 → L200)."""
    return task_code if task_code in budgeted else phase_key(task_code)


@dataclass(frozen=True)
class BilledToDate:
    total: Decimal
    """Fees, expenses and fee adjustments invoiced on the matter, less credit notes."""
    by_phase: dict[str, Decimal]
    """Line totals per budget key asked for (phase or task code)."""


def billed_to_date(
    matter: Matter, phases: Collection[str] = (), *, excluding_prebill: int | None = None
) -> BilledToDate:
    """What the matter's final invoices billed before tax, in total and for each of ``phases``;
    ``excluding_prebill`` leaves out the invoice made from that pre-bill (the lines being
    checked are not "billed before" themselves)."""
    invoices = Invoice.objects.filter(matter=matter)
    if excluding_prebill is not None:
        invoices = invoices.exclude(prebill_id=excluding_prebill)
    per_task = (
        InvoiceLine.objects.filter(invoice__in=invoices)
        .order_by()
        .values_list("task_code")
        .annotate(s=Sum("total"))
    )
    total = _ZERO
    by_phase: dict[str, Decimal] = {}
    for task_code, amount in per_task:
        amount = amount or _ZERO
        total += amount
        if task_code and phases:
            key = budget_key(task_code, phases)
            if key in phases:
                by_phase[key] = by_phase.get(key, _ZERO) + amount
    credited = CreditNote.objects.filter(invoice__in=invoices).aggregate(s=Sum("amount"))["s"]
    return BilledToDate(total - (credited or _ZERO), by_phase)


@dataclass(frozen=True)
class BudgetLine:
    phase: str
    """Blank for the whole matter."""
    budget: Decimal
    billed: Decimal

    @property
    def remaining(self) -> Decimal:
        """Negative once the budget is exceeded."""
        return self.budget - self.billed

    @property
    def label(self) -> str:
        return self.phase or "Whole matter"


@dataclass(frozen=True)
class BudgetStatus:
    currency: str
    lines: tuple[BudgetLine, ...]
    """The whole matter first (when it has a budget), then each phase in code order."""

    def as_dict(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "budgets": [
                {
                    "phase": line.phase,
                    "budget": line.budget,
                    "billed": line.billed,
                    "remaining": line.remaining,
                }
                for line in self.lines
            ],
        }


def matter_budgets(matter: Matter) -> dict[str, Decimal]:
    """The matter's budgets by phase ('' for the whole matter)."""
    return dict(MatterBudget.objects.filter(matter=matter).values_list("phase", "amount"))


def matter_budget_status(matter: Matter, budgets: dict[str, Decimal] | None = None) -> BudgetStatus:
    """Budget, billed to date and remaining for the whole matter and each budgeted phase."""
    budgets = matter_budgets(matter) if budgets is None else budgets
    if not budgets:
        return BudgetStatus(matter.currency, ())
    currency = matter.currency
    phases = {phase for phase in budgets if phase}
    billed = billed_to_date(matter, phases)
    lines = [
        BudgetLine(
            phase,
            amount,
            round_money(billed.by_phase.get(phase, _ZERO) if phase else billed.total, currency),
        )
        for phase, amount in sorted(budgets.items())
    ]
    return BudgetStatus(matter.currency, tuple(lines))
