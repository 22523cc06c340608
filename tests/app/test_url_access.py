"""Every URL the application serves requires a session, and the right role where a role matters.

The URL list comes from the resolver, so a page added anywhere (entries, billing, receivables, …)
is covered the moment it is routed: anonymous visitors are sent to log-in. ``ROLE_TABLE`` says
which roles may open a named page; a page not in it only needs a session. Add a row when a page
is for some roles only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from lexbill.firm.models import Role
from lexbill.firm.permissions import ALLOWED, Action

# Public pages: everything else needs a session.
PUBLIC = {"login"}
# Routes not enumerated: the Django admin has its own log-in; static files are public; the JSON
# API answers 401 problem+json to a request without a token (tests/api checks it route by route).
SKIPPED_PREFIXES = ("admin/", "static/", "api/")

# Which roles may open a named page (GET). Pages not listed need only a session.
ROLE_TABLE: dict[str, Action | frozenset[Role]] = {
    "firm:settings": Action.MANAGE_FIRM,
    "firm:users": Action.MANAGE_FIRM,
    "firm:timekeepers": Action.MANAGE_FIRM,
    "firm:rates": Action.MANAGE_RATES,
    "clients:client-new": Action.MANAGE_CLIENTS,
    "clients:client-edit": Action.MANAGE_CLIENTS,
    "clients:matter-new": Action.MANAGE_CLIENTS,
    "clients:matter-edit": Action.MANAGE_CLIENTS,
    "clients:matter-close": Action.MANAGE_CLIENTS,
    "clients:matter-rate-new": Action.MANAGE_RATES,
    "clients:matter-budget": Action.MANAGE_CLIENTS,
    "clients:matter-budget-remove": Action.MANAGE_CLIENTS,
    "clients:client-approve-timekeeper": Action.MANAGE_CLIENTS,
    "clients:client-withdraw-timekeeper": Action.MANAGE_CLIENTS,
    "clients:client-rate-notice": Action.MANAGE_RATES,
    "clients:client-rate-notice-remove": Action.MANAGE_RATES,
    "ebilling:profile": Action.MANAGE_CLIENTS,
    "plans:plan-list": Action.VIEW_RECEIVABLES,
    "plans:plan-detail": Action.VIEW_RECEIVABLES,
    "plans:plan-new": Action.MANAGE_PAYMENT_PLANS,
    "plans:plan-cancel": Action.MANAGE_PAYMENT_PLANS,
    "plans:plan-default": Action.MANAGE_PAYMENT_PLANS,
    "plans:plan-refresh": Action.MANAGE_PAYMENT_PLANS,
    "disputes:dispute-list": Action.VIEW_RECEIVABLES,
    "disputes:dispute-detail": Action.VIEW_RECEIVABLES,
    "disputes:dispute-new": Action.HANDLE_DISPUTES,
    "disputes:dispute-assign": Action.HANDLE_DISPUTES,
    "disputes:dispute-note": Action.HANDLE_DISPUTES,
    "disputes:dispute-review": Action.HANDLE_DISPUTES,
    "disputes:dispute-reopen": Action.HANDLE_DISPUTES,
    "disputes:dispute-resolve": Action.RESOLVE_DISPUTE,
    # every role may edit a pre-bill; attorneys only their own matters' (the service says so)
    "billing:line-split": Action.EDIT_PREBILL,
    "compliance:client-guidelines": Action.MANAGE_CLIENTS,
    "compliance:guideline-report": Action.VIEW_REPORTS,
    "compliance:guideline-report-findings": Action.VIEW_REPORTS,
    "compliance:client-guidelines-edit": Action.MANAGE_CLIENTS,
    "latecharges:late-charges": Action.ASSESS_LATE_CHARGES,
    "latecharges:assess": Action.ASSESS_LATE_CHARGES,
    "latecharges:bill-matter": Action.ASSESS_LATE_CHARGES,
    "latecharges:prebill-panel": Action.ASSESS_LATE_CHARGES,
    "latecharges:prebill-add": Action.ASSESS_LATE_CHARGES,
    "reminders:due": Action.SEND_REMINDERS,
    "reminders:send": Action.SEND_REMINDERS,
    "reminders:log": Action.SEND_REMINDERS,
    "reminders:schedule": Action.SEND_REMINDERS,
    "reminders:rule-new": Action.MANAGE_COLLECTIONS,
    "reminders:rule-edit": Action.MANAGE_COLLECTIONS,
    "reminders:payment-instructions": Action.MANAGE_COLLECTIONS,
    "receivables:aging": Action.VIEW_RECEIVABLES,
    "receivables:aging-invoices": Action.VIEW_RECEIVABLES,
    "receivables:client-statement": Action.VIEW_RECEIVABLES,
    "receivables:client-statement-pdf": Action.VIEW_RECEIVABLES,
    "receivables:client-statement-send": Action.SEND_REMINDERS,
    "receivables:payment-detail": Action.VIEW_RECEIVABLES,
    "receivables:payment-list": Action.VIEW_RECEIVABLES,
    "receivables:payment-new": Action.POST_PAYMENT,
    "receivables:payment-allocations": Action.POST_PAYMENT,
    "receivables:allocation-totals": Action.POST_PAYMENT,
    "receivables:client-balance": Action.VIEW_RECEIVABLES,
    "receivables:client-history": Action.VIEW_RECEIVABLES,
    "receivables:approvals": Action.VIEW_RECEIVABLES,
    "receivables:policy": Action.MANAGE_COLLECTIONS,
    "banking:home": Action.IMPORT_BANK_STATEMENTS,
    "banking:account-new": Action.IMPORT_BANK_STATEMENTS,
    "banking:import": Action.IMPORT_BANK_STATEMENTS,
    "banking:import-detail": Action.IMPORT_BANK_STATEMENTS,
    "banking:queue": Action.IMPORT_BANK_STATEMENTS,
    "banking:rematch": Action.IMPORT_BANK_STATEMENTS,
    "banking:match": Action.IMPORT_BANK_STATEMENTS,
    "banking:ignore": Action.IMPORT_BANK_STATEMENTS,
    "banking:post": Action.POST_PAYMENT,
    "trust:reconciliations": Action.RECONCILE_TRUST,
    "trust:reconcile": Action.RECONCILE_TRUST,
    "trust:reconcile-import": Action.RECONCILE_TRUST,
    "trust:reconcile-auto": Action.RECONCILE_TRUST,
    "trust:reconcile-match": Action.RECONCILE_TRUST,
    "trust:reconcile-unmatch": Action.RECONCILE_TRUST,
    "trust:reconcile-sign": Action.SIGN_OFF_RECONCILIATION,
    "trust:reconciliation": Action.RECONCILE_TRUST,
    "trust:reconciliation-pdf": Action.RECONCILE_TRUST,
    # trust accounts, ledgers, transactions and retainers (trust/views.py)
    "trust:home": Action.VIEW_TRUST,
    "trust:account-new": Action.MANAGE_TRUST_ACCOUNTS,
    "trust:policy": Action.MANAGE_TRUST_ACCOUNTS,
    "trust:account": Action.VIEW_TRUST,
    "trust:buffer": Action.MANAGE_TRUST_ACCOUNTS,
    "trust:bank-charge": Action.RECONCILE_TRUST,
    "trust:interest": Action.RECONCILE_TRUST,
    "trust:ledger": Action.VIEW_TRUST,
    "trust:ledger-deposit": Action.RECORD_TRUST_DEPOSIT,
    "trust:disburse": Action.DISBURSE_TRUST,
    "trust:refund": Action.DISBURSE_TRUST,
    "trust:transfer": Action.DISBURSE_TRUST,
    "trust:reverse": Action.REVERSE_TRUST,
    "trust:deposit": Action.RECORD_TRUST_DEPOSIT,
    "trust:retainer": Action.MANAGE_RETAINERS,
    "trust:apply": Action.DISBURSE_TRUST,
    "trust:reports": Action.VIEW_TRUST,
    "trust:report-ledger": Action.VIEW_TRUST,
    "trust:report-journal": Action.VIEW_TRUST,
    "trust:report-trial-balance": Action.VIEW_TRUST,
    "trust:report-dormant": Action.VIEW_TRUST,
    "trust:report-refused": Action.VIEW_TRUST,
    "reports:index": Action.VIEW_REPORTS,
    "reports:report": Action.VIEW_REPORTS,
    "exports:home": Action.EXPORT_FIRM_DATA,
    "exports:archive": Action.EXPORT_FIRM_DATA,
    "exports:workbook": Action.EXPORT_FIRM_DATA,
    "audit:trail": Action.VIEW_AUDIT_TRAIL,
    "audit:export": Action.VIEW_AUDIT_TRAIL,
    "audit:verify": Action.VERIFY_AUDIT_TRAIL,
    "imports:home": Action.IMPORT_DATA,
    "imports:mapping": Action.IMPORT_DATA,
    "imports:batch": Action.IMPORT_DATA,
    "imports:commit": Action.IMPORT_DATA,
    "imports:check": Action.IMPORT_DATA,
}

# Dummy values for path converters: the page need not find anything, only answer.
DUMMY = {
    "int": "1",
    "str": "X",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000001",
}
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    name: str | None
    url: str

    def __str__(self) -> str:
        return f"{self.name or '(unnamed)'} {self.url}"


def _routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from _routes(p.url_patterns, prefix + route, ns)
        elif isinstance(p, URLPattern):
            full = prefix + route
            if full.startswith(SKIPPED_PREFIXES):
                continue
            assert not full.startswith("^"), f"regex route {full!r}: give it a path() instead"
            url = "/" + _PARAM.sub(lambda m: DUMMY[m["converter"] or "str"], full)
            yield Route(f"{namespace}{p.name}" if p.name else None, url)


ROUTES = [r for r in _routes(get_resolver().url_patterns) if r.name not in PUBLIC]


def test_the_resolver_lists_the_known_pages() -> None:
    names = {r.name for r in ROUTES}
    assert {"home", "invoice-pdf", "firm:settings", "firm:rates"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_log_in(route: Route, method: str, db: Any) -> None:
    response = getattr(Client(), method)(route.url)
    assert response.status_code == 302, f"{route} answered {response.status_code} to {method}"
    assert response["Location"].startswith("/login/")


def test_the_log_in_page_is_public(db: Any) -> None:
    assert Client().get("/login/").status_code == 200


def _allowed(rule: Action | frozenset[Role]) -> frozenset[Role]:
    return frozenset(ALLOWED[rule]) if isinstance(rule, Action) else rule


ROLE_CASES = [(route, role) for route in ROUTES if route.name in ROLE_TABLE for role in Role]


@pytest.mark.parametrize(("route", "role"), ROLE_CASES, ids=lambda v: str(v))
def test_each_page_opens_only_for_its_roles(route: Route, role: Role, small_firm: Any) -> None:
    user = next(
        u
        for u in (
            small_firm.alice,
            small_firm.carol,
            small_firm.sam,
            small_firm.clara,
            small_firm.pat,
        )
        if u.role == role
    )
    client = Client()
    client.force_login(user)
    response = client.get(route.url)
    assert route.name is not None
    if role in _allowed(ROLE_TABLE[route.name]):
        assert response.status_code != 403, f"{role} refused at {route}"
    else:
        assert response.status_code == 403, f"{role} let into {route}"
        assert "may not" in response.content.decode()


def test_a_clerk_opening_settings_is_refused_with_a_clear_message(small_firm: Any) -> None:
    client = Client()
    client.force_login(small_firm.clara)
    response = client.get("/settings/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "clara (Billing clerk / assistant) may not manage the firm and its users" in text
    assert "Only a user with the administrator role may." in text


def test_every_page_in_the_role_table_exists() -> None:
    """A stale row (a renamed page) would silently test nothing."""
    names = {r.name for r in ROUTES}
    assert set(ROLE_TABLE) <= names
