"""Payment reminders without Django: which rule of the schedule applies, and the wording.

A schedule is a list of offsets in days from a due date: −7 is a week before, 0 the due date
itself, 30 a month overdue. Each invoice (or payment-plan instalment) gets at most one reminder
per rule, and a run sends only the *latest* rule that applies: a first run 45 days after the due
date sends the 30-day reminder, never a stale "coming due" note and a due-date note as well. A
rule before the due date applies only while the date is still ahead.

Templates use Python's ``string.Template`` (``$client_name`` or ``${client_name}``): it
substitutes named values and nothing else — no attribute access, no filters, no tags — so a
template typed into a web page cannot reach the database or the code. ``$$`` is a dollar sign.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from string import Template

from lexbill.core.errors import InvalidEntry

# Every value a reminder template may use, with what it holds (shown on the editor page).
PLACEHOLDERS: Mapping[str, str] = {
    "client_name": "the client's name",
    "contact_name": "the client's billing contact (the client's name when none is recorded)",
    "invoice_numbers": "the numbers of the invoices this e-mail is about, comma-separated",
    "items": "one line per invoice or instalment due: number, amount due, due date, days overdue",
    "amount_due": "what is owed on the items of this e-mail, per currency (e.g. $1,200.00)",
    "total_due": "same as amount_due (kept for templates that say 'total')",
    "due_dates": "the due dates of the items, comma-separated",
    "earliest_due_date": "the earliest due date among the items",
    "days_overdue": "how many days the oldest item is overdue (0 when none is overdue yet)",
    "days_until_due": "days until the earliest due date (0 when it has passed)",
    "instalments": "for payment plans: one line per instalment due (empty when there are none)",
    "as_of": "the date of the reminder run",
    "firm_name": "the firm's name",
    "firm_email": "the firm's e-mail address",
    "firm_phone": "the firm's telephone number",
    "firm_address": "the firm's postal address",
    "payment_instructions": "how to pay, as written on the schedule page",
    "trust_replenishment": "evergreen retainers: one line per invoice asking for a deposit to "
    "trust, with the amount (empty when none does; the items list shows it too)",
}


def template_problem(text: str) -> str | None:
    """What is wrong with a template, in words, or None when every placeholder is known."""
    template = Template(text)
    if not template.is_valid():
        return "a $ must start a placeholder such as $client_name; write $$ for a dollar sign"
    unknown = sorted({name for name in template.get_identifiers() if name not in PLACEHOLDERS})
    if unknown:
        names = ", ".join(f"${name}" for name in unknown)
        plural = "s" if len(unknown) > 1 else ""
        return f"unknown placeholder{plural} {names}; known: " + ", ".join(
            f"${name}" for name in PLACEHOLDERS
        )
    return None


def check_template(text: str, field: str) -> None:
    """Refuse a template naming a placeholder that does not exist (InvalidEntry on ``field``)."""
    problem = template_problem(text)
    if problem is not None:
        raise InvalidEntry(problem, field=field)


def render_template(text: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders filled; checked first, so it never half-renders."""
    check_template(text, "template")
    return Template(text).substitute({name: values.get(name, "") for name in PLACEHOLDERS})


def rule_applies(offset_days: int, due_on: date, as_of: date) -> bool:
    """On or after due date + offset; a rule before the due date only while it is still ahead."""
    if (as_of - due_on).days < offset_days:
        return False
    return offset_days >= 0 or as_of < due_on


def latest_applicable(offsets: Iterable[int], due_on: date, as_of: date) -> int | None:
    """The one offset a run acts on for this due date: the latest that applies, or None."""
    applicable = [o for o in offsets if rule_applies(o, due_on, as_of)]
    return max(applicable) if applicable else None


def describe_offset(offset_days: int) -> str:
    """A rule's place on the schedule in words: "7 days before due", "30 days overdue"."""
    if offset_days == 0:
        return "on the due date"
    days = "day" if abs(offset_days) == 1 else "days"
    if offset_days < 0:
        return f"{-offset_days} {days} before due"
    return f"{offset_days} {days} overdue"


