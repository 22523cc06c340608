"""Three-way reconciliation of trust accounts: import, match, compare, sign off, keep.

The worked example is the Law Society of British Columbia's Rule 3-65 sample (see
/work/shared/billing-rules.md "Worked three-way reconciliation"): a pooled account whose
statement shows 40,391.66, of which 91.66 is interest owed to the bar foundation, and a
separate account of 10,000.00; ledgers of 300.00 (the lawyer's own bank-charge money: the firm's
buffer ledger), 40,000.00 and 10,000.00; a journal of 300.00 opening plus 50,000.00 receipts.
Every figure here is built through the services and a real statement file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Q, QuerySet
from django.utils import timezone
from pypdf import PdfReader
from tests.app.trust_statements import CSV_MAPPING, Line, camt053, csv_statement

from lexbill.audit.models import AuditRecord
from lexbill.banking.services import create_bank_account, save_csv_mapping
from lexbill.clients.services import create_client, open_matter
from lexbill.core.errors import (
    ImmutableRecord,
    InvalidEntry,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    TrustRuleViolation,
)
from lexbill.core.trust_reconciliation import months_before
from lexbill.trust.models import (
    FoundationInterest,
    RefusedAttempt,
    SignedReconciliation,
    TrustAccount,
    TrustClearing,
    TrustLedger,
    TrustTransaction,
)
from lexbill.trust.reconciliation import (
    auto_match,
    firm_wide,
    import_trust_statement,
    match_by_hand,
    month_bounds,
    sign_off,
    three_way_for,
    three_way_from_snapshot,
    unmatch,
    unmatched,
    unreconciled_months,
)
from lexbill.trust.reconciliation_pdf import reconciliation_pdf
from lexbill.trust.selectors import trust_policy
from lexbill.trust.services import (
    bank_charge,
    deposit,
    deposit_firm_funds,
    disburse,
    open_trust_account,
    record_interest,
)

D = Decimal
OPENED = date(2026, 9, 1)
START, END = month_bounds("2026-09")
OCTOBER_END = month_bounds("2026-10")[1]


@dataclass
class Example:
    f: Any
    pooled: TrustAccount
    separate: TrustAccount
    john: Any  # matter of "Injured, John" in the pooled account
    jimmy: Any  # matter of "Innocent, Jimmy", held in the separate account


def _clearings(account: TrustAccount) -> QuerySet[TrustClearing]:
    """The account's match rows, by their bank line or their journal entry."""
    return TrustClearing.objects.filter(
        Q(bank_transaction__bank_account_id=account.bank_account_id)
        | Q(trust_transaction__account=account)
        | Q(foundation_interest__account=account)
    )


def _pooled_lines(*, interest: bool = True) -> list[Line]:
    lines = [
        Line(date(2026, 9, 1), D("300.00"), "transfer from operating", "Hale & Ward LLP"),
        Line(date(2026, 9, 12), D("40000.00"), "settlement funds", "Injured, John"),
    ]
    if interest:
        lines.append(Line(date(2026, 9, 30), D("91.66"), "IOLTA interest September"))
    return lines


def _pooled_statement(*, interest: bool = True) -> bytes:
    return camt053("111000111", START, END, D("0.00"), _pooled_lines(interest=interest))


@pytest.fixture
def example(small_firm: Any) -> Example:
    """The firm's books of the worked example, posted through the services (nothing imported)."""
    f = small_firm
    pooled = open_trust_account(
        None, "IOLTA", "pooled", create_bank_account(None, "IOLTA", number="111000111"), OPENED
    )
    john_client = create_client(None, "C101", "Injured, John")
    jimmy_client = create_client(None, "C102", "Innocent, Jimmy")
    john = open_matter(None, john_client, "1002", "Injury claim", f.partner, opened_on=OPENED)
    jimmy = open_matter(None, jimmy_client, "1003", "Estate", f.partner, opened_on=OPENED)
    separate = open_trust_account(
        None,
        "Innocent trust",
        "separate",
        create_bank_account(None, "Innocent trust", number="222000222"),
        OPENED,
        client=jimmy_client,
    )
    # the lawyer's own 300.00 for bank charges: the firm's buffer ledger (I.M. Lawyer, #1001)
    deposit_firm_funds(f.carol, pooled, "300.00", date(2026, 9, 1))
    deposit(
        f.clara, pooled, john, "40000.00", date(2026, 9, 11), payor="Injured, John", method="wire",
        reference="W-4471",
    )  # fmt: skip
    deposit(
        f.clara, separate, jimmy, "10000.00", date(2026, 9, 15), payor="Innocent, Jimmy",
        method="check", reference="1187",
    )  # fmt: skip
    save_csv_mapping(f.sam, separate.bank_account, "US bank", dict(CSV_MAPPING))
    separate.bank_account.refresh_from_db()
    return Example(f, pooled, separate, john, jimmy)


