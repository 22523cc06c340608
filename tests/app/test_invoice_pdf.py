"""The printed invoice: what a client reads must match the invoice as finalized, to the cent."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.formatting import (
    format_amount,
    format_date,
    format_money,
    format_percent,
    format_quantity,
    format_rate,
)
from lexbill.billing.invoicing import finalize_prebill, issue_credit_note
from lexbill.billing.models import Invoice, LineKind, Prebill, PrebillLine
from lexbill.billing.pdf import invoice_context, render_invoice_pdf
from lexbill.billing.prebills import adjust_line, approve_prebill, set_line_treatment
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import TimeEntry
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.receivables.services import post_payment


def _time(
    f: Any, matter: Any, tk: Any, day: date, hours: str, text: str = "Draft brief"
) -> TimeEntry:
    return record_time(
        f.clara,
        TimeDraft(
            matter, tk, day, hours_to_seconds(hours), text, task_code="L120", activity_code="A103"
        ),
    )


def _bill(f: Any, matter: Any, through: date, issued_on: date) -> Invoice:
    run = run_bill_run(f.sam, through)
    prebill = Prebill.objects.get(run=run, matter=matter)
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill, issued_on=issued_on)


def _pdf(invoice: Invoice) -> PdfReader:
    data = render_invoice_pdf(invoice)
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def _text(reader: PdfReader) -> str:
    """Whitespace collapsed: where a line wraps is layout, not content."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _acme_invoice(f: Any) -> Invoice:
    """Three timekeepers, a write-down, a no-charge line and an expense: most of the layout."""
    a = _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1.25", "Review complaint")
    b = _time(f, f.acme_hourly, f.associate, date(2026, 3, 3), "2.5", "Research pleading standard")
    _time(f, f.acme_hourly, f.paralegal, date(2026, 3, 3), "0.33", "Index documents")
    record_expense(
        f.clara, ExpenseDraft(f.acme_hourly, date(2026, 3, 4), "E101", "1240", "0.10", "Copies")
    )
    run = run_bill_run(f.sam, date(2026, 3, 31))
    adjust_line(f.sam, PrebillLine.objects.get(time_entry=a), "-50.00", "courtesy discount")
    set_line_treatment(f.sam, PrebillLine.objects.get(time_entry=b), "no_charge")
    prebill = Prebill.objects.get(run=run)
    approve_prebill(f.carol, prebill)
    return finalize_prebill(f.sam, prebill, issued_on=date(2026, 4, 1))


def test_the_pdf_prints_the_invoice_as_finalized(small_firm: Any) -> None:
    f = small_firm
    invoice = _acme_invoice(f)
    reader = _pdf(invoice)
    text = _text(reader)

    assert reader.metadata is not None
    assert reader.metadata.title == f"Invoice {invoice.number}"
    assert invoice.number in text
    assert f.firm.name in text and f"Tax ID {f.firm.tax_id}" in text  # the shared masthead
    assert "Acme Corp" in text
    assert "C001-001" in text
    assert f"Due by {format_date(invoice.due_on)}" in text
    assert format_money(invoice.total, invoice.currency) in text
    assert format_money(invoice.total_due, invoice.currency) in text
    assert "No charge" in text
    assert "courtesy discount" in text
    assert format_amount(Decimal("-50.00"), "USD") in text
    assert "Page 1 of" in text
    assert "Tax 0%" not in text  # an untaxed client's invoice has no tax line


def test_the_fee_summary_reconciles_with_the_fees_on_the_invoice(small_firm: Any) -> None:
    f = small_firm
    invoice = _acme_invoice(f)
    context = invoice_context(invoice)
    summary = {row.name: row for row in context["timekeeper_summary"]}

    assert list(summary) == ["Pat Ward", "Ann Lee", "Paul Jones"]  # by seniority
    assert summary["Pat Ward"].hours == "1.30"
    assert summary["Paul Jones"].hours == "0.40"
    # Ann Lee's only line is no-charge: no fees, her time reported apart.
    assert (summary["Ann Lee"].hours, summary["Ann Lee"].amount) == ("0.00", Decimal(0))
    assert context["no_charge_hours"] == "2.50"
    assert sum(row.amount for row in summary.values()) == invoice.fees
    assert [row.text for row in context["totals"]][-1] == format_money(invoice.total, "USD")
    assert sum(row.amount_text == "-50.00" for row in context["adjustments"]) == 1


