"""A firm with half a year of invoices, payments, a bounced payment, credits, write-offs and an
unapplied receipt in USD and EUR, for the collections and cycle-time reports' tests; and the
reports' figures recomputed in plain Python over the rows the services created.

Matters (2026): Acme litigation (partner, "Litigation"), Acme merger (partner, capped,
"Litigation"), Acme patents (associate, "IP"), Globex lease (paralegal's flat fee, VAT, no
practice area), Globex EU (associate, EUR, "IP").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tests.app.receivables_aging_firm import bounce, write_off
from tests.app.reports_billed_firm import expense, invoice, time

from lexbill.billing.invoicing import issue_credit_note
from lexbill.billing.models import CreditNote, Invoice, InvoiceLine
from lexbill.billing.rates import set_rate
from lexbill.clients.models import Matter
from lexbill.clients.services import open_matter
from lexbill.core.aging import bucket_for, days_past_due
from lexbill.core.periods import Period
from lexbill.receivables.models import Payment, PaymentAllocation, WriteOff
from lexbill.receivables.services import post_payment
from lexbill.reports.framework import ReportFilters

ZERO = Decimal("0.00")
NONE = "—"
NO_FILTERS = ReportFilters()


@dataclass
class CollectionsFirm:
    f: Any
    patents: Matter
    euro: Matter
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


def build_collections_firm(f: Any) -> CollectionsFirm:
    start = date(2026, 1, 1)
    set_rate(None, "timekeeper", "400.00", start, timekeeper=f.associate, currency="EUR")
    patents = open_matter(None, f.acme, "C001-003", "Acme patents", f.associate, opened_on=start)
    euro = open_matter(
        None, f.globex, "C002-002", "Globex EU", f.associate, opened_on=start, currency="EUR"
    )
    Matter.objects.filter(pk__in=[f.acme_hourly.pk, f.acme_capped.pk]).update(
        practice_area="Litigation"
    )
    Matter.objects.filter(pk__in=[patents.pk, euro.pk]).update(practice_area="IP")
    firm = CollectionsFirm(f, patents, euro)
    inv = firm.invoices

    time(f, f.acme_hourly, f.partner, date(2026, 1, 5), "2")
    time(f, f.acme_hourly, f.associate, date(2026, 1, 12), "1.5")
    expense(f, f.acme_hourly, date(2026, 1, 14), "E101", "100", "0.10", None)
    inv.append(invoice(f, f.acme_hourly, date(2026, 1, 31)))  # 0
    time(f, patents, f.associate, date(2026, 1, 20), "3")
    inv.append(invoice(f, patents, date(2026, 2, 3)))  # 1
    time(f, f.acme_capped, f.partner, date(2026, 2, 2), "3")
    inv.append(invoice(f, f.acme_capped, date(2026, 2, 20)))  # 2
    time(f, f.globex_flat, f.paralegal, date(2026, 2, 10), "2")
    inv.append(invoice(f, f.globex_flat, date(2026, 2, 25)))  # 3
    time(f, euro, f.associate, date(2026, 2, 16), "2")
    time(f, euro, f.associate, date(2026, 3, 2), "1")
    inv.append(invoice(f, euro, date(2026, 3, 10)))  # 4
    time(f, f.acme_hourly, f.associate, date(2026, 3, 3), "1")
    time(f, f.acme_hourly, f.paralegal, date(2026, 4, 1), "1")
    inv.append(invoice(f, f.acme_hourly, date(2026, 4, 15)))  # 5
    time(f, patents, f.associate, date(2026, 5, 4), "0.5")
    inv.append(invoice(f, patents, date(2026, 5, 29)))  # 6

    pay = firm.payments
    # Acme pays January's invoice in full (oldest first), in February
    pay.append(post_payment(f.clara, f.acme, inv[0].total, date(2026, 2, 27), currency="USD"))
    # Acme pays part of patents' February invoice; it bounces in April
    pay.append(post_payment(f.clara, f.acme, Decimal("300.00"), date(2026, 3, 16)))
    bounce(pay[1], date(2026, 4, 2))
    # Globex's flat fee: credit, then the rest paid in March
    issue_credit_note(f.carol, inv[3], "100.00", "goodwill", date(2026, 3, 1))
    inv[3].refresh_from_db()
    flat_rest = inv[3].total - CreditNote.objects.get(invoice=inv[3]).total
    pay.append(
        post_payment(
            f.clara,
            f.globex,
            flat_rest,
            date(2026, 3, 20),
            currency="USD",
            allocations=[(inv[3].number, flat_rest)],
        )
    )
    # the EUR invoice: paid in part in April, the rest written off in May
    pay.append(
        post_payment(
            f.clara,
            f.globex,
            Decimal("500.00"),
            date(2026, 4, 20),
            currency="EUR",
            allocations=[(inv[4].number, Decimal("500.00"))],
        )
    )
    write_off(inv[4], inv[4].total - Decimal("500.00"), date(2026, 5, 5))
    # Acme's capped invoice: paid in May with more than is owed on it, the rest unapplied
    pay.append(
        post_payment(
            f.clara,
            f.acme,
            inv[2].total + Decimal("75.00"),
            date(2026, 5, 10),
            currency="USD",
            allocations=[(inv[2].number, inv[2].total)],
        )
    )
    # a receipt kept wholly unapplied, in June
    pay.append(
        post_payment(
            f.clara, f.acme, Decimal("40.00"), date(2026, 6, 3), currency="USD", allocations=[]
        )
    )
    return firm


# ---- the figures, recomputed in plain Python -------------------------------------------------


def key_of(invoice: Invoice, by: str) -> str:
    matter = invoice.matter
    return {
        "client": lambda: invoice.client.number,
        "matter": lambda: matter.number,
        "attorney": lambda: matter.responsible_attorney.code,
        "practice_area": lambda: matter.practice_area or NONE,
        "month": lambda: f"{invoice.issued_on:%Y-%m}",
    }[by]()


def matter_ok(invoice: Invoice, filters: ReportFilters) -> bool:
    matter = invoice.matter
    return (
        (not filters.clients or invoice.client.number in filters.clients)
        and (not filters.matters or matter.number in filters.matters)
        and (not filters.attorneys or matter.responsible_attorney.code in filters.attorneys)
        and (not filters.practice_areas or matter.practice_area in filters.practice_areas)
    )


def all_invoices(filters: ReportFilters) -> list[Invoice]:
    return [
        i
        for i in Invoice.objects.select_related("matter__responsible_attorney", "client")
        if matter_ok(i, filters)
    ]


def events(invoice: Invoice, on: date) -> list[tuple[date, Decimal]]:
    """Every change to the invoice's balance dated on or before ``on``: (date, −amount)."""
    out = [(n.issued_on, -n.total) for n in CreditNote.objects.filter(invoice=invoice)]
    out += [(a.applied_on, -a.amount) for a in PaymentAllocation.objects.filter(invoice=invoice)]
    out += [(w.written_off_on, -w.amount) for w in WriteOff.objects.filter(invoice=invoice)]
    return [(d, a) for d, a in out if d <= on]


