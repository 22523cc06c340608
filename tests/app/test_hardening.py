"""Hardening: production settings, log-in throttling's cool-off, session limits.

The settings module is imported in a fresh interpreter per case (settings are read once, at
import), with exactly the environment a server would have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

PASSWORD = "correct horse battery staple"
SHOW = """
import json
from lexbill import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS", "SESSION_COOKIE_AGE", "SESSION_IDLE_TIMEOUT",
    "CONTENT_SECURITY_POLICY"]}))
"""
SECRET = "a-long-random-production-secret-for-the-test-only-0123456789"


def _settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LEXBILL_") and k != "DJANGO_SETTINGS_MODULE"
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        env={**clean, "LEXBILL_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _loaded(tmp_path: Path, **env: str) -> dict[str, Any]:
    done = _settings(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    done = _settings(tmp_path, LEXBILL_ENV="production", LEXBILL_ALLOWED_HOSTS="bill.example")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "LEXBILL_ENV=production needs LEXBILL_SECRET_KEY" in done.stderr
    assert not (tmp_path / "secret_key").exists(), "no key is generated in production"


def test_production_refuses_to_start_without_its_host_names(tmp_path: Path) -> None:
    done = _settings(tmp_path, LEXBILL_ENV="production", LEXBILL_SECRET_KEY=SECRET)
    assert done.returncode != 0
    assert "needs LEXBILL_ALLOWED_HOSTS" in done.stderr


def test_production_refuses_debug(tmp_path: Path) -> None:
    done = _settings(
        tmp_path,
        LEXBILL_ENV="production",
        LEXBILL_SECRET_KEY=SECRET,
        LEXBILL_ALLOWED_HOSTS="bill.example",
        LEXBILL_DEBUG="1",
    )
    assert done.returncode != 0 and "LEXBILL_DEBUG=1 is refused" in done.stderr


def test_production_turns_on_the_secure_settings(tmp_path: Path) -> None:
    s = _loaded(
        tmp_path,
        LEXBILL_ENV="production",
        LEXBILL_SECRET_KEY=SECRET,
        LEXBILL_ALLOWED_HOSTS="bill.example, www.bill.example",
    )
    assert s["DEBUG"] is False and s["SECRET_KEY"] == SECRET
    assert s["ALLOWED_HOSTS"] == ["bill.example", "www.bill.example"]
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and s["SECURE_HSTS_PRELOAD"] is False
    assert s["SECURE_SSL_REDIRECT"] is True and s["SECURE_PROXY_SSL_HEADER"] is None
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True and s["X_FRAME_OPTIONS"] == "DENY"
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert "script-src 'self'" in s["CONTENT_SECURITY_POLICY"]


def test_production_behind_a_tls_proxy_trusts_its_header_only_when_told(tmp_path: Path) -> None:
    s = _loaded(
        tmp_path,
        LEXBILL_ENV="production",
        LEXBILL_SECRET_KEY=SECRET,
        LEXBILL_ALLOWED_HOSTS="bill.example",
        LEXBILL_BEHIND_PROXY="1",
        LEXBILL_HSTS_PRELOAD="1",
        LEXBILL_SESSION_HOURS="10",
        LEXBILL_SESSION_IDLE_MINUTES="15",
    )
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_HSTS_PRELOAD"] is True
    assert s["SESSION_COOKIE_AGE"] == 10 * 3600 and s["SESSION_IDLE_TIMEOUT"] == 15 * 60


def test_the_demo_defaults_still_run_with_nothing_set(tmp_path: Path) -> None:
    s = _loaded(tmp_path)
    assert s["DEBUG"] is False
    assert s["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    assert s["SESSION_COOKIE_SECURE"] is False and s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0
    assert s["CONTENT_SECURITY_POLICY"], "the policy is sent in every environment"


def test_django_deploy_check_is_clean_in_production(tmp_path: Path) -> None:
    # the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is theirs, not a server's
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LEXBILL_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "lexbill.settings",
            "LEXBILL_DATA_DIR": str(tmp_path),
            "LEXBILL_ENV": "production",
            "LEXBILL_SECRET_KEY": SECRET,
            "LEXBILL_ALLOWED_HOSTS": "bill.example",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- log-in throttling ---------------------------------------------------------------------------


def _log_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_a_locked_out_user_may_log_in_again_after_the_cool_off(small_firm: Any) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    client = Client()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _log_in(client, "clara", "wrong")
        clock.shift(timedelta(minutes=1))
        assert _log_in(client, "clara", PASSWORD).status_code == 429, "locked, right password"
        # the cool-off counts from the last attempt (axes records refused ones too)
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
        answer = _log_in(client, "clara", PASSWORD)
        assert answer.status_code == 302 and answer["Location"] == "/"


# --- session limits --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def production_session_limits(settings: Any) -> None:
    """The limits a firm runs with (settings.py's defaults); the suite's settings lift them."""
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    settings.SESSION_COOKIE_AGE = 8 * 3600


def _logged_in(client: Client) -> bool:
    answer = client.get("/")
    if answer.status_code == 302:
        assert answer["Location"].startswith("/login/")
        return False
    assert answer.status_code == 200
    return True


def test_a_session_idle_longer_than_the_limit_is_logged_out(small_firm: Any) -> None:
    idle = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
    client = Client()
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        assert _log_in(client, "alice", PASSWORD).status_code == 302
        assert _logged_in(client)
        clock.shift(idle - timedelta(minutes=2))
        assert _logged_in(client), "a request within the idle limit keeps the session"
        clock.shift(idle - timedelta(minutes=2))
        assert _logged_in(client), "the idle limit counts from the last request"
        clock.shift(idle + timedelta(minutes=1))
        assert not _logged_in(client)
        login_page = client.get("/login/").content.decode()
        assert "logged out after a while without activity" in login_page


def test_a_busy_session_still_ends_after_the_working_day(small_firm: Any) -> None:
    idle = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
    day = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    step = idle - timedelta(minutes=5)
    client = Client()
    with time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False) as clock:
        assert _log_in(client, "alice", PASSWORD).status_code == 302
        assert _logged_in(client)
        elapsed = timedelta(0)
        while elapsed + step < day:
            clock.shift(step)
            elapsed += step
            assert _logged_in(client), f"logged out after {elapsed} of steady work"
        clock.shift(step)
        assert not _logged_in(client), "a session ends a working day after it began"


def test_a_fresh_log_in_after_a_timeout_works(small_firm: Any) -> None:
    client = Client()
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        _log_in(client, "alice", PASSWORD)
        assert _logged_in(client)
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + 60))
        assert not _logged_in(client)
        assert _log_in(client, "alice", PASSWORD).status_code == 302
        assert _logged_in(client)


@pytest.mark.parametrize("path", ["/login/", "/no-such-page/"])
def test_the_policy_is_sent_to_anonymous_visitors_too(path: str, db: Any) -> None:
    """Documents carry it (static files, served by WhiteNoise before any middleware, need not)."""
    assert Client().get(path).headers["Content-Security-Policy"] == (
        settings.CONTENT_SECURITY_POLICY
    )