def _separate_statement() -> bytes:
    return csv_statement(
        [Line(date(2026, 9, 16), D("10000.00"), "REMOTE DEPOSIT", "Innocent, Jimmy", "1187")]
    )


def _import_all(e: Example, *, interest: bool = True) -> None:
    if interest:
        record_interest(e.f.sam, e.pooled, "91.66", date(2026, 9, 30), reference="SEP INT")
    pooled = import_trust_statement(
        e.f.sam, e.pooled, _pooled_statement(), "camt053", file_name="sept.xml"
    )
    assert pooled.new == 3
    separate = import_trust_statement(
        e.f.sam, e.separate, _separate_statement(), "csv", file_name="sept.csv"
    )
    assert (separate.new, separate.matched, separate.queued) == (1, 1, 0)


def test_the_worked_example_reconciles_on_all_three_sides(example: Example) -> None:
    e = example
    _import_all(e)
    pooled = three_way_for(e.pooled, END)
    statement = sum((line.amount for line in _pooled_lines()), D(0))
    assert pooled.statement_balance == statement  # the closing balance read from the file
    assert pooled.foundation_interest == D("91.66")
    assert pooled.adjusted_bank == pooled.journal_balance == pooled.ledgers_total
    assert pooled.adjusted_bank == statement - D("91.66")
    assert {line.name: line.balance for line in pooled.ledgers} == {
        "Firm bank-charge buffer": D("300.00"),
        "Injured, John, 1002 Injury claim": D("40000.00"),
    }
    assert pooled.reconciled and pooled.problems == () and pooled.differences == ()
    assert pooled.deposits_in_transit == pooled.outstanding_payments == ()

    separate = three_way_for(e.separate, END, D("10000.00"))
    assert separate.reconciled
    assert separate.adjusted_bank == separate.journal_balance == separate.ledgers_total

    firm = firm_wide(END, {e.separate.pk: D("10000.00")})  # a CSV statement has no balance
    assert firm.reconciled and firm.problems == ()
    (usd,) = firm.totals
    expected = pooled.ledgers_total + separate.ledgers_total
    assert usd.currency == "USD" and usd.agree
    assert usd.adjusted_bank == usd.journal_balance == usd.ledgers_total == expected
    assert expected == D("50300.00")  # the published total of each side
    assert [row.account.name for row in firm.accounts] == ["IOLTA", "Innocent trust"]


def test_without_the_interest_adjustment_the_month_does_not_reconcile_and_names_it(
    example: Example,
) -> None:
    e = example
    _import_all(e, interest=False)
    pooled = three_way_for(e.pooled, END)
    assert not pooled.reconciled
    assert pooled.foundation_interest == 0
    (difference,) = pooled.differences
    assert difference.between == "bank and journal"
    assert difference.amount == pooled.adjusted_bank - pooled.journal_balance == D("91.66")
    (interest_line,) = difference.explained_by
    assert interest_line.amount == D("91.66") and difference.unexplained == 0
    assert pooled.unrecorded_bank_items == (interest_line,)
    assert "91.66" in pooled.problems[0] and "not recorded in the journal" in pooled.problems[0]

    firm = firm_wide(END, {e.separate.pk: D("10000.00")})
    (usd,) = firm.totals
    assert not firm.reconciled and not usd.agree
    assert usd.adjusted_bank - usd.journal_balance == D("91.66")
    assert any(p.startswith("IOLTA: ") and "91.66" in p for p in firm.problems)
    with pytest.raises(TrustRuleViolation, match=r"91\.66"):
        sign_off(e.f.carol, e.pooled, END)
    assert not SignedReconciliation.objects.exists()
    assert RefusedAttempt.objects.filter(operation="sign off").count() == 1

    # recording the interest (the bank's line is then matched) makes it reconcile
    record_interest(e.f.sam, e.pooled, "91.66", date(2026, 9, 30))
    assert auto_match(e.f.sam, e.pooled, END) == 1
    assert three_way_for(e.pooled, END).reconciled


