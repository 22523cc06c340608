"""Settings in a real browser: the administrator changes the firm policy; a clerk is refused."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_the_administrator_changes_the_firm_policy(page: Any, small_firm: Any) -> None:
    from lexbill.firm.models import Firm

    log_in(page, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_url("**/settings/")
    expect(page.get_by_role("heading", name="Firm policy")).to_be_visible()
    page.get_by_label("Invoice number format").fill("INV-{year}")
    page.get_by_role("button", name="Save policy").click()
    assert page.locator("#id_invoice_number_format_error").inner_text() == (
        "The number format must contain {seq}"
    )
    screenshot(page, "settings-policy-error")
    page.get_by_label("Invoice number format").fill("INV-{year}-{seq:04d}")
    page.get_by_label("Billing increment").select_option("15")
    page.get_by_label("Payment terms (days)").fill("45")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_text("Firm policy saved.")).to_be_visible()
    screenshot(page, "settings-policy")
    firm = Firm.objects.get()
    assert (firm.invoice_number_format, firm.increment_minutes, firm.payment_terms_days) == (
        "INV-{year}-{seq:04d}",
        15,
        45,
    )


def test_the_administrator_sees_users_timekeepers_and_rates(page: Any, small_firm: Any) -> None:
    log_in(page, "alice")
    page.goto("/settings/users/")
    expect(page.get_by_role("cell", name="clara", exact=True)).to_be_visible()
    screenshot(page, "settings-users")
    page.get_by_role("link", name="Rate tables").click()
    expect(page.get_by_role("cell", name="$500.00")).to_be_visible()
    screenshot(page, "settings-rates")


def test_a_clerk_opening_settings_is_refused_with_a_message(page: Any, small_firm: Any) -> None:
    log_in(page, "clara")
    assert (
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").count()
        == 0
    )
    response = page.goto("/settings/")
    assert response.status == 403
    assert "may not manage the firm and its users" in page.get_by_role("alert").inner_text()
    screenshot(page, "settings-refused-clerk")
