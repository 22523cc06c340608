"""Personal tokens authenticate the API, carry their owner's role, and stop when revoked."""

from __future__ import annotations

from typing import Any

from django.test import Client

from lexbill.api.models import ApiToken
from lexbill.api.tokens import create_token, revoke_token
from lexbill.audit.models import AuditRecord
from tests.api.conftest import ApiClient

PROBLEM = "application/problem+json"


def test_a_token_acts_as_its_owner_with_the_owners_role(small_firm: Any) -> None:
    token, secret = create_token(small_firm.clara, "time app")
    response = ApiClient(secret).get("/api/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == small_firm.clara.username
    assert body["role"] == small_firm.clara.role
    assert body["token_name"] == token.name


def test_only_a_digest_of_the_secret_is_stored(small_firm: Any) -> None:
    token, secret = create_token(small_firm.sam, "accounting sync")
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in {stored.digest, stored.prefix, stored.name}
    assert secret.startswith(stored.prefix)


def test_no_token_is_a_401_problem_not_a_login_redirect(small_firm: Any) -> None:
    response = ApiClient(None).get("/api/me")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_unknown_token_is_refused(small_firm: Any) -> None:
    response = ApiClient("lxb_not-a-real-token").get("/api/me")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_a_revoked_token_is_refused(small_firm: Any) -> None:
    token, secret = create_token(small_firm.carol, "old script")
    assert ApiClient(secret).get("/api/me").status_code == 200
    revoke_token(small_firm.carol, token.pk)
    response = ApiClient(secret).get("/api/me")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_deactivated_users_token_is_refused(small_firm: Any) -> None:
    _, secret = create_token(small_firm.clara, "time app")
    small_firm.clara.is_active = False
    small_firm.clara.save()
    assert ApiClient(secret).get("/api/me").status_code == 401


def test_someone_elses_token_cannot_be_revoked_except_by_an_administrator(
    small_firm: Any,
) -> None:
    from lexbill.core.errors import NotFound

    token, _ = create_token(small_firm.clara, "time app")
    try:
        revoke_token(small_firm.sam, token.pk)
    except NotFound:
        pass
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("sam revoked clara's token")
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    revoked = revoke_token(small_firm.alice, token.pk)
    assert revoked.revoked_at is not None
    assert revoked.revoked_by == small_firm.alice


def test_a_browser_session_does_not_authenticate_the_api(small_firm: Any) -> None:
    browser = Client()
    browser.force_login(small_firm.carol)
    response = browser.get("/api/me")
    assert response.status_code == 401


def test_the_schema_and_docs_need_a_log_in(small_firm: Any) -> None:
    anonymous = Client()
    for path in ("/api/openapi.json", "/api/docs"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    browser = Client()
    browser.force_login(small_firm.clara)
    schema = browser.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/me" in schema["paths"]
    assert browser.get("/api/docs").status_code == 200
    _, secret = create_token(small_firm.clara, "schema reader")
    assert ApiClient(secret).get("/api/openapi.json").status_code == 200


def test_reading_through_the_api_records_last_use_but_no_billing_change(small_firm: Any) -> None:
    from lexbill.api import tokens

    _, secret = create_token(small_firm.sam, "sync")
    before = AuditRecord.objects.count()
    ApiClient(secret).get("/api/me")
    # reading changes nothing: no audit record, and last-used is not a billing change
    assert AuditRecord.objects.count() == before
    assert tokens.ApiToken.objects.get(user=small_firm.sam).last_used_at is not None


def test_creating_and_revoking_a_token_is_audited_without_its_secret(small_firm: Any) -> None:
    from lexbill.audit.context import acting_as

    with acting_as(small_firm.carol, "web"):
        token, secret = create_token(small_firm.carol, "reporting")
        revoke_token(small_firm.carol, token.pk)
    trail = list(
        AuditRecord.objects.filter(model="api.ApiToken", object_id=str(token.pk)).order_by("pk")
    )
    assert [r.action for r in trail] == ["create", "update"]
    assert all(r.actor_id == small_firm.carol.pk for r in trail)
    assert trail[1].before["revoked_at"] is None and trail[1].after["revoked_at"] is not None
    stored = ApiToken.objects.get(pk=token.pk)
    for entry in trail:
        text = str(entry.before) + str(entry.after)
        assert secret not in text and stored.digest not in text
