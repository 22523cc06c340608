"""A firm with a year of invoices for the billed report's tests, built through the real services,
and the report's figures recomputed independently, in plain Python over the invoices created.

Invoices (all 2026 unless said): January on Acme's litigation matter (a write-down, a no-charge
line, expenses with and without a timekeeper); February on Acme's capped matter (the cap is a
fee adjustment line) and on Globex's taxed flat-fee matter; March on Globex's EUR matter
(taxed, a write-up); April on Acme's litigation matter again; January 2027 once more.
Credit notes: per line on January's invoice (March), a part of February's Globex invoice
without lines (February), the whole EUR invoice (April), and one issued in 2027 on a 2026
invoice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill, issue_credit_note
from lexbill.billing.models import CreditNote, Invoice, InvoiceLine, Prebill, PrebillLine
from lexbill.billing.prebills import adjust_line, approve_prebill, set_line_treatment
from lexbill.billing.rates import set_rate
from lexbill.clients.models import Matter
from lexbill.clients.services import open_matter
from lexbill.core.increments import hours_to_seconds
from lexbill.core.periods import Period
from lexbill.entries.models import Expense, TimeEntry
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.reports.framework import ReportFilters

ZERO = Decimal("0.00")
NONE = "—"  # the key of the "no timekeeper" / "no practice area" row
MONEY = ("fees", "expenses", "adjustments", "tax", "total", "credited", "net")
NO_FILTERS = ReportFilters()
GROUPINGS = ("client", "matter", "attorney", "timekeeper", "practice_area", "month")


@dataclass
class BilledFirm:
    f: Any
    euro: Matter
    invoices: list[Invoice] = field(default_factory=list)
    credits: list[CreditNote] = field(default_factory=list)


def time(f: Any, matter: Matter, tk: Any, day: date, hours: str) -> TimeEntry:
    return record_time(
        f.clara,
        TimeDraft(
            matter, tk, day, hours_to_seconds(hours), "Work", task_code="L120", activity_code="A103"
        ),
    )


def expense(f: Any, matter: Matter, day: date, code: str, qty: str, cost: str, tk: Any) -> Expense:
    return record_expense(
        f.clara, ExpenseDraft(matter, day, code, qty, cost, "Copies", timekeeper=tk)
    )


def invoice(
    f: Any,
    matter: Matter,
    issued_on: date,
    review: Callable[[list[PrebillLine]], None] | None = None,
) -> Invoice:
    """Bill ``matter``'s unbilled work through the bill run, ``review`` its lines, issue it."""
    run_bill_run(f.sam, issued_on)  # may also open pre-bills of other matters with work
    prebill = Prebill.objects.get(matter=matter, status__in=("draft", "returned"))
    if review is not None:
        review(list(prebill.lines.order_by("date", "id")))
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill, issued_on=issued_on)


def build_billed_firm(f: Any) -> BilledFirm:
    start = date(2026, 1, 1)
    set_rate(None, "timekeeper", "400.00", start, timekeeper=f.associate, currency="EUR")
    set_rate(None, "timekeeper", "450.00", start, timekeeper=f.partner, currency="EUR")
    euro = open_matter(
        None, f.globex, "C002-002", "Globex EU", f.associate, opened_on=start, currency="EUR"
    )
    # practice areas are set by the matter form; no service takes them yet
    Matter.objects.filter(pk__in=[f.acme_hourly.pk, f.acme_capped.pk]).update(
        practice_area="Litigation"
    )
    Matter.objects.filter(pk=f.globex_flat.pk).update(practice_area="Real estate")
    firm = BilledFirm(f, euro)

    time(f, f.acme_hourly, f.partner, date(2026, 1, 5), "2")
    time(f, f.acme_hourly, f.associate, date(2026, 1, 6), "1.5")
    time(f, f.acme_hourly, f.paralegal, date(2026, 1, 7), "0.5")
    expense(f, f.acme_hourly, date(2026, 1, 8), "E101", "100", "0.10", None)
    expense(f, f.acme_hourly, date(2026, 1, 9), "E110", "1", "45.50", f.associate)

    def january(lines: list[PrebillLine]) -> None:
        partner = next(ln for ln in lines if ln.timekeeper_id == f.partner.pk)
        paralegal = next(ln for ln in lines if ln.timekeeper_id == f.paralegal.pk)
        adjust_line(f.sam, partner, "-100.00", "courtesy discount")
        set_line_treatment(f.sam, paralegal, "no_charge")

    firm.invoices.append(invoice(f, f.acme_hourly, date(2026, 1, 20), january))

    time(f, f.acme_capped, f.partner, date(2026, 2, 2), "3")  # 1,500 over a 1,000 cap
    firm.invoices.append(invoice(f, f.acme_capped, date(2026, 2, 15)))

    time(f, f.globex_flat, f.paralegal, date(2026, 2, 10), "2")  # flat fee, VAT 19 %
    firm.invoices.append(invoice(f, f.globex_flat, date(2026, 2, 25)))

    time(f, euro, f.associate, date(2026, 3, 2), "2")
    time(f, euro, f.partner, date(2026, 3, 3), "1")

    def march(lines: list[PrebillLine]) -> None:
        partner = next(ln for ln in lines if ln.timekeeper_id == f.partner.pk)
        adjust_line(f.sam, partner, "45.00", "urgent work")

    firm.invoices.append(invoice(f, euro, date(2026, 3, 10), march))

    time(f, f.acme_hourly, f.associate, date(2026, 4, 1), "1")
    time(f, f.acme_hourly, f.paralegal, date(2026, 4, 2), "1")
    firm.invoices.append(invoice(f, f.acme_hourly, date(2026, 4, 5)))

    time(f, f.acme_hourly, f.associate, date(2027, 1, 4), "0.5")
    firm.invoices.append(invoice(f, f.acme_hourly, date(2027, 1, 10)))

    jan, capped, flat, eur, _april, _next_year = firm.invoices
    by_kind = {(ln.kind, ln.timekeeper_code): ln for ln in jan.lines.all() if not ln.no_charge}
    per_line = {
        by_kind[("time", f.associate.code)].pk: Decimal("100.00"),
        by_kind[("expense", "")].pk: Decimal("5.00"),
    }
    firm.credits += [
        issue_credit_note(f.carol, jan, None, "billing error", date(2026, 3, 15), lines=per_line),
        issue_credit_note(f.carol, flat, "50.00", "goodwill", date(2026, 2, 28)),
        issue_credit_note(f.carol, eur, None, "engagement cancelled", date(2026, 4, 20)),
        issue_credit_note(f.carol, capped, "20.00", "late goodwill", date(2027, 1, 12)),
    ]
    return firm