def test_a_signed_reconciliation_is_kept_unchanged_and_prints_its_figures(
    example: Example,
) -> None:
    e = example
    _import_all(e)
    signed = sign_off(e.f.carol, e.pooled, END, note="checked against the paper statement")
    assert signed.adjusted_bank_balance == signed.journal_balance == signed.ledgers_total
    kept = three_way_from_snapshot(signed.snapshot)
    assert kept == three_way_for(e.pooled, END)
    assert signed.snapshot["account"]["name"] == "IOLTA"
    assert AuditRecord.objects.filter(summary__contains="signed off to 2026-09-30").count() == 1

    with pytest.raises(ImmutableRecord):
        signed.note = "changed"
        signed.save()
    with pytest.raises(ImmutableRecord):
        SignedReconciliation.objects.filter(pk=signed.pk).update(note="changed")
    with pytest.raises(InvalidTransition, match="already signed"):
        sign_off(e.f.carol, e.pooled, END)

    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(reconciliation_pdf(signed))).pages
    )
    for figure in (signed.statement_balance, signed.adjusted_bank_balance, D("91.66")):
        assert f"{figure:,.2f}" in text
    assert "Injured, John" in text and "IOLTA" in text and "carol" in text.lower()

    # later postings and statements do not change what was signed
    deposit(e.f.clara, e.pooled, e.john, "500.00", date(2026, 10, 2), payor="Injured, John")
    signed.refresh_from_db()
    assert three_way_from_snapshot(signed.snapshot) == kept


def test_postings_and_unmatching_in_a_signed_month_are_refused(example: Example) -> None:
    e = example
    _import_all(e)
    sign_off(e.f.carol, e.pooled, END)
    with pytest.raises(TrustRuleViolation, match="signed off"):
        deposit(e.f.clara, e.pooled, e.john, "5.00", date(2026, 9, 30), payor="Injured, John")
    match = _clearings(e.pooled).first()
    assert match is not None
    with pytest.raises(TrustRuleViolation, match="signed"):
        unmatch(e.f.sam, e.pooled, match.match_no)
    assert TrustClearing.objects.filter(match_no=match.match_no).exists()
    # a match is undone in its own account only
    with pytest.raises(NotFound):
        unmatch(e.f.sam, e.separate, match.match_no)
    # the separate account's September is not signed: its match can still be undone
    other = _clearings(e.separate).get()
    unmatch(e.f.sam, e.separate, other.match_no)
    assert not _clearings(e.separate).exists()
    assert AuditRecord.objects.filter(
        model="trust.TrustClearing", object_id=str(other.match_no), summary__contains="undone"
    ).exists()


def test_a_negative_ledger_fails_the_month_even_when_the_totals_agree(example: Example) -> None:
    """The services never let a ledger go below zero, so the shortage is constructed directly:
    a 250.00 check written on the wrong matter, as a journal migrated from an older system
    could hold it. The bank cleared it, so the three totals still agree."""
    e = example
    _import_all(e)
    wrong = TrustLedger.objects.create(
        account=e.pooled, kind="client", client=e.jimmy.client, matter=e.jimmy, opened_on=OPENED
    )
    posting = TrustTransaction.objects.create(
        account=e.pooled, ledger=wrong, kind="disbursement", entered_on=date(2026, 9, 20),
        amount=D("-250.00"), currency="USD", method="check", reference="2001",
        counterparty="Court clerk", posted_at=timezone.now(),
    )  # fmt: skip
    data = camt053(
        "111000111",
        START,
        END,
        D("0.00"),
        [*_pooled_lines(), Line(date(2026, 9, 24), D("-250.00"), "CHECK", check_number="2001")],
    )
    result = import_trust_statement(e.f.sam, e.pooled, data, "camt053")
    assert (result.new, result.matched, result.queued) == (1, 1, 0)
    assert TrustClearing.objects.filter(trust_transaction=posting, automatic=True).exists()
    pooled = three_way_for(e.pooled, END)
    assert pooled.adjusted_bank == pooled.journal_balance == pooled.ledgers_total
    assert pooled.differences == ()
    assert [line.ledger_id for line in pooled.negative_ledgers] == [wrong.pk]
    assert not pooled.reconciled
    assert "negative" in pooled.problems[0] and "Innocent, Jimmy" in pooled.problems[0]
    with pytest.raises(TrustRuleViolation, match="negative"):
        sign_off(e.f.carol, e.pooled, END)


