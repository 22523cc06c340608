"""The API's authentication: a personal token, already checked by ``ApiTokenMiddleware``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer


class PersonalToken(HttpBearer):
    """Bearer auth as documented in the OpenAPI schema; the middleware did the lookup.

    A session cookie is not accepted on the API: it would need CSRF tokens, and a program should
    carry its own revocable credential rather than a person's log-in.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        if getattr(request, "api_token", None) is None:
            return None
        return request.user