# ---- the figures, recomputed in plain Python -------------------------------------------------


def _key(invoice: Invoice, by: str, day: date) -> str:
    matter = invoice.matter
    return {
        "client": lambda: invoice.client.number,
        "matter": lambda: matter.number,
        "attorney": lambda: matter.responsible_attorney.code,
        "practice_area": lambda: matter.practice_area or NONE,
        "month": lambda: f"{day:%Y-%m}",
    }[by]()


def _matter_ok(invoice: Invoice, filters: ReportFilters) -> bool:
    matter = invoice.matter
    return (
        (not filters.clients or invoice.client.number in filters.clients)
        and (not filters.matters or matter.number in filters.matters)
        and (not filters.attorneys or matter.responsible_attorney.code in filters.attorneys)
        and (not filters.practice_areas or matter.practice_area in filters.practice_areas)
    )


def _blank() -> dict[str, Any]:
    return {"invoices": set(), **dict.fromkeys(MONEY, ZERO)}


def expected_rows(
    period: Period, by: str, filters: ReportFilters = NO_FILTERS
) -> dict[tuple[str, str], dict[str, Any]]:
    """(key, currency) → figures, with ``invoices`` a set of invoice numbers."""
    line_level = by == "timekeeper" or bool(filters.timekeepers)
    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(_blank)
    invoices = [
        i
        for i in Invoice.objects.select_related("matter__responsible_attorney", "client")
        if i.issued_on in period and _matter_ok(i, filters)
    ]
    notes = [
        n
        for n in CreditNote.objects.select_related(
            "invoice__matter__responsible_attorney", "invoice__client"
        )
        if n.issued_on in period and _matter_ok(n.invoice, filters)
    ]
    if not line_level:
        for inv in invoices:
            row = rows[(_key(inv, by, inv.issued_on), inv.currency)]
            row["invoices"].add(inv.number)
            for k in ("fees", "expenses", "adjustments", "tax", "total"):
                row[k] += getattr(inv, k)
        for note in notes:
            rows[(_key(note.invoice, by, note.issued_on), note.invoice.currency)]["credited"] += (
                note.total
            )
    else:
        for inv in invoices:
            for line in inv.lines.all():
                code = line.timekeeper_code or NONE
                if filters.timekeepers and line.timekeeper_code not in filters.timekeepers:
                    continue
                key = code if by == "timekeeper" else _key(inv, by, inv.issued_on)
                row = rows[(key, inv.currency)]
                row["invoices"].add(inv.number)
                charged = ZERO if line.no_charge else line.amount + line.adjustment
                if line.kind == "time" and not line.no_charge:
                    row["fees"] += line.amount
                    row["adjustments"] += line.adjustment
                elif line.kind == "expense" and not line.no_charge:
                    row["expenses"] += line.amount
                    row["adjustments"] += line.adjustment
                elif not line.no_charge:
                    row["adjustments"] += charged
                row["tax"] += line.tax
                row["total"] += charged + line.tax
        for note in notes:
            credit_lines = list(note.lines.select_related("invoice_line"))
            if not credit_lines:
                if filters.timekeepers:
                    continue  # a credit on no line is nobody's work
                key = NONE if by == "timekeeper" else _key(note.invoice, by, note.issued_on)
                rows[(key, note.invoice.currency)]["credited"] += note.total
                continue
            for cl in credit_lines:
                code = cl.invoice_line.timekeeper_code
                if filters.timekeepers and code not in filters.timekeepers:
                    continue
                key = (
                    (code or NONE) if by == "timekeeper" else _key(note.invoice, by, note.issued_on)
                )
                rows[(key, note.invoice.currency)]["credited"] += cl.amount + cl.tax
    for row in rows.values():
        row["net"] = row["total"] - row["credited"]
    return dict(rows)


def expected_totals(
    rows: dict[tuple[str, str], dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = defaultdict(_blank)
    for (_, currency), row in rows.items():
        t = totals[currency]
        t["invoices"] |= row["invoices"]
        for k in MONEY:
            t[k] += row[k]
    return dict(totals)


def as_figures(row: dict[str, Any]) -> dict[str, Any]:
    """A report row (or an expected row) as comparable figures: money and an invoice count."""
    n = row["invoices"]
    return {"invoices": len(n) if isinstance(n, set) else n, **{k: row[k] for k in MONEY}}


def lines_of(invoices: Iterable[Invoice]) -> list[InvoiceLine]:
    return [line for inv in invoices for line in inv.lines.all()]
