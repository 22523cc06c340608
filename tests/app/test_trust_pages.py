"""The trust pages as each role uses them: deposits, payments, reversals, retainers, accounts.

Every change goes through trust.services, so these tests check what the pages add: who is
offered and allowed what, that a refusal is shown next to its field and says it was logged,
that a refused attempt changes nothing, and that paying an invoice from trust happens in one go.
Dates are relative to today because the pages compute cleared funds as of today.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from tests.app.receivables_aging_firm import bill
from tests.app.trust_firm import TrustFirm, build_trust_firm

from lexbill.audit.models import AuditRecord
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.receivables.models import Payment
from lexbill.trust.models import (
    FoundationInterest,
    RefusedAttempt,
    Retainer,
    TrustAccount,
    TrustLedger,
    TrustTransaction,
)
from lexbill.trust.selectors import (
    buffer_ledger,
    cleared_balance,
    ledger_balance,
    trust_policy,
)
from lexbill.trust.services import deposit

TODAY = timezone.localdate()
ISO = TODAY.isoformat()


@pytest.fixture
def t(small_firm: Any) -> TrustFirm:
    return build_trust_firm(small_firm)


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ledger(t: TrustFirm) -> TrustLedger:
    return TrustLedger.objects.get(account=t.iolta, matter=t.f.acme_hourly)


def _funded(t: TrustFirm, wire: str = "1000.00", check: str = "") -> TrustLedger:
    """The Acme hourly matter's IOLTA ledger with a wire (cleared) and maybe a check (on hold)."""
    f = t.f
    deposit(f.clara, t.iolta, f.acme_hourly, wire, TODAY, payor="Acme Corp", method="wire")
    if check:
        deposit(f.clara, t.iolta, f.acme_hourly, check, TODAY, payor="Acme Corp", reference="1042")
    return _ledger(t)


def _postings(ledger: TrustLedger) -> list[int]:
    return list(TrustTransaction.objects.filter(ledger=ledger).values_list("pk", flat=True))


def _balance(invoice: Invoice) -> Decimal:
    found: Decimal = with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance  # type: ignore[attr-defined]
    return found


# --- deposits ----------------------------------------------------------------------------------


def test_a_clerk_records_a_retainer_check_from_the_deposit_page_and_sees_it_on_hold(
    t: TrustFirm,
) -> None:
    f = t.f
    client = _as(f.clara)
    page = client.get(reverse("trust:deposit"), {"matter": f.acme_hourly.pk})
    assert page.status_code == 200
    assert f'<option value="{f.acme_hourly.pk}" selected>' in page.content.decode()

    response = client.post(
        reverse("trust:deposit"),
        {
            "account": t.iolta.pk,
            "matter": f.acme_hourly.pk,
            "amount": "2500.00",
            "received_on": ISO,
            "payor": "Acme Corp",
            "method": "check",
            "reference": "1042",
            "purpose": "retainer",
        },
        follow=True,
    )
    ledger = _ledger(t)
    assert response.redirect_chain[-1][0] == reverse("trust:ledger", args=[ledger.pk])
    posting = TrustTransaction.objects.get(ledger=ledger)
    hold = trust_policy().check_hold_days
    assert posting.available_on == TODAY + timedelta(days=hold)
    assert posting.posted_by == f.clara
    text = response.content.decode()
    assert "on hold until" in text
    assert ledger_balance(ledger) == Decimal("2500.00")
    assert cleared_balance(ledger, TODAY) == Decimal(0)


def test_a_deposit_of_the_firms_own_money_is_refused_next_to_the_payor_and_logged(
    t: TrustFirm,
) -> None:
    f = t.f
    response = _as(f.clara).post(
        reverse("trust:deposit"),
        {
            "account": t.iolta.pk,
            "matter": f.acme_hourly.pk,
            "amount": "100.00",
            "received_on": ISO,
            "payor": f.firm.name,
            "method": "cash",
        },
    )
    assert response.status_code == 400
    payor_errors = response.context["form"].errors["payor"]
    assert any("commingling" in e for e in payor_errors)
    assert 'data-testid="refusal-logged"' in response.content.decode()
    assert not TrustTransaction.objects.exists()
    refused = RefusedAttempt.objects.get()
    assert (refused.user, refused.operation) == (f.clara, "deposit")


