"""Payment plans through the services, the selectors the reminder run reads, the pages and the
``lexbill plan`` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from tests.app.test_receivables_views import _as, _balance, _invoice
from typer.testing import CliRunner

from lexbill.billing.invoicing import issue_credit_note
from lexbill.billing.models import Invoice
from lexbill.cli import app as cli_app
from lexbill.core.errors import (
    CurrencyMismatch,
    InvalidEntry,
    InvalidTransition,
    LexbillError,
    PermissionDenied,
)
from lexbill.core.instalments import split_equally
from lexbill.plans.models import Instalment, PaymentPlan, PlanInvoice, PlanStatus
from lexbill.plans.selectors import (
    InstalmentDue,
    instalments_due,
    invoice_ids_on_plan_in_good_standing,
    plan_view,
)
from lexbill.plans.services import (
    cancel_plan,
    complete_paid_plans,
    create_plan,
    declare_defaulted,
)
from lexbill.receivables.services import post_payment


def _at(day: date) -> Any:
    """Business "today" frozen at noon UTC; each step of a story happens on its own day."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False)


@pytest.fixture
def invoices(small_firm: Any) -> Iterator[tuple[Invoice, Invoice]]:
    # 500.00 issued 2 March, 1,000.00 issued 2 April; the plan is agreed on 1 May
    with _at(date(2026, 3, 2)):
        older = _invoice(small_firm, date(2026, 3, 2), "1")
    with _at(date(2026, 4, 2)):
        newer = _invoice(small_firm, date(2026, 4, 2), "2")
    yield older, newer


def _make(f: Any, invs: tuple[Invoice, ...], **kwargs: Any) -> PaymentPlan:
    options: dict[str, Any] = {"first_due": date(2026, 5, 15), "count": 3, "grace_days": 10}
    options.update(kwargs)
    with _at(date(2026, 5, 1)):
        return create_plan(f.sam, f.acme, [i.number for i in invs], **options)


def _pay(f: Any, invoice: Invoice | None, amount: str, day: date) -> None:
    """Pay ``invoice``, or with ``None`` the oldest open invoices first."""
    allocations = None if invoice is None else [(invoice.number, amount)]
    with _at(day):
        post_payment(f.clara, f.acme, amount, day, allocations=allocations)


def test_a_plan_spreads_the_open_balance_over_monthly_instalments(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = invoices
    _pay(small_firm, older, "200.00", date(2026, 4, 20))
    balance = _balance(older) + _balance(newer)
    plan = _make(small_firm, invoices)
    assert (plan.total, plan.currency, plan.status) == (balance, "USD", PlanStatus.ACTIVE)
    rows = list(plan.instalments.order_by("sequence"))
    assert [r.amount for r in rows] == split_equally(balance, 3)
    assert sum((r.amount for r in rows), Decimal(0)) == balance
    assert [r.due_on for r in rows] == [date(2026, 5, 15), date(2026, 6, 15), date(2026, 7, 15)]
    starts = dict(
        PlanInvoice.objects.filter(plan=plan).values_list("invoice_id", "balance_at_start")
    )
    assert starts == {older.pk: _balance(older), newer.pk: _balance(newer)}


def test_custom_amounts_and_a_weekly_schedule(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    parts = ["100.00", "150.00", str(_balance(older) - Decimal(250))]
    plan = _make(small_firm, (older,), count=None, amounts=parts, every="week")
    rows = list(plan.instalments.order_by("sequence"))
    assert [str(r.amount) for r in rows] == parts
    assert [r.due_on - rows[0].due_on for r in rows] == [timedelta(d) for d in (0, 7, 14)]


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("paid", InvalidEntry, "has no balance"),
        ("other client", InvalidEntry, "is not an invoice of client C002"),
        ("unknown", InvalidEntry, "there is no invoice NOPE"),
        ("twice on a plan", InvalidEntry, "already on active payment plan"),
        ("clerk", PermissionDenied, "may not manage payment plans"),
        ("due before start", InvalidEntry, "cannot be due before the plan starts"),
        ("custom amounts short", LexbillError, "add up to"),
    ],
)
def test_a_plan_that_cannot_be_kept_is_refused_and_nothing_is_made(
    small_firm: Any, invoices: tuple[Invoice, Invoice], case: str, error: type, message: str
) -> None:
    f = small_firm
    older, newer = invoices
    actor, client, numbers = f.sam, f.acme, [older.number]
    extra: dict[str, Any] = {}
    if case == "paid":
        _pay(f, older, str(_balance(older)), date(2026, 4, 25))
    elif case == "other client":
        client = f.globex
    elif case == "unknown":
        numbers = ["NOPE"]
    elif case == "twice on a plan":
        _make(f, (older,))
        numbers = [newer.number, older.number]
    elif case == "clerk":
        actor = f.clara
    elif case == "due before start":
        extra["first_due"] = date(2026, 4, 30)
    elif case == "custom amounts short":
        extra = {"count": None, "amounts": ["1.00"]}
    before = (PaymentPlan.objects.count(), Instalment.objects.count())
    options = {"first_due": date(2026, 5, 15), "count": 2, **extra}
    with _at(date(2026, 5, 1)), pytest.raises(error, match=message):
        create_plan(actor, client, numbers, **options)
    assert (PaymentPlan.objects.count(), Instalment.objects.count()) == before


