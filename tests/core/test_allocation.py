from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from lexbill.core.allocation import (
    Allocation,
    AllocationPlan,
    OpenInvoice,
    allocate_oldest_first,
    check_allocations,
)
from lexbill.core.balances import AccountBalance, invoice_balance
from lexbill.core.errors import AllocationError

ZERO = Decimal(0)
START = date(2024, 1, 1)
payments = st.integers(min_value=1, max_value=10**6).map(lambda n: Decimal(n).scaleb(-2))
balances = st.integers(min_value=0, max_value=10**6).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def open_invoice_lists(draw: st.DrawFn) -> list[OpenInvoice]:
    count = draw(st.integers(min_value=0, max_value=8))
    return [
        OpenInvoice(
            invoice_id=invoice_id,
            number=f"INV-{invoice_id:04d}",
            issued_on=START + timedelta(days=draw(st.integers(min_value=0, max_value=5))),
            balance=draw(balances),
        )
        for invoice_id in draw(st.permutations(range(1, count + 1)))
    ]


def _oldest_first(invoices: list[OpenInvoice]) -> list[OpenInvoice]:
    return sorted(invoices, key=lambda invoice: (invoice.issued_on, invoice.number))


def _paid(plan: AllocationPlan) -> dict[int, Decimal]:
    return {allocation.invoice_id: allocation.amount for allocation in plan.allocations}


@given(payments, open_invoice_lists())
def test_an_allocation_never_exceeds_an_invoice_balance(
    amount: Decimal, invoices: list[OpenInvoice]
) -> None:
    plan = allocate_oldest_first(amount, invoices)
    by_id = {invoice.invoice_id: invoice for invoice in invoices}
    for allocation in plan.allocations:
        assert 0 < allocation.amount <= by_id[allocation.invoice_id].balance


@given(payments, open_invoice_lists())
def test_allocated_plus_unapplied_is_exactly_the_payment(
    amount: Decimal, invoices: list[OpenInvoice]
) -> None:
    plan = allocate_oldest_first(amount, invoices)
    assert plan.unapplied >= 0
    assert sum((a.amount for a in plan.allocations), ZERO) + plan.unapplied == amount


@given(payments, open_invoice_lists())
def test_a_later_invoice_gets_money_only_once_every_earlier_one_is_paid_in_full(
    amount: Decimal, invoices: list[OpenInvoice]
) -> None:
    paid = _paid(allocate_oldest_first(amount, invoices))
    ordered = _oldest_first(invoices)
    for position, invoice in enumerate(ordered):
        if invoice.invoice_id in paid:
            assert all(paid.get(e.invoice_id, ZERO) == e.balance for e in ordered[:position])


@given(payments, open_invoice_lists())
def test_money_is_left_unapplied_only_when_every_invoice_is_paid_in_full(
    amount: Decimal, invoices: list[OpenInvoice]
) -> None:
    plan = allocate_oldest_first(amount, invoices)
    if plan.unapplied > 0:
        paid = _paid(plan)
        assert all(paid.get(invoice.invoice_id, ZERO) == invoice.balance for invoice in invoices)


@given(payments, open_invoice_lists())
def test_what_oldest_first_proposes_passes_the_manual_allocation_checks(
    amount: Decimal, invoices: list[OpenInvoice]
) -> None:
    plan = allocate_oldest_first(amount, invoices)
    assert check_allocations(amount, plan.allocations, invoices) == plan


def test_ties_on_the_issue_date_are_broken_by_invoice_number() -> None:
    invoices = [
        OpenInvoice(2, "INV-0002", START, Decimal("100.00")),
        OpenInvoice(1, "INV-0001", START, Decimal("100.00")),
        OpenInvoice(3, "INV-0000", START + timedelta(days=1), Decimal("100.00")),
    ]
    plan = allocate_oldest_first(Decimal("150.00"), invoices)
    assert plan == AllocationPlan(
        (Allocation(1, Decimal("100.00")), Allocation(2, Decimal("50.00"))), ZERO
    )


def test_zero_balances_are_skipped() -> None:
    invoices = [
        OpenInvoice(1, "INV-0001", START, ZERO),
        OpenInvoice(2, "INV-0002", START, Decimal("10.00")),
    ]
    plan = allocate_oldest_first(Decimal("25.00"), invoices)
    assert plan == AllocationPlan((Allocation(2, Decimal("10.00")),), Decimal("15.00"))


@pytest.mark.parametrize("amount", [ZERO, Decimal("-5.00")])
def test_a_payment_must_be_positive(amount: Decimal) -> None:
    with pytest.raises(AllocationError) as caught:
        allocate_oldest_first(amount, [])
    assert caught.value.field == "amount"


INVOICES = [
    OpenInvoice(1, "INV-0001", START, Decimal("100.00")),
    OpenInvoice(2, "INV-0002", START, Decimal("50.00")),
]


def test_manual_over_allocation_is_rejected_naming_the_invoice() -> None:
    with pytest.raises(AllocationError) as caught:
        check_allocations(Decimal("500.00"), [Allocation(2, Decimal("50.01"))], INVOICES)
    assert "INV-0002" in str(caught.value)
    assert caught.value.field == "allocation"


