from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.core.errors import InvalidEntry
from lexbill.core.invoice_math import (
    InvoiceTotals,
    LineInput,
    LineKind,
    expense_amount,
    fee_cap_adjustment,
    flat_fee_adjustment,
    invoice_totals,
    line_tax,
    time_amount,
)
from lexbill.core.money import round_money

ZERO = Decimal(0)
cents = st.integers(min_value=-(10**8), max_value=10**8).map(lambda n: Decimal(n).scaleb(-2))
positive_cents = st.integers(min_value=0, max_value=10**8).map(lambda n: Decimal(n).scaleb(-2))
tax_rates = st.integers(min_value=0, max_value=30_000).map(lambda n: Decimal(n).scaleb(-3))
lines = st.builds(
    LineInput,
    kind=st.sampled_from(LineKind),
    amount=cents,
    adjustment=st.one_of(st.just(ZERO), cents),
    no_charge=st.booleans(),
)
invoices = st.lists(lines, max_size=30)


@given(invoices, tax_rates)
def test_an_invoice_total_is_its_rounded_line_totals_plus_its_per_line_taxes(
    items: list[LineInput], rate: Decimal
) -> None:
    totals = invoice_totals(items, "USD", rate)
    line_totals = sum((round_money(item.total) for item in items), ZERO)
    line_taxes = sum((line_tax(item.total, rate, "USD") for item in items if item.taxable), ZERO)
    assert totals.subtotal == line_totals
    assert totals.tax == line_taxes
    assert totals.total == line_totals + line_taxes


@given(invoices, tax_rates)
def test_the_subtotal_is_fees_plus_expenses_plus_adjustments(
    items: list[LineInput], rate: Decimal
) -> None:
    totals = invoice_totals(items, "USD", rate)
    assert totals.subtotal == totals.fees + totals.expenses + totals.adjustments
    chargeable = [item for item in items if not item.no_charge]
    assert totals.fees == sum(
        (item.amount for item in chargeable if item.kind == LineKind.TIME), ZERO
    )
    assert totals.expenses == sum(
        (item.amount for item in chargeable if item.kind == LineKind.EXPENSE), ZERO
    )


@given(invoices, tax_rates)
def test_no_charge_lines_contribute_nothing(items: list[LineInput], rate: Decimal) -> None:
    chargeable = [item for item in items if not item.no_charge]
    assert invoice_totals(items, "USD", rate) == invoice_totals(chargeable, "USD", rate)
    assert all(item.total == 0 for item in items if item.no_charge)


def test_tax_is_rounded_per_line_and_never_on_the_subtotal() -> None:
    items = [LineInput(LineKind.TIME, Decimal("0.05")), LineInput(LineKind.TIME, Decimal("0.05"))]
    totals = invoice_totals(items, "USD", Decimal(10))
    assert totals.tax == Decimal("0.02")  # 0.005 -> 0.01 twice, not 0.010 on the subtotal
    assert totals.total == Decimal("0.12")


def test_an_invoice_footer_at_named_figures() -> None:
    items = [
        LineInput(LineKind.TIME, Decimal("1000.00"), adjustment=Decimal("-100.00")),
        LineInput(LineKind.TIME, Decimal("250.00"), no_charge=True),
        LineInput(LineKind.EXPENSE, Decimal("40.00")),
        LineInput(LineKind.FEE_ADJUSTMENT, Decimal("-50.00")),
    ]
    assert invoice_totals(items, "USD", Decimal("20")) == InvoiceTotals(
        fees=Decimal("1000.00"),
        expenses=Decimal("40.00"),
        adjustments=Decimal("-150.00"),
        subtotal=Decimal("890.00"),
        tax=Decimal("178.00"),
        total=Decimal("1068.00"),
    )


def test_an_empty_invoice_totals_zero() -> None:
    totals = invoice_totals([], "USD")
    assert totals.total == 0
    assert str(totals.total) == "0.00"


