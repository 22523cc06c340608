"""The access decorators refuse other roles with a 403 page that says who may."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from lexbill.firm.models import Role
from lexbill.firm.permissions import Action
from lexbill.web.access import require_action, require_role


@require_role(Role.COORDINATOR, Role.ADMINISTRATOR)
def _coordinators_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@require_action(Action.APPROVE_PREBILL)
def _approvers_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _get(rf: Any, user: Any, view: Any) -> HttpResponse:
    request = rf.get("/")
    request.user = user
    response: HttpResponse = view(request)
    return response


def test_require_role_lets_in_the_named_roles_only(small_firm: Any, rf: Any) -> None:
    assert _get(rf, small_firm.carol, _coordinators_only).content == b"ok"
    assert _get(rf, small_firm.alice, _coordinators_only).content == b"ok"
    refused = _get(rf, small_firm.sam, _coordinators_only)
    assert refused.status_code == 403
    text = refused.content.decode()
    assert "This page is for: administrator, billing coordinator." in text
    assert "You are logged in as sam (Billing specialist)." in text


def test_require_action_follows_the_role_table(small_firm: Any, rf: Any) -> None:
    assert _get(rf, small_firm.pat, _approvers_only).content == b"ok"
    refused = _get(rf, small_firm.clara, _approvers_only)
    assert refused.status_code == 403
    text = refused.content.decode()
    assert "clara (Billing clerk / assistant) may not approve a pre-bill." in text
    assert "Only these roles may: billing coordinator, attorney, administrator." in text


def test_an_inactive_user_is_refused(small_firm: Any, rf: Any) -> None:
    small_firm.carol.is_active = False
    assert _get(rf, small_firm.carol, _coordinators_only).status_code == 403
    assert _get(rf, small_firm.carol, _approvers_only).status_code == 403