def test_checks_not_yet_cleared_are_outstanding_and_deposits_in_transit_adjust_the_bank(
    example: Example,
) -> None:
    e = example
    _import_all(e)
    john = TrustLedger.objects.get(account=e.pooled, matter=e.john)
    check = disburse(
        e.f.sam, john, "1200.00", date(2026, 9, 25), payee="Medical records", purpose="records",
        reference="3001",
    )  # fmt: skip
    late = deposit(e.f.clara, e.pooled, e.john, "700.00", date(2026, 9, 30), payor="Insurer")
    pooled = three_way_for(e.pooled, END)
    assert [i.id for i in pooled.outstanding_payments] == [check.pk]
    assert [i.id for i in pooled.deposits_in_transit] == [late.pk]
    assert pooled.outstanding_payments[0].amount == D("-1200.00")
    assert pooled.reconciled
    assert pooled.adjusted_bank == pooled.statement_balance - D("1200.00") + D("700.00") - D(
        "91.66"
    )
    # October's statement clears both: September still shows them open, October does not
    october = camt053(
        "111000111",
        OCTOBER_END.replace(day=1),
        OCTOBER_END,
        pooled.statement_balance,
        [
            Line(date(2026, 10, 1), D("700.00"), "DEPOSIT", "Insurer"),
            Line(date(2026, 10, 3), D("-1200.00"), "CHECK", check_number="3001"),
        ],
    )
    result = import_trust_statement(e.f.sam, e.pooled, october, "camt053")
    assert result.matched == 2
    assert three_way_for(e.pooled, END).outstanding_payments == pooled.outstanding_payments
    oct_ = three_way_for(e.pooled, OCTOBER_END)
    assert oct_.reconciled and oct_.outstanding_payments == oct_.deposits_in_transit == ()


def test_matching_by_hand_needs_equal_sums_and_items_not_matched_yet(example: Example) -> None:
    e = example
    # two deposits banked together as one line: no automatic match is possible
    deposit(e.f.clara, e.pooled, e.john, "120.00", date(2026, 9, 20), payor="Insurer A")
    deposit(e.f.clara, e.pooled, e.john, "80.00", date(2026, 9, 20), payor="Insurer B")
    record_interest(e.f.sam, e.pooled, "91.66", date(2026, 9, 30))
    data = camt053(
        "111000111",
        START,
        END,
        D("0.00"),
        [*_pooled_lines(), Line(date(2026, 9, 21), D("200.00"), "DEPOSIT 2 ITEMS")],
    )
    import_trust_statement(e.f.sam, e.pooled, data, "camt053")
    bank, postings, interest = unmatched(e.pooled, END)
    assert [b.amount for b in bank] == [D("200.00")]
    assert sorted(p.amount for p in postings) == [D("80.00"), D("120.00")]
    assert not interest.exists()
    line = bank.get()
    one = postings.get(amount=D("120.00"))
    with pytest.raises(TrustRuleViolation, match="must balance"):
        match_by_hand(e.f.sam, e.pooled, bank_ids=[line.pk], posting_ids=[one.pk])
    assert RefusedAttempt.objects.filter(operation="match").count() == 1
    with pytest.raises(PermissionDenied):
        match_by_hand(e.f.clara, e.pooled, bank_ids=[line.pk], posting_ids=[p.pk for p in postings])
    matched_posting = TrustTransaction.objects.get(amount=D("300.00"))
    with pytest.raises(InvalidTransition, match="already matched"):
        match_by_hand(
            e.f.sam, e.pooled, bank_ids=[line.pk],
            posting_ids=[one.pk, postings.get(amount=D("80.00")).pk, matched_posting.pk],
        )  # fmt: skip
    with pytest.raises(NotFound):
        match_by_hand(e.f.sam, e.separate, bank_ids=[line.pk], posting_ids=[one.pk])
    match_no = match_by_hand(
        e.f.sam, e.pooled, bank_ids=[line.pk], posting_ids=[p.pk for p in postings]
    )
    rows = TrustClearing.objects.filter(match_no=match_no).order_by("id")
    assert match_no == line.pk
    assert [r.bank_transaction_id for r in rows] == [line.pk, None]
    assert {r.trust_transaction_id for r in rows} == {p.pk for p in postings}
    assert not any(r.automatic for r in rows)
    assert three_way_for(e.pooled, END).reconciled