def test_the_ledger_page_shows_cleared_and_total_balance_and_the_hold(t: TrustFirm) -> None:
    ledger = _funded(t, wire="1000.00", check="500.00")
    response = _as(t.f.clara).get(reverse("trust:ledger", args=[ledger.pk]))
    assert response.status_code == 200
    assert response.context["cleared"] == cleared_balance(ledger, TODAY)
    assert response.context["balance"] == ledger_balance(ledger)
    assert response.context["on_hold"] == ledger_balance(ledger) - cleared_balance(ledger, TODAY)
    running = [row.running for row in response.context["rows"]]
    assert running[-1] == ledger_balance(ledger)
    text = response.content.decode()
    assert 'data-testid="deposit-form"' in text
    # a clerk records money in; paying out and reversing are not offered
    assert 'data-testid="disburse-form"' not in text
    assert "Reverse #" not in text


# --- paying out ------------------------------------------------------------------------------


def _disburse(client: Client, ledger: TrustLedger, amount: str) -> Any:
    return client.post(
        reverse("trust:disburse", args=[ledger.pk]),
        {
            "disburse-amount": amount,
            "disburse-paid_on": ISO,
            "disburse-payee": "Court clerk",
            "disburse-purpose": "filing fee",
            "disburse-method": "check",
            "disburse-reference": "2001",
        },
    )


def test_a_clerk_may_not_disburse_and_nothing_is_posted(t: TrustFirm) -> None:
    ledger = _funded(t)
    before = _postings(ledger)
    response = _disburse(_as(t.f.clara), ledger, "100.00")
    assert response.status_code == 403
    assert "may not" in response.content.decode()
    assert _postings(ledger) == before


def test_a_specialist_pays_a_third_party_from_cleared_funds(t: TrustFirm) -> None:
    ledger = _funded(t, wire="1000.00")
    response = _disburse(_as(t.f.sam), ledger, "300.00")
    assert response.status_code == 302
    paid = TrustTransaction.objects.get(ledger=ledger, kind="disbursement")
    assert (paid.amount, paid.counterparty, paid.reference) == (
        Decimal("-300.00"),
        "Court clerk",
        "2001",
    )
    assert ledger_balance(ledger) == Decimal("700.00")


def test_a_disbursement_above_the_cleared_balance_is_refused_shown_and_logged(
    t: TrustFirm,
) -> None:
    ledger = _funded(t, wire="200.00", check="5000.00")
    before = _postings(ledger)
    too_much = cleared_balance(ledger, TODAY) + Decimal("100.00")
    assert too_much < ledger_balance(ledger)  # enough money, but not cleared yet

    response = _disburse(_as(t.f.sam), ledger, str(too_much))

    assert response.status_code == 400
    errors = response.context["disburse_form"].errors["amount"]
    assert any("cleared funds" in e for e in errors)
    text = response.content.decode()
    assert 'data-testid="refusal-logged"' in text
    assert "logged with who tried it and why" in text
    assert _postings(ledger) == before
    refused = RefusedAttempt.objects.get(operation="disbursement")
    assert (refused.user, refused.ledger, refused.amount) == (t.f.sam, ledger, too_much)
    assert "cleared funds" in refused.reason
    # the refusal is listed on the ledger page itself
    assert escape(refused.reason) in text


def test_a_refund_returns_unearned_money_to_the_client(t: TrustFirm) -> None:
    ledger = _funded(t, wire="400.00")
    response = _as(t.f.sam).post(
        reverse("trust:refund", args=[ledger.pk]),
        {
            "refund-amount": "400.00",
            "refund-paid_on": ISO,
            "refund-method": "wire",
            "refund-reference": "REFUND ACME",
            "refund-purpose": "matter closed",
        },
    )
    assert response.status_code == 302
    refund = TrustTransaction.objects.get(ledger=ledger, kind="refund")
    assert refund.counterparty == t.f.acme.name
    assert ledger_balance(ledger) == 0


# --- reversals -------------------------------------------------------------------------------