def test_invoices_in_two_currencies_cannot_share_a_plan(small_firm: Any) -> None:
    from lexbill.billing.bill_run import run_bill_run
    from lexbill.billing.invoicing import finalize_prebill
    from lexbill.billing.models import Prebill
    from lexbill.billing.prebills import approve_prebill
    from lexbill.billing.rates import set_rate
    from lexbill.clients.services import open_matter
    from lexbill.core.increments import hours_to_seconds
    from lexbill.entries.services import TimeDraft, record_time

    f = small_firm
    euro = open_matter(
        None, f.acme, "C001-009", "Acme EU", f.partner, opened_on=date(2026, 1, 1), currency="EUR"
    )
    set_rate(None, "timekeeper", "450.00", date(2026, 1, 1), timekeeper=f.partner, currency="EUR")
    for matter in (f.acme_hourly, euro):
        draft = TimeDraft(matter, f.partner, date(2026, 3, 2), hours_to_seconds("1"), "Draft",
                          task_code="L120", activity_code="A103")  # fmt: skip
        record_time(f.clara, draft)
    run = run_bill_run(f.sam, date(2026, 3, 31))
    numbers = []
    for prebill in Prebill.objects.filter(run=run):
        approve_prebill(f.carol, prebill)
        numbers.append(finalize_prebill(f.sam, prebill).number)
    with pytest.raises(CurrencyMismatch, match="EUR and USD"):
        create_plan(f.sam, f.acme, numbers, first_due=date(2099, 1, 1), count=2)
    assert not PaymentPlan.objects.exists()