def test_interest_and_a_bank_charge_netted_on_one_line_are_matched_by_hand_with_their_signs(
    example: Example,
) -> None:
    e = example
    credited = record_interest(e.f.sam, e.pooled, "91.66", date(2026, 9, 30))
    assert isinstance(credited, FoundationInterest)
    fee = bank_charge(e.f.sam, e.pooled, "10.00", date(2026, 9, 30), reference="SEP FEE")
    lines = _pooled_lines()
    # the bank paid the interest less its fee in one net line: no automatic match
    lines[-1] = Line(date(2026, 9, 30), D("81.66"), "INTEREST LESS FEE")
    import_trust_statement(
        e.f.sam, e.pooled, camt053("111000111", START, END, D(0), lines), "camt053"
    )
    net = unmatched(e.pooled, END)[0].get()
    with pytest.raises(TrustRuleViolation, match="must balance"):
        match_by_hand(
            e.f.sam, e.pooled, bank_ids=[net.pk], posting_ids=[], interest_ids=[credited.pk]
        )
    assert not three_way_for(e.pooled, END).reconciled
    match_by_hand(
        e.f.sam, e.pooled, bank_ids=[net.pk], posting_ids=[fee.pk], interest_ids=[credited.pk]
    )
    pooled = three_way_for(e.pooled, END)
    assert pooled.reconciled and pooled.foundation_interest == credited.amount


def test_months_are_signed_in_order_and_only_once_ended(example: Example) -> None:
    e = example
    _import_all(e)
    with pytest.raises(InvalidTransition, match="month by month"):
        sign_off(e.f.carol, e.pooled, OCTOBER_END, statement_balance=D("40391.66"))
    with pytest.raises(InvalidEntry, match="whole month"):
        sign_off(e.f.carol, e.pooled, date(2026, 9, 15))
    with pytest.raises(PermissionDenied):
        sign_off(e.f.sam, e.pooled, END)
    assert (e.pooled, END) in unreconciled_months(date(2026, 10, 5))
    sign_off(e.f.carol, e.pooled, END)
    assert (e.pooled, END) not in unreconciled_months(date(2026, 10, 5))
    assert (e.separate, END) in unreconciled_months(date(2026, 10, 5))
    assert (e.pooled, OCTOBER_END) in unreconciled_months(date(2026, 11, 1))


def test_the_statement_balance_comes_from_the_statement_or_must_be_given(
    example: Example,
) -> None:
    e = example
    _import_all(e)
    with pytest.raises(InvalidEntry) as refused:
        three_way_for(e.separate, END)
    assert refused.value.field == "statement_balance"
    missing = next(row for row in firm_wide(END).accounts if row.account == e.separate)
    assert missing.three_way is None and "statement" in missing.missing


def test_an_inactive_ledger_is_reported(example: Example) -> None:
    e = example
    _import_all(e)
    later = month_bounds(months_before(END, -trust_policy().dormant_months - 1))[1]
    pooled = three_way_for(e.pooled, later, D("40391.66"))
    assert {line.name for line in pooled.inactive_ledgers} == {
        "Firm bank-charge buffer",
        "Injured, John, 1002 Injury claim",
    }
    assert not three_way_for(e.pooled, END).inactive_ledgers


def test_importing_needs_the_reconcile_permission(example: Example) -> None:
    e = example
    with pytest.raises(PermissionDenied):
        import_trust_statement(e.f.clara, e.pooled, _pooled_statement(), "camt053")
    assert not TrustClearing.objects.exists()
    assert auto_match(e.f.sam, e.pooled, END) == 0
