"""Anonymous visitors are sent to log-in; a user logs in and out in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, screenshot

pytestmark = pytest.mark.browser


def test_anonymous_visitors_are_sent_to_log_in(page: Any, small_firm: Any) -> None:
    page.goto("/")
    assert "/login/" in page.url
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_a_clerk_logs_in_sees_the_dashboard_and_logs_out(page: Any, small_firm: Any) -> None:
    log_in(page, "clara")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
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
    expect(log_in_page.get_by_role("alert")).to_be_visible()


def test_five_wrong_passwords_lock_the_log_in_with_a_message(page: Any, small_firm: Any) -> None:
    for _ in range(5):
        page.goto("/login/")
        page.get_by_label("User name").fill("clara")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    page.goto("/login/")
    page.get_by_label("User name").fill("clara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    assert "Too many failed log-in attempts" in alert.inner_text()
    screenshot(page, "log-in-locked")
    page.goto("/")
    assert "/login/" in page.url


def test_the_dashboard_for_a_coordinator(page: Any, small_firm: Any) -> None:
    log_in(page, "carol")
    for heading in (
        "Pre-bills waiting for you",
        "Unbilled work by matter and age",
        "Invoices overdue",
    ):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    assert nav.get_by_role("link", name="Settings").count() == 0
    screenshot(page, "dashboard-coordinator")


def test_the_demo_firms_dashboard_for_each_role(page: Any, transactional_db: Any) -> None:
    from django.utils import timezone

    from lexbill.demo import DEMO_PASSWORD, build_demo_firm

    build_demo_firm(today=timezone.localdate())
    log_in(page, "coordinator", DEMO_PASSWORD)
    waiting = page.get_by_role("table", name="Pre-bills waiting for you")
    assert waiting.get_by_role("row").count() > 1
    expect(page.get_by_role("table", name="Unbilled work by matter and age")).to_be_visible()
    screenshot(page, "dashboard-demo-coordinator")
    page.get_by_role("button", name="Log out").click()
    log_in(page, "attorney", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    screenshot(page, "dashboard-demo-attorney")
