"""No sequence of payments, credits and re-applied credit makes a balance wrong (in the DB)."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill, issue_credit_note
from lexbill.billing.models import Invoice, Prebill
from lexbill.billing.prebills import approve_prebill
from lexbill.billing.selectors import client_balance, unapplied_credit, with_balances
from lexbill.core.errors import InvalidEntry
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from lexbill.receivables.models import Payment
from lexbill.receivables.services import apply_unapplied_credit, post_payment


@pytest.fixture
def acme_invoices(small_firm: Any) -> Any:
    f = small_firm
    for month, hours in ((1, "2.5"), (2, "1.3"), (3, "4")):
        record_time(
            f.clara,
            TimeDraft(
                f.acme_hourly, f.partner, date(2026, month, 5), hours_to_seconds(hours), "Work"
            ),
        )
        prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, month, 28)))
        approve_prebill(f.carol, prebill)
        finalize_prebill(f.sam, prebill, issued_on=date(2026, month, 28))
    return f


steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=400_000)),
        st.tuples(st.just("credit"), st.integers(min_value=1, max_value=100_000)),
        st.tuples(st.just("apply"), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_no_sequence_of_payments_makes_a_balance_wrong(acme_invoices: Any, steps: Any) -> None:
    f = acme_invoices
    with transaction.atomic():
        for kind, cents in steps:
            amount = Decimal(cents).scaleb(-2)
            if kind == "pay":
                post_payment(f.clara, f.acme, amount, date(2026, 4, 1))
            elif kind == "credit":
                target = with_balances(Invoice.objects.filter(client=f.acme)).order_by("-id")[0]
                with suppress(InvalidEntry):  # more than is left to credit: refused
                    issue_credit_note(f.carol, target, amount, "adjustment")
            else:
                apply_unapplied_credit(f.clara, f.acme)
            invoices = list(with_balances(Invoice.objects.filter(client=f.acme)))
            account = client_balance(f.acme)
            received = sum((p.amount for p in Payment.objects.filter(client=f.acme)), Decimal(0))
            assert all(inv.balance >= 0 for inv in invoices)  # type: ignore[attr-defined]
            assert sum((inv.balance for inv in invoices), Decimal(0)) == account.balance_due  # type: ignore[attr-defined]
            assert account.unapplied == received - account.paid
            assert account.net == account.invoiced - account.credited - received
            assert unapplied_credit(f.acme) >= 0
        transaction.set_rollback(True)