def test_a_coordinator_reverses_a_bounced_check_and_a_specialist_may_not(t: TrustFirm) -> None:
    ledger = _funded(t, wire="100.00", check="900.00")
    check = TrustTransaction.objects.get(ledger=ledger, method="check")
    data = {f"reverse-{check.pk}-reversed_on": ISO, f"reverse-{check.pk}-reason": "returned NSF"}
    url = reverse("trust:reverse", args=[check.pk])

    assert _as(t.f.sam).post(url, data).status_code == 403
    assert not TrustTransaction.objects.filter(reverses=check).exists()

    response = _as(t.f.carol).post(url, data, follow=True)
    reversal = TrustTransaction.objects.get(reverses=check)
    assert reversal.amount == -check.amount
    assert reversal.posted_by == t.f.carol
    assert ledger_balance(ledger) == Decimal("100.00")
    assert "reversed by" in response.content.decode()


def test_reversing_a_reversal_is_refused_next_to_the_form_and_logged(t: TrustFirm) -> None:
    ledger = _funded(t, wire="100.00")
    wire = TrustTransaction.objects.get(ledger=ledger)
    carol = _as(t.f.carol)
    carol.post(
        reverse("trust:reverse", args=[wire.pk]),
        {f"reverse-{wire.pk}-reversed_on": ISO, f"reverse-{wire.pk}-reason": "wrong matter"},
    )
    again = TrustTransaction.objects.get(reverses=wire)
    before = _postings(ledger)
    response = carol.post(
        reverse("trust:reverse", args=[again.pk]),
        {f"reverse-{again.pk}-reversed_on": ISO, f"reverse-{again.pk}-reason": "oops"},
    )
    assert response.status_code == 400
    assert 'data-testid="refusal-logged"' in response.content.decode()
    assert _postings(ledger) == before
    assert RefusedAttempt.objects.filter(operation="reversal", user=t.f.carol).count() == 1


# --- earned fees and invoices ----------------------------------------------------------------


