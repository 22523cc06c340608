"""For any invoice Lexbill can make — fees at any rate and increment, expenses, write-downs and
write-ups, no-charge lines, a fee cap, tax at any rate, in any currency, with awkward narratives —
the LEDES export validates with no error and parses back to the same lines, codes and totals to
the cent. The invoice is priced by the same core arithmetic finalization uses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexbill import ledes
from lexbill.billing.models import Invoice, InvoiceLine, LineKind
from lexbill.core.errors import InvalidEntry
from lexbill.core.invoice_math import (
    LineInput,
    expense_amount,
    invoice_totals,
    line_tax,
    time_amount,
)
from lexbill.core.money import round_money
from lexbill.ebilling.export import ledes_invoice
from lexbill.ebilling.models import EbillingProfile

DAY = date(2026, 3, 2)
TASKS = ["L110", "L120", "L250", "L310"]
ACTIVITIES = ["A101", "A103", "A104", ""]
EXPENSES = ["E101", "E110", "E112"]

narratives = st.text(min_size=1, max_size=120).filter(
    lambda t: t.strip() not in ("", "NULL") and len(t.strip()) > 0
)
money4 = st.decimals(min_value=0, max_value=2000, places=4, allow_nan=False)
rates = st.decimals(min_value=Decimal("0.01"), max_value=2000, places=2, allow_nan=False)


@st.composite
def lines(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from([LineKind.TIME, LineKind.TIME, LineKind.EXPENSE]))
    spec: dict[str, Any] = {
        "kind": kind,
        "narrative": draw(narratives),
        "no_charge": draw(st.booleans().filter(lambda _b: True)) and draw(st.booleans()),
        "adjust": draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("-0.5"), Decimal("0.1")])),
    }
    if kind == LineKind.TIME:
        spec |= {
            "minutes": draw(st.integers(min_value=1, max_value=600)),
            "rate": draw(rates),
            "task": draw(st.sampled_from(TASKS)),
            "activity": draw(st.sampled_from(ACTIVITIES)),
        }
    else:
        spec |= {
            "quantity": draw(
                st.decimals(min_value=Decimal("0.0001"), max_value=500, places=4, allow_nan=False)
            ),
            "rate": draw(money4),
            "code": draw(st.sampled_from(EXPENSES)),
        }
    return spec


def _invoice(specs: list[dict[str, Any]], currency: str, tax_percent: Decimal, cap: bool):
    invoice = Invoice(
        number="2026-00042",
        currency=currency,
        issued_on=DAY,
        due_on=DAY,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        tax_rate_percent=tax_percent,
        tax_label="VAT",
        parties={
            "firm": {"name": "Hale & Ward LLP", "address": "1 Main St", "tax_id": "12-3456789"},
            "client": {"name": "Acme Corp", "number": "C001", "address": "", "tax_id": "DE1"},
            "matter": {"number": "C001-001", "name": "Acme v. Roadrunner", "client_matter_id": ""},
        },
    )
    built: list[InvoiceLine] = []
    inputs: list[LineInput] = []
    for position, spec in enumerate(specs, start=1):
        if spec["kind"] == LineKind.TIME:
            amount = time_amount(spec["minutes"], spec["rate"], currency)
        else:
            amount = expense_amount(spec["quantity"], spec["rate"], currency)
        adjustment = round_money(amount * spec["adjust"], currency)
        line_input = LineInput(spec["kind"], amount, adjustment, spec["no_charge"])
        inputs.append(line_input)
        built.append(
            InvoiceLine(
                position=position,
                kind=spec["kind"],
                date=date(2026, 2, 1 + position % 27),
                timekeeper_code="PW" if spec["kind"] == LineKind.TIME else "",
                timekeeper_name="Pat Ward" if spec["kind"] == LineKind.TIME else "",
                classification="partner" if spec["kind"] == LineKind.TIME else "",
                narrative=spec["narrative"],
                task_code=spec.get("task", ""),
                activity_code=spec.get("activity", ""),
                expense_code=spec.get("code", ""),
                minutes=spec.get("minutes"),
                quantity=spec.get("quantity"),
                rate=spec["rate"],
                amount=amount,
                adjustment=adjustment,
                no_charge=spec["no_charge"],
                total=line_input.total,
                tax=line_tax(line_input.total, tax_percent, currency),
            )
        )
    fees = sum((i.total for i in inputs if i.kind == LineKind.TIME), Decimal(0))
    if cap and fees > 0:  # a fee cap at 80% of the fees, as an invoice-level IF line
        cut = -round_money(fees / 5, currency)
        cap_input = LineInput(LineKind.FEE_ADJUSTMENT, cut)
        inputs.append(cap_input)
        built.append(
            InvoiceLine(
                position=len(built) + 1,
                kind=LineKind.FEE_ADJUSTMENT,
                date=date(2026, 2, 28),
                narrative="Fee cap",
                rate=Decimal(0),
                amount=cut,
                adjustment=Decimal(0),
                total=cut,
                tax=line_tax(cut, tax_percent, currency),
            )
        )
    totals = invoice_totals(inputs, currency, tax_percent)
    invoice.tax = totals.tax
    invoice.total = totals.total
    return invoice, built


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(lines(), min_size=1, max_size=10),
    currency=st.sampled_from(["USD", "EUR", "GBP", "JPY"]),
    tax_percent=st.sampled_from([Decimal(0), Decimal(5), Decimal("7.5"), Decimal(20)]),
    cap=st.booleans(),
    as_98bi=st.booleans(),
)
def test_any_invoice_exports_valid_and_parses_back_to_the_cent(
    specs: list[dict[str, Any]], currency: str, tax_percent: Decimal, cap: bool, as_98bi: bool
) -> None:
    invoice, built = _invoice(specs, currency, tax_percent, cap)
    fmt = ledes.LedesFormat.LEDES_98BI if as_98bi or tax_percent else ledes.LedesFormat.LEDES_1998B
    profile = EbillingProfile(client_country="DEU", firm_country="US")
    rate = tax_percent / 100
    if fmt == ledes.LedesFormat.LEDES_98BI and any(
        ledes.round_cents(line.total * rate) != line.tax for line in built
    ):  # taxed in whole yen: not expressible line by line, refused with the reason
        with pytest.raises(InvalidEntry, match="taxes each line to the cent"):
            ledes_invoice(invoice, profile, fmt, lines=built)
        return
    record = ledes_invoice(invoice, profile, fmt, lines=built)
    result = ledes.export_ledes([record], fmt)
    parsed = ledes.parse_ledes(result.text)
    assert parsed.report.is_valid, [str(p) for p in parsed.report.errors]
    [back] = parsed.invoices
    assert back.total == invoice.total
    if fmt == ledes.LedesFormat.LEDES_98BI:
        assert back.tax_total == invoice.tax
    assert [line.total for line in back.lines] == [
        line.total + (line.tax if fmt == ledes.LedesFormat.LEDES_98BI else 0) for line in built
    ]
    assert [(line.task_code, line.activity_code, line.expense_code) for line in back.lines] == [
        (line.task_code, line.activity_code, line.expense_code) for line in built
    ]
