"""Log-in: Argon2 password hashes, and django-axes locks a user name + address after 5 failures."""

from __future__ import annotations

from typing import Any

from django.test import Client
from tests.browser.conftest import PASSWORD


def _log_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(small_firm: Any) -> None:
    assert small_firm.clara.password.startswith("argon2$")


def test_the_right_password_logs_in_and_lands_on_the_dashboard(small_firm: Any) -> None:
    client = Client()
    response = _log_in(client, "clara", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert b"Dashboard" in page.content


def test_the_log_in_form_labels_its_fields(db: Any) -> None:
    html = Client().get("/login/").content.decode()
    assert '<label for="id_username">User name</label>' in html
    assert '<label for="id_password">Password</label>' in html


def test_a_wrong_password_is_refused_with_a_message(small_firm: Any) -> None:
    response = _log_in(Client(), "clara", "wrong")
    assert response.status_code == 200
    assert "Your user name and password didn&#x27;t match" in response.content.decode()


def test_the_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(
    small_firm: Any,
) -> None:
    client = Client()
    for _ in range(4):
        assert _log_in(client, "clara", "wrong").status_code == 200
    locked = _log_in(client, "clara", "wrong")  # the fifth failure locks
    assert locked.status_code == 429
    response = _log_in(client, "clara", PASSWORD)
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed log-in attempts" in text
    assert "locked for 15 minutes" in text
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked out: the key is user name + address.
    assert _log_in(Client(), "sam", PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(small_firm: Any) -> None:
    client = Client()
    for _ in range(4):
        _log_in(client, "clara", "wrong")
    assert _log_in(client, "clara", PASSWORD).status_code == 302
    other = Client()
    for _ in range(4):
        assert _log_in(other, "clara", "wrong").status_code == 200


def test_log_out_ends_the_session(small_firm: Any) -> None:
    client = Client()
    client.force_login(small_firm.clara)
    assert client.post("/logout/").status_code == 302
    assert client.get("/")["Location"].startswith("/login/")
