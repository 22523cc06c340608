"""Attribute changes made through the web to the logged-in user."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from lexbill.audit.context import acting_as


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        # ApiTokenMiddleware marks requests that arrived with a personal API token
        via = "api" if getattr(request, "api_token", None) is not None else "web"
        with acting_as(user, via):
            return self.get_response(request)