def test_unrounded_line_figures_are_refused() -> None:
    with pytest.raises(InvalidEntry) as caught:
        invoice_totals([LineInput(LineKind.TIME, Decimal("10"), Decimal("0.005"))], "USD")
    assert caught.value.field == "adjustment"
    with pytest.raises(InvalidEntry) as caught:
        invoice_totals([LineInput(LineKind.TIME, Decimal("0.5"))], "JPY")
    assert caught.value.field == "amount"


def test_line_figures_cannot_be_floats() -> None:
    with pytest.raises(TypeError):
        LineInput(LineKind.TIME, 10.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        LineInput(LineKind.TIME, Decimal(10), adjustment=1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minutes", "rate", "currency", "expected"),
    [
        (6, "250", "USD", "25.00"),
        (60, "333.33", "USD", "333.33"),
        (1, "100", "USD", "1.67"),
        (1, "0.30", "USD", "0.01"),  # exactly 0.005: half-up
        (15, "10002", "JPY", "2501"),  # 2500.5 yen
    ],
)
def test_time_is_priced_from_billed_minutes_and_rounded_half_up(
    minutes: int, rate: str, currency: str, expected: str
) -> None:
    assert time_amount(minutes, Decimal(rate), currency) == Decimal(expected)


def test_time_and_expenses_refuse_floats() -> None:
    with pytest.raises(TypeError):
        time_amount(6, 250.0, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        expense_amount(Decimal(3), 0.1, "USD")  # type: ignore[arg-type]


def test_an_expense_is_quantity_times_unit_cost_rounded() -> None:
    assert expense_amount(Decimal(3), Decimal("0.125"), "USD") == Decimal("0.38")
    assert expense_amount(Decimal("2.5"), Decimal("1.01"), "USD") == Decimal("2.53")


@given(positive_cents, positive_cents, positive_cents)
def test_a_fee_cap_never_lets_fees_exceed_what_is_left_of_it(
    fees: Decimal, cap: Decimal, previously_billed: Decimal
) -> None:
    adjustment = fee_cap_adjustment(fees, cap, previously_billed)
    remaining = max(cap - previously_billed, ZERO)
    assert adjustment <= 0
    assert fees + adjustment <= remaining
    assert fees + adjustment >= 0  # never writes off more than the fees themselves
    if fees <= remaining:
        assert adjustment == 0


def test_a_fee_cap_that_is_not_reached_adjusts_nothing_and_prints_no_minus_sign() -> None:
    adjustment = fee_cap_adjustment(Decimal("100.00"), Decimal("500.00"), Decimal("0.00"))
    assert adjustment == 0
    assert not str(adjustment).startswith("-")


def test_a_fee_cap_already_used_up_writes_off_all_new_fees() -> None:
    assert fee_cap_adjustment(Decimal("80.00"), Decimal("100"), Decimal("150")) == Decimal("-80")


@given(cents, positive_cents, positive_cents)
def test_a_flat_fee_bills_exactly_what_is_left_of_it(
    fees: Decimal, flat_fee: Decimal, previously_billed: Decimal
) -> None:
    adjustment = flat_fee_adjustment(fees, flat_fee, previously_billed)
    assert fees + adjustment == max(flat_fee - previously_billed, ZERO)


def test_a_negative_cap_or_flat_fee_is_refused() -> None:
    with pytest.raises(InvalidEntry):
        fee_cap_adjustment(Decimal(1), Decimal(-1), ZERO)
    with pytest.raises(InvalidEntry):
        flat_fee_adjustment(Decimal(1), Decimal(-1), ZERO)


@given(cents, tax_rates)
def test_line_tax_is_rounded_to_the_currency(total: Decimal, rate: Decimal) -> None:
    tax = line_tax(total, rate, "USD")
    assert tax == round_money(tax)
    assert abs(tax - total * rate / 100) <= Decimal("0.005")
