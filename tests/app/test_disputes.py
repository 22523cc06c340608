"""Inquiries and disputes: recording, working on and resolving them through the services, the
selector the reminder run reads, the pages and the ``lexbill dispute`` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from tests.app.test_receivables_views import _as, _balance, _invoice
from typer.testing import CliRunner

from lexbill.audit.models import AuditRecord
from lexbill.billing.models import CreditNote, Invoice
from lexbill.cli import app as cli_app
from lexbill.core.errors import InvalidEntry, InvalidTransition, PermissionDenied
from lexbill.disputes.models import Dispute, DisputeKind, DisputeNote, DisputeStatus
from lexbill.disputes.selectors import disputed_invoice_ids, open_disputes_by_age
from lexbill.disputes.services import (
    add_note,
    assign,
    end_review,
    line_of,
    open_dispute,
    reopen,
    resolve_by_credit,
    resolve_by_explanation,
    start_review,
)
from lexbill.receivables.models import AdjustmentReason
from lexbill.receivables.selectors import adjustment_reasons

TODAY = date(2026, 5, 20)


@pytest.fixture
def invoices(small_firm: Any) -> Iterator[tuple[Invoice, Invoice]]:
    """500.00 issued 2 March, 1,000.00 issued 2 April; "today" is 20 May."""
    older = _invoice(small_firm, date(2026, 3, 2), "1")
    newer = _invoice(small_firm, date(2026, 4, 2), "2")
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=UTC), tick=False):
        yield older, newer


def _open(f: Any, invoice: Invoice, kind: str = "dispute", **kwargs: Any) -> Dispute:
    options: dict[str, Any] = {
        "raised_by": "Wile E. Coyote",
        "description": "The hours look too high",
        "raised_on": date(2026, 5, 1),
    }
    options.update(kwargs)
    return open_dispute(f.clara, invoice, kind=kind, **options)


def test_only_an_unresolved_dispute_holds_up_its_invoice(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = invoices
    _open(small_firm, older, kind="inquiry")
    assert disputed_invoice_ids() == set()
    on_line = _open(small_firm, newer, line=line_of(newer, 1), amount_disputed="100.00")
    assert disputed_invoice_ids() == {newer.pk}
    assert disputed_invoice_ids([older.pk]) == set()
    assert disputed_invoice_ids([older.pk, newer.pk]) == {newer.pk}
    start_review(small_firm.clara, on_line)
    assert disputed_invoice_ids() == {newer.pk}
    resolve_by_explanation(small_firm.sam, on_line, "Per the engagement letter")
    assert disputed_invoice_ids() == set()
    reopen(small_firm.clara, on_line, "Client disagrees")
    assert disputed_invoice_ids() == {newer.pk}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount_disputed": "500.01"}, "amount_disputed", "more than the invoice"),
        ({"amount_disputed": "-1"}, "amount_disputed", "zero or more"),
        ({"amount_disputed": "1.001"}, "amount_disputed", "whole cents"),
        ({"raised_on": date(2026, 5, 21)}, "raised_on", "in the future"),
        ({"raised_on": date(2026, 3, 1)}, "raised_on", "before invoice"),
        ({"raised_by": " "}, "raised_by", "who raised it"),
        ({"description": ""}, "description", "describe"),
        ({"kind": "complaint"}, "kind", "is not inquiry or dispute"),
        ({"received_via": "fax"}, "received_via", "is not one of"),
    ],
)
def test_a_dispute_that_makes_no_sense_is_refused_with_its_field(
    small_firm: Any,
    invoices: tuple[Invoice, Invoice],
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    older, _ = invoices
    kind = change.pop("kind", "dispute")
    with pytest.raises(InvalidEntry, match=message) as caught:
        _open(small_firm, older, kind=kind, **change)
    assert caught.value.field == field
    assert not Dispute.objects.exists()


def test_a_line_dispute_is_capped_by_the_line_and_must_be_on_the_invoice(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, newer = invoices
    line = line_of(newer, 1)
    with pytest.raises(InvalidEntry, match="more than line 1"):
        _open(small_firm, newer, line=line, amount_disputed=line.total + Decimal("0.01"))
    with pytest.raises(InvalidEntry, match=f"not on invoice {older.number}"):
        _open(small_firm, older, line=line)
    assert not Dispute.objects.exists()
    dispute = _open(small_firm, newer, line=line, amount_disputed=line.total)
    assert (dispute.line, dispute.amount_disputed) == (line, line.total)


def test_who_may_record_resolve_and_credit(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, _ = invoices
    with pytest.raises(PermissionDenied):
        open_dispute(f.pat, older, kind="dispute", raised_by="X", description="Y")
    dispute = _open(f, older, amount_disputed="100.00")
    with pytest.raises(PermissionDenied):
        resolve_by_explanation(f.clara, dispute, "It is right")
    # a specialist resolves but may not issue a credit note: nothing changes
    with pytest.raises(PermissionDenied, match="may not issue a credit note"):
        resolve_by_credit(f.sam, dispute, "100.00", "Duplicate entry")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    assert not CreditNote.objects.exists()
    with pytest.raises(PermissionDenied):
        assign(f.pat, dispute, f.sam)
    with pytest.raises(InvalidEntry, match="does not work on disputes"):
        assign(f.clara, dispute, f.pat)


def test_status_moves_only_along_the_transition_table(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, _ = invoices
    dispute = _open(f, older)
    with pytest.raises(InvalidTransition, match="is open and cannot reopen"):
        reopen(f.clara, dispute, "again")
    with pytest.raises(InvalidTransition, match="cannot end review"):
        end_review(f.clara, dispute)
    start_review(f.clara, dispute)
    with pytest.raises(InvalidTransition, match="is in review and cannot start review"):
        start_review(f.clara, dispute)
    end_review(f.clara, dispute)
    resolve_by_explanation(f.sam, dispute, "Rates as agreed")
    with pytest.raises(InvalidTransition, match="resolved by explanation and cannot resolve"):
        resolve_by_credit(f.carol, dispute, "10.00", "Goodwill")
    with pytest.raises(InvalidTransition, match="reopen it first"):
        assign(f.clara, dispute, f.sam)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED_EXPLAINED
    assert not CreditNote.objects.exists()
    notes = list(DisputeNote.objects.filter(dispute=dispute).values_list("text", flat=True))
    assert notes == ["Review started.", "Back to open.", "Resolved by explanation: Rates as agreed"]


def test_resolving_by_credit_lowers_the_balance_by_the_credit_in_one_step(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, _ = invoices
    before = _balance(older)
    dispute = _open(f, older, amount_disputed="120.00")
    resolved = resolve_by_credit(f.carol, dispute, "120.00", "Duplicate entry")
    credit = resolved.credit_note
    assert credit is not None
    assert (credit.invoice, credit.amount, credit.reason) == (
        older,
        Decimal(120),
        "Duplicate entry",
    )
    assert credit.reason_code in {r.code for r in adjustment_reasons("credit_note")}
    assert "dispute" in AdjustmentReason.objects.get(code=credit.reason_code).label.lower()
    assert _balance(older) == before - credit.total
    resolved.refresh_from_db()
    assert (resolved.status, resolved.resolved_by) == (DisputeStatus.RESOLVED_CREDITED, f.carol)
    assert resolved.notes.last().text.startswith(f"Resolved by credit note {credit.number}")
    assert AuditRecord.objects.filter(model="disputes.Dispute", action="update").exists()


def test_a_credit_larger_than_the_balance_leaves_the_dispute_open(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    dispute = _open(small_firm, older)
    with pytest.raises(InvalidEntry, match="left to credit"):
        resolve_by_credit(small_firm.carol, dispute, _balance(older) + 1, "Too much")
    dispute.refresh_from_db()
    assert (dispute.status, dispute.credit_note) == (DisputeStatus.OPEN, None)
    assert not CreditNote.objects.exists()


def test_open_disputes_are_listed_oldest_first_with_their_age_and_filters(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    f = small_firm
    older, newer = invoices
    recent = _open(f, newer, kind="inquiry", raised_on=date(2026, 5, 15))
    old = _open(f, older, raised_on=date(2026, 4, 10), assigned_to=f.sam)
    done = _open(f, older, raised_on=date(2026, 3, 5))
    resolve_by_explanation(f.sam, done, "Explained")
    rows = open_disputes_by_age(TODAY)
    assert [(d.pk, age) for d, age in rows] == [
        (old.pk, (TODAY - old.raised_on).days),
        (recent.pk, (TODAY - recent.raised_on).days),
    ]
    assert [d.pk for d, _ in open_disputes_by_age(TODAY, assigned_to_id=f.sam.pk)] == [old.pk]
    assert [d.pk for d, _ in open_disputes_by_age(TODAY, kind=DisputeKind.INQUIRY)] == [recent.pk]
    assert open_disputes_by_age(TODAY, client_id=f.globex.pk) == []


def test_notes_keep_the_conversation_in_order(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    dispute = _open(small_firm, older)
    add_note(small_firm.clara, dispute, "Called the client")
    assign(small_firm.clara, dispute, small_firm.sam)
    with pytest.raises(InvalidEntry):
        add_note(small_firm.clara, dispute, "  ")
    texts = list(dispute.notes.values_list("text", flat=True))
    assert texts == ["Called the client", "Assigned to sam."]
    assert [n.author for n in dispute.notes.all()] == [small_firm.clara] * 2


# pages


def test_the_invoice_page_offers_to_record_an_inquiry_for_it_and_its_lines(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    url = reverse("disputes:dispute-new", args=[older.number])
    page = _as(small_firm.clara).get(reverse("billing:invoice-detail", args=[older.number]))
    assert "Record inquiry or dispute" in page.text
    assert f"{url}?line=1" in page.text
    page = _as(small_firm.pat).get(reverse("billing:invoice-detail", args=[older.number]))
    assert url not in page.text


def test_recording_a_line_dispute_from_the_page(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    clara = _as(small_firm.clara)
    url = reverse("disputes:dispute-new", args=[older.number])
    form = clara.get(url, {"line": "1"})
    assert form.status_code == 200 and "line 1:" in form.text
    response = clara.post(
        url,
        {
            "kind": "dispute",
            "line": "1",
            "raised_by": "Wile E. Coyote",
            "raised_on": "2026-05-18",
            "received_via": "phone",
            "amount_disputed": "250.00",
            "description": "Half of this was travel",
            "assigned_to": str(small_firm.sam.pk),
        },
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:dispute-detail", args=[dispute.pk])
    assert (dispute.line, dispute.assigned_to, dispute.received_via) == (
        line_of(older, 1),
        small_firm.sam,
        "phone",
    )
    listing = clara.get(reverse("disputes:dispute-list"))
    assert f'data-testid="dispute-{dispute.pk}"' in listing.text
    assert f'<td class="num" data-col="age">{(TODAY - dispute.raised_on).days}</td>' in (
        listing.text
    )
    mine = clara.get(reverse("disputes:dispute-list"), {"mine": "on"})
    assert f'data-testid="dispute-{dispute.pk}"' not in mine.text


def test_a_refused_dispute_is_shown_on_the_form(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    response = _as(small_firm.clara).post(
        reverse("disputes:dispute-new", args=[older.number]),
        {
            "kind": "dispute",
            "raised_by": "W",
            "raised_on": "2026-05-18",
            "received_via": "email",
            "amount_disputed": "9999.00",
            "description": "All of it",
        },
    )
    assert response.status_code == 400
    assert "more than the invoice" in response.text
    assert not Dispute.objects.exists()


def test_working_a_dispute_from_its_page_to_a_credit(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    dispute = _open(small_firm, older, amount_disputed="50.00")
    detail = reverse("disputes:dispute-detail", args=[dispute.pk])
    clara, carol = _as(small_firm.clara), _as(small_firm.carol)
    note = clara.post(
        reverse("disputes:dispute-note", args=[dispute.pk]),
        {"text": "Client sent the receipts"},
        HTTP_HX_REQUEST="true",
    )
    assert note.status_code == 200 and "Client sent the receipts" in note.text
    assert (
        clara.post(
            reverse("disputes:dispute-assign", args=[dispute.pk]),
            {"assigned_to": str(small_firm.carol.pk)},
        ).status_code
        == 302
    )
    refused = clara.post(
        reverse("disputes:dispute-resolve", args=[dispute.pk]),
        {"how": "explain", "explanation": "ok"},
    )
    assert refused.status_code == 403
    before = _balance(older)
    resolved = carol.post(
        reverse("disputes:dispute-resolve", args=[dispute.pk]),
        {"how": "credit", "amount": "50.00", "reason": "Receipts show a duplicate"},
    )
    assert resolved.status_code == 302
    dispute.refresh_from_db()
    assert dispute.credit_note is not None
    assert _balance(older) == before - dispute.credit_note.total
    page = carol.get(detail)
    assert f"credit note {dispute.credit_note.number}" in page.text
    assert f'data-testid="dispute-assignee">{small_firm.carol}</span>' in page.text


def test_a_resolve_form_without_its_explanation_changes_nothing(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    dispute = _open(small_firm, older)
    response = _as(small_firm.sam).post(
        reverse("disputes:dispute-resolve", args=[dispute.pk]), {"how": "explain"}
    )
    assert response.status_code == 400
    assert "Write the explanation" in response.text
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


# commands


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args))


def test_the_dispute_commands(small_firm: Any, invoices: tuple[Invoice, Invoice]) -> None:
    older, newer = invoices
    opened = _run(
        "--user", "clara", "dispute", "open", older.number, "--kind", "dispute",
        "--by", "Wile E. Coyote", "--amount", "75.00", "--text", "Too many hours",
        "--on", "2026-05-10", "--assign", "sam", "--json",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    data = json.loads(opened.stdout)
    assert (data["kind"], data["invoice"], data["amount_disputed"]) == (
        "dispute",
        older.number,
        "75.00",
    )
    assert data["age_days"] == (TODAY - date(2026, 5, 10)).days
    _run("dispute", "open", newer.number, "--by", "R", "--text", "What is L120?", "--line", "1")
    listed = json.loads(_run("dispute", "list", "--json").stdout)
    assert [(r["invoice"], r["kind"]) for r in listed] == [
        (older.number, "dispute"),
        (newer.number, "inquiry"),
    ]
    mine = json.loads(_run("dispute", "list", "--assigned", "sam", "--json").stdout)
    assert [r["id"] for r in mine] == [data["id"]]
    noted = _run("dispute", "note", str(data["id"]), "Called back", "--json")
    assert json.loads(noted.stdout)["notes"][-1]["text"] == "Called back"
    usage = _run("dispute", "resolve", str(data["id"]))
    assert usage.exit_code == 1 and "either --explain" in usage.stderr
    refused = _run("--user", "sam", "dispute", "resolve", str(data["id"]), "--credit", "75")
    assert refused.exit_code == 1 and "may not issue a credit note" in refused.stderr
    before = _balance(older)
    resolved = _run(
        "--user", "carol", "dispute", "resolve", str(data["id"]), "--credit", "75.00",
        "--reason", "Agreed", "--json",
    )  # fmt: skip
    assert resolved.exit_code == 0, resolved.output
    out = json.loads(resolved.stdout)
    assert out["status"] == "resolved_credited" and out["credit_note"]
    credit = CreditNote.objects.get(number=out["credit_note"])
    assert _balance(older) == before - credit.total
    remaining = json.loads(_run("dispute", "list", "--json").stdout)
    assert [r["invoice"] for r in remaining] == [newer.number]
    everything = json.loads(_run("dispute", "list", "--all", "--json").stdout)
    assert len(everything) == 2


def test_showing_assigning_and_reopening_from_the_command_line(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    dispute = _open(small_firm, older)
    resolve_by_explanation(small_firm.sam, dispute, "Explained on the phone")
    closed = _run("dispute", "assign", str(dispute.pk), "sam")
    assert closed.exit_code == 1 and "reopen it first" in closed.stderr
    reopened = _run("--user", "clara", "dispute", "reopen", str(dispute.pk), "--reason", "No")
    assert reopened.exit_code == 0, reopened.output
    assigned = json.loads(_run("dispute", "assign", str(dispute.pk), "sam", "--json").stdout)
    assert (assigned["status"], assigned["assigned_to"]) == ("open", "sam")
    shown = json.loads(_run("dispute", "show", str(dispute.pk), "--json").stdout)
    texts = [n["text"] for n in shown["notes"]]
    assert texts[-2:] == ["Reopened (was resolved by explanation): No", "Assigned to sam."]
    refused = _run("--user", "pat", "dispute", "show", str(dispute.pk))
    assert refused.exit_code == 1 and "may not view receivables" in refused.stderr
    missing = _run("dispute", "show", "999")
    assert missing.exit_code == 1 and "no inquiry or dispute 999" in missing.stderr


def test_review_is_started_and_ended_from_the_page(
    small_firm: Any, invoices: tuple[Invoice, Invoice]
) -> None:
    older, _ = invoices
    dispute = _open(small_firm, older)
    url = reverse("disputes:dispute-review", args=[dispute.pk])
    clara = _as(small_firm.clara)
    assert clara.post(url).status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.IN_REVIEW
    assert "Back to open" in clara.get(reverse("disputes:dispute-detail", args=[dispute.pk])).text
    assert clara.post(url).status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    resolve_by_explanation(small_firm.sam, dispute, "Done")
    refused = clara.post(url)
    assert refused.status_code == 400 and "cannot start review" in refused.text
