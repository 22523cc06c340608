"""``Idempotency-Key`` on the POSTs that create money records: a retried request never posts a
payment (or an invoice, or a bill run) twice.

On PostgreSQL the race is real: two threads, each with its own connection, send the same
request with the same key at the same moment, both having found no stored response (a barrier
holds them there), and exactly one payment is posted; the other request gets the first one's
answer. SQLite's in-memory test database can't be shared between threads, so there the two
requests come one after the other.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from lexbill.api import idempotency
from lexbill.api.models import IdempotencyRecord
from lexbill.api.tokens import create_token
from lexbill.billing.models import Invoice
from lexbill.billing.prebills import approve_prebill
from lexbill.receivables.models import Payment, PaymentAllocation
from tests.api.api_billing_firm import PROBLEM, invoice_of, prebill_of
from tests.api.conftest import ApiClient

KEY = "Idempotency-Key"


def _payment(f: Any, amount: str = "250.00", **extra: Any) -> dict[str, Any]:
    return {"client_id": f.acme.pk, "amount": amount, "received_on": "2026-04-15", **extra}


def test_the_same_payment_posted_twice_with_one_key_is_posted_once(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    invoice_of(f, f.acme_hourly, "2.0")
    clara = api_as("clara")
    first = clara.post("/api/payments", _payment(f), **{KEY: "pay-0001"})
    second = clara.post("/api/payments", _payment(f), **{KEY: "pay-0001"})
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert first.content == second.content
    assert Payment.objects.count() == 1
    assert PaymentAllocation.objects.count() == len(first.json()["allocations"])
    # a new key is a new payment
    third = clara.post("/api/payments", _payment(f), **{KEY: "pay-0002"})
    assert third.status_code == 201 and third.json()["id"] != first.json()["id"]
    assert Payment.objects.count() == 2


def test_one_key_with_a_different_body_is_refused(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    clara = api_as("clara")
    assert clara.post("/api/payments", _payment(f), **{KEY: "k1"}).status_code == 201
    reused = clara.post("/api/payments", _payment(f, "999.00"), **{KEY: "k1"})
    assert reused.status_code == 422
    assert reused["Content-Type"] == PROBLEM
    assert reused.json()["field"] == KEY
    assert Payment.objects.count() == 1
    assert Payment.objects.get().amount == Decimal("250.00")


def test_keys_are_per_token_owner(small_firm: Any, api_as: Any) -> None:
    f = small_firm
    assert api_as("clara").post("/api/payments", _payment(f), **{KEY: "k1"}).status_code == 201
    other = api_as("sam").post("/api/payments", _payment(f), **{KEY: "k1"})
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert Payment.objects.count() == 2


def test_a_refused_request_stores_nothing_and_a_corrected_retry_with_its_key_succeeds(
    small_firm: Any, api_as: Any
) -> None:
    f = small_firm
    invoice = invoice_of(f, f.acme_hourly, "1.0")
    clara = api_as("clara")
    over = str(invoice.total + Decimal("10.00"))
    refused = clara.post(
        "/api/payments",
        _payment(f, over, allocations=[{"invoice_id": invoice.pk, "amount": over}]),
        **{KEY: "retry-me"},
    )
    assert refused.status_code == 422
    assert not Payment.objects.exists()
    assert not IdempotencyRecord.objects.filter(key="retry-me").exists()
    right = str(invoice.total)
    retried = clara.post(
        "/api/payments",
        _payment(f, over, allocations=[{"invoice_id": invoice.pk, "amount": right}]),
        **{KEY: "retry-me"},
    )
    assert retried.status_code == 201, retried.content
    assert "Idempotent-Replayed" not in retried
    assert Payment.objects.count() == 1
    assert retried.json()["unapplied"] == "10.00"


def test_a_finalize_retried_with_its_key_makes_one_invoice(small_firm: Any, api_as: Any) -> None:
    prebill = prebill_of(small_firm, small_firm.acme_hourly)
    approve_prebill(None, prebill)
    sam = api_as("sam")
    path = f"/api/prebills/{prebill.pk}/finalize"
    first = sam.post(path, {"issued_on": "2026-04-01"}, **{KEY: "fin-1"})
    second = sam.post(path, {"issued_on": "2026-04-01"}, **{KEY: "fin-1"})
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.content == second.content
    assert Invoice.objects.filter(prebill=prebill).count() == 1
    # without the key the retry is what it is: finalizing a finalized pre-bill, a conflict
    assert sam.post(path, {"issued_on": "2026-04-01"}).status_code == 409
    assert Invoice.objects.count() == 1


def test_a_replayed_response_reads_as_a_fresh_get_of_the_record(
    small_firm: Any, api_as: Any
) -> None:
    clara = api_as("clara")
    posted = clara.post("/api/payments", _payment(small_firm), **{KEY: "same-shape"})
    read = clara.get(f"/api/payments/{posted.json()['id']}")
    assert posted.json() == read.json()


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_the_same_moment_post_one_payment(
    small_firm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = small_firm
    _, secret = create_token(f.clara, "bank sync")
    body = _payment(f)
    concurrent = connection.vendor == "postgresql"
    both_looked = threading.Barrier(2, timeout=30)
    looked_up = idempotency._previous
    first_look: set[int] = set()

    def previous_then_wait(user: Any, key: str) -> Any:
        found = looked_up(user, key)
        thread = threading.get_ident()
        if concurrent and thread not in first_look:
            first_look.add(thread)
            both_looked.wait()  # both requests found nothing stored before either posts
        return found

    monkeypatch.setattr(idempotency, "_previous", previous_then_wait)
    responses: list[Any] = []
    failures: list[BaseException] = []

    def send() -> None:
        try:
            responses.append(ApiClient(secret).post("/api/payments", body, **{KEY: "race-1"}))
        except BaseException as exc:  # pragma: no cover - reported by the assertions
            failures.append(exc)
        finally:
            if concurrent:
                connections.close_all()

    if concurrent:
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads), "a request hung"
        assert len(first_look) == 2
    else:
        send()
        send()
    assert failures == []
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
    assert Payment.objects.count() == 1
    assert IdempotencyRecord.objects.filter(key="race-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_finalizes_with_one_key_at_the_same_moment_make_one_invoice(
    small_firm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-bill's row lock lets one finalize; the other waits and then either replays the
    first answer or, having found the pre-bill finalized, is a 409 conflict: never a second
    invoice, never a server error."""
    f = small_firm
    prebill = prebill_of(f, f.acme_hourly)
    approve_prebill(None, prebill)
    _, secret = create_token(f.sam, "billing robot")
    concurrent = connection.vendor == "postgresql"
    both_looked = threading.Barrier(2, timeout=30)
    looked_up = idempotency._previous
    first_look: set[int] = set()

    def previous_then_wait(user: Any, key: str) -> Any:
        found = looked_up(user, key)
        if concurrent and threading.get_ident() not in first_look:
            first_look.add(threading.get_ident())
            both_looked.wait()
        return found

    monkeypatch.setattr(idempotency, "_previous", previous_then_wait)
    responses: list[Any] = []
    failures: list[BaseException] = []
    path = f"/api/prebills/{prebill.pk}/finalize"

    def send() -> None:
        try:
            responses.append(ApiClient(secret).post(path, {}, **{KEY: "fin-race"}))
        except BaseException as exc:  # pragma: no cover - reported by the assertions
            failures.append(exc)
        finally:
            if concurrent:
                connections.close_all()

    if concurrent:
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads), "a request hung"
    else:
        send()
        send()
    assert failures == []
    assert Invoice.objects.filter(prebill=prebill).count() == 1
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([201, 201], [201, 409]), statuses
    first = next(r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r)
    assert first.json()["number"] == Invoice.objects.get(prebill=prebill).number
