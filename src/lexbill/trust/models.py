"""Client money held in trust: accounts, a ledger per client matter, and the journal of postings.

Nothing here keeps a running balance. A ledger's balance is the sum of its postings, the
journal's balance is the sum of an account's postings, and every posting belongs to exactly one
ledger, so journal = Σ ledgers holds by construction; the three-way reconciliation checks the
third side, the bank, against both.

Postings (``TrustTransaction``) are immutable: a mistake is reversed by a new posting pointing at
the one it reverses. IOLTA interest never enters a ledger: it belongs to the bar foundation and is
kept in ``FoundationInterest`` until the bank remits it, as a reconciling item on the bank side.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from lexbill.fields import FixedDecimalField
from lexbill.immutable import ImmutableModel


class AccountKind(models.TextChoices):
    POOLED = "pooled", "Pooled IOLTA account"
    SEPARATE = "separate", "Separate interest-bearing client trust account"


class TrustAccount(models.Model):
    """A bank account holding client money; its statements are imported through ``banking``."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    bank_account = models.OneToOneField(
        "banking.BankAccount", on_delete=models.PROTECT, related_name="trust_account"
    )
    currency = models.CharField(max_length=3, default="USD")
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the one client a separate account is held for; empty for a pooled account",
    )
    opened_on = models.DateField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="trust_account_separate_has_client",
                condition=Q(kind="pooled", client__isnull=True)
                | Q(kind="separate", client__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.name


class TrustPolicy(models.Model):
    """The firm's trust rules that vary by state: holds, the buffer cap, notice, dormancy.

    One row per firm, made on first use; ``singleton`` is unique so two first uses at once
    can't make two.
    """

    singleton = models.BooleanField(default=True, unique=True, editable=False)

    check_hold_days = models.PositiveSmallIntegerField(
        default=5, help_text="days before an ordinary check's funds may be paid out"
    )
    certified_hold_days = models.PositiveSmallIntegerField(
        default=1, help_text="days for certified and cashier's checks (good funds in many states)"
    )
    ach_hold_days = models.PositiveSmallIntegerField(default=1)
    buffer_cap = FixedDecimalField(
        places=2,
        default=500,
        help_text="the most firm money a trust account may hold to cover bank charges",
    )
    fee_notice_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="days the client's notice must precede a transfer of earned fees (0: same day)",
    )
    dormant_months = models.PositiveSmallIntegerField(
        default=12, help_text="months without activity after which a balance is reported dormant"
    )

    class Meta:
        verbose_name_plural = "trust policy"

    def __str__(self) -> str:
        return "Trust policy"


class LedgerKind(models.TextChoices):
    CLIENT = "client", "Client matter"
    BUFFER = "buffer", "Firm bank-charge buffer"