def test_a_taxed_flat_fee_invoice_shows_the_tax_and_the_flat_fee(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.globex_flat, f.partner, date(2026, 3, 2), "3", "Review lease")  # 1,500 in hours
    invoice = _bill(f, f.globex_flat, date(2026, 3, 31), date(2026, 4, 1))
    fee_line = invoice.lines.get(kind=LineKind.FEE_ADJUSTMENT)
    text = _text(_pdf(invoice))

    assert invoice.tax > 0
    assert "VAT 19%" in text
    assert format_money(invoice.tax, invoice.currency) in text
    assert fee_line.narrative in text
    assert format_amount(fee_line.total, invoice.currency) in text
    assert format_money(invoice.total, invoice.currency) in text
    assert invoice.total == Decimal("2975.00")  # the flat fee plus 19%


def test_a_second_invoice_carries_the_balance_and_the_payment(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "2")
    first = _bill(f, f.acme_hourly, date(2026, 3, 31), date(2026, 4, 1))
    post_payment(f.clara, f.acme, "400.00", date(2026, 4, 15))
    _time(f, f.acme_hourly, f.associate, date(2026, 4, 20), "1.5")
    second = _bill(f, f.acme_hourly, date(2026, 4, 30), date(2026, 5, 1))
    text = _text(_pdf(second))

    assert second.previous_balance == first.total_due
    assert second.payments_received == Decimal("400.00")
    assert second.previous_balance - second.payments_received + second.total == second.total_due
    for amount in (
        second.previous_balance,
        Decimal(0) - second.payments_received,
        second.balance_forward,
        second.total,
        second.total_due,
    ):
        assert format_money(amount, second.currency) in text
    account = invoice_context(second)["account"]
    assert [row.amount for row in account] == [
        second.previous_balance,
        -second.payments_received,
        second.balance_forward,
        second.total,
        second.total_due,
    ]


def test_a_credit_note_never_appears_on_the_invoice_it_corrects(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1")
    invoice = _bill(f, f.acme_hourly, date(2026, 3, 31), date(2026, 4, 1))
    before = _pdf(invoice)
    note = issue_credit_note(f.carol, invoice, "100.00", "billing error")
    after = _pdf(invoice)

    assert _text(after) == _text(before)
    assert note.number not in _text(after)
    # Same drawing instructions page by page (the bytes differ only in font-subset timestamps).
    assert [p.get_contents().get_data() for p in after.pages] == [  # type: ignore[union-attr]
        p.get_contents().get_data()  # type: ignore[union-attr]
        for p in before.pages
    ]


def test_narratives_print_as_text_not_markup(small_firm: Any) -> None:
    f = small_firm
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1", '<img src="http://127.0.0.1:9/x">')
    invoice = _bill(f, f.acme_hourly, date(2026, 3, 31), date(2026, 4, 1))
    assert '<img src="http://127.0.0.1:9/x">' in _text(_pdf(invoice))


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "USD", "USD 1,234.50"),
        (Decimal("1234567.89"), "EUR", "EUR 1,234,567.89"),
        (Decimal("0"), "USD", "USD 0.00"),
        (Decimal("-0.00"), "USD", "USD 0.00"),
        (Decimal("-500"), "USD", "USD -500.00"),
        (Decimal("-12345.67"), "EUR", "EUR -12,345.67"),
        (Decimal("999.995"), "USD", "USD 1,000.00"),  # half-up, as invoices round
    ],
)
def test_format_money(amount: Decimal, currency: str, expected: str) -> None:
    assert format_money(amount, currency) == expected


def test_format_money_refuses_float() -> None:
    with pytest.raises(TypeError):
        format_money(1234.5, "USD")  # type: ignore[arg-type]


def test_rates_quantities_and_percentages_read_naturally() -> None:
    assert format_rate(Decimal("500.0000")) == "500.00"
    assert format_rate(Decimal("1250.0000")) == "1,250.00"
    assert format_rate(Decimal("0.0750")) == "0.075"
    assert format_quantity(Decimal("1240.0000")) == "1,240"
    assert format_quantity(Decimal("2.5000")) == "2.5"
    assert format_percent(Decimal("19.0000")) == "19%"
    assert format_percent(Decimal("7.2500")) == "7.25%"


def test_rendering_fetches_nothing(small_firm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.urls import FatalURLFetchingError

    import lexbill.billing.pdf as pdf

    f = small_firm
    _time(f, f.acme_hourly, f.partner, date(2026, 3, 2), "1")
    invoice = _bill(f, f.acme_hourly, date(2026, 3, 31), date(2026, 4, 1))
    page = '<html><body><img src="http://127.0.0.1:9/logo.png"><p>x</p></body></html>'
    monkeypatch.setattr(pdf, "render_to_string", lambda *args, **kwargs: page)
    with pytest.raises(FatalURLFetchingError, match="refused"):
        pdf.render_invoice_pdf(invoice)
