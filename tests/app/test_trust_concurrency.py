"""Two people paying out of one client's trust ledger at the same moment: the row lock decides.

On PostgreSQL each payment runs in its own thread with its own connection; a barrier holds both
inside their transactions, each having read the ledger's balance, before either pays. Without
the lock both would see the whole balance and both would pay; with it the second waits for the
first to commit, sees what is left, and is refused. SQLite lets one writer in at a time (and its
in-memory test database can't be shared between threads), so there the two payments come one
after the other, in the order the lock gives on PostgreSQL (as tests/app/test_banking.py does).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction
from tests.app.receivables_aging_firm import bill
from tests.app.trust_firm import TrustFirm, build_trust_firm

from lexbill.core.errors import TrustRuleViolation
from lexbill.receivables.models import Payment
from lexbill.trust.models import RefusedAttempt, TrustLedger, TrustTransaction
from lexbill.trust.selectors import cleared_balance, journal_balance, ledger_balance
from lexbill.trust.services import deposit, disburse, transfer_earned_fees

DAY = date(2026, 3, 2)
HELD = Decimal("1000.00")


@pytest.fixture
def funded(small_firm: Any) -> tuple[TrustFirm, TrustLedger]:
    """Acme's IOLTA ledger with 1,000.00 wired in (cleared at once)."""
    t = build_trust_firm(small_firm)
    deposit(
        small_firm.clara,
        t.iolta,
        small_firm.acme_hourly,
        HELD,
        DAY,
        payor="Acme Corp",
        method="wire",
    )
    return t, TrustLedger.objects.get(account=t.iolta, matter=small_firm.acme_hourly)


@dataclass
class Race:
    """What each of two payments did: the posting it made, or the rule that refused it."""

    paid: list[tuple[str, TrustTransaction]] = field(default_factory=list)
    refused: list[tuple[str, TrustRuleViolation]] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    overlapped: list[Decimal] = field(default_factory=list)


def _race(ledger: TrustLedger, payments: dict[str, Callable[[], TrustTransaction]]) -> Race:
    race = Race()
    start = threading.Barrier(len(payments), timeout=30)

    def pay(name: str, payment: Callable[[], TrustTransaction], together: bool) -> None:
        try:
            with transaction.atomic():
                # inside the transaction, having seen the whole balance, before either pays
                race.overlapped.append(ledger_balance(ledger))
                if together:
                    start.wait()
                try:
                    race.paid.append((name, payment()))
                except TrustRuleViolation as refusal:
                    race.refused.append((name, refusal))  # its RefusedAttempt commits here
        except BaseException as exc:  # pragma: no cover - reported by the assertions
            race.failures.append(exc)
        finally:
            if together:
                connections.close_all()

    if connection.vendor == "postgresql":
        threads = [
            threading.Thread(target=pay, args=(name, payment, True))
            for name, payment in payments.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads), "a payment hung"
    else:
        for name, payment in payments.items():
            pay(name, payment, False)
    assert race.failures == []
    return race


@pytest.mark.django_db(transaction=True)
def test_two_disbursements_of_more_than_half_the_balance_at_once_only_one_is_paid(
    funded: tuple[TrustFirm, TrustLedger],
) -> None:
    t, ledger = funded
    f = t.f
    each = HELD / 2 + Decimal("100.00")

    def pay(user: Any, check: str) -> Callable[[], TrustTransaction]:
        return lambda: disburse(
            user, ledger, each, DAY, payee="Expert", purpose="report", reference=check
        )

    race = _race(ledger, {"sam": pay(f.sam, "9001"), "carol": pay(f.carol, "9002")})
    if connection.vendor == "postgresql":
        assert race.overlapped == [HELD, HELD]  # both were in, each seeing all of it
    assert len(race.paid) == 1 and len(race.refused) == 1
    (winner, _), (loser, refusal) = race.paid[0], race.refused[0]
    assert {winner, loser} == {"sam", "carol"}
    assert "below zero" in str(refusal) or "cleared funds" in str(refusal)
    assert ledger_balance(ledger) == HELD - each
    assert cleared_balance(ledger, DAY) == HELD - each
    assert journal_balance(t.iolta) == HELD - each
    assert TrustTransaction.objects.filter(kind="disbursement").count() == 1
    attempt = RefusedAttempt.objects.get()
    assert attempt.user is not None
    assert (attempt.user.username, attempt.operation, attempt.ledger, attempt.amount) == (
        loser,
        "disbursement",
        ledger,
        each,
    )


@pytest.mark.django_db(transaction=True)
def test_a_fee_transfer_racing_a_disbursement_never_takes_out_more_than_the_ledger_holds(
    funded: tuple[TrustFirm, TrustLedger],
) -> None:
    t, ledger = funded
    f = t.f
    invoice = bill(f, f.acme_hourly, DAY, "1.5")
    fees = invoice.total
    cost = HELD - fees + Decimal("50.00")  # either fits alone, both together do not
    assert fees < HELD and cost < HELD and fees + cost > HELD

    race = _race(
        ledger,
        {
            "fees": lambda: transfer_earned_fees(
                f.sam, ledger, invoice, fees, DAY, notice_sent_on=DAY
            ),
            "costs": lambda: disburse(
                f.carol,
                ledger,
                cost,
                DAY,
                payee="Court reporter",
                purpose="deposition",
                reference="9003",
            ),
        },
    )
    assert len(race.paid) == 1 and len(race.refused) == 1
    winner, loser = race.paid[0][0], race.refused[0][0]
    taken_out = -sum(
        (p.amount for p in TrustTransaction.objects.filter(ledger=ledger, amount__lt=0)),
        Decimal(0),
    )
    assert taken_out == (fees if winner == "fees" else cost)
    assert taken_out <= HELD
    assert ledger_balance(ledger) == HELD - taken_out >= 0
    # the invoice is paid exactly when the fee transfer won
    assert Payment.objects.filter(method="trust").count() == (1 if winner == "fees" else 0)
    attempt = RefusedAttempt.objects.get()
    assert attempt.operation == ("fee transfer" if loser == "fees" else "disbursement")
    assert attempt.user == (f.sam if loser == "fees" else f.carol)
