"""The core cycle through the services: time → bill run → review → invoice → payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill, issue_credit_note
from lexbill.billing.models import Invoice, Prebill, PrebillLine
from lexbill.billing.prebills import (
    adjust_line,
    approve_prebill,
    prebill_figures,
    set_line_treatment,
)
from lexbill.billing.selectors import client_balance, with_balances
from lexbill.core.errors import InvalidEntry
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import BillingState, TimeEntry
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.receivables.services import post_payment


def _time(
    f: Any, matter: Any, tk: Any, day: date, hours: str, text: str = "Draft brief"
) -> TimeEntry:
    return record_time(
        f.clara,
        TimeDraft(
            matter, tk, day, hours_to_seconds(hours), text, task_code="L120", activity_code="A103"
        ),
    )


def test_a_time_entry_becomes_a_paid_invoice(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1.25")
    _time(f, f.acme_hourly, f.paralegal, date(2026, 3, 3), "0.33")
    record_expense(
        f.clara, ExpenseDraft(f.acme_hourly, date(2026, 3, 4), "E101", "120", "0.10", "Copies")
    )
    run = run_bill_run(f.sam, date(2026, 3, 31))
    assert (run.prebill_count, run.time_line_count, run.expense_line_count) == (1, 2, 1)
    prebill = Prebill.objects.get(run=run)
    figures = prebill_figures(prebill)
    # 1.3 h × 500 + 0.4 h × 150 + 120 × 0.10
    assert figures.totals.total == Decimal("650.00") + Decimal("60.00") + Decimal("12.00")
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill, issued_on=date(2026, 4, 1))
    assert invoice.total == figures.totals.total
    assert invoice.due_on == date(2026, 5, 1)
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {BillingState.BILLED}
    post_payment(f.clara, f.acme, invoice.total, date(2026, 4, 20))
    assert client_balance(f.acme).net == 0
    assert with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance == 0


def test_running_the_same_bill_run_twice_creates_nothing_twice(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1")
    first = run_bill_run(f.sam, date(2026, 3, 31))
    second = run_bill_run(f.sam, date(2026, 3, 31))
    assert first.time_line_count == 1
    assert (second.prebill_count, second.time_line_count) == (0, 0)
    assert PrebillLine.objects.count() == 1


def test_a_capped_matter_shows_the_cap_as_an_adjustment(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.acme_capped, f.partner, date(2026, 3, 2), "3")  # 1,500 against a 1,000 cap
    run = run_bill_run(f.sam, date(2026, 3, 31))
    prebill = Prebill.objects.get(run=run)
    figures = prebill_figures(prebill)
    assert figures.fee_adjustment == Decimal("-500.00")
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill)
    assert invoice.total == Decimal("1000.00")
    assert invoice.lines.filter(kind="fee_adjustment").get().total == Decimal("-500.00")


def test_write_down_no_charge_and_hold_change_the_bill(small_firm: Any) -> None:
    f = small_firm
    a = _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1")
    b = _time(f, f.acme_hourly, f.partner, date(2026, 3, 3), "1")
    c = _time(f, f.acme_hourly, f.partner, date(2026, 3, 4), "1")
    run = run_bill_run(f.sam, date(2026, 3, 31))
    line_a, line_b, line_c = (PrebillLine.objects.get(time_entry=e) for e in (a, b, c))
    adjust_line(f.sam, line_a, "-100.00", "courtesy discount")
    set_line_treatment(f.sam, line_b, "no_charge")
    set_line_treatment(f.sam, line_c, "hold")
    prebill = Prebill.objects.get(run=run)
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill)
    assert invoice.total == Decimal("400.00")
    c.refresh_from_db()
    assert c.state == BillingState.UNBILLED
    assert run_bill_run(f.sam, date(2026, 3, 31)).time_line_count == 1


def test_a_credit_note_reduces_the_balance_and_leaves_the_invoice_unchanged(
    small_firm: Any,
) -> None:
    f = small_firm
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1")
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill)
    issue_credit_note(f.carol, invoice, "100.00", "billing error")
    invoice.refresh_from_db()
    assert invoice.total == Decimal("500.00")
    assert client_balance(f.acme).balance_due == Decimal("400.00")


def test_closed_matter_refuses_time(small_firm: Any) -> None:
    from lexbill.clients.services import close_matter

    f = small_firm
    close_matter(None, f.acme_hourly, date(2026, 2, 1))
    f.acme_hourly.refresh_from_db()
    with pytest.raises(InvalidEntry, match="closed"):
        _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1")
    assert TimeEntry.objects.count() == 0


def test_a_taxed_invoice_can_be_credited_in_full_to_the_cent(small_firm: Any) -> None:
    f = small_firm
    for day, hours in ((2, "0.7"), (3, "0.9"), (4, "1.1")):
        _time(f, f.globex_flat, f.paralegal, date(2026, 3, day), hours)
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill)
    assert invoice.tax > 0
    note = issue_credit_note(f.carol, invoice, None, "engagement cancelled")
    assert note.total == invoice.total
    assert note.amount + note.tax == note.total
    assert with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance == 0


def test_a_payment_can_be_kept_entirely_as_unapplied_credit(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1")
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))
    approve_prebill(f.carol, prebill)
    invoice = finalize_prebill(f.sam, prebill)
    post_payment(f.clara, f.acme, "200.00", date(2026, 4, 2), allocations=[])
    account = client_balance(f.acme)
    assert account.unapplied == Decimal("200.00")
    assert account.balance_due == invoice.total
    from lexbill.receivables.services import apply_unapplied_credit

    assert apply_unapplied_credit(f.clara, f.acme) == Decimal("200.00")
    assert client_balance(f.acme).balance_due == invoice.total - Decimal("200.00")


def test_listing_invoices_with_status_and_balance_is_one_query(
    small_firm: Any, django_assert_num_queries: Any
) -> None:
    f = small_firm
    for month in (1, 2, 3):
        _time(f, f.acme_hourly, f.partner, date(2026, month, 5), "1")
        prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, month, 28)))
        approve_prebill(f.carol, prebill)
        finalize_prebill(f.sam, prebill)
    from lexbill.billing.selectors import invoice_status

    with django_assert_num_queries(1):
        statuses = [invoice_status(inv) for inv in with_balances(Invoice.objects.all())]
    assert statuses == ["final", "final", "final"]


def test_money_in_two_currencies_is_never_added_together(small_firm: Any) -> None:
    from lexbill.billing.rates import set_rate
    from lexbill.clients.services import open_matter
    from lexbill.core.errors import LexbillError

    f = small_firm
    euro_matter = open_matter(
        None, f.acme, "C001-003", "Acme GmbH works council", f.partner,
        opened_on=date(2026, 1, 1), currency="EUR",
    )  # fmt: skip
    set_rate(None, "timekeeper", "450.00", date(2026, 1, 1), timekeeper=f.partner, currency="EUR")
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1")
    _time(f, euro_matter, f.partner, date(2026, 3, 3), "1")
    run = run_bill_run(f.sam, date(2026, 3, 31))
    for prebill in Prebill.objects.filter(run=run):
        approve_prebill(f.carol, prebill)
        finalize_prebill(f.sam, prebill)
    with pytest.raises(LexbillError, match="EUR and USD"):
        client_balance(f.acme)
    with pytest.raises(LexbillError, match="name the currency"):
        post_payment(f.clara, f.acme, "100.00", date(2026, 4, 2))
    post_payment(f.clara, f.acme, "1000.00", date(2026, 4, 2), currency="EUR")
    euro = client_balance(f.acme, "EUR")
    assert (euro.balance_due, euro.unapplied) == (Decimal("0.00"), Decimal("550.00"))
    assert client_balance(f.acme, "USD").balance_due == Decimal("500.00")


@pytest.mark.parametrize(("increment", "rounding", "hours", "billed"), [
    (15, "up", "0.30", 30),  # 18 minutes → two quarter hours
    (1, "up", "0.30", 18),  # 1/60 h: exactly as worked
    (6, "nearest", "0.12", 6),  # 7.2 minutes → 0.1 h
    (6, "down", "0.19", 6),  # 11.4 minutes → 0.1 h
])  # fmt: skip
def test_billed_units_follow_the_firm_increment_and_rounding(
    small_firm: Any, increment: int, rounding: str, hours: str, billed: int
) -> None:
    from lexbill.firm.services import configure_firm

    configure_firm(small_firm.alice, increment_minutes=increment, time_rounding=rounding)
    entry = _time(small_firm, small_firm.acme_hourly, small_firm.partner, date(2026, 3, 2), hours)
    assert entry.billed_minutes == billed


def test_only_an_administrator_changes_firm_policy_and_only_to_allowed_values(
    small_firm: Any,
) -> None:
    from lexbill.core.errors import PermissionDenied
    from lexbill.firm.services import configure_firm

    with pytest.raises(PermissionDenied):
        configure_firm(small_firm.carol, increment_minutes=15)
    with pytest.raises(InvalidEntry, match="increment"):
        configure_firm(small_firm.alice, increment_minutes=7)
    with pytest.raises(InvalidEntry, match="seq"):
        configure_firm(small_firm.alice, invoice_number_format="INV-{year}")


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "more than zero"), ("-5", "more than zero"), ("10.005", "USD amounts have 2")],
)
def test_a_payment_amount_is_refused_with_the_reason(
    small_firm: Any, amount: str, message: str
) -> None:
    with pytest.raises(InvalidEntry, match=message) as refused:
        post_payment(small_firm.sam, small_firm.acme, amount, date(2026, 4, 1))
    assert refused.value.field == "amount"
    assert not small_firm.acme.payments.exists()
