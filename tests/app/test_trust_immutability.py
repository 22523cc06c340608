"""The trust journal is written once: postings, foundation interest, refusals and signed
reconciliations refuse every change, every posting is audited, a mistake is corrected by one
reversal pointing at it, and nothing is posted into a month already signed off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import models
from django.utils import timezone
from tests.app.receivables_aging_firm import bill
from tests.app.trust_firm import TrustFirm, build_trust_firm

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.core.errors import ImmutableRecord, InvalidTransition, TrustRuleViolation
from lexbill.trust.models import (
    FoundationInterest,
    RefusedAttempt,
    SignedReconciliation,
    TrustAccount,
    TrustLedger,
    TrustTransaction,
)
from lexbill.trust.selectors import journal_balance, ledger_balance, ledgers_with_balances
from lexbill.trust.services import (
    bank_charge,
    deposit,
    deposit_firm_funds,
    disburse,
    record_interest,
    refund,
    remit_foundation_interest,
    reverse,
    transfer_earned_fees,
    withdraw_firm_funds,
)

DAY = date(2026, 3, 2)
APRIL = date(2026, 4, 6)


@pytest.fixture
def t(small_firm: Any) -> TrustFirm:
    return build_trust_firm(small_firm)


def _funded(t: TrustFirm, amount: str = "2000.00", on: date = DAY) -> TrustLedger:
    f = t.f
    deposit(f.clara, t.iolta, f.acme_hourly, amount, on, payor="Acme Corp", method="wire")
    return TrustLedger.objects.get(account=t.iolta, matter=f.acme_hourly)


def _refuses_every_change(record: models.Model, field: str, value: Any) -> None:
    """save, delete, and a queryset's update and delete all raise; the row is as it was."""
    model: Any = type(record)
    stored = model.objects.filter(pk=record.pk).values(field).get()
    setattr(record, field, value)
    with pytest.raises(ImmutableRecord):
        record.save()
    with pytest.raises(ImmutableRecord):
        record.delete()
    with pytest.raises(ImmutableRecord):
        model.objects.filter(pk=record.pk).update(**{field: value})
    with pytest.raises(ImmutableRecord):
        model.objects.filter(pk=record.pk).delete()
    with pytest.raises(ImmutableRecord):
        model.objects.all().delete()
    assert model.objects.filter(pk=record.pk).values(field).get() == stored


def _signed(account: TrustAccount, start: date, end: date, by: Any) -> SignedReconciliation:
    """A month signed off, made directly: the reconciliation service is not what is tested."""
    balance = journal_balance(account, end)
    ledgers = sum(
        (lg.balance for lg in ledgers_with_balances(account, end)),  # type: ignore[attr-defined]
        Decimal(0),
    )
    return SignedReconciliation.objects.create(
        account=account,
        period_start=start,
        period_end=end,
        statement_balance=balance,
        adjusted_bank_balance=balance,
        journal_balance=balance,
        ledgers_total=ledgers,
        snapshot={"journal": str(balance)},
        signed_at=timezone.now(),
        signed_by=by,
    )


def test_a_posted_trust_transaction_refuses_every_change(t: TrustFirm) -> None:
    posting = TrustTransaction.objects.get(pk=_funded(t).postings.get().pk)
    _refuses_every_change(posting, "amount", Decimal("1.00"))
    assert ledger_balance(posting.ledger) == Decimal("2000.00")


def test_foundation_interest_refuses_every_change(t: TrustFirm) -> None:
    credited = record_interest(t.f.sam, t.iolta, "4.10", DAY)
    assert isinstance(credited, FoundationInterest)
    _refuses_every_change(credited, "amount", Decimal("0.01"))


def test_a_refused_attempt_refuses_every_change(t: TrustFirm) -> None:
    ledger = _funded(t)
    with pytest.raises(TrustRuleViolation):
        refund(t.f.sam, ledger, "2000.01", DAY, reference="71")
    attempt = RefusedAttempt.objects.get()
    _refuses_every_change(attempt, "reason", "nothing happened")