def test_manual_allocations_cannot_add_up_to_more_than_the_payment() -> None:
    allocations = [Allocation(1, Decimal("60.00")), Allocation(2, Decimal("50.00"))]
    with pytest.raises(AllocationError):
        check_allocations(Decimal("100.00"), allocations, INVOICES)


@pytest.mark.parametrize(
    "allocations",
    [
        [Allocation(3, Decimal("1.00"))],
        [Allocation(1, ZERO)],
        [Allocation(1, Decimal("-1.00"))],
        [Allocation(1, Decimal("1.00")), Allocation(1, Decimal("1.00"))],
    ],
)
def test_manual_allocations_to_unknown_invoices_or_of_no_money_are_rejected(
    allocations: list[Allocation],
) -> None:
    with pytest.raises(AllocationError):
        check_allocations(Decimal("100.00"), allocations, INVOICES)


def test_valid_manual_allocations_leave_the_rest_unapplied() -> None:
    allocations = [Allocation(2, Decimal("50.00")), Allocation(1, Decimal("10.00"))]
    plan = check_allocations(Decimal("100.00"), allocations, INVOICES)
    assert plan == AllocationPlan(tuple(allocations), Decimal("40.00"))


class PaymentsNeverMakeABalanceWrong(RuleBasedStateMachine):
    """No sequence of invoices, credit notes and payments makes a balance wrong."""

    @initialize()
    def start_with_no_invoices(self) -> None:
        self.totals: dict[int, Decimal] = {}
        self.credited: dict[int, Decimal] = {}
        self.paid: dict[int, Decimal] = {}
        self.issued_on: dict[int, date] = {}
        self.received = ZERO
        self.unapplied = ZERO

    def _open_invoices(self) -> list[OpenInvoice]:
        return [
            OpenInvoice(
                invoice_id,
                f"INV-{invoice_id:04d}",
                self.issued_on[invoice_id],
                invoice_balance(total, self.credited[invoice_id], self.paid[invoice_id]),
            )
            for invoice_id, total in self.totals.items()
        ]

    def _apply(self, plan: AllocationPlan) -> None:
        for allocation in plan.allocations:
            self.paid[allocation.invoice_id] += allocation.amount

    @rule(total=balances, days_later=st.integers(min_value=0, max_value=3))
    def issue_an_invoice(self, total: Decimal, days_later: int) -> None:
        invoice_id = len(self.totals) + 1
        latest = max(self.issued_on.values(), default=START)
        self.totals[invoice_id] = total
        self.credited[invoice_id] = ZERO
        self.paid[invoice_id] = ZERO
        self.issued_on[invoice_id] = latest + timedelta(days=days_later)

    @rule(amount=payments)
    def receive_a_payment_applied_oldest_first(self, amount: Decimal) -> None:
        plan = allocate_oldest_first(amount, self._open_invoices())
        self.received += amount
        self.unapplied += plan.unapplied
        self._apply(plan)

    @rule(amount=payments, data=st.data())
    def receive_a_payment_allocated_by_hand(self, amount: Decimal, data: st.DataObject) -> None:
        left = amount
        allocations = []
        for invoice in self._open_invoices():
            most = min(left, invoice.balance)
            if most <= 0 or not data.draw(st.booleans()):
                continue
            cents = data.draw(st.integers(min_value=1, max_value=int(most * 100)))
            allocations.append(Allocation(invoice.invoice_id, Decimal(cents).scaleb(-2)))
            left -= allocations[-1].amount
        plan = check_allocations(amount, allocations, self._open_invoices())
        self.received += amount
        self.unapplied += plan.unapplied
        self._apply(plan)

    @precondition(lambda self: self.unapplied > 0)
    @rule()
    def apply_money_held_on_account(self) -> None:
        plan = allocate_oldest_first(self.unapplied, self._open_invoices())
        self.unapplied = plan.unapplied
        self._apply(plan)

    @precondition(lambda self: bool(self.totals))
    @rule(data=st.data())
    def issue_a_credit_note(self, data: st.DataObject) -> None:
        invoice = data.draw(st.sampled_from(self._open_invoices()))
        if invoice.balance > 0:
            cents = data.draw(st.integers(min_value=1, max_value=int(invoice.balance * 100)))
            self.credited[invoice.invoice_id] += Decimal(cents).scaleb(-2)

    def _account(self) -> AccountBalance:
        return AccountBalance(
            invoiced=sum(self.totals.values(), ZERO),
            credited=sum(self.credited.values(), ZERO),
            paid=sum(self.paid.values(), ZERO),
            unapplied=self.unapplied,
        )

    @invariant()
    def no_balance_is_negative(self) -> None:
        assert all(invoice.balance >= 0 for invoice in self._open_invoices())
        assert self.unapplied >= 0

    @invariant()
    def open_balances_add_up_to_the_balance_due(self) -> None:
        balances_total = sum((invoice.balance for invoice in self._open_invoices()), ZERO)
        assert balances_total == self._account().balance_due

    @invariant()
    def every_payment_received_is_either_allocated_or_held_on_account(self) -> None:
        account = self._account()
        assert account.paid + account.unapplied == self.received
        assert account.net == account.invoiced - account.credited - self.received


TestPaymentsNeverMakeABalanceWrong = PaymentsNeverMakeABalanceWrong.TestCase