def test_applying_trust_to_an_invoice_pays_it_and_lowers_the_ledger_in_one_go(
    t: TrustFirm,
) -> None:
    f = t.f
    ledger = _funded(t, wire="5000.00")
    invoice = bill(f, f.acme_hourly, TODAY, "2.0")
    sam = _as(f.sam)
    page = sam.get(reverse("billing:invoice-detail", args=[invoice.number]))
    assert 'data-testid="invoice-trust"' in page.content.decode()

    response = sam.post(
        reverse("trust:apply", args=[invoice.number]),
        {
            "trust-ledger": ledger.pk,
            "trust-amount": str(invoice.total),
            "trust-transferred_on": ISO,
            "trust-notice_sent_on": ISO,
            "trust-notice_method": "e-mail",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice-detail", args=[invoice.number])
    assert _balance(invoice) == 0
    assert ledger_balance(ledger) == Decimal("5000.00") - invoice.total
    transfer = TrustTransaction.objects.get(ledger=ledger, kind="fee_transfer")
    assert transfer.invoice == invoice and transfer.payment is not None
    assert transfer.payment.method == "trust"
    assert (transfer.notice_sent_on, transfer.notice_method) == (TODAY, "e-mail")
    # a paid invoice is no longer offered trust funds
    page = sam.get(reverse("billing:invoice-detail", args=[invoice.number]))
    assert 'data-testid="invoice-trust"' not in page.content.decode()


def test_a_refused_apply_leaves_the_invoice_open_and_the_ledger_untouched(t: TrustFirm) -> None:
    f = t.f
    ledger = _funded(t, wire="5000.00")
    invoice = bill(f, f.acme_hourly, TODAY, "2.0")
    before = _postings(ledger)
    response = _as(f.sam).post(
        reverse("trust:apply", args=[invoice.number]),
        {
            "trust-ledger": ledger.pk,
            "trust-amount": str(invoice.total + Decimal("0.01")),
            "trust-transferred_on": ISO,
            "trust-notice_sent_on": ISO,
            "trust-notice_method": "e-mail",
        },
    )
    assert response.status_code == 400
    assert any("unearned" in e for e in response.context["form"].errors["amount"])
    assert 'data-testid="refusal-logged"' in response.content.decode()
    assert _balance(invoice) == invoice.total
    assert _postings(ledger) == before
    assert not Payment.objects.exists()
    assert RefusedAttempt.objects.filter(operation="fee transfer", user=f.sam).exists()


def test_the_ledger_offers_only_the_matters_open_invoices_for_a_fee_transfer(
    t: TrustFirm,
) -> None:
    f = t.f
    ledger = _funded(t, wire="5000.00")
    own = bill(f, f.acme_hourly, TODAY, "1.0")
    other = bill(f, f.acme_capped, TODAY, "1.0")
    sam = _as(f.sam)
    form = sam.get(reverse("trust:ledger", args=[ledger.pk])).context["transfer_form"]
    offered = list(form.fields["invoice"].queryset.values_list("number", flat=True))
    assert offered == [own.number]

    response = sam.post(
        reverse("trust:transfer", args=[ledger.pk]),
        {
            "transfer-invoice": other.number,
            "transfer-amount": "10.00",
            "transfer-transferred_on": ISO,
            "transfer-notice_sent_on": ISO,
            "transfer-notice_method": "letter",
        },
    )
    assert response.status_code == 400
    assert "invoice" in response.context["transfer_form"].errors
    assert _balance(other) == other.total

    response = sam.post(
        reverse("trust:transfer", args=[ledger.pk]),
        {
            "transfer-invoice": own.number,
            "transfer-amount": str(own.total),
            "transfer-transferred_on": ISO,
            "transfer-notice_sent_on": ISO,
            "transfer-notice_method": "letter",
        },
    )
    assert response.status_code == 302
    assert _balance(own) == 0


# --- accounts, buffer, interest, policy ------------------------------------------------------


def test_the_trust_home_lists_accounts_and_searchable_client_ledgers(t: TrustFirm) -> None:
    f = t.f
    _funded(t, wire="1000.00", check="250.00")
    deposit(f.clara, t.iolta, f.globex_flat, "75.00", TODAY, payor="Globex", method="cash")
    client = _as(f.clara)
    response = client.get(reverse("trust:home"))
    assert response.status_code == 200
    rows = {row.account.name: row for row in response.context["accounts"]}
    assert rows["IOLTA"].journal == Decimal("1325.00")
    assert rows["IOLTA"].ledgers == 2
    ledgers = {row.ledger.matter.number: row for row in response.context["ledgers"]}
    assert ledgers[f.acme_hourly.number].cleared == Decimal("1000.00")
    assert ledgers[f.acme_hourly.number].balance == Decimal("1250.00")
    # a clerk is not offered to open accounts
    assert reverse("trust:account-new") not in response.content.decode()

    found = client.get(reverse("trust:home"), {"q": "globex"}).context["ledgers"]
    assert [row.ledger.matter for row in found] == [f.globex_flat]


def test_a_coordinator_opens_an_account_on_a_new_bank_account(t: TrustFirm) -> None:
    f = t.f
    response = _as(f.carol).post(
        reverse("trust:account-new"),
        {
            "name": "Globex escrow",
            "kind": "separate",
            "bank_account": "new",
            "new_bank_name": "Second Bank Globex",
            "new_bank_number": "333",
            "new_bank_currency": "USD",
            "client": f.globex.pk,
            "opened_on": ISO,
        },
    )
    account = TrustAccount.objects.get(name="Globex escrow")
    assert response["Location"] == reverse("trust:account", args=[account.pk])
    assert (account.kind, account.client, account.bank_account.name) == (
        "separate",
        f.globex,
        "Second Bank Globex",
    )


def test_a_refused_account_leaves_no_new_bank_account_behind(t: TrustFirm) -> None:
    from lexbill.banking.models import BankAccount

    before = BankAccount.objects.count()
    response = _as(t.f.carol).post(
        reverse("trust:account-new"),
        {
            "name": "Pooled two",
            "kind": "pooled",
            "bank_account": "new",
            "new_bank_name": "Third Bank",
            "new_bank_currency": "USD",
            "client": t.f.globex.pk,  # a pooled account holds many clients' money
            "opened_on": ISO,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["client"]
    assert BankAccount.objects.count() == before


def test_a_buffer_deposit_above_the_cap_is_refused_and_a_bank_charge_comes_from_the_buffer(
    t: TrustFirm,
) -> None:
    carol = _as(t.f.carol)
    cap = trust_policy().buffer_cap
    url = reverse("trust:buffer", args=[t.iolta.pk])
    data = {"buffer-direction": "deposit", "buffer-on": ISO}
    response = carol.post(url, {**data, "buffer-amount": str(cap + 1)})
    assert response.status_code == 400
    assert any("cap" in e for e in response.context["buffer_form"].errors["amount"])
    assert RefusedAttempt.objects.filter(operation="buffer deposit").exists()

    assert carol.post(url, {**data, "buffer-amount": "100.00"}).status_code == 302
    response = _as(t.f.sam).post(
        reverse("trust:bank-charge", args=[t.iolta.pk]),
        {"charge-amount": "15.00", "charge-on": ISO, "charge-purpose": "wire fee"},
    )
    assert response.status_code == 302
    buffer = buffer_ledger(t.iolta)
    assert ledger_balance(buffer) == Decimal("85.00")
    page = _as(t.f.clara).get(reverse("trust:ledger", args=[buffer.pk]))
    assert [row.running for row in page.context["rows"]] == [Decimal("100.00"), Decimal("85.00")]
    assert 'data-testid="deposit-form"' not in page.content.decode()  # no client money here


def test_iolta_interest_is_held_for_the_bar_foundation_not_in_a_ledger(t: TrustFirm) -> None:
    ledger = _funded(t, wire="1000.00")
    response = _as(t.f.sam).post(
        reverse("trust:interest", args=[t.iolta.pk]),
        {"interest-amount": "3.21", "interest-on": ISO},
        follow=True,
    )
    assert response.status_code == 200
    held = FoundationInterest.objects.get(account=t.iolta)
    assert held.amount == Decimal("3.21")
    assert ledger_balance(ledger) == Decimal("1000.00")
    assert response.context["interest_held"] == Decimal("3.21")


def test_a_coordinator_saves_the_trust_policy_and_the_change_is_audited(t: TrustFirm) -> None:
    policy = trust_policy()
    data = {
        "check_hold_days": 7,
        "certified_hold_days": 2,
        "ach_hold_days": 3,
        "buffer_cap": "250.00",
        "fee_notice_days": 1,
        "dormant_months": 24,
    }
    assert _as(t.f.sam).post(reverse("trust:policy"), data).status_code == 403
    response = _as(t.f.carol).post(reverse("trust:policy"), data)
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.check_hold_days, policy.buffer_cap) == (7, Decimal("250.00"))
    assert AuditRecord.objects.filter(model="trust.TrustPolicy", object_id=str(policy.pk)).exists()


# --- retainers and the matter page -----------------------------------------------------------


def test_a_specialist_records_an_evergreen_retainer_and_the_ledger_shows_the_gap(
    t: TrustFirm,
) -> None:
    f = t.f
    ledger = _funded(t, wire="1500.00")
    url = reverse("trust:retainer", args=[f.acme_hourly.pk])
    assert _as(f.clara).get(url).status_code == 403
    response = _as(f.sam).post(
        url,
        {
            "account": t.iolta.pk,
            "kind": "evergreen",
            "amount": "5000.00",
            "minimum_balance": "2000.00",
            "agreed_on": ISO,
        },
    )
    assert response["Location"] == reverse("trust:ledger", args=[ledger.pk])
    retainer = Retainer.objects.get(matter=f.acme_hourly)
    assert (retainer.kind, retainer.minimum_balance) == ("evergreen", Decimal("2000.00"))
    page = _as(f.clara).get(reverse("trust:ledger", args=[ledger.pk]))
    shortfall = retainer.minimum_balance - ledger_balance(ledger)
    assert page.context["retainer_short"] == shortfall
    assert "below the minimum" in page.content.decode()


def test_an_evergreen_retainer_without_a_minimum_is_refused_next_to_the_field(
    t: TrustFirm,
) -> None:
    response = _as(t.f.sam).post(
        reverse("trust:retainer", args=[t.f.acme_hourly.pk]),
        {"account": t.iolta.pk, "kind": "evergreen", "amount": "5000.00", "agreed_on": ISO},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["minimum_balance"]
    assert not Retainer.objects.exists()


def test_the_matter_page_shows_its_trust_money_to_the_billing_office_only(t: TrustFirm) -> None:
    f = t.f
    ledger = _funded(t, wire="600.00", check="400.00")
    url = reverse("clients:matter-detail", args=[f.acme_hourly.pk])
    text = _as(f.clara).get(url).content.decode()
    assert 'data-testid="matter-trust"' in text
    assert reverse("trust:ledger", args=[ledger.pk]) in text
    assert f"{reverse('trust:deposit')}?matter={f.acme_hourly.pk}" in text
    assert 'data-testid="matter-trust"' not in _as(f.pat).get(url).content.decode()
