"""Anonymous visitors are sent to log-in; a user logs in and out in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_anonymous_visitors_are_sent_to_log_in(page: Any, small_firm: Any) -> None:
    page.goto("/")
    assert "/login/" in page.url
    assert page.get_by_role("heading", name="Log in").is_visible()


def test_a_clerk_logs_in_sees_the_dashboard_and_logs_out(page: Any, small_firm: Any) -> None:
    log_in(page, "clara")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    screenshot(page, "dashboard-clerk")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    page.goto("/")
    assert "/login/" in page.url


def test_a_wrong_password_is_refused(page: Any, small_firm: Any) -> None:
    log_in_page = page
    log_in_page.goto("/login/")
    log_in_page.get_by_label("User name").fill("clara")
    log_in_page.get_by_label("Password").fill("wrong")
    log_in_page.get_by_role("button", name="Log in").click()
    assert log_in_page.get_by_role("alert").is_visible()
