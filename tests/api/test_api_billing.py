"""Pre-bills and bill runs through the API: roles as on the web, figures as finalization makes
them, and every action audited on the ``api`` channel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from lexbill.api.tokens import create_token, revoke_token
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.models import BillRun, Invoice, Prebill, PrebillLine, PrebillStatus
from lexbill.billing.prebills import adjust_line
from lexbill.clients.services import open_matter
from lexbill.entries.models import BillingState, Expense, TimeEntry
from lexbill.receivables.services import post_payment
from tests.api.api_billing_firm import (
    PROBLEM,
    THROUGH,
    audit_channels_since,
    invoice_of,
    last_audit_id,
    prebill_of,
    work,
)
from tests.api.conftest import ApiClient


def test_a_clerks_token_cannot_approve_a_prebill(small_firm: Any, api_as: Any) -> None:
    prebill = prebill_of(small_firm, small_firm.acme_hourly)
    comments = prebill.comments.count()
    response = api_as("clara").post(f"/api/prebills/{prebill.pk}/approve", {"comment": "ok"})
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 403 and "clara" in body["detail"]
    unchanged = Prebill.objects.get(pk=prebill.pk)
    assert unchanged.status == PrebillStatus.DRAFT and unchanged.approved_by is None
    assert unchanged.comments.count() == comments
    # the clerk still reads it: every role works on pre-bills on the web
    assert api_as("clara").get(f"/api/prebills/{prebill.pk}").status_code == 200


def test_an_attorneys_token_sees_only_their_own_matters_prebills(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    others = open_matter(
        None, f.acme, "C001-009", "Acme lease", f.associate, opened_on=date(2026, 1, 1)
    )
    work(f, others)
    work(f, f.acme_hourly)
    run = run_bill_run(None, THROUGH)
    own = Prebill.objects.get(run=run, matter=f.acme_hourly)
    foreign = Prebill.objects.get(run=run, matter=others)

    pat = api_as("pat")
    listed = pat.get("/api/prebills").json()
    expected = set(
        Prebill.objects.filter(matter__responsible_attorney=f.partner).values_list("pk", flat=True)
    )
    assert {row["id"] for row in listed["items"]} == expected
    assert listed["count"] == len(expected)
    assert own.pk in expected and foreign.pk not in expected
    assert pat.get(f"/api/prebills/{own.pk}").status_code == 200
    # someone else's pre-bill does not exist for this token: 404, for reading and for acting
    for response in (
        pat.get(f"/api/prebills/{foreign.pk}"),
        pat.post(f"/api/prebills/{foreign.pk}/approve", {}),
        pat.post(f"/api/prebills/{foreign.pk}/finalize", {}),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM
    assert Prebill.objects.get(pk=foreign.pk).status == PrebillStatus.DRAFT
    # the coordinator sees both
    everyone = api_as("carol").get("/api/prebills", {"bill_run": run.pk}).json()
    assert {row["id"] for row in everyone["items"]} == {own.pk, foreign.pk}


def test_a_revoked_token_is_refused_on_the_billing_api(small_firm: Any) -> None:
    prebill = prebill_of(small_firm, small_firm.acme_hourly)
    token, secret = create_token(small_firm.carol, "review script")
    client = ApiClient(secret)
    assert client.get("/api/prebills").status_code == 200
    revoke_token(small_firm.carol, token.pk)
    for response in (
        client.get("/api/prebills"),
        client.post(f"/api/prebills/{prebill.pk}/approve", {}),
        client.get("/api/invoices"),
        client.get("/api/payments"),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
    assert Prebill.objects.get(pk=prebill.pk).status == PrebillStatus.DRAFT


def test_prebill_figures_equal_the_lines_summed_independently(small_firm: Any, api_as: Any) -> None:
    prebill = prebill_of(small_firm, small_firm.acme_hourly, "2.4")
    line = prebill.lines.filter(kind="time").get()
    adjust_line(None, line, Decimal("-40.00"), "courtesy")
    body = api_as("carol").get(f"/api/prebills/{prebill.pk}").json()

    lines = list(PrebillLine.objects.filter(prebill=prebill, treatment="bill"))
    billed = sum((x.amount + x.adjustment for x in lines), Decimal(0))
    fees = sum((x.amount for x in lines if x.kind == "time"), Decimal(0))
    expenses = sum((x.amount for x in lines if x.kind == "expense"), Decimal(0))
    adjustments = sum((x.adjustment for x in lines), Decimal(0))
    figures = body["figures"]
    assert body["billed"] == str(billed)
    assert Decimal(figures["fees"]) == fees
    assert Decimal(figures["expenses"]) == expenses
    assert Decimal(figures["adjustments"]) == adjustments == Decimal("-40.00")
    # hourly and untaxed: the invoice will be the lines, nothing more
    assert Decimal(figures["total"]) == fees + expenses + adjustments == billed
    assert figures["tax"] == "0.00" and figures["held_lines"] == 0
    assert body["line_count"] == PrebillLine.objects.filter(prebill=prebill).count()
    assert body["time_minutes"] == sum(
        PrebillLine.objects.filter(prebill=prebill, kind="time").values_list("minutes", flat=True)
    )
    time_line = next(row for row in body["lines"] if row["kind"] == "time")
    assert time_line["adjustment"] == "-40.00" and time_line["adjustment_reason"] == "courtesy"
    assert isinstance(time_line["rate"], str)  # money and rates as decimal strings


def test_prebill_list_filters(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    work(f, f.acme_hourly)
    work(f, f.globex_flat)
    run = run_bill_run(None, THROUGH)
    carol = api_as("carol")

    def ids(**params: Any) -> set[int]:
        response = carol.get("/api/prebills", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    def expected(**lookup: Any) -> set[int]:
        return set(Prebill.objects.filter(**lookup).values_list("pk", flat=True))

    assert ids(client=f.globex.pk) == expected(matter__client=f.globex)
    assert ids(matter=f.acme_hourly.pk) == expected(matter=f.acme_hourly)
    assert ids(bill_run=run.pk) == expected(run=run)
    assert ids(responsible_attorney=f.partner.pk) == expected(
        matter__responsible_attorney=f.partner
    )
    assert ids(status="approved") == set()
    assert ids(open="true") == expected(status__in=["draft", "returned", "approved"])
    page = carol.get("/api/prebills", {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["count"] == Prebill.objects.count()
    assert carol.get("/api/prebills", {"status": "bogus"}).status_code == 422
    assert carol.get("/api/prebills", {"matter": 2**64}).status_code == 422


def test_approve_and_send_back_through_the_api_are_audited_as_api(
    small_firm: Any, api_as: Any
) -> None:
    prebill = prebill_of(small_firm, small_firm.acme_hourly)
    carol = api_as("carol")
    before = last_audit_id()
    approved = carol.post(f"/api/prebills/{prebill.pk}/approve", {"comment": "Looks right"})
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "carol"
    assert audit_channels_since(before) == {"api"}
    stored = Prebill.objects.get(pk=prebill.pk)
    assert stored.status == PrebillStatus.APPROVED and stored.approved_by == small_firm.carol

    # approving twice is a conflict of states, not a server error
    again = carol.post(f"/api/prebills/{prebill.pk}/approve", {})
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM

    no_reason = carol.post(f"/api/prebills/{prebill.pk}/send-back", {"comment": " "})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "comment"
    before = last_audit_id()
    returned = carol.post(f"/api/prebills/{prebill.pk}/send-back", {"comment": "Fix narrative"})
    assert returned.status_code == 200
    assert returned.json()["status"] == "returned"
    assert [c["text"] for c in returned.json()["comments"]][-1] == "Fix narrative"
    assert audit_channels_since(before) == {"api"}


def test_finalizing_through_the_api_makes_the_invoice_and_audits_it(
    small_firm: Any, api_as: Any
) -> None:
    prebill = prebill_of(small_firm, small_firm.acme_hourly)
    assert api_as("clara").post(f"/api/prebills/{prebill.pk}/finalize", {}).status_code == 403
    not_yet = api_as("sam").post(f"/api/prebills/{prebill.pk}/finalize", {})
    assert not_yet.status_code == 409  # a draft must be approved first
    api_as("carol").post(f"/api/prebills/{prebill.pk}/approve", {})
    before = last_audit_id()
    response = api_as("sam").post(
        f"/api/prebills/{prebill.pk}/finalize", {"issued_on": "2026-04-01"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    invoice = Invoice.objects.get(prebill=prebill)
    assert body["id"] == invoice.pk and body["number"] == invoice.number
    assert body["issued_on"] == "2026-04-01"
    assert body["total"] == str(invoice.total) and body["balance"] == str(invoice.total)
    assert len(body["lines"]) == invoice.lines.count()
    assert audit_channels_since(before) == {"api"}
    assert Prebill.objects.get(pk=prebill.pk).status == PrebillStatus.FINALIZED
    read = api_as("clara").get(f"/api/prebills/{prebill.pk}").json()
    assert read["invoice_id"] == invoice.pk


def test_a_bill_run_through_the_api(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    work(f, f.acme_hourly)
    work(f, f.globex_flat, keeper=f.associate)
    assert api_as("clara").post("/api/bill-runs", {"through": "2026-03-31"}).status_code == 403
    assert not BillRun.objects.exists()

    before = last_audit_id()
    response = api_as("sam").post("/api/bill-runs", {"through": "2026-03-31"})
    assert response.status_code == 201, response.content
    body = response.json()
    run = BillRun.objects.get()
    assert body["id"] == run.pk and body["started_by"] == "sam"
    assert body["prebill_count"] == Prebill.objects.filter(run=run).count() == 2
    assert (
        body["time_line_count"] == PrebillLine.objects.filter(prebill__run=run, kind="time").count()
    )
    assert (
        body["expense_line_count"]
        == PrebillLine.objects.filter(prebill__run=run, kind="expense").count()
    )
    assert not TimeEntry.objects.filter(state=BillingState.UNBILLED).exists()
    assert not Expense.objects.filter(state=BillingState.UNBILLED).exists()
    assert audit_channels_since(before) == {"api"}
    assert api_as("clara").get(f"/api/bill-runs/{run.pk}").json() == body
    assert [r["id"] for r in api_as("clara").get("/api/bill-runs").json()["items"]] == [run.pk]
    listed = api_as("carol").get("/api/prebills", {"bill_run": run.pk}).json()
    assert listed["count"] == 2


def test_a_bill_run_retried_with_its_key_runs_once(small_firm: Any, api_as: Any) -> None:
    work(small_firm, small_firm.acme_hourly)
    sam = api_as("sam")
    first = sam.post("/api/bill-runs", {"through": "2026-03-31"}, **{"Idempotency-Key": "run-1"})
    second = sam.post("/api/bill-runs", {"through": "2026-03-31"}, **{"Idempotency-Key": "run-1"})
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert BillRun.objects.count() == 1


def test_the_responsible_attorney_approves_their_matters_prebill(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    # the associate's time on pat's matter: pat may approve (not only his own time)
    prebill = prebill_of(f, f.acme_hourly, keeper=f.associate)
    response = api_as("pat").post(f"/api/prebills/{prebill.pk}/approve", {})
    assert response.status_code == 200, response.content
    assert Prebill.objects.get(pk=prebill.pk).approved_by == f.pat


def test_lists_cost_the_same_queries_for_one_row_or_many(
    small_firm: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    """No query per row: figures and balances are summed for the page in one go."""
    f = small_firm
    invoice_of(f, f.acme_hourly)
    post_payment(None, f.acme, "10.00", date(2026, 4, 15))
    prebill_of(f, f.globex_flat)
    carol = api_as("carol")
    paths = ("/api/prebills", "/api/invoices", "/api/payments", "/api/bill-runs")
    counts: dict[str, int] = {}
    for path in paths:
        with CaptureQueriesContext(connection) as one:
            assert carol.get(path).status_code == 200
        counts[path] = len(one)
    for matter in (f.acme_hourly, f.acme_capped, f.globex_flat):
        invoice_of(f, matter)
        post_payment(None, matter.client, "10.00", date(2026, 4, 16))
        prebill_of(f, matter)
    for path in paths:
        with django_assert_max_num_queries(counts[path]):
            response = carol.get(path)
        assert response.json()["count"] > 1
