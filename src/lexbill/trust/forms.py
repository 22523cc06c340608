"""Forms of the trust pages: typed values at the edge, every client-money rule left to the services.

The forms only check what a browser could get wrong (a missing field, a date that isn't one);
whether money may move — holds, balances, notice, the buffer cap — is decided by
trust.services, whose refusal the view puts next to the field it names.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from lexbill.banking.models import BankAccount
from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.clients.models import Client, Matter
from lexbill.trust.models import (
    AccountKind,
    RetainerKind,
    TrustAccount,
    TrustLedger,
    TrustMethod,
    TrustPolicy,
)

DEPOSIT_METHODS = [
    (m.value, m.label)
    for m in (
        TrustMethod.CHECK,
        TrustMethod.WIRE,
        TrustMethod.CASH,
        TrustMethod.ACH,
        TrustMethod.CERTIFIED_CHECK,
        TrustMethod.CASHIERS_CHECK,
    )
]
PAYMENT_METHODS = [
    (m.value, m.label) for m in (TrustMethod.CHECK, TrustMethod.WIRE, TrustMethod.ACH)
]
NEW_BANK_ACCOUNT = "new"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _day(label: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(), initial=timezone.localdate, **kwargs)


def _amount(label: str = "Amount") -> forms.DecimalField:
    # the number is only typed here; positivity and the currency's decimals are the services'
    return forms.DecimalField(label=label, max_digits=14, decimal_places=4)


class DepositForm(forms.Form):
    """Client money received for the ledger's matter (the ledger page)."""

    prefix = "deposit"  # the page shows several forms with an amount

    amount = _amount()
    received_on = _day("Received on")
    payor = forms.CharField(max_length=200, help_text="who the money came from")
    method = forms.ChoiceField(choices=DEPOSIT_METHODS)
    reference = forms.CharField(max_length=100, required=False, label="Check number or wire memo")
    purpose = forms.CharField(max_length=300, required=False, help_text="e.g. retainer")


class MatterDepositForm(DepositForm):
    """A deposit chosen from scratch: which trust account and which matter it is for."""

    prefix = None  # type: ignore[assignment]  # alone on its page
    field_order = ["account", "matter"]
    account = forms.ModelChoiceField(
        queryset=TrustAccount.objects.filter(active=True), label="Trust account"
    )
    matter = forms.ModelChoiceField(
        queryset=Matter.objects.select_related("client").order_by("number"), label="Matter"
    )


class DisburseForm(forms.Form):
    prefix = "disburse"  # the page shows several forms with an amount

    amount = _amount()
    paid_on = _day("Paid on")
    payee = forms.CharField(max_length=200)
    purpose = forms.CharField(max_length=300, help_text="what the payment is for")
    method = forms.ChoiceField(choices=PAYMENT_METHODS)
    reference = forms.CharField(max_length=100, required=False, label="Check number or wire memo")


class RefundForm(forms.Form):
    prefix = "refund"  # the page shows several forms with an amount

    amount = _amount()
    paid_on = _day("Refunded on")
    method = forms.ChoiceField(choices=PAYMENT_METHODS)
    reference = forms.CharField(max_length=100, required=False, label="Check number or wire memo")
    purpose = forms.CharField(max_length=300, required=False, initial="refund of unearned funds")


def open_invoices(matter_id: int | None) -> QuerySet[Invoice]:
    """The matter's invoices with something still open: what trust may pay."""
    return (
        with_balances(Invoice.objects.filter(matter_id=matter_id or 0))
        .filter(balance__gt=0)  # type: ignore[misc]
        .order_by("issued_on", "number")
    )


class InvoiceChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} of {obj.issued_on:%Y-%m-%d}, {obj.balance} {obj.currency} open"


class TransferForm(forms.Form):
    """Earned fees to operating against one of the matter's final invoices, with the notice."""

    prefix = "transfer"  # the page shows several forms with an amount

    invoice = InvoiceChoice(queryset=Invoice.objects.none(), to_field_name="number")
    amount = _amount()
    transferred_on = _day("Transferred on")
    notice_sent_on = _day(
        "Client told on", help_text="when the client was told of the withdrawal (date, amount)"
    )
    notice_method = forms.CharField(max_length=40, initial="e-mail", label="Told by")
    reference = forms.CharField(max_length=100, required=False)

    def __init__(self, *args: Any, matter_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        invoice = self.fields["invoice"]
        assert isinstance(invoice, forms.ModelChoiceField)
        invoice.queryset = open_invoices(matter_id)


class ApplyTrustForm(TransferForm):
    """The invoice page's panel: the invoice is fixed, the ledger is chosen among the matter's."""

    prefix = "trust"  # also shown on the invoice page, beside its other forms
    field_order = ["ledger", "amount"]
    ledger = forms.ModelChoiceField(queryset=TrustLedger.objects.none(), label="Trust ledger")

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, matter_id=invoice.matter_id, **kwargs)
        del self.fields["invoice"]
        ledger = self.fields["ledger"]
        assert isinstance(ledger, forms.ModelChoiceField)
        ledger.queryset = TrustLedger.objects.filter(matter_id=invoice.matter_id).select_related(
            "account"
        )
        ledger.label_from_instance = lambda obj: obj.account.name  # type: ignore[method-assign]


