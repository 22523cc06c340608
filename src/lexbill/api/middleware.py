"""Authenticate ``Authorization: Bearer`` requests to /api/ before the log-in check runs.

Running as middleware (after Django's session authentication, before ``LoginRequiredMiddleware``
and the audit middleware) means a token request is an ordinary logged-in request from then on:
the audit trail names the token's owner and the channel ``api`` (see AuditActorMiddleware), and
every service checks that owner's role exactly as it does on the web.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from lexbill.api.problems import problem_response
from lexbill.api.tokens import user_for_secret
from lexbill.core.errors import PermissionDenied

API_PREFIX = "/api/"


class ApiTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return self.get_response(request)
        try:
            user, token = user_for_secret(secret.strip())
        except PermissionDenied as refusal:
            return problem_response(401, "Not authenticated", str(refusal))
        request.user = user
        request.api_token = token  # type: ignore[attr-defined]
        return self.get_response(request)
