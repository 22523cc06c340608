"""The API tokens page: everyone manages their own tokens, the secret is shown once, an
administrator sees and revokes everyone's, and every form is a CSRF-checked POST."""

from __future__ import annotations

from typing import Any

from django.test import Client

from lexbill.api.models import ApiToken
from lexbill.api.tokens import create_token
from tests.api.conftest import ApiClient

URL = "/settings/api-tokens/"


def _browser(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def test_every_role_opens_the_page_from_the_top_bar(small_firm: Any) -> None:
    for user in (
        small_firm.alice,
        small_firm.carol,
        small_firm.sam,
        small_firm.clara,
        small_firm.pat,
    ):
        response = _browser(user).get("/")
        assert URL in response.content.decode()
        assert _browser(user).get(URL).status_code == 200


def test_a_new_token_is_shown_once_and_works(small_firm: Any) -> None:
    browser = _browser(small_firm.clara)
    response = browser.post(URL, {"name": "time app"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=small_firm.clara, name="time app")
    page = response.content.decode()
    start = page.index('id="new-token-secret"')
    secret = page[start:].split('value="', 1)[1].split('"', 1)[0]
    assert secret.startswith(token.prefix)
    assert "shown this once" in page
    assert ApiClient(secret).get("/api/me").json()["username"] == small_firm.clara.username
    # the list shows the token again, but never its secret
    again = browser.get(URL).content.decode()
    assert token.prefix in again
    assert secret not in again


def test_a_token_needs_a_name(small_firm: Any) -> None:
    response = _browser(small_firm.sam).post(URL, {"name": "  "})
    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=small_firm.sam).exists()


def test_people_see_only_their_own_tokens(small_firm: Any) -> None:
    create_token(small_firm.carol, "carol's sync")
    create_token(small_firm.sam, "sam's script")
    page = _browser(small_firm.sam).get(URL).content.decode()
    assert "sam&#x27;s script" in page
    assert "carol&#x27;s sync" not in page


def test_an_owner_revokes_their_token_and_it_stops_working(small_firm: Any) -> None:
    token, secret = create_token(small_firm.pat, "old laptop")
    response = _browser(small_firm.pat).post(f"{URL}{token.pk}/revoke/", follow=True)
    assert response.status_code == 200
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == small_firm.pat
    assert ApiClient(secret).get("/api/me").status_code == 401


def test_nobody_revokes_someone_elses_token_but_an_administrator(small_firm: Any) -> None:
    token, _ = create_token(small_firm.clara, "time app")
    assert _browser(small_firm.carol).post(f"{URL}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    admin = _browser(small_firm.alice)
    page = admin.get(URL).content.decode()
    assert "Everyone" in page and small_firm.clara.username in page
    assert admin.post(f"{URL}{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == small_firm.alice


def test_revoking_is_a_post_with_a_csrf_token(small_firm: Any) -> None:
    token, _ = create_token(small_firm.clara, "time app")
    assert _browser(small_firm.clara).get(f"{URL}{token.pk}/revoke/").status_code == 405
    strict = _browser(small_firm.clara, enforce_csrf_checks=True)
    assert strict.post(f"{URL}{token.pk}/revoke/").status_code == 403
    assert strict.post(URL, {"name": "forged"}).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not ApiToken.objects.filter(name="forged").exists()


def test_the_page_needs_a_log_in(small_firm: Any) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
