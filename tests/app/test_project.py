"""Project-level guarantees: migrations complete, the right database, Argon2, log-in."""

from __future__ import annotations

import os
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test import Client as WebClient


def test_no_model_change_is_missing_a_migration(db: Any) -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        raise AssertionError(f"a migration is missing:\n{out.getvalue()}") from exit_


def test_the_suite_runs_on_the_database_it_was_asked_for(db: Any) -> None:
    url = os.environ.get("LEXBILL_TEST_DATABASE_URL", "")
    assert connection.vendor == ("postgresql" if url.startswith("postgres") else "sqlite")


def test_passwords_are_hashed_with_argon2(small_firm: Any) -> None:
    assert small_firm.clara.password.startswith("argon2")


def test_a_user_logs_in_and_sees_the_dashboard(small_firm: Any) -> None:
    web = WebClient(enforce_csrf_checks=True)
    page = web.get("/login/")
    token = page.cookies["csrftoken"].value
    response = web.post(
        "/login/",
        {
            "username": "clara",
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    dashboard = web.get("/")
    assert dashboard.status_code == 200
    assert b"Pre-bills waiting" in dashboard.content
    assert small_firm.firm.name.encode() in dashboard.content.replace(b"&amp;", b"&")


def test_a_log_in_without_the_csrf_token_is_refused(small_firm: Any) -> None:
    web = WebClient(enforce_csrf_checks=True)
    response = web.post(
        "/login/", {"username": "clara", "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