class TrustLedger(models.Model):
    """One client matter's money in one trust account, or the firm's capped bank-charge buffer.

    The row is what postings lock (``select_for_update``) before checking a balance, so two
    people paying out of one ledger at the same moment are served one after the other.
    """

    account = models.ForeignKey(TrustAccount, on_delete=models.PROTECT, related_name="ledgers")
    kind = models.CharField(max_length=10, choices=LedgerKind.choices, default=LedgerKind.CLIENT)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matter = models.ForeignKey(
        "clients.Matter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trust_ledgers",
    )
    opened_on = models.DateField()

    class Meta:
        ordering = ["account", "kind", "matter__number"]
        constraints = [
            models.UniqueConstraint(fields=["account", "matter"], name="trust_ledger_per_matter"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(kind="buffer"), name="trust_one_buffer"
            ),
            models.CheckConstraint(
                name="trust_ledger_kind_owner",
                condition=Q(kind="client", matter__isnull=False, client__isnull=False)
                | Q(kind="buffer", matter__isnull=True, client__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        if self.kind == LedgerKind.BUFFER:
            return f"{self.account.name}: firm bank-charge buffer"
        return f"{self.account.name}: {self.matter}"


class TransactionKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    DISBURSEMENT = "disbursement", "Disbursement to a third party"
    FEE_TRANSFER = "fee_transfer", "Earned fees to operating"
    REFUND = "refund", "Refund of unearned funds"
    BANK_CHARGE = "bank_charge", "Bank charge"
    BUFFER_DEPOSIT = "buffer_deposit", "Firm funds for bank charges"
    BUFFER_WITHDRAWAL = "buffer_withdrawal", "Firm funds withdrawn from the buffer"
    INTEREST = "interest", "Interest (client's, separate account)"
    REVERSAL = "reversal", "Reversal"


INFLOWS = (
    TransactionKind.DEPOSIT,
    TransactionKind.BUFFER_DEPOSIT,
    TransactionKind.INTEREST,
)
OUTFLOWS = (
    TransactionKind.DISBURSEMENT,
    TransactionKind.FEE_TRANSFER,
    TransactionKind.REFUND,
    TransactionKind.BANK_CHARGE,
    TransactionKind.BUFFER_WITHDRAWAL,
)


class TrustMethod(models.TextChoices):
    CASH = "cash", "Cash"
    WIRE = "wire", "Wire"
    ACH = "ach", "ACH"
    CHECK = "check", "Check"
    CERTIFIED_CHECK = "certified_check", "Certified check"
    CASHIERS_CHECK = "cashiers_check", "Cashier's check"
    TRANSFER = "transfer", "Transfer between accounts"
    BANK = "bank", "Bank entry"


class TrustTransaction(ImmutableModel):
    """One posting in the trust journal, on one ledger: positive in, negative out.

    ``available_on`` is when a deposit's funds may be paid out (cash and wires at once, checks
    after the policy's hold); outflows have none and always count against cleared funds. A
    deposit's reversal carries its deposit's date, so bouncing an uncleared check doesn't
    reduce the money already cleared.
    """

    account = models.ForeignKey(TrustAccount, on_delete=models.PROTECT, related_name="journal")
    ledger = models.ForeignKey(TrustLedger, on_delete=models.PROTECT, related_name="postings")
    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    entered_on = models.DateField(help_text="the date of the transaction in the journal")
    available_on = models.DateField(null=True, blank=True)
    amount = FixedDecimalField(places=2, help_text="positive into the ledger, negative out")
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, choices=TrustMethod.choices, blank=True)
    counterparty = models.CharField(
        max_length=200, blank=True, help_text="payor of a deposit, payee of a payment"
    )
    purpose = models.CharField(max_length=300, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, help_text="check number, wire memo or bank reference"
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trust_transfers",
    )
    payment = models.OneToOneField(
        "receivables.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trust_transaction",
    )
    notice_sent_on = models.DateField(null=True, blank=True)
    notice_method = models.CharField(max_length=40, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["entered_on", "id"]
        indexes = [
            models.Index(fields=["ledger", "entered_on"], name="trusttxn_ledger_idx"),
            models.Index(fields=["account", "entered_on"], name="trusttxn_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="trusttxn_not_zero", condition=~Q(amount=0)),
            models.CheckConstraint(
                name="trusttxn_sign_by_kind",
                condition=Q(kind__in=[k.value for k in INFLOWS], amount__gt=0)
                | Q(kind__in=[k.value for k in OUTFLOWS], amount__lt=0)
                | Q(kind="reversal", reverses__isnull=False),
            ),
            models.CheckConstraint(
                name="trusttxn_fee_transfer_names_invoice",
                condition=~Q(kind="fee_transfer") | Q(invoice__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entered_on} {self.get_kind_display()} {self.amount} {self.currency}"


class InterestKind(models.TextChoices):
    CREDITED = "credited", "Credited by the bank"
    REMITTED = "remitted", "Remitted to the bar foundation"


class FoundationInterest(ImmutableModel):
    """IOLTA interest: the bar foundation's money while it sits in the pooled account."""

    account = models.ForeignKey(
        TrustAccount, on_delete=models.PROTECT, related_name="foundation_interest"
    )
    kind = models.CharField(max_length=10, choices=InterestKind.choices)
    entered_on = models.DateField()
    amount = FixedDecimalField(places=2, help_text="always positive; the kind says which way")
    reference = models.CharField(max_length=100, blank=True)
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["entered_on", "id"]
        constraints = [
            models.CheckConstraint(name="foundation_interest_positive", condition=Q(amount__gt=0))
        ]

    def __str__(self) -> str:
        return f"{self.entered_on} interest {self.get_kind_display()} {self.amount}"


class RefusedAttempt(ImmutableModel):
    """A trust operation the rules refused: who tried what, and why it was refused."""

    attempted_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    operation = models.CharField(max_length=40)
    account = models.ForeignKey(
        TrustAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ledger = models.ForeignKey(
        TrustLedger, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = FixedDecimalField(places=2, null=True, blank=True)
    reason = models.TextField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M} {self.operation}: {self.reason}"


class RetainerKind(models.TextChoices):
    STANDARD = "standard", "Retainer"
    EVERGREEN = "evergreen", "Evergreen retainer"


class Retainer(models.Model):
    """What the engagement asks the client to keep in trust for a matter."""

    matter = models.OneToOneField(
        "clients.Matter", on_delete=models.PROTECT, related_name="retainer"
    )
    account = models.ForeignKey(TrustAccount, on_delete=models.PROTECT, related_name="retainers")
    kind = models.CharField(max_length=10, choices=RetainerKind.choices)
    amount = FixedDecimalField(places=2, help_text="the retainer the client agreed to deposit")
    minimum_balance = FixedDecimalField(
        places=2, default=0, help_text="evergreen: the trust balance to keep after each bill"
    )
    agreed_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["matter__number"]
        constraints = [
            models.CheckConstraint(name="retainer_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="retainer_minimum_not_negative", condition=Q(minimum_balance__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} for {self.matter}"


class Replenishment(ImmutableModel):
    """The deposit an evergreen matter's invoice asks for, fixed when the invoice is issued."""

    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.PROTECT, related_name="trust_replenishment"
    )
    retainer = models.ForeignKey(Retainer, on_delete=models.PROTECT, related_name="+")
    minimum_balance = FixedDecimalField(places=2)
    trust_balance = FixedDecimalField(places=2, help_text="the matter's trust balance at issue")
    invoice_due = FixedDecimalField(places=2, help_text="what this invoice asks to be paid")
    amount = FixedDecimalField(places=2, help_text="the replenishment due")

    def __str__(self) -> str:
        return f"replenish {self.amount} with invoice {self.invoice_id}"


class TrustClearing(models.Model):
    """A bank statement line and the journal posting (or IOLTA interest entry) it cleared.

    An automatic match is one row holding both sides. A match made by hand of several bank lines and
    postings is several rows sharing ``match_no`` (a row may then hold one side only). ``match_no``
    is the smallest bank-line id in the match — every match has at least one bank line and a bank
    line belongs to one match (one-to-one), so it names the match without a table of its own.
    A match can be undone until its month is signed off; the postings themselves never change.

    There is no account column: the account is the bank line's (bank account → trust account) or
    the posting's, and one foreign key fewer per row is a check fewer at commit for 100,000 rows.
    """

    match_no = models.BigIntegerField(db_index=True)
    bank_transaction = models.OneToOneField(
        "banking.BankTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trust_clearing",
    )
    trust_transaction = models.OneToOneField(
        TrustTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clearing",
    )
    foundation_interest = models.OneToOneField(
        FoundationInterest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clearing",
    )
    matched_at = models.DateTimeField()
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    automatic = models.BooleanField(default=False)

    class Meta:
        ordering = ["match_no", "id"]
        constraints = [
            models.CheckConstraint(
                name="trust_clearing_one_journal_side",
                condition=Q(trust_transaction__isnull=True) | Q(foundation_interest__isnull=True),
            ),
            models.CheckConstraint(
                name="trust_clearing_not_empty",
                condition=Q(bank_transaction__isnull=False)
                | Q(trust_transaction__isnull=False)
                | Q(foundation_interest__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        posting = self.trust_transaction_id or self.foundation_interest_id
        return f"match {self.match_no}: bank line {self.bank_transaction_id}, posting {posting}"


class SignedReconciliation(ImmutableModel):
    """A month's three-way reconciliation as a coordinator signed it off: kept, never changed.

    ``snapshot`` holds every figure and item the sign-off saw, so the printed PDF is the same
    years later whatever is matched or posted afterwards (and postings into a signed month are
    refused anyway).
    """

    account = models.ForeignKey(
        TrustAccount, on_delete=models.PROTECT, related_name="reconciliations"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    statement_balance = FixedDecimalField(places=2)
    adjusted_bank_balance = FixedDecimalField(places=2)
    journal_balance = FixedDecimalField(places=2)
    ledgers_total = FixedDecimalField(places=2)
    snapshot = models.JSONField()
    note = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["account", "-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_end"], name="trust_reconciliation_once"
            ),
            models.CheckConstraint(
                name="trust_reconciliation_balances",
                condition=Q(adjusted_bank_balance=models.F("journal_balance"))
                & Q(journal_balance=models.F("ledgers_total")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} reconciled to {self.period_end}"
