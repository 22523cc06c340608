"""Errors as RFC 9457 problem details (``application/problem+json``), one shape for every error.

A client program can branch on ``status`` and show ``detail``; ``field`` and ``line`` point at
the offending value exactly as the web forms and the command line do (they come from
``LexbillError``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from lexbill.core import errors

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://lexbill.org/problems/"

# the most specific class first; anything else from the billing rules is a 422
_STATUS_BY_ERROR: list[tuple[type[errors.LexbillError], int]] = [
    (errors.NotFound, 404),
    (errors.PermissionDenied, 403),
    (errors.InvalidTransition, 409),
    (errors.ImmutableRecord, 409),
]

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Server error",
}


def problem_body(status: int, title: str | None, detail: str, **extra: Any) -> dict[str, Any]:
    title = title or _TITLES.get(status, "Error")
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(status: int, title: str | None, detail: str, **extra: Any) -> HttpResponse:
    return HttpResponse(
        json.dumps(problem_body(status, title, detail, **extra)),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def status_for(error: errors.LexbillError) -> int:
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 422


def install_problem_handlers(api: NinjaAPI) -> None:
    """Route every error the API can meet through ``problem_response``."""

    @api.exception_handler(errors.LexbillError)
    def billing_rule(request: HttpRequest, exc: errors.LexbillError) -> HttpResponse:
        status = status_for(exc)
        return problem_response(
            status,
            type(exc).__name__ if status == 422 else None,
            exc.message,
            field=exc.field,
            line=exc.line,
        )

    @api.exception_handler(NinjaValidationError)
    def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        problems: list[dict[str, str | None]] = [
            {
                "field": ".".join(str(part) for part in error.get("loc", ())),
                "message": str(error.get("msg", "")),
            }
            for error in exc.errors
        ]
        first = problems[0] if problems else {"field": None, "message": "Invalid request"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return problem_response(422, None, detail or "Invalid request", errors=problems)

    @api.exception_handler(DjangoValidationError)
    def invalid_model(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        problems: list[dict[str, str | None]]
        if hasattr(exc, "error_dict"):
            problems = [
                {"field": name, "message": " ".join(m for e in errs for m in e.messages)}
                for name, errs in exc.error_dict.items()
            ]
        else:
            problems = [{"field": None, "message": m} for m in exc.messages]
        detail = "; ".join(
            f"{p['field']}: {p['message']}" if p["field"] else str(p["message"]) for p in problems
        )
        return problem_response(422, None, detail, errors=problems)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem_response(
            401, None, "Send a personal API token as 'Authorization: Bearer <token>'"
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem_response(exc.status_code, None, str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(404, None, str(exc) or "Not found")

    @api.exception_handler(ObjectDoesNotExist)
    def no_such_object(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return problem_response(404, None, str(exc) or "Not found")

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        return problem_response(500, None, "The server could not complete the request")
