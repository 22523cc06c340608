"""API fixtures: a token per named person of the small firm, and a client that sends it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


class ApiClient:
    """A test client that sends ``Authorization: Bearer`` and JSON, as an integration would."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret
        self.client = Client()

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        sent = dict(headers or {})
        if self.secret is not None:
            sent["Authorization"] = f"Bearer {self.secret}"
        return sent

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(
            path,
            body if body is not None else {},
            content_type="application/json",
            headers=self._headers(headers),
        )

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.patch(
            path, body, content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(path, headers=self._headers(headers))


@pytest.fixture
def api_as(small_firm: Any) -> Any:
    """``api_as("carol")`` is an API client carrying a fresh token of carol's."""
    from lexbill.api.tokens import create_token

    def make(username: str) -> ApiClient:
        user = getattr(small_firm, username)
        _, secret = create_token(user, f"{username}'s test token")
        return ApiClient(secret)

    return make
