"""Adjustments after billing: credit notes whole or per line, write-offs, the approval step
above the policy threshold, reasons from the firm's list, all audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.app.receivables_aging_firm import bill

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.billing.invoicing import issue_credit_note
from lexbill.billing.models import CreditNote, CreditNoteLine, Invoice
from lexbill.clients.services import open_matter
from lexbill.core.errors import InvalidEntry, InvalidTransition, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.core.invoice_math import line_tax
from lexbill.entries.services import TimeDraft, record_time
from lexbill.receivables.adjustments import (
    approve_adjustment,
    reject_adjustment,
    request_credit_note,
    request_write_off,
    save_adjustment_reason,
    update_collections_policy,
)
from lexbill.receivables.models import AdjustmentRequest, RequestStatus, WriteOff
from lexbill.receivables.selectors import (
    adjustment_reasons,
    collections_policy,
    invoice_balance,
    pending_requests,
)
from lexbill.receivables.services import post_payment


@pytest.fixture
def invoice(small_firm: Any) -> Invoice:
    """Acme: 3 hours of partner time at 500.00, so 1,500.00, above the 500.00 threshold."""
    return bill(small_firm, small_firm.acme_hourly, date(2026, 3, 2), "3")


@pytest.fixture
def taxed(small_firm: Any) -> Invoice:
    """Globex (19% VAT): the flat fee plus time lines, each taxed on its own."""
    f = small_firm
    matter = open_matter(
        None, f.globex, "C002-009", "Globex advice", f.partner, opened_on=date(2026, 1, 1)
    )
    record_time(
        f.clara, TimeDraft(matter, f.associate, date(2026, 3, 1), hours_to_seconds("1.3"), "Call")
    )
    return bill(f, matter, date(2026, 3, 2), "0.7")


def test_the_policy_and_the_default_reasons_exist_on_first_use(db: Any) -> None:
    policy = collections_policy()
    assert policy.pk == collections_policy().pk
    codes = set(adjustment_reasons().values_list("code", flat=True))
    assert {"BILLING_ERROR", "UNCOLLECTIBLE", "SMALL_BALANCE", "PROMPT_PAYMENT"} <= codes
    assert "UNCOLLECTIBLE" not in set(
        adjustment_reasons("credit_note").values_list("code", flat=True)
    )


def test_a_write_off_under_the_threshold_posts_at_once_and_is_audited(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    before = invoice_balance(invoice)
    with acting_as(f.sam, "web"):
        posted = request_write_off(
            f.sam, invoice, "120.00", "small_balance", date(2026, 5, 1), "client closed"
        )
    assert isinstance(posted, WriteOff)
    assert invoice_balance(invoice) == before - Decimal("120.00")
    assert posted.reason.code == "SMALL_BALANCE"
    assert AuditRecord.objects.filter(
        model="receivables.WriteOff", object_id=str(posted.pk), actor=f.sam, action="create"
    ).exists()


def test_above_the_threshold_a_specialist_gets_a_pending_request_that_changes_nothing(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    before = invoice_balance(invoice)
    threshold = collections_policy().approval_threshold
    asked = threshold + Decimal("0.01")
    pending = request_write_off(f.sam, invoice, asked, "UNCOLLECTIBLE", note="gone bust")
    assert isinstance(pending, AdjustmentRequest)
    assert pending.status == RequestStatus.PENDING
    assert invoice_balance(invoice) == before
    assert list(pending_requests(invoice)) == [pending]
    with pytest.raises(PermissionDenied):
        approve_adjustment(f.clara, pending)
    with acting_as(f.carol, "web"):
        approved = approve_adjustment(f.carol, pending, "ok", on=date(2026, 5, 2))
    assert approved.status == RequestStatus.APPROVED
    assert approved.write_off is not None
    assert approved.write_off.amount == asked
    assert approved.write_off.approved_by == f.carol
    assert approved.write_off.written_off_on == date(2026, 5, 2)
    assert invoice_balance(invoice) == before - asked
    assert AuditRecord.objects.filter(
        model="receivables.AdjustmentRequest", object_id=str(pending.pk), actor=f.carol
    ).exists()
    with pytest.raises(InvalidTransition, match="approved"):
        reject_adjustment(f.alice, pending)


def test_the_requester_may_not_approve_their_own_request_even_once_promoted(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    pending = request_write_off(f.sam, invoice, "900.00", "UNCOLLECTIBLE")
    f.sam.role = "coordinator"
    f.sam.save()
    with pytest.raises(PermissionDenied, match="may not decide it"):
        approve_adjustment(f.sam, pending)
    with pytest.raises(PermissionDenied, match="may not decide it"):
        reject_adjustment(f.sam, pending)
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING


def test_a_rejected_request_posts_nothing(small_firm: Any, invoice: Invoice) -> None:
    f = small_firm
    before = invoice_balance(invoice)
    pending = request_credit_note(f.sam, invoice, None, "FEE_DISPUTE", "client objects")
    assert isinstance(pending, AdjustmentRequest)
    rejected = reject_adjustment(f.carol, pending, "explained instead")
    assert rejected.status == RequestStatus.REJECTED
    assert rejected.decided_by == f.carol
    assert invoice_balance(invoice) == before
    assert not CreditNote.objects.exists()
    with pytest.raises(InvalidTransition, match="rejected"):
        approve_adjustment(f.alice, pending)


def test_an_approver_posts_above_the_threshold_at_once(small_firm: Any, invoice: Invoice) -> None:
    f = small_firm
    note = request_credit_note(f.carol, invoice, None, "BILLING_ERROR", "wrong matter")
    assert isinstance(note, CreditNote)
    assert note.reason_code == "BILLING_ERROR"
    assert invoice_balance(invoice) == 0
    assert not AdjustmentRequest.objects.exists()


def test_the_reason_must_be_an_active_one_for_the_kind(small_firm: Any, invoice: Invoice) -> None:
    f = small_firm
    with pytest.raises(InvalidEntry, match="not an active reason for a write-off"):
        request_write_off(f.sam, invoice, "10.00", "BILLING_ERROR")
    save_adjustment_reason(f.carol, "small_balance", "Small balance", "write_off", active=False)
    with pytest.raises(InvalidEntry, match="not an active reason"):
        request_write_off(f.sam, invoice, "10.00", "SMALL_BALANCE")
    save_adjustment_reason(f.carol, "COURTESY", "Courtesy", "any")
    assert isinstance(request_write_off(f.sam, invoice, "10.00", "courtesy"), WriteOff)
    with pytest.raises(PermissionDenied):
        save_adjustment_reason(f.sam, "X", "x")


def test_a_write_off_cannot_exceed_the_open_balance(small_firm: Any, invoice: Invoice) -> None:
    f = small_firm
    post_payment(f.clara, f.acme, "1400.00", date(2026, 3, 20))
    left = invoice_balance(invoice)
    with pytest.raises(InvalidEntry, match=f"has {left} USD open"):
        request_write_off(f.carol, invoice, left + Decimal("0.01"), "SMALL_BALANCE")
    everything = request_write_off(f.sam, invoice, None, "SMALL_BALANCE")
    assert isinstance(everything, WriteOff)
    assert everything.amount == left
    assert invoice_balance(invoice) == 0
    with pytest.raises(InvalidEntry, match="nothing open"):
        request_write_off(f.sam, invoice, None, "SMALL_BALANCE")


def test_a_clerk_may_not_adjust(small_firm: Any, invoice: Invoice) -> None:
    with pytest.raises(PermissionDenied):
        request_write_off(small_firm.clara, invoice, "1.00", "SMALL_BALANCE")
    with pytest.raises(PermissionDenied):
        request_credit_note(small_firm.clara, invoice, "1.00", "BILLING_ERROR")


def test_a_credit_per_line_taxes_each_line_and_refuses_more_than_is_left(
    small_firm: Any, taxed: Invoice
) -> None:
    f = small_firm
    first, second = list(taxed.lines.order_by("position"))[:2]
    rate = taxed.tax_rate_percent
    wanted = {first.pk: Decimal("33.33"), second.pk: Decimal("10.05")}
    before = invoice_balance(taxed)
    note = issue_credit_note(
        f.carol, taxed, None, "hours cut", reason_code="BILLING_ERROR", lines=wanted
    )
    expected_tax = sum((line_tax(v, rate, "USD") for v in wanted.values()), Decimal(0))
    assert note.amount == sum(wanted.values(), Decimal(0))
    assert note.tax == expected_tax
    assert invoice_balance(taxed) == before - note.amount - expected_tax
    rows = {r.invoice_line_id: (r.amount, r.tax) for r in CreditNoteLine.objects.all()}
    assert rows == {k: (v, line_tax(v, rate, "USD")) for k, v in wanted.items()}

    left = first.total - Decimal("33.33")
    with pytest.raises(InvalidEntry, match=f"line {first.position} has {left} USD left"):
        issue_credit_note(f.carol, taxed, None, "again", lines={first.pk: left + Decimal("0.01")})
    with pytest.raises(InvalidEntry, match="not a line of this invoice"):
        issue_credit_note(f.carol, taxed, None, "x", lines={999999: Decimal("1.00")})
    rest = issue_credit_note(f.carol, taxed, None, "rest of line", lines={first.pk: left})
    assert rest.amount == left


def test_a_per_line_request_above_the_threshold_waits_and_posts_its_lines(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    line = invoice.lines.get()
    pending = request_credit_note(
        f.sam, invoice, None, "CLIENT_RELATIONS", lines={line.pk: Decimal("600.00")}
    )
    assert isinstance(pending, AdjustmentRequest)
    assert pending.line_amounts == {str(line.pk): "600.00"}
    approved = approve_adjustment(f.alice, pending)
    assert approved.credit_note is not None
    assert list(approved.credit_note.lines.values_list("invoice_line_id", "amount")) == [
        (line.pk, Decimal("600.00"))
    ]
    assert approved.credit_note.reason_code == "CLIENT_RELATIONS"


def test_the_threshold_is_the_firms_setting(small_firm: Any, invoice: Invoice) -> None:
    f = small_firm
    update_collections_policy(f.carol, approval_threshold=Decimal("50.00"))
    assert isinstance(request_write_off(f.sam, invoice, "50.00", "SMALL_BALANCE"), WriteOff)
    assert isinstance(
        request_write_off(f.sam, invoice, "50.01", "SMALL_BALANCE"), AdjustmentRequest
    )
    with pytest.raises(InvalidEntry, match="cannot be negative"):
        update_collections_policy(f.carol, approval_threshold=Decimal("-1"))
    with pytest.raises(PermissionDenied):
        update_collections_policy(f.sam, approval_threshold=Decimal("1"))


def test_an_approval_that_no_longer_fits_the_balance_posts_nothing(
    small_firm: Any, invoice: Invoice
) -> None:
    f = small_firm
    pending = request_write_off(f.sam, invoice, "1000.00", "UNCOLLECTIBLE")
    post_payment(f.clara, f.acme, "1000.00", date(2026, 3, 20))
    with pytest.raises(InvalidEntry, match="cannot be written off"):
        approve_adjustment(f.carol, pending)
    pending.refresh_from_db()
    assert pending.status == RequestStatus.PENDING
    assert not WriteOff.objects.exists()
