"""``Idempotency-Key`` for POSTs that create money records: a retried request never posts twice.

The stored response and the work it describes commit together (one transaction), so:
- same key, same body, already done → the first response again, with ``Idempotent-Replayed: true``;
- same key, different body → 422, because the client is reusing a key by mistake;
- same key while the first request is still running → it waits for the first to commit (the
  unique key is locked by the insert), then gets the replay;
- a request that failed stored nothing, so retrying it with the same key runs it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from lexbill.api.models import IdempotencyRecord
from lexbill.api.problems import problem_response

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _json(status: int, body: str, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _serialize(result: Any) -> str:
    # ninja's own encoder, so a created record reads exactly as a later GET renders it
    # (timestamps in milliseconds, decimals as strings)
    if isinstance(result, BaseModel):
        result = result.model_dump()
    return json.dumps(result, cls=NinjaJSONEncoder)


def run_idempotent(request: HttpRequest, create: Callable[[], tuple[int, Any]]) -> HttpResponse:
    """Run ``create`` (returning status and a schema object) at most once per key and user.

    Without the header the request simply runs; with it, see the module docstring.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        status, result = create()
        return _json(status, _serialize(result), replayed=False)
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return problem_response(
            422,
            None,
            f"{IDEMPOTENCY_HEADER} must be 1–{MAX_KEY_LENGTH} characters",
            field=IDEMPOTENCY_HEADER,
        )
    digest = hashlib.sha256(request.body).hexdigest()
    user = request.user
    assert user.is_authenticated, "the API's auth runs before any operation"
    previous = _previous(user, key)
    if previous is not None:
        return _replay(request, previous, digest)
    try:
        with transaction.atomic():
            # claim the key before the work: a second request with it waits here on the unique
            # index until this one commits (then replays) or rolls back (then runs itself)
            record = IdempotencyRecord.objects.create(
                user=user,
                key=key,
                method=request.method or "POST",
                path=request.path[:500],
                request_digest=digest,
                status_code=0,
                response_body="",
            )
            status, result = create()
            body = _serialize(result)
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                status_code=status, response_body=body
            )
    except IntegrityError:
        # another request with this key committed first; ours rolled back whole
        previous = _previous(user, key)
        if previous is None:
            raise
        return _replay(request, previous, digest)
    return _json(status, body, replayed=False)


def _previous(user: Any, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user=user, key=key).first()


def _replay(request: HttpRequest, record: IdempotencyRecord, digest: str) -> HttpResponse:
    if record.request_digest != digest or record.path != request.path[:500]:
        return problem_response(
            422,
            "Idempotency key reused",
            f"The {IDEMPOTENCY_HEADER} {record.key!r} was already used for a different request",
            field=IDEMPOTENCY_HEADER,
        )
    return _json(record.status_code, record.response_body, replayed=True)
