"""The client-money rules each trust service enforces, and the refusals it logs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.app.receivables_aging_firm import bill
from tests.app.trust_firm import TrustFirm, build_trust_firm

from lexbill.core.errors import PermissionDenied, TrustRuleViolation
from lexbill.receivables.models import Payment
from lexbill.trust.models import RefusedAttempt, TrustLedger, TrustTransaction
from lexbill.trust.selectors import (
    cleared_balance,
    foundation_interest_held,
    journal_balance,
    ledger_balance,
    ledgers_with_balances,
    trust_policy,
)
from lexbill.trust.services import (
    bank_charge,
    deposit,
    deposit_firm_funds,
    disburse,
    record_interest,
    refund,
    reverse,
    transfer_earned_fees,
)

DAY = date(2026, 3, 2)


@pytest.fixture
def t(small_firm: Any) -> TrustFirm:
    return build_trust_firm(small_firm)


def _ledger(t: TrustFirm) -> TrustLedger:
    return TrustLedger.objects.get(account=t.iolta, matter=t.f.acme_hourly)


def test_a_wire_is_available_at_once_and_a_check_after_the_policy_hold(t: TrustFirm) -> None:
    f = t.f
    deposit(f.clara, t.iolta, f.acme_hourly, "1000.00", DAY, payor="Acme Corp", method="wire")
    deposit(f.clara, t.iolta, f.acme_hourly, "500.00", DAY, payor="Acme Corp", reference="1042")
    ledger = _ledger(t)
    hold = trust_policy().check_hold_days
    assert ledger_balance(ledger) == Decimal("1500.00")
    assert cleared_balance(ledger, DAY) == Decimal("1000.00")
    assert cleared_balance(ledger, DAY + timedelta(days=hold)) == Decimal("1500.00")


def test_a_disbursement_above_cleared_funds_is_refused_changes_nothing_and_is_logged(
    t: TrustFirm,
) -> None:
    f = t.f
    deposit(f.clara, t.iolta, f.acme_hourly, "1000.00", DAY, payor="Acme Corp", method="wire")
    deposit(f.clara, t.iolta, f.acme_hourly, "500.00", DAY, payor="Acme Corp", reference="1042")
    ledger = _ledger(t)
    before = list(TrustTransaction.objects.values_list("pk", flat=True))
    with pytest.raises(TrustRuleViolation, match="cleared funds"):
        disburse(f.sam, ledger, "1200.00", DAY, payee="Court", purpose="filing", reference="9001")
    assert list(TrustTransaction.objects.values_list("pk", flat=True)) == before
    refused = RefusedAttempt.objects.get()
    assert (refused.user, refused.operation, refused.ledger, refused.amount) == (
        f.sam,
        "disbursement",
        ledger,
        Decimal("1200.00"),
    )
    assert "cleared funds" in refused.reason


def test_no_ledger_goes_below_zero_and_a_clerk_may_not_pay_out(t: TrustFirm) -> None:
    f = t.f
    deposit(f.clara, t.iolta, f.acme_hourly, "300.00", DAY, payor="Acme Corp", method="cash")
    ledger = _ledger(t)
    with pytest.raises(TrustRuleViolation, match="below zero"):
        refund(f.sam, ledger, "300.01", DAY, reference="77")
    with pytest.raises(PermissionDenied):
        refund(f.clara, ledger, "100.00", DAY, reference="77")
    refund(f.sam, ledger, "300.00", DAY, reference="77")
    assert ledger_balance(ledger) == 0
    assert RefusedAttempt.objects.count() == 2


def test_firm_money_only_in_the_capped_buffer_and_bank_charges_only_from_it(t: TrustFirm) -> None:
    f = t.f
    with pytest.raises(TrustRuleViolation, match="commingling"):
        deposit(f.clara, t.iolta, f.acme_hourly, "50.00", DAY, payor=f.firm.name, method="cash")
    cap = trust_policy().buffer_cap
    with pytest.raises(TrustRuleViolation, match="cap"):
        deposit_firm_funds(f.carol, t.iolta, cap + Decimal("0.01"), DAY)
    deposit_firm_funds(f.carol, t.iolta, "25.00", DAY)
    deposit(f.clara, t.iolta, f.acme_hourly, "1000.00", DAY, payor="Acme Corp", method="wire")
    with pytest.raises(TrustRuleViolation, match="buffer"):
        bank_charge(f.sam, t.iolta, "25.01", DAY)
    charge = bank_charge(f.sam, t.iolta, "25.00", DAY)
    assert charge.ledger.kind == "buffer"
    assert ledger_balance(_ledger(t)) == Decimal("1000.00")


def test_iolta_interest_is_held_for_the_foundation_and_never_enters_a_ledger(
    t: TrustFirm,
) -> None:
    f = t.f
    deposit(f.clara, t.iolta, f.acme_hourly, "1000.00", DAY, payor="Acme Corp", method="wire")
    record_interest(f.sam, t.iolta, "1.25", DAY)
    with pytest.raises(TrustRuleViolation, match="bar foundation"):
        record_interest(f.sam, t.iolta, "1.25", DAY, matter=f.acme_hourly)
    assert foundation_interest_held(t.iolta) == Decimal("1.25")
    assert journal_balance(t.iolta) == Decimal("1000.00")
    deposit(f.clara, t.separate, f.acme_capped, "2000.00", DAY, payor="Acme Corp", method="wire")
    record_interest(f.sam, t.separate, "3.10", DAY)
    assert journal_balance(t.separate) == Decimal("2003.10")


def test_earned_fees_leave_trust_only_against_a_final_invoice_and_pay_it(t: TrustFirm) -> None:
    f = t.f
    deposit(f.clara, t.iolta, f.acme_hourly, "5000.00", DAY, payor="Acme Corp", method="wire")
    invoice = bill(f, f.acme_hourly, DAY, "2.0")
    other = bill(f, f.acme_capped, DAY, "1.0")
    ledger = _ledger(t)
    with pytest.raises(TrustRuleViolation, match="same matter"):
        transfer_earned_fees(f.sam, ledger, other, "100.00", DAY, notice_sent_on=DAY)
    with pytest.raises(TrustRuleViolation, match="unearned"):
        transfer_earned_fees(
            f.sam, ledger, invoice, invoice.total + Decimal("0.01"), DAY, notice_sent_on=DAY
        )
    posting = transfer_earned_fees(f.sam, ledger, invoice, invoice.total, DAY, notice_sent_on=DAY)
    assert posting.payment is not None and posting.payment.method == "trust"
    assert ledger_balance(ledger) == Decimal("5000.00") - invoice.total
    reversal = reverse(f.carol, posting, DAY, "wrong invoice")
    assert ledger_balance(ledger) == Decimal("5000.00")
    assert reversal.reverses == posting
    assert Payment.objects.filter(corrects=posting.payment, kind="reversal").exists()


def test_a_bounced_deposit_already_spent_cannot_be_reversed(t: TrustFirm) -> None:
    f = t.f
    first = deposit(
        f.clara, t.iolta, f.acme_hourly, "800.00", DAY, payor="Acme Corp", method="wire"
    )
    ledger = _ledger(t)
    disburse(f.sam, ledger, "500.00", DAY, payee="Expert", purpose="report", reference="9002")
    with pytest.raises(TrustRuleViolation, match="below zero"):
        reverse(f.carol, first, DAY, "NSF")
    balances = {lg.pk: lg.balance for lg in ledgers_with_balances(t.iolta)}  # type: ignore[attr-defined]
    assert balances[ledger.pk] == Decimal("300.00")