def test_the_database_refuses_a_second_active_plan_for_an_invoice(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    plan = _make(small_firm, (older,))
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanInvoice.objects.create(plan=plan, invoice=older, balance_at_start=1, active=True)


def test_instalments_follow_the_money_and_good_standing_follows_the_instalments(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = invoices
    plan = _make(small_firm, invoices, count=2)  # due 15 May and 15 June, 10 days' grace
    first, second = plan.instalments.order_by("sequence")
    everything = {older.pk, newer.pk}

    def status(day: date) -> list[str]:
        return [d.status for d in instalments_due(day) if d.plan_id == plan.pk]

    assert status(date(2026, 5, 15)) == ["due", "due"]
    assert status(date(2026, 5, 20)) == ["late", "due"]
    assert invoice_ids_on_plan_in_good_standing(date(2026, 5, 25)) == everything
    assert status(date(2026, 5, 26)) == ["missed", "due"]
    assert invoice_ids_on_plan_in_good_standing(date(2026, 5, 26)) == set()

    _pay(small_firm, None, str(first.amount), date(2026, 5, 27))
    assert status(date(2026, 5, 27)) == ["paid late", "due"]
    assert invoice_ids_on_plan_in_good_standing(date(2026, 5, 27)) == everything
    due = [d for d in instalments_due(date(2026, 5, 27)) if d.plan_id == plan.pk]
    assert due[1] == InstalmentDue(
        instalment_id=second.pk,
        plan_id=plan.pk,
        client_id=small_firm.acme.pk,
        invoice_ids=tuple(sorted(everything)),
        sequence=2,
        due_on=second.due_on,
        amount=second.amount,
        unpaid=second.amount,
        status="due",
    )


def test_money_paid_before_the_plan_is_not_counted_twice(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    _pay(small_firm, older, "100.00", date(2026, 4, 30))
    plan = _make(small_firm, (older,), count=2)
    view = plan_view(plan, date(2026, 5, 2))
    assert view.paid == 0
    assert view.left == plan.total == _balance(older)


def test_a_credit_note_shortens_the_plan_from_its_last_instalment(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    plan = _make(small_firm, (older,), count=2)
    last = plan.instalments.order_by("sequence").last()
    assert last is not None
    with _at(date(2026, 5, 5)):
        credit = issue_credit_note(small_firm.carol, older, "50.00", "Goodwill")
    view = plan_view(plan, date(2026, 5, 5))
    assert view.reduced == credit.total
    assert view.states[-1].owed == last.amount - credit.total
    assert view.left == _balance(older)


def test_a_fully_paid_plan_is_completed_and_leaves_the_active_set(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    plan = _make(small_firm, (older,), count=2)
    _pay(small_firm, older, str(_balance(older)), date(2026, 5, 10))
    with _at(date(2026, 5, 10)):
        assert complete_paid_plans(small_firm.sam) == [plan]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert instalments_due(date(2026, 5, 10)) == []
    assert not PlanInvoice.objects.filter(plan=plan, active=True).exists()


def test_a_cancelled_plan_frees_its_invoices_and_cannot_be_cancelled_again(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    plan = _make(small_firm, (older,))
    with pytest.raises(PermissionDenied):
        cancel_plan(small_firm.clara, plan)
    cancel_plan(small_firm.sam, plan, "client refinanced")
    plan.refresh_from_db()
    assert (plan.status, plan.ended_by) == (PlanStatus.CANCELLED, small_firm.sam)
    assert "client refinanced" in plan.note
    assert invoice_ids_on_plan_in_good_standing(date(2026, 5, 2)) == set()
    with pytest.raises(InvalidTransition, match="is cancelled and cannot become cancelled"):
        cancel_plan(small_firm.sam, plan)
    again = _make(small_firm, (older,))  # the invoice may go on a new plan
    assert again.pk != plan.pk


def test_only_a_plan_with_a_missed_instalment_can_be_declared_defaulted(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    plan = _make(small_firm, (older,), count=2)
    with pytest.raises(InvalidTransition, match="no missed instalment"):
        declare_defaulted(small_firm.sam, plan, date(2026, 5, 25))
    ended = declare_defaulted(small_firm.sam, plan, date(2026, 5, 26))
    assert ended.status == PlanStatus.DEFAULTED
    assert instalments_due(date(2026, 5, 26)) == []


# pages


def test_the_balance_page_offers_a_plan_and_the_form_makes_one(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = invoices
    sam = _as(small_firm.sam)
    balance_page = sam.get(reverse("receivables:client-balance", args=["C001"]))
    assert f"{reverse('plans:plan-new')}?client=C001" in balance_page.text
    assert (
        "Offer a payment plan"
        not in _as(small_firm.clara).get(reverse("receivables:client-balance", args=["C001"])).text
    )
    with _at(date(2026, 5, 1)):
        form = sam.get(reverse("plans:plan-new"), {"client": "C001"})
        assert form.status_code == 200
        assert older.number in form.text and newer.number in form.text
        response = sam.post(
            reverse("plans:plan-new"),
            {
                "client": "C001",
                "invoices": [newer.number],
                "count": "4",
                "first_due": "2026-06-01",
                "every": "month",
                "grace_days": "5",
            },
        )
    plan = PaymentPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:plan-detail", args=[plan.pk])
    assert (plan.total, plan.grace_days, plan.instalments.count()) == (_balance(newer), 5, 4)


def test_the_form_shows_a_refusal_next_to_the_field(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    with _at(date(2026, 5, 1)):
        response = _as(small_firm.sam).post(
            reverse("plans:plan-new"),
            {
                "client": "C001",
                "invoices": [older.number],
                "amounts": "100.00\n1.00",
                "first_due": "2026-06-01",
                "every": "month",
                "grace_days": "5",
            },
        )
    assert response.status_code == 400
    assert "add up to 101.00 USD" in response.text
    assert not PaymentPlan.objects.exists()


def test_the_plan_pages_show_instalments_and_standing(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    plan = _make(small_firm, (older,), count=2)
    _pay(small_firm, older, "100.00", date(2026, 5, 12))
    carol = _as(small_firm.carol)
    with _at(date(2026, 5, 30)):
        listing = carol.get(reverse("plans:plan-list"))
        detail = carol.get(reverse("plans:plan-detail", args=[plan.pk]))
        invoice_page = carol.get(reverse("billing:invoice-detail", args=[older.number]))
    assert listing.status_code == detail.status_code == 200
    assert f'data-testid="plan-{plan.pk}"' in listing.text
    assert "instalment missed" in listing.text
    assert 'data-testid="plan-paid">$100.00' in detail.text
    assert "missed" in detail.text
    assert f"on payment plan {plan.pk}" in invoice_page.text


def test_cancelling_from_the_page(small_firm: Any, invoices: tuple[Invoice, Invoice]) -> None:
    older, _ = invoices
    plan = _make(small_firm, (older,))
    refused = _as(small_firm.clara).post(reverse("plans:plan-cancel", args=[plan.pk]))
    assert refused.status_code == 403
    response = _as(small_firm.sam).post(
        reverse("plans:plan-cancel", args=[plan.pk]), {"reason": "agreed by phone"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CANCELLED


# commands


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args))


def test_the_plan_commands_create_list_show_and_cancel(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = invoices
    with _at(date(2026, 5, 1)):
        made = _run(
            "--user", "sam", "plan", "create", "C001", "--invoice", older.number,
            "--invoice", newer.number, "--instalments", "3", "--first-due", "2026-05-20",
            "--every", "14days", "--json",
        )  # fmt: skip
        assert made.exit_code == 0, made.output
        data = json.loads(made.stdout)
        assert Decimal(data["total"]) == _balance(older) + _balance(newer)
        assert [i["due_on"] for i in data["instalments"]] == [
            "2026-05-20",
            "2026-06-03",
            "2026-06-17",
        ]
        listed = json.loads(_run("plan", "list", "--json").stdout)
        assert [p["id"] for p in listed] == [data["id"]]
        assert listed[0]["next_due_on"] == "2026-05-20"
        shown = json.loads(_run("plan", "show", str(data["id"]), "--json").stdout)
        assert [i["status"] for i in shown["instalments"]] == ["due"] * 3
        refused = _run("--user", "clara", "plan", "cancel", str(data["id"]))
        assert refused.exit_code == 1 and "may not manage payment plans" in refused.stderr
        cancelled = _run("plan", "cancel", str(data["id"]), "--json")
        assert json.loads(cancelled.stdout)["status"] == "cancelled"
        assert json.loads(_run("plan", "list", "--json").stdout) == []


def test_a_plan_command_with_a_paid_invoice_fails_with_the_reason(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    _pay(small_firm, older, str(_balance(older)), date(2026, 4, 20))
    with _at(date(2026, 5, 1)):
        result = _run(
            "plan", "create", "C001", "--invoice", older.number, "--instalments", "2",
            "--first-due", "2026-06-01",
        )  # fmt: skip
    assert result.exit_code == 1
    assert f"invoice {older.number} has no balance" in result.stderr
    assert not PaymentPlan.objects.exists()


def test_the_form_does_not_offer_an_invoice_already_on_a_plan(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = invoices
    _make(small_firm, (older,))
    with _at(date(2026, 5, 2)):
        form = _as(small_firm.sam).get(reverse("plans:plan-new"), {"client": "C001"})
    assert f'value="{newer.number}"' in form.text
    assert f'value="{older.number}"' not in form.text


def test_the_reminder_run_reads_all_plans_in_a_fixed_number_of_queries(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    older, newer = invoices

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            instalments_due(date(2026, 6, 1))
            invoice_ids_on_plan_in_good_standing(date(2026, 6, 1))
        return len(captured.captured_queries)

    _make(small_firm, (older,))
    one = queries()
    _make(small_firm, (newer,), count=6)
    assert len(instalments_due(date(2026, 6, 1))) == 3 + 6
    assert queries() == one


def test_the_refresh_command_completes_paid_plans(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = invoices
    paid = _make(small_firm, (older,), count=2)
    open_ = _make(small_firm, (newer,), count=2)
    _pay(small_firm, older, str(_balance(older)), date(2026, 5, 3))
    with _at(date(2026, 5, 4)):
        result = _run("--user", "sam", "plan", "refresh", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"completed": [paid.pk]}
    statuses = dict(PaymentPlan.objects.values_list("pk", "status"))
    assert statuses == {paid.pk: PlanStatus.COMPLETED, open_.pk: PlanStatus.ACTIVE}


def test_declaring_a_plan_defaulted_from_the_page(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    plan = _make(small_firm, (older,), count=2)
    sam = _as(small_firm.sam)
    url = reverse("plans:plan-default", args=[plan.pk])
    with _at(date(2026, 5, 20)):
        early = sam.post(url)
        assert "Declare defaulted" not in sam.get(reverse("plans:plan-detail", args=[plan.pk])).text
    assert early.status_code == 400 and "no missed instalment" in early.text
    with _at(date(2026, 6, 1)):
        assert sam.post(url, {"reason": "no answer"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DEFAULTED
