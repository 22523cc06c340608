"""The audit trail's hash chain, pure: what of a record is hashed, and how a link is made.

Each audit record's ``hash`` is SHA-256 over the previous record's hash and the record's own
content in one canonical form, so changing any hashed field of a record, or removing or inserting
one, breaks the chain at that point. The canonical form must give the same bytes for a record as
written and as read back from either engine (or from an export archive): so JSON with sorted keys
and no spaces, the moment in UTC with microseconds, ids as they are stored. It never changes once
records exist — a change would make every stored hash wrong — so it is spelt out here, once, and
a test pins it to a known digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The previous hash of the first record: no predecessor.
GENESIS = "0" * 64


@dataclass(frozen=True)
class RecordContent:
    """The hashed fields of one audit record, as stored."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    channel: str
    action: str
    model: str
    object_id: str
    before: Any
    after: Any
    summary: str


def utc_moment(at: datetime) -> str:
    """``2026-03-02T09:15:00.123456Z``: one spelling of a moment whatever its time zone."""
    if at.tzinfo is None:
        raise ValueError("an audit moment must be time-zone aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(content: RecordContent) -> bytes:
    """The record as compact JSON with sorted keys (before/after sorted too), UTF-8."""
    data = {
        "id": content.id,
        "at": utc_moment(content.at),
        "actor_id": content.actor_id,
        "actor_name": content.actor_name,
        "channel": content.channel,
        "action": content.action,
        "model": content.model,
        "object_id": content.object_id,
        "before": content.before,
        "after": content.after,
        "summary": content.summary,
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def link_hash(previous_hash: str, content: RecordContent) -> str:
    """SHA-256 (hex) of the previous record's hash, a newline and the canonical content."""
    digest = hashlib.sha256(previous_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_content(content))
    return digest.hexdigest()
