"""The demo firm keeps every promise made about it, checked from what it left in the database.

The demo is built once for the module (a few seconds) inside a transaction that is rolled back
at the end; each test then runs in its own savepoint, so none can disturb another. ``TODAY`` is
mid-month on purpose: on the 1st or 2nd of a month there is no working day between the last bill
run's cut-off and today, so the only unbilled time then is the late time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, Max, Min, Sum

from lexbill.billing.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    Prebill,
    PrebillComment,
    PrebillLine,
    PrebillStatus,
    Rate,
)
from lexbill.billing.selectors import client_balance, invoice_status, with_balances
from lexbill.clients.models import Client, Matter
from lexbill.core.errors import LexbillError
from lexbill.demo import DEMO_PASSWORD, DEMO_USERS, DemoSummary, build_demo_firm
from lexbill.disputes.models import UNRESOLVED, Dispute
from lexbill.entries.models import Billable, BillingState, Expense, TimeEntry
from lexbill.firm.models import Firm, Timekeeper, User
from lexbill.formats.utbms import CodeKind, lookup
from lexbill.plans.models import PaymentPlan
from lexbill.receivables.models import AdjustmentRequest, Payment, PaymentAllocation

TODAY = date(2026, 3, 18)
SEED = 2026
FIRST_DAY = date(2025, 9, 18)  # six months before TODAY

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_demo_firm(seed=SEED, today=TODAY)
        transaction.set_rollback(True)


def _invoices() -> list[Invoice]:
    return list(with_balances(Invoice.objects.all()).order_by("issued_on", "number"))


def _balance(invoice: Invoice) -> Decimal:
    return invoice.balance  # type: ignore[attr-defined, no-any-return]


def _paid(invoice: Invoice) -> Decimal:
    return invoice.paid  # type: ignore[attr-defined, no-any-return]


def test_the_summary_counts_what_is_in_the_database(demo: DemoSummary) -> None:
    s = demo
    assert s.clients == Client.objects.count() >= 4
    assert s.matters == Matter.objects.count() >= 12
    assert s.timekeepers == Timekeeper.objects.count() >= 8
    assert s.time_entries == TimeEntry.objects.count() >= 2000
    assert s.expenses == Expense.objects.count() >= 50
    assert s.invoices == Invoice.objects.count() >= 40
    assert s.payments == Payment.objects.count() >= 10
    open_statuses = [PrebillStatus.DRAFT, PrebillStatus.RETURNED, PrebillStatus.APPROVED]
    assert s.prebills_open == Prebill.objects.filter(status__in=open_statuses).count() >= 3
    assert s.disputes_open == Dispute.objects.filter(status__in=UNRESOLVED).count() >= 1
    assert s.payment_plans_active == PaymentPlan.objects.filter(status="active").count() >= 1
    assert s.adjustments_pending == AdjustmentRequest.objects.filter(status="pending").count() >= 1
    assert s.users == DEMO_USERS


def test_the_firm_policy_and_one_demo_user_per_role(demo: DemoSummary) -> None:
    firm = Firm.objects.get()
    assert firm.name == "Hale & Ward LLP"
    assert firm.address and firm.tax_id
    assert (firm.increment_minutes, firm.time_rounding, firm.payment_terms_days) == (6, "up", 30)
    assert set(DEMO_USERS.values()) == {"admin", "coordinator", "specialist", "clerk", "attorney"}
    for username, role in DEMO_USERS.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert user.check_password(DEMO_PASSWORD)
    attorney = Timekeeper.objects.get(user__username="attorney")
    assert attorney.classification == "partner"
    assert Matter.objects.filter(responsible_attorney=attorney).count() >= 3


def test_timekeepers_span_the_classifications_with_effective_dated_rates(demo: DemoSummary) -> None:
    classes = set(Timekeeper.objects.values_list("classification", flat=True))
    assert {"partner", "of_counsel", "associate", "paralegal", "legal_assistant"} <= classes
    first_work = TimeEntry.objects.aggregate(d=Min("work_date"))["d"]
    last_work = TimeEntry.objects.aggregate(d=Max("work_date"))["d"]
    standard = Rate.objects.filter(level="timekeeper")
    assert (
        standard.filter(effective_from__lte=first_work).values("timekeeper").distinct().count() >= 8
    )
    raised = standard.filter(effective_from__gt=first_work, effective_from__lt=last_work)
    assert raised.values("timekeeper").distinct().count() >= 2
    assert Rate.objects.filter(level="classification").count() >= 5
    assert Rate.objects.filter(level="client").exists()
    assert Rate.objects.filter(level="matter").exists()


def test_bills_show_rates_from_every_level(demo: DemoSummary) -> None:
    sources = set(InvoiceLine.objects.filter(kind="time").values_list("rate_source", flat=True))
    assert {source.split("/")[0] for source in sources} >= {
        "matter",
        "client",
        "timekeeper",
        "classification",
    }


def test_clients_and_matters(demo: DemoSummary) -> None:
    vat = Client.objects.get(tax_label="VAT")
    assert vat.tax_rate_percent == Decimal(20)
    assert Invoice.objects.filter(client=vat, tax__gt=0).exists()
    arrangements = Counter(Matter.objects.values_list("arrangement", flat=True))
    assert arrangements["flat_fee"] >= 1 and arrangements["capped"] >= 1
    assert arrangements["hourly"] > Matter.objects.count() / 2
    assert Matter.objects.exclude(client_matter_id="").exists()
    assert Client.objects.annotate(n=Count("matters")).filter(n__gte=3).exists()
    capped = Matter.objects.get(arrangement="capped")
    assert InvoiceLine.objects.filter(invoice__matter=capped, kind="fee_adjustment").exists()


def test_a_matter_is_closed_after_its_work_was_billed(demo: DemoSummary) -> None:
    closed = Matter.objects.get(status="closed")
    work = TimeEntry.objects.filter(matter=closed)
    assert work.exists()
    billable = work.exclude(billable=Billable.NON_BILLABLE)
    assert not billable.exclude(state=BillingState.BILLED).exists()
    assert closed.closed_on is not None
    assert closed.closed_on > work.aggregate(d=Max("work_date"))["d"]
    assert (
        closed.closed_on >= Invoice.objects.filter(matter=closed).aggregate(d=Max("issued_on"))["d"]
    )


def test_time_entries_are_plausible(demo: DemoSummary) -> None:
    entries = TimeEntry.objects.all()
    assert entries.count() >= 2000
    days = set(entries.values_list("work_date", flat=True))
    assert all(day.weekday() < 5 for day in days)
    assert min(days) >= FIRST_DAY and max(days) < TODAY
    assert not entries.filter(duration_seconds__lte=0).exists()
    assert not entries.filter(duration_seconds__gt=6 * 3600).exists()
    assert not entries.filter(billed_minutes__lt=6).exists()
    per_day = entries.values("timekeeper", "work_date").annotate(s=Sum("duration_seconds"))
    assert max(row["s"] for row in per_day) <= 24 * 3600
    statuses = Counter(entries.values_list("billable", flat=True))
    assert statuses[Billable.NO_CHARGE] >= 3 and statuses[Billable.NON_BILLABLE] >= 3
    assert entries.values("narrative").distinct().count() >= 200
    litigation = entries.filter(matter__number__in=["10231-0047", "10457-0015", "10688-0006"])
    assert all(code.startswith("L") for code in litigation.values_list("task_code", flat=True))
    for code in set(entries.exclude(task_code="").values_list("task_code", flat=True)):
        assert lookup(code, CodeKind.TASK) is not None, code
    for code in set(entries.exclude(activity_code="").values_list("activity_code", flat=True)):
        assert lookup(code, CodeKind.ACTIVITY) is not None, code
    assert entries.filter(task_code__startswith="C").exists()
    assert entries.filter(task_code__startswith="P").exists()
    assert entries.filter(task_code="").exists()


def test_expenses_are_typical_disbursements(demo: DemoSummary) -> None:
    codes = set(Expense.objects.values_list("expense_code", flat=True))
    assert {"E101", "E107", "E110", "E112"} <= codes
    assert not Expense.objects.filter(quantity__lte=0).exists()
    assert all(day.weekday() < 5 for day in Expense.objects.values_list("date", flat=True))


def test_invoices_exist_in_every_state(demo: DemoSummary) -> None:
    invoices = _invoices()
    states = Counter(invoice_status(invoice) for invoice in invoices)
    assert {"final", "sent", "partly paid", "paid", "credited"} <= set(states), states
    overdue = [
        inv
        for inv in invoices
        if _balance(inv) > 0
        and inv.due_on < TODAY
        and inv.issued_on < TODAY - timedelta(days=30)
        and _paid(inv) == 0
    ]
    assert overdue
    assert all(inv.issued_on.day <= 5 and inv.issued_on < TODAY for inv in invoices)
    assert len({inv.issued_on.replace(day=1) for inv in invoices}) >= 4  # monthly billing


def test_every_invoice_total_is_its_lines_plus_their_tax(demo: DemoSummary) -> None:
    sums = {
        row["invoice"]: row["total"] + row["tax"]
        for row in InvoiceLine.objects.values("invoice").annotate(
            total=Sum("total"), tax=Sum("tax")
        )
    }
    for invoice in Invoice.objects.all():
        assert invoice.total == sums[invoice.pk], invoice.number
        assert invoice.total == invoice.subtotal + invoice.tax, invoice.number


def test_payments_and_credit_notes(demo: DemoSummary) -> None:
    allocated = {
        row["payment"]: row["s"]
        for row in PaymentAllocation.objects.values("payment").annotate(s=Sum("amount"))
    }
    payments = list(Payment.objects.all())
    assert any(p.amount > allocated.get(p.pk, 0) for p in payments), "no unapplied credit"
    spread = PaymentAllocation.objects.values("payment").annotate(n=Count("invoice"))
    assert any(row["n"] >= 2 for row in spread), "no payment across several invoices"
    invoices = _invoices()
    assert any(_paid(inv) > 0 and _balance(inv) > 0 for inv in invoices)
    totals = {inv.pk: inv.total for inv in invoices}
    credits = list(CreditNote.objects.all())
    assert any(c.total == totals[c.invoice_id] for c in credits), "no full credit note"
    assert any(c.total < totals[c.invoice_id] for c in credits), "no partial credit note"
    assert all(_balance(inv) >= 0 for inv in invoices)


def test_every_client_balance_reconciles(demo: DemoSummary) -> None:
    for client in Client.objects.all():
        account = client_balance(client)
        open_balances = sum(
            (_balance(inv) for inv in with_balances(Invoice.objects.filter(client=client))),
            Decimal(0),
        )
        assert (
            account.invoiced - account.credited - account.paid - account.written_off
            == open_balances
        ), client.name
        assert account.unapplied >= 0


def test_prebills_carry_a_review_history(demo: DemoSummary) -> None:
    finalized = PrebillLine.objects.filter(prebill__status=PrebillStatus.FINALIZED)
    write_downs = finalized.filter(adjustment__lt=0)
    assert write_downs.exists()
    assert not write_downs.filter(adjustment_reason="").exists()
    assert finalized.filter(treatment="no_charge", time_entry__billable=Billable.BILLABLE).exists()
    held = finalized.filter(treatment="hold")
    assert held.exists()
    # A held line's work went back to WIP and was billed again later.
    assert not TimeEntry.objects.filter(
        pk__in=held.values("time_entry"), state=BillingState.UNBILLED
    ).exists()
    comments: dict[int, list[str]] = defaultdict(list)
    for comment in PrebillComment.objects.order_by("at", "id"):
        comments[comment.prebill_id].append(comment.action)
    assert any(
        actions[:2] == ["send back", "approve"]
        and Prebill.objects.get(pk=pk).status == PrebillStatus.FINALIZED
        for pk, actions in comments.items()
    )
    statuses = set(
        Prebill.objects.exclude(status=PrebillStatus.FINALIZED).values_list("status", flat=True)
    )
    assert statuses == {PrebillStatus.DRAFT, PrebillStatus.APPROVED, PrebillStatus.RETURNED}
    approvers = set(
        Prebill.objects.exclude(approved_by=None).values_list("approved_by__username", flat=True)
    )
    assert approvers == {"attorney", "coordinator"}


def test_some_work_is_still_unbilled(demo: DemoSummary) -> None:
    last_run = Prebill.objects.aggregate(d=Max("through"))["d"]
    wip = TimeEntry.objects.filter(state=BillingState.UNBILLED).exclude(
        billable=Billable.NON_BILLABLE
    )
    assert wip.filter(work_date__gt=last_run).exists()
    assert wip.filter(work_date__lte=last_run).exists()  # late time, entered after the run
    assert Expense.objects.filter(state=BillingState.UNBILLED).exists()


def test_the_demo_refuses_a_database_that_already_has_a_firm(demo: DemoSummary) -> None:
    with pytest.raises(LexbillError, match="already holds a firm"):
        build_demo_firm(seed=SEED, today=TODAY)


def test_northwind_has_the_facts_its_guidelines_ask_for(demo: DemoSummary) -> None:
    from lexbill.clients.models import ApprovedTimekeeper, RateNotice
    from lexbill.clients.selectors import matter_budget_status

    northwind = Client.objects.get(number="10231")
    status = matter_budget_status(Matter.objects.get(number="10231-0047"))
    lines = {line.phase: line for line in status.lines}
    assert set(lines) == {"", "L100", "L200", "L300", "L400"}
    assert lines[""].remaining > 0
    assert sum(line.remaining < 0 for line in lines.values()) == 1  # one phase already over
    approved = set(
        ApprovedTimekeeper.objects.filter(client=northwind).values_list(
            "timekeeper__code", flat=True
        )
    )
    assert approved == {"DW", "JP", "MR", "RC", "SO"}
    unapproved = TimeEntry.objects.filter(matter__client=northwind).exclude(
        timekeeper__code__in=approved
    )
    assert unapproved.exists()  # so the approved-timekeepers rule has something to show
    notice = RateNotice.objects.get(client=northwind)
    assert notice.timekeeper is None and (notice.effective_from - notice.given_on).days == 75
    assert Rate.objects.filter(effective_from=notice.effective_from).exists()
    expenses = Expense.objects.all()
    assert expenses.filter(receipt=True).exists() and expenses.filter(receipt=False).exists()
    assert expenses.filter(expense_code="E111", persons__gt=1).exists()
    assert {"business", "economy"} <= set(expenses.values_list("travel_class", flat=True))


def test_the_guideline_report_has_brightlines_findings_to_show(demo: DemoSummary) -> None:
    """Brightline's guidelines are in force from the first bill, so every run and approval
    recorded what they found: last month's report (the page's default) is not empty."""
    from lexbill.compliance.models import FindingRecord
    from lexbill.compliance.report import Criteria, default_period, guideline_report

    brightline = Client.objects.get(number="10457")
    records = FindingRecord.objects.all()
    assert records.exists()
    assert set(records.values_list("client_id", flat=True)) == {brightline.pk}
    periods = set(records.values_list("through", flat=True))
    assert len(periods) >= 5  # every month billed
    report = guideline_report(None, Criteria(*default_period(TODAY)))
    assert report.totals and report.by_rule and report.by_timekeeper
    assert {t.currency for t in report.totals} == {"USD"}


# --- receivables and collections (issue 6) -----------------------------------------------------


def test_the_collections_policy_charges_late_only_where_the_engagement_allows(
    demo: DemoSummary,
) -> None:
    from lexbill.latecharges.services import assess_late_charges
    from lexbill.receivables.selectors import collections_policy

    policy = collections_policy()
    assert policy.approval_threshold > 0
    assert policy.prompt_discount_percent == 0  # so the history's payments settle what they say
    assert (policy.late_charge_annual_percent, policy.late_charge_grace_days) == (12, 15)
    consenting = set(Client.objects.filter(late_charges_allowed=True))
    assert len(consenting) == 1
    coordinator = User.objects.get(username="coordinator")
    dry_run = assess_late_charges(coordinator, TODAY, dry_run=True)
    assert dry_run.invoices, "nothing overdue past the grace days for the consenting client"
    for item in dry_run.invoices:
        assert item.invoice.client in consenting
        assert item.invoice.due_on + timedelta(days=15) < TODAY
        assert item.computation.amount > 0


def test_a_bounced_check_is_reversed_and_balances_still_reconcile(demo: DemoSummary) -> None:
    from lexbill.billing.selectors import unapplied_credit

    reversal = Payment.objects.get(kind="reversal")
    check = reversal.corrects
    assert check is not None and check.kind == "receipt"
    assert reversal.amount == -check.amount
    assert "NSF" in reversal.reason
    assert check.received_on < reversal.received_on < TODAY
    rows = list(PaymentAllocation.objects.filter(payment=check))
    assert {row.amount for row in rows} == {check.amount, -check.amount}
    assert {row.applied_on for row in rows} == {check.received_on, reversal.received_on}
    invoice = with_balances(Invoice.objects.filter(pk=rows[0].invoice_id)).get()
    assert check.amount < invoice.total  # a small part payment
    assert _paid(invoice) == 0 and _balance(invoice) == invoice.total
    assert invoice.due_on < TODAY  # still overdue, as before the check came
    assert unapplied_credit(check.client) == 0  # the bounced money is not left as credit


def test_part_of_an_overpayment_is_refunded(demo: DemoSummary) -> None:
    from lexbill.billing.selectors import unapplied_credit
    from lexbill.receivables.selectors import free_amount

    refund = Payment.objects.get(kind="refund")
    receipt = refund.corrects
    assert receipt is not None and receipt.kind == "receipt"
    allocated = PaymentAllocation.objects.filter(payment=receipt).aggregate(s=Sum("amount"))["s"]
    excess = receipt.amount - allocated
    assert 0 < -refund.amount < excess
    assert free_amount(receipt) == excess + refund.amount
    assert unapplied_credit(receipt.client) == excess + refund.amount > 0
    assert refund.received_on > receipt.received_on and refund.reason


def test_a_small_write_off_posted_and_a_large_credit_awaits_approval(demo: DemoSummary) -> None:
    from lexbill.receivables.models import WriteOff
    from lexbill.receivables.selectors import collections_policy

    threshold = collections_policy().approval_threshold
    write_off = WriteOff.objects.get(kind="write_off")
    assert 0 < write_off.amount <= threshold
    assert write_off.created_by is not None and write_off.created_by.username == "specialist"
    assert write_off.reason.code == "SMALL_BALANCE"
    written_off = with_balances(Invoice.objects.filter(pk=write_off.invoice_id)).get()
    assert _balance(written_off) == 0 and _paid(written_off) == written_off.total - write_off.amount
    request = AdjustmentRequest.objects.get(status="pending")
    assert request.kind == "credit_note" and request.amount is not None
    assert request.amount > threshold
    assert request.requested_by is not None and request.requested_by.username == "specialist"
    waiting = with_balances(Invoice.objects.filter(pk=request.invoice_id)).get()
    assert not CreditNote.objects.filter(invoice=waiting).exists()  # nothing posted while pending
    assert request.amount <= _balance(waiting)


def test_an_open_dispute_is_assigned_and_an_inquiry_was_explained(demo: DemoSummary) -> None:
    dispute = Dispute.objects.get(kind="dispute")
    assert dispute.status == "open"
    assert dispute.assigned_to is not None and dispute.assigned_to.username == "specialist"
    assert dispute.notes.count() == 2
    assert dispute.line is not None and dispute.line.invoice_id == dispute.invoice_id
    assert dispute.amount_disputed == dispute.line.total
    assert dispute.invoice.issued_on <= dispute.raised_on < TODAY
    pending = AdjustmentRequest.objects.get(status="pending")
    assert pending.invoice_id == dispute.invoice_id  # the credit proposed to settle it
    inquiry = Dispute.objects.get(kind="inquiry")
    assert inquiry.status == "resolved_explained"
    assert inquiry.resolution and inquiry.resolved_by is not None
    assert inquiry.credit_note is None


def test_a_payment_plan_on_an_overdue_invoice_has_its_first_instalment_paid(
    demo: DemoSummary,
) -> None:
    from lexbill.core.instalments import InstalmentStatus
    from lexbill.plans.selectors import plan_views

    plan = PaymentPlan.objects.get(status="active")
    (entry,) = plan.plan_invoices.all()
    invoice = with_balances(Invoice.objects.filter(pk=entry.invoice_id)).get()
    assert invoice.due_on < plan.start_on < TODAY  # overdue when the plan was agreed
    instalments = list(plan.instalments.order_by("sequence"))
    assert len(instalments) == 3
    assert sum(i.amount for i in instalments) == plan.total == entry.balance_at_start
    days = [i.due_on for i in instalments]
    assert len({d.day for d in days}) == 1
    months = [d.year * 12 + d.month for d in days]
    assert months == [months[0], months[0] + 1, months[0] + 2]  # monthly
    (view,) = plan_views([plan], TODAY)
    assert [s.status for s in view.states] == [
        InstalmentStatus.PAID,
        InstalmentStatus.DUE,
        InstalmentStatus.DUE,
    ]
    assert view.good_standing
    assert _balance(invoice) == plan.total - instalments[0].amount


def test_an_operating_bank_account_reads_its_banks_csv(demo: DemoSummary) -> None:
    from lexbill.banking.models import BankAccount
    from lexbill.formats.bank.csv_statement import read_csv_statement
    from lexbill.reminders.wording import reminder_settings

    account = BankAccount.objects.get(trust_account__isnull=True)  # the trust ones: see below
    assert account.currency == "USD" and account.default_mapping is not None
    layout = account.default_mapping.layout()
    day = TODAY - timedelta(days=1)
    cells = {
        layout.date_column: f"{day:%m/%d/%Y}",
        layout.amount_column: "1234.50",
        layout.reference_column: "ACH 10231 Northwind",
        layout.payer_column: "NORTHWIND HEALTH",
        layout.bank_id_column: "TX-1",
        layout.type_column: "ACH CREDIT",
        layout.check_number_column: "",
    }
    cells.pop("", None)  # columns the bank's export doesn't have
    csv = f"{','.join(cells)}\n{','.join(cells.values())}\n"
    (entry,) = read_csv_statement(csv.encode(), layout).entries
    assert (entry.booked_on, entry.amount) == (day, Decimal("1234.50"))
    assert reminder_settings().payment_instructions  # printed on reminders and statements


def test_trust_money_is_held_paid_out_and_reconciled_by_the_rules(demo: DemoSummary) -> None:
    from lexbill.trust.models import (
        FoundationInterest,
        RefusedAttempt,
        Replenishment,
        SignedReconciliation,
        TrustAccount,
        TrustTransaction,
    )
    from lexbill.trust.selectors import (
        buffer_ledger,
        journal_balance,
        ledger_balance,
        ledgers_with_balances,
        trust_policy,
    )

    accounts = {a.kind: a for a in TrustAccount.objects.select_related("bank_account")}
    assert set(accounts) == {"pooled", "separate"}
    assert accounts["separate"].client is not None
    iolta = accounts["pooled"]
    buffer = ledger_balance(buffer_ledger(iolta))
    assert 0 < buffer <= trust_policy().buffer_cap
    assert all(ledger.balance >= 0 for ledger in ledgers_with_balances())  # type: ignore[attr-defined]
    for account in accounts.values():
        assert journal_balance(account) == sum(
            (ledger.balance for ledger in ledgers_with_balances(account)),  # type: ignore[attr-defined]
            Decimal(0),
        )
    postings = TrustTransaction.objects.all()
    methods = set(postings.filter(kind="deposit").values_list("method", flat=True))
    assert {"wire", "check"} <= methods
    assert postings.filter(kind="deposit", available_on__gt=TODAY).exists()  # a check on hold
    paid_out = postings.get(kind="disbursement")
    assert paid_out.counterparty not in Client.objects.values_list("name", flat=True)
    assert postings.filter(kind="refund").exists()
    assert postings.filter(kind="bank_charge", ledger__kind="buffer").exists()
    assert {"credited", "remitted"} <= set(
        FoundationInterest.objects.values_list("kind", flat=True)
    )

    replenishment = Replenishment.objects.select_related("retainer").get()
    assert replenishment.retainer.kind == "evergreen"
    expected = max(
        Decimal(0),
        replenishment.minimum_balance - (replenishment.trust_balance - replenishment.invoice_due),
    )
    assert replenishment.amount == expected > 0
    transfer = postings.get(kind="fee_transfer")
    assert transfer.invoice_id == replenishment.invoice_id and transfer.payment is not None
    assert transfer.notice_sent_on is not None and transfer.notice_sent_on <= transfer.entered_on
    invoice = with_balances(Invoice.objects.filter(pk=transfer.invoice_id)).get()
    assert _paid(invoice) == -transfer.amount

    refused = RefusedAttempt.objects.get()
    assert refused.user is not None and refused.operation == "disbursement"
    signed = SignedReconciliation.objects.get()
    assert signed.account == iolta and signed.period_end < TODAY
    assert signed.adjusted_bank_balance == signed.journal_balance == signed.ledgers_total
    assert signed.journal_balance == journal_balance(iolta, signed.period_end)
