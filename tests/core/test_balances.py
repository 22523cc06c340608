from decimal import Decimal

import pytest

from lexbill.core.balances import AccountBalance, invoice_balance


def test_an_invoice_balance_is_its_total_less_credits_and_payments() -> None:
    assert invoice_balance(Decimal("100.00"), Decimal("10.00"), Decimal("25.50")) == Decimal(
        "64.50"
    )


def test_money_held_on_account_is_not_counted_against_invoices_until_allocated() -> None:
    account = AccountBalance(
        invoiced=Decimal("1000.00"),
        credited=Decimal("100.00"),
        paid=Decimal("400.00"),
        unapplied=Decimal("50.00"),
    )
    assert account.balance_due == Decimal("500.00")
    assert account.net == Decimal("450.00")


def test_a_client_who_overpaid_is_in_credit() -> None:
    account = AccountBalance(Decimal("100.00"), Decimal(0), Decimal("100.00"), Decimal("20.00"))
    assert account.balance_due == 0
    assert account.net == Decimal("-20.00")


def test_balances_refuse_floats() -> None:
    with pytest.raises(TypeError):
        invoice_balance(Decimal(100), 0.0, Decimal(0))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        AccountBalance(Decimal(100), Decimal(0), 10.0, Decimal(0))  # type: ignore[arg-type]