def test_a_signed_reconciliation_refuses_every_change(t: TrustFirm) -> None:
    _funded(t)
    signed = _signed(t.iolta, date(2026, 3, 1), date(2026, 3, 31), t.f.carol)
    _refuses_every_change(signed, "journal_balance", Decimal("0.00"))


def test_every_posting_leaves_an_audit_record_with_who_and_what(t: TrustFirm) -> None:
    f = t.f
    invoice = bill(f, f.acme_hourly, DAY, "1")
    with acting_as(f.carol, "web"):
        ledger = _funded(t)
        made: list[Any] = [
            ledger.postings.get(),
            deposit_firm_funds(f.carol, t.iolta, "50.00", DAY),
            bank_charge(f.carol, t.iolta, "12.00", DAY),
            withdraw_firm_funds(f.carol, t.iolta, "8.00", DAY),
            disburse(
                f.carol, ledger, "100.00", DAY, payee="Court", purpose="filing", reference="9001"
            ),
            refund(f.carol, ledger, "50.00", DAY, reference="9002"),
            transfer_earned_fees(f.carol, ledger, invoice, "200.00", DAY, notice_sent_on=DAY),
            record_interest(f.carol, t.iolta, "3.00", DAY),
            remit_foundation_interest(f.carol, t.iolta, "3.00", DAY),
        ]
        made.append(reverse(f.carol, made[4], DAY, "check voided"))
    for posting in made:
        label = f"trust.{type(posting).__name__}"
        audit = AuditRecord.objects.get(model=label, object_id=str(posting.pk), action="create")
        assert (audit.actor, audit.channel) == (f.carol, "web")
        assert audit.after is not None
        assert Decimal(str(audit.after["amount"])) == posting.amount
    event = AuditRecord.objects.get(model="trust.TrustTransaction", action="event")
    assert event.object_id == str(made[4].pk) and "check voided" in event.summary


def test_a_reversal_points_at_what_it_reverses_and_a_second_one_is_refused(
    t: TrustFirm,
) -> None:
    f = t.f
    ledger = _funded(t)
    check = disburse(
        f.sam, ledger, "300.00", DAY, payee="Expert", purpose="report", reference="9003"
    )
    reversal = reverse(f.carol, check, DAY, "check voided")
    assert reversal.reverses == check and check.reversal == reversal
    assert reversal.amount == -check.amount
    with pytest.raises(InvalidTransition, match="already reversed"):
        reverse(f.carol, check, DAY, "voided again")
    with pytest.raises(InvalidTransition, match="not reversed"):
        reverse(f.carol, reversal, DAY, "undo the void")
    assert TrustTransaction.objects.filter(kind="reversal").count() == 1
    assert ledger_balance(ledger) == Decimal("2000.00")
    refused = list(RefusedAttempt.objects.order_by("pk"))
    assert [(r.operation, r.ledger, r.details["error"]) for r in refused] == [
        ("reversal", ledger, "InvalidTransition"),
        ("reversal", ledger, "InvalidTransition"),
    ]


def test_a_bounce_entered_late_may_not_leave_the_ledger_below_zero_in_between(
    t: TrustFirm,
) -> None:
    # the check cleared and was spent; a later deposit covers today's balance, but the bounce
    # dated before that deposit would leave the ledger negative for the days in between
    f = t.f
    first = deposit(
        f.clara, t.iolta, f.acme_hourly, "800.00", DAY, payor="Acme Corp", reference="1042"
    )
    ledger = first.ledger
    disburse(
        f.sam,
        ledger,
        "800.00",
        date(2026, 3, 10),
        payee="Expert",
        purpose="report",
        reference="9004",
    )
    deposit(
        f.clara,
        t.iolta,
        f.acme_hourly,
        "800.00",
        date(2026, 3, 20),
        payor="Acme Corp",
        method="wire",
    )
    with pytest.raises(TrustRuleViolation, match="below zero"):
        reverse(f.carol, first, date(2026, 3, 12), "NSF")
    reversal = reverse(f.carol, first, date(2026, 3, 20), "NSF")
    assert reversal.reverses == first
    for day in (date(2026, 3, 12), date(2026, 3, 20)):
        assert ledger_balance(ledger, day) >= 0


