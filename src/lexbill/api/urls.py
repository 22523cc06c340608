"""Mount the API; its operations answer 401 themselves instead of the log-in redirect."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern

from lexbill.api.main import api

_DOCUMENTATION = {"openapi-json", "openapi-view"}


def api_urls() -> tuple[list[Any], str, str]:
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        # LoginRequiredMiddleware would redirect a token-less program to the log-in page; the
        # operations answer 401 problem+json instead. The schema and docs stay behind log-in
        # (a session or a token).
        if isinstance(pattern, URLPattern) and pattern.name not in _DOCUMENTATION:
            pattern.callback.login_required = False  # type: ignore[attr-defined]
    return patterns, app_name, namespace
