"""Two small middlewares the hardening needs and Django 5.2 does not ship.

* ``ContentSecurityPolicyMiddleware`` sends ``settings.CONTENT_SECURITY_POLICY`` on every
  response. Django 6 has this built in; on 5.2 a header is all it takes, because the policy is
  one fixed string (no nonces: no page has an inline script or style to allow).
* ``SessionTimeoutMiddleware`` ends a session after ``SESSION_IDLE_TIMEOUT`` seconds without a
  request, and in any case ``SESSION_COOKIE_AGE`` seconds after it began. Django's own expiry
  moves with every save of the session, so on its own it is neither an idle limit nor a cap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse

STARTED = "_lexbill_session_started"
SEEN = "_lexbill_session_seen"
# Writing the last-seen time on every request would save the session on every request; a minute's
# precision is plenty for a limit counted in tens of minutes.
SEEN_PRECISION = 60


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: str = getattr(settings, "CONTENT_SECURITY_POLICY", "")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = self.policy
        return response


class SessionTimeoutMiddleware:
    """Between authentication and the log-in check: an expired session is logged out here, and
    ``LoginRequiredMiddleware`` then sends the browser to the log-in page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            started = int(session.get(STARTED, now))
            seen = int(session.get(SEEN, now))
            if now - seen > settings.SESSION_IDLE_TIMEOUT:
                self._end(request, "you were logged out after a while without activity")
            elif now - started > settings.SESSION_COOKIE_AGE:
                self._end(request, "your session reached its limit; please log in again")
            else:
                if STARTED not in session:
                    session[STARTED] = now
                if SEEN not in session or now - seen >= SEEN_PRECISION:
                    session[SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, why: str) -> None:
        logout(request)
        messages.info(request, why[0].upper() + why[1:] + ".")


def start_session_clock(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Stamp the session's start at log-in, which saves it anyway, so the first page after
    log-in does not write the session a second time."""
    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[STARTED] = now
        session[SEEN] = now