class ReverseForm(forms.Form):
    reversed_on = _day("Reversed on")
    reason = forms.CharField(max_length=300, help_text="e.g. check returned unpaid, check voided")


class BufferForm(forms.Form):
    """The firm's own money for bank charges, in or out of the account's buffer."""

    prefix = "buffer"  # the page shows several forms with an amount

    direction = forms.ChoiceField(
        choices=[("deposit", "Deposit firm funds"), ("withdraw", "Withdraw firm funds")],
        label="",
    )
    amount = _amount()
    on = _day("On")
    reference = forms.CharField(max_length=100, required=False)


class BankChargeForm(forms.Form):
    prefix = "charge"  # the page shows several forms with an amount

    amount = _amount()
    on = _day("Charged on")
    purpose = forms.CharField(max_length=300, initial="bank service charge")
    reference = forms.CharField(max_length=100, required=False)


class InterestForm(forms.Form):
    prefix = "interest"  # the page shows several forms with an amount

    amount = _amount()
    on = _day("Credited on")
    matter = forms.ModelChoiceField(
        queryset=Matter.objects.none(),
        required=False,
        help_text="separate account: the client matter the interest belongs to",
    )
    reference = forms.CharField(max_length=100, required=False)

    def __init__(self, *args: Any, account: TrustAccount, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if account.kind == AccountKind.POOLED:
            # IOLTA interest is the bar foundation's: there is no matter to choose
            del self.fields["matter"]
        else:
            matter = self.fields["matter"]
            assert isinstance(matter, forms.ModelChoiceField)
            matter.queryset = Matter.objects.filter(client_id=account.client_id or 0)


class RetainerForm(forms.Form):
    account = forms.ModelChoiceField(
        queryset=TrustAccount.objects.filter(active=True), label="Trust account"
    )
    kind = forms.ChoiceField(choices=RetainerKind.choices)
    amount = _amount("Retainer amount")
    minimum_balance = forms.DecimalField(
        max_digits=14,
        decimal_places=4,
        initial=Decimal(0),
        required=False,
        help_text="evergreen: the trust balance to keep after each bill",
    )
    agreed_on = _day("Agreed on")
    note = forms.CharField(max_length=300, required=False)


class AccountForm(forms.Form):
    """A new trust account over an unused bank account, or a new bank account typed here."""

    name = forms.CharField(max_length=80)
    kind = forms.ChoiceField(choices=AccountKind.choices)
    bank_account = forms.ChoiceField(label="Bank account")
    new_bank_name = forms.CharField(max_length=80, required=False, label="New bank account name")
    new_bank_number = forms.CharField(
        max_length=40, required=False, label="New bank account number or IBAN"
    )
    new_bank_currency = forms.CharField(max_length=3, initial="USD", label="Currency")
    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("name"),
        required=False,
        help_text="only for a separate account: the one client it is held for",
    )
    opened_on = _day("Opened on")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        free = BankAccount.objects.filter(active=True, trust_account__isnull=True).order_by("name")
        bank = self.fields["bank_account"]
        assert isinstance(bank, forms.ChoiceField)
        bank.choices = [
            (NEW_BANK_ACCOUNT, "A new bank account (below)"),
            *((str(b.pk), f"{b.name} ({b.currency})") for b in free),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("bank_account") == NEW_BANK_ACCOUNT and not data.get("new_bank_name"):
            self.add_error("new_bank_name", "name the new bank account, or choose one above")
        return data


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = TrustPolicy
        fields = [
            "check_hold_days",
            "certified_hold_days",
            "ach_hold_days",
            "buffer_cap",
            "fee_notice_days",
            "dormant_months",
        ]
        labels = {
            "check_hold_days": "Check hold (days)",
            "certified_hold_days": "Certified and cashier's check hold (days)",
            "ach_hold_days": "ACH hold (days)",
            "buffer_cap": "Bank-charge buffer cap",
            "fee_notice_days": "Notice before a fee transfer (days)",
            "dormant_months": "Dormant after (months)",
        }

    def clean_buffer_cap(self) -> Decimal:
        cap: Decimal = self.cleaned_data["buffer_cap"]
        if cap < 0:
            raise forms.ValidationError("the cap can't be negative")
        return cap


class LedgerSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Client or matter")


def today() -> date:
    return timezone.localdate()