def test_a_bank_charge_dated_before_the_buffer_was_funded_is_refused(t: TrustFirm) -> None:
    f = t.f
    deposit_firm_funds(f.carol, t.iolta, "40.00", date(2026, 3, 10))
    with pytest.raises(TrustRuleViolation, match="buffer"):
        bank_charge(f.sam, t.iolta, "15.00", date(2026, 3, 5))
    assert bank_charge(f.sam, t.iolta, "15.00", date(2026, 3, 10)).amount == Decimal("-15.00")


PostingCall = Callable[[TrustFirm, TrustLedger, date], Any]

SERVICES: dict[str, PostingCall] = {
    "deposit": lambda t, lg, on: deposit(
        t.f.clara, t.iolta, t.f.acme_hourly, "10.00", on, payor="Acme Corp", method="cash"
    ),
    "disbursement": lambda t, lg, on: disburse(
        t.f.sam, lg, "10.00", on, payee="Court", purpose="filing", reference="9005"
    ),
    "refund": lambda t, lg, on: refund(t.f.sam, lg, "10.00", on, reference="9006"),
    "bank charge": lambda t, lg, on: bank_charge(t.f.sam, t.iolta, "1.00", on),
    "buffer deposit": lambda t, lg, on: deposit_firm_funds(t.f.carol, t.iolta, "10.00", on),
    "interest": lambda t, lg, on: record_interest(t.f.sam, t.iolta, "1.00", on),
    "reversal": lambda t, lg, on: reverse(t.f.carol, lg.postings.earliest("pk"), on, "NSF"),
}


@pytest.mark.parametrize("operation", list(SERVICES))
def test_nothing_is_posted_into_a_month_already_signed_off(t: TrustFirm, operation: str) -> None:
    f = t.f
    ledger = _funded(t)
    deposit_firm_funds(f.carol, t.iolta, "20.00", DAY)
    _signed(t.iolta, date(2026, 3, 1), date(2026, 3, 31), f.carol)
    before = TrustTransaction.objects.count(), FoundationInterest.objects.count()
    with pytest.raises(TrustRuleViolation, match="signed off through 2026-03-31"):
        SERVICES[operation](t, ledger, date(2026, 3, 31))
    assert (TrustTransaction.objects.count(), FoundationInterest.objects.count()) == before
    attempt = RefusedAttempt.objects.get()
    assert (attempt.operation, attempt.details["field"]) == (operation, "entered_on")
    SERVICES[operation](t, ledger, APRIL)  # the open month takes it
    assert RefusedAttempt.objects.count() == 1


def test_a_fee_transfer_into_a_signed_month_is_refused_and_pays_nothing(t: TrustFirm) -> None:
    f = t.f
    ledger = _funded(t)
    invoice = bill(f, f.acme_hourly, DAY, "1")
    _signed(t.iolta, date(2026, 3, 1), date(2026, 3, 31), f.carol)
    with pytest.raises(TrustRuleViolation, match="signed off"):
        transfer_earned_fees(f.sam, ledger, invoice, "100.00", DAY, notice_sent_on=DAY)
    assert not invoice.allocations.exists()
    assert RefusedAttempt.objects.get().amount == Decimal("100.00")
    other = _signed(t.separate, date(2026, 3, 1), date(2026, 3, 31), f.carol)
    assert other.account == t.separate  # each account is signed off on its own
    posting = transfer_earned_fees(f.sam, ledger, invoice, "100.00", APRIL, notice_sent_on=APRIL)
    assert posting.payment is not None
