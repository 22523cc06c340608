"""The expense list and corrections: filters, keyset pages both ways, edit and delete through the
services, audited, and nothing changes on an expense that is on a pre-bill or billed."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lexbill.audit.models import AuditRecord
from lexbill.core.errors import InvalidEntry
from lexbill.core.invoice_math import expense_amount
from lexbill.entries.models import BillingState, Expense
from lexbill.entries.services import ExpenseDraft, correct_expense, record_expense
from lexbill.web.templatetags.lexbill import money_text

DAY = date(2026, 3, 2)


@pytest.fixture
def clara(client: Client, small_firm: Any) -> Client:
    client.force_login(small_firm.clara)
    return client


def _expense(f: Any, **kw: Any) -> Expense:
    base: dict[str, Any] = {
        "matter": f.acme_hourly,
        "date": DAY,
        "expense_code": "E101",
        "quantity": "3",
        "unit_cost": "0.25",
        "description": "Copies",
    }
    base.update(kw)
    return record_expense(None, ExpenseDraft(**base))


def _list(client: Client, **params: Any) -> str:
    response = client.get(reverse("entries:expense-list"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_filters_and_shows_amounts_in_the_matters_currency(
    clara: Client, small_firm: Any
) -> None:
    f = small_firm
    taxi = _expense(f, expense_code="E110", quantity="1", unit_cost="42.5", description="Taxi")
    copies = _expense(f, quantity="333", unit_cost="0.1", description="Exhibit copies")
    filing = _expense(f, matter=f.globex_flat, expense_code="E112", unit_cost="350",
                      quantity="1", description="Court filing fee")  # fmt: skip
    Expense.objects.filter(pk=filing.pk).update(state=BillingState.BILLED)

    page = _list(clara)  # unbilled is the default, as on the time list
    assert "Taxi" in page and "Exhibit copies" in page and "Court filing fee" not in page
    for x in (taxi, copies):
        amount = expense_amount(x.quantity, x.unit_cost, x.matter.currency)
        assert money_text(amount, x.matter.currency) in page
    assert "Court filing fee" in _list(clara, state="")
    assert "Billed: it can no longer change." in _list(clara, state="billed")
    by_code = _list(clara, expense_code="e110")
    assert "Taxi" in by_code and "Exhibit copies" not in by_code
    assert "Court filing fee" in _list(clara, state="", matter="C002-001")
    assert "no matter numbered" in _list(clara, matter="Z-404")


def _pager_link(html: str, rel: str) -> str | None:
    if f'rel="{rel}"' not in html:
        return None
    href = html.split(f'rel="{rel}"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    return reverse("entries:expense-list") + href.replace("&amp;", "&")


def test_the_list_pages_forward_and_back_in_every_sort(clara: Client, small_firm: Any) -> None:
    codes = ["E101", "E102", "E105", "E110"]
    for n in range(110):
        _expense(
            small_firm,
            date=DAY + timedelta(days=n % 9),
            expense_code=codes[n % 4],
            description=f"expense number {n:03d}.",
        )
    for sort in ("date", "matter", "code"):
        pages: list[list[str]] = []
        url: str | None = f"{reverse('entries:expense-list')}?sort={sort}&order=asc"
        while url:
            html = clara.get(url).content.decode()
            pages.append(re.findall(r"expense number (\d{3})\.", html))
            url = _pager_link(html, "next")
        assert sorted(n for page in pages for n in page) == [f"{n:03d}" for n in range(110)]
        assert len(pages) == 3
        back = [pages[-1]]
        url = _pager_link(html, "prev")
        while url:
            html = clara.get(url).content.decode()
            back.append(re.findall(r"expense number (\d{3})\.", html))
            url = _pager_link(html, "prev")
        assert back == pages[::-1], sort


def test_an_expense_is_corrected_and_the_change_is_audited(clara: Client, small_firm: Any) -> None:
    expense = _expense(small_firm)
    back = reverse("entries:expense-list") + "?expense_code=E101"
    form = clara.get(reverse("entries:expense-edit", args=[expense.pk]), {"return_to": back})
    assert form.status_code == 200 and 'value="Copies"' not in form.text  # a textarea, not value=
    assert "Copies</textarea>" in form.text
    saved = clara.post(
        reverse("entries:expense-edit", args=[expense.pk]),
        {
            "matter": "C001-001",
            "timekeeper": small_firm.associate.pk,
            "date": "2026-03-04",
            "expense_code": "e102",
            "quantity": "40",
            "unit_cost": "0.15",
            "description": "Colour copies of the exhibits",
            "billable": "billable",
            "return_to": back,
        },
    )
    assert saved.status_code == 302 and saved["Location"] == back
    expense.refresh_from_db()
    assert (expense.expense_code, expense.quantity, expense.unit_cost, expense.date) == (
        "E102",
        Decimal("40"),
        Decimal("0.15"),
        date(2026, 3, 4),
    )
    assert expense.timekeeper == small_firm.associate
    record = AuditRecord.objects.get(model="entries.Expense", action="update")
    assert record.actor == small_firm.clara
    assert record.before is not None and record.after is not None
    assert (record.before["expense_code"], record.after["expense_code"]) == ("E101", "E102")


def test_a_bad_correction_is_shown_next_to_the_field_and_changes_nothing(
    clara: Client, small_firm: Any
) -> None:
    expense = _expense(small_firm)
    refused = clara.post(
        reverse("entries:expense-edit", args=[expense.pk]),
        {
            "matter": "C001-001",
            "date": "2026-03-04",
            "expense_code": "L110",
            "quantity": "1",
            "unit_cost": "5",
            "description": "Taxi",
            "billable": "billable",
        },
    )
    assert refused.status_code == 400
    assert 'id="id_expense_code_error"' in refused.text
    assert "Unknown UTBMS expense code" in refused.text
    unchanged = Expense.objects.get(pk=expense.pk)
    assert (unchanged.expense_code, unchanged.description) == ("E101", "Copies")
    assert not AuditRecord.objects.filter(model="entries.Expense", action="update").exists()


def test_an_expense_on_a_pre_bill_cannot_be_edited_or_deleted(
    clara: Client, small_firm: Any
) -> None:
    expense = _expense(small_firm)
    Expense.objects.filter(pk=expense.pk).update(state=BillingState.PREBILLED)
    page = clara.get(reverse("entries:expense-edit", args=[expense.pk]))
    assert "On a pre-bill: correct it there." in page.text and "Save changes" not in page.text
    with pytest.raises(InvalidEntry, match="correct it on its pre-bill"):
        correct_expense(small_firm.clara, expense, description="Changed")
    deleted = clara.post(reverse("entries:expense-delete", args=[expense.pk]), follow=True)
    assert "was not deleted" in deleted.content.decode()
    assert Expense.objects.get(pk=expense.pk).description == "Copies"


def test_an_unbilled_expense_is_deleted_and_the_audit_keeps_it(
    clara: Client, small_firm: Any
) -> None:
    expense = _expense(small_firm, description="Entered twice")
    response = clara.post(reverse("entries:expense-delete", args=[expense.pk]))
    assert response.status_code == 302
    assert not Expense.objects.filter(pk=expense.pk).exists()
    record = AuditRecord.objects.get(model="entries.Expense", action="delete")
    assert record.before is not None and record.before["description"] == "Entered twice"
    assert record.actor == small_firm.clara


def test_a_correction_may_not_touch_the_billing_state(small_firm: Any) -> None:
    expense = _expense(small_firm)
    with pytest.raises(InvalidEntry, match="cannot change state"):
        correct_expense(small_firm.clara, expense, state=BillingState.BILLED)
    assert Expense.objects.get(pk=expense.pk).state == BillingState.UNBILLED