def days_overdue(due_on: date, as_of: date) -> int:
    return max(0, (as_of - due_on).days)


@dataclass(frozen=True)
class DueItem:
    """One invoice or instalment a reminder is about."""

    reference: str
    due_on: date
    amount_due: Decimal
    currency: str
    invoice_numbers: tuple[str, ...]
    instalment: str = ""  # e.g. "instalment 2 of plan 7"; empty for an invoice
    # an evergreen matter's invoice: the deposit to trust it asked for when issued (0: none)
    trust_replenishment: Decimal = Decimal(0)


@dataclass(frozen=True)
class Sender:
    """The firm as it signs a reminder."""

    name: str
    email: str = ""
    phone: str = ""
    address: str = ""
    payment_instructions: str = ""


Money = Callable[[Decimal, str], str]
Day = Callable[[date], str]


def _item_line(item: DueItem, as_of: date, money: Money, day: Day) -> str:
    late = days_overdue(item.due_on, as_of)
    if item.instalment:
        label = f"{item.instalment} (invoice {', '.join(item.invoice_numbers)})"
    else:
        label = f"Invoice {item.reference}"
    overdue = f", {late} days overdue" if late else ""
    replenish = (
        f"; please also deposit {money(item.trust_replenishment, item.currency)} to trust"
        if item.trust_replenishment > 0
        else ""
    )
    return (
        f"- {label}: {money(item.amount_due, item.currency)} due {day(item.due_on)}"
        f"{overdue}{replenish}"
    )


def _replenishment_line(item: DueItem, money: Money) -> str:
    amount = money(item.trust_replenishment, item.currency)
    return f"- Invoice {item.reference}: deposit {amount} to trust (evergreen retainer)"


def totals_by_currency(items: Iterable[DueItem]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for item in items:
        totals[item.currency] = totals.get(item.currency, Decimal(0)) + item.amount_due
    return totals


def reminder_values(
    *,
    client_name: str,
    contact_name: str,
    items: Sequence[DueItem],
    as_of: date,
    sender: Sender,
    money: Money,
    day: Day,
) -> dict[str, str]:
    """The value of every placeholder for one client's reminder, as text."""
    if not items:
        raise InvalidEntry("a reminder needs at least one invoice or instalment", field="items")
    ordered = sorted(items, key=lambda i: (i.due_on, i.reference))
    numbers: list[str] = []
    for item in ordered:
        numbers.extend(n for n in item.invoice_numbers if n not in numbers)
    due_dates: list[str] = []
    for item in ordered:
        if day(item.due_on) not in due_dates:
            due_dates.append(day(item.due_on))
    earliest = ordered[0].due_on
    total = " and ".join(money(a, c) for c, a in sorted(totals_by_currency(ordered).items()))
    instalments = [i for i in ordered if i.instalment]
    return {
        "client_name": client_name,
        "contact_name": contact_name or client_name,
        "invoice_numbers": ", ".join(numbers),
        "items": "\n".join(_item_line(i, as_of, money, day) for i in ordered),
        "amount_due": total,
        "total_due": total,
        "due_dates": ", ".join(due_dates),
        "earliest_due_date": day(earliest),
        "days_overdue": str(days_overdue(earliest, as_of)),
        "days_until_due": str(max(0, (earliest - as_of).days)),
        "instalments": "\n".join(_item_line(i, as_of, money, day) for i in instalments),
        "as_of": day(as_of),
        "firm_name": sender.name,
        "firm_email": sender.email,
        "firm_phone": sender.phone,
        "firm_address": sender.address,
        "payment_instructions": sender.payment_instructions,
        "trust_replenishment": "\n".join(
            _replenishment_line(i, money) for i in ordered if i.trust_replenishment > 0
        ),
    }