def balance(invoice: Invoice, on: date) -> Decimal:
    return invoice.total + sum((a for _, a in events(invoice, on)), ZERO)


def expected_aging(
    on: date, by: str, filters: ReportFilters = NO_FILTERS
) -> dict[tuple[str, str], dict[str, Decimal]]:
    rows: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for inv in all_invoices(filters):
        if inv.issued_on > on:
            continue
        left = balance(inv, on)
        row = rows[(key_of(inv, by), inv.currency)]
        row[bucket_for(days_past_due(inv.due_on, on)).key] += left
        row["total"] += left
    return {k: dict(v) for k, v in rows.items() if any(v.values())}


def expected_collected(
    period: Period, by: str, filters: ReportFilters = NO_FILTERS
) -> dict[tuple[str, str], dict[str, Decimal]]:
    """(key, currency) → {"YYYY-MM": collected, "collected": total}."""
    rows: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for a in PaymentAllocation.objects.select_related(
        "invoice__matter__responsible_attorney", "invoice__client"
    ):
        if a.applied_on in period and matter_ok(a.invoice, filters):
            row = rows[(key_of(a.invoice, by), a.invoice.currency)]
            row[f"{a.applied_on:%Y-%m}"] += a.amount
            row["collected"] += a.amount
    return {k: dict(v) for k, v in rows.items()}


def expected_billed(period: Period, filters: ReportFilters = NO_FILTERS) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for inv in all_invoices(filters):
        if inv.issued_on in period:
            out[inv.currency] += inv.total
    return dict(out)


def expected_unapplied(period: Period, on: date) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for p in Payment.objects.filter(kind="receipt").select_related("client"):
        if p.received_on not in period:
            continue
        left = p.amount
        left += sum((c.amount for c in p.corrections.all() if c.received_on <= on), ZERO)
        left -= sum((a.amount for a in p.allocations.all() if a.applied_on <= on), ZERO)
        out[(p.client.number, p.currency)] += left
    return dict(out)


@dataclass
class Cycle:
    invoices: int = 0
    lines: int = 0
    line_days: int = 0
    paid: int = 0
    paid_days: int = 0
    open: int = 0
    open_days: int = 0


def expected_cycle(
    period: Period, by: str, on: date, filters: ReportFilters = NO_FILTERS
) -> dict[str, Cycle]:
    """key → counts and day sums, one invoice and one line at a time."""
    rows: dict[str, Cycle] = defaultdict(Cycle)
    for inv in all_invoices(filters):
        if inv.issued_on not in period:
            continue
        row = rows[key_of(inv, by)]
        row.invoices += 1
        for line in InvoiceLine.objects.filter(invoice=inv, kind__in=("time", "expense")):
            row.lines += 1
            row.line_days += (inv.issued_on - line.date).days
        if balance(inv, on) <= 0:
            row.paid += 1
            row.paid_days += (
                max([inv.issued_on, *(d for d, _ in events(inv, on))]) - inv.issued_on
            ).days
        else:
            row.open += 1
            row.open_days += (on - inv.issued_on).days
    return dict(rows)
