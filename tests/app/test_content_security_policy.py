"""Every page works under the content security policy: it is sent, and nothing on a page needs
what the policy refuses — no inline ``<script>``, no ``on…=`` handler, no ``<style>`` block or
``style=`` attribute.

The URL list is the resolver's (tests/app/test_url_access.py), so a page added anywhere is
checked the moment it is routed; the administrator opens each one over the small firm with an
invoice, a pre-bill and a payment, so the detail pages render real records where ids match.
"""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.test import Client
from tests.app.receivables_aging_firm import bill
from tests.app.test_url_access import ROUTES

from lexbill.receivables.services import post_payment

DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineFinder(HTMLParser):
    """Collects what a ``script-src 'self'; style-src 'self'`` policy would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_inline_script = False
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): value for name, value in attrs}
        for name in names:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…> (inline event handler)")
            if name == "style":
                self.found.append(f"<{tag} style=…> (style attribute)")
        if tag == "style":
            self.found.append("<style> block")
        script_type = (names.get("type") or "").lower()
        if tag == "script" and "src" not in names and script_type not in DATA_SCRIPT_TYPES:
            self._in_inline_script = True
            self._script_text = []
        for name in ("href", "src", "action"):
            if (names.get(name) or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_inline_script:
            self._in_inline_script = False
            self.found.append(f"inline <script>: {''.join(self._script_text).strip()[:60]!r}")


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


def test_the_finder_sees_what_the_policy_blocks() -> None:
    page = (
        '<p style="color:red" onclick="x()">a</p><script>alert(1)</script>'
        '<style>p{}</style><script src="/static/a.js"></script>'
        '<script type="application/json" id="d">{"a": 1}</script><a href="javascript:x()">b</a>'
    )
    found = inline_code(page)
    assert len(found) == 5, found
    assert inline_code('<p class="pre-line">a</p><script src="/s.js" defer></script>') == []


def test_every_page_sends_the_policy_and_has_no_inline_code(small_firm: Any) -> None:
    f = small_firm
    invoice = bill(f, f.acme_hourly, date(2026, 2, 2), "3")
    post_payment(
        f.clara, f.acme, "100.00", date(2026, 2, 20), allocations=[(invoice.number, "100.00")]
    )
    client = Client()
    client.force_login(f.alice)
    urls = [r.url for r in ROUTES] + ["/login/", "/api/docs"]
    problems: dict[str, list[str]] = {}
    html_pages = 0
    for url in urls:
        response = client.get(url)
        header = response.headers.get("Content-Security-Policy")
        if header != settings.CONTENT_SECURITY_POLICY:
            problems[url] = [f"Content-Security-Policy header is {header!r}"]
            continue
        if response.status_code in (301, 302, 405) or "text/html" not in response.get(
            "Content-Type", ""
        ):
            continue
        html_pages += 1
        found = inline_code(b"".join(response).decode())
        if found:
            problems[url] = found
    assert not problems, "\n".join(f"{url}: {found}" for url, found in problems.items())
    # the check ran over the application's pages, not a handful of redirects
    assert html_pages >= len(ROUTES) // 3, html_pages


def test_the_policy_is_the_strict_one(db: Any) -> None:
    policy = dict(
        part.strip().split(" ", 1) for part in settings.CONTENT_SECURITY_POLICY.split(";")
    )
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in settings.CONTENT_SECURITY_POLICY


def test_the_api_docs_page_loads_swagger_from_this_server(small_firm: Any) -> None:
    client = Client()
    client.force_login(small_firm.alice)
    html = client.get("/api/docs").content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    bundle = client.get("/static/ninja/swagger-ui-bundle.js")
    assert bundle.status_code == 200
