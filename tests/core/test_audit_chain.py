"""The audit chain's canonical form and link hash, pinned: stored hashes depend on every byte."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lexbill.core.audit_chain import (
    GENESIS,
    RecordContent,
    canonical_content,
    link_hash,
    utc_moment,
)

AT = datetime(2026, 3, 2, 9, 15, 0, 123456, tzinfo=UTC)


def _content(**changes: object) -> RecordContent:
    base: dict[str, object] = {
        "id": 7,
        "at": AT,
        "actor_id": 3,
        "actor_name": "carol",
        "channel": "web",
        "action": "update",
        "model": "billing.Invoice",
        "object_id": "42",
        "before": {"z": "1.00", "a": None},
        "after": {"z": "2.00", "a": {"y": 1, "b": "é"}},
        "summary": "",
    }
    base.update(changes)
    return RecordContent(**base)  # type: ignore[arg-type]


def test_the_canonical_form_is_compact_json_with_every_key_sorted() -> None:
    # written out by hand, independently of json.dumps' options
    expected = (
        '{"action":"update","actor_id":3,"actor_name":"carol",'
        '"after":{"a":{"b":"é","y":1},"z":"2.00"},"at":"2026-03-02T09:15:00.123456Z",'
        '"before":{"a":null,"z":"1.00"},"channel":"web","id":7,"model":"billing.Invoice",'
        '"object_id":"42","summary":""}'
    ).encode()
    assert canonical_content(_content()) == expected


def test_a_link_is_sha256_of_the_previous_hash_a_newline_and_the_content() -> None:
    content = _content()
    expected = hashlib.sha256(GENESIS.encode() + b"\n" + canonical_content(content)).hexdigest()
    assert link_hash(GENESIS, content) == expected
    assert len(expected) == 64


def test_the_same_moment_in_another_time_zone_hashes_the_same() -> None:
    elsewhere = AT.astimezone(timezone(timedelta(hours=-5)))
    assert utc_moment(elsewhere) == "2026-03-02T09:15:00.123456Z"
    assert link_hash(GENESIS, _content(at=elsewhere)) == link_hash(GENESIS, _content())


def test_key_order_of_before_and_after_does_not_matter() -> None:
    shuffled = _content(
        before={"a": None, "z": "1.00"}, after={"a": {"b": "é", "y": 1}, "z": "2.00"}
    )
    assert link_hash(GENESIS, shuffled) == link_hash(GENESIS, _content())


@pytest.mark.parametrize(
    "change",
    [
        {"id": 8},
        {"at": AT + timedelta(microseconds=1)},
        {"actor_id": None},
        {"actor_name": "alice"},
        {"channel": "cli"},
        {"action": "delete"},
        {"model": "billing.CreditNote"},
        {"object_id": "43"},
        {"before": None},
        {"after": {"z": "2.01", "a": {"y": 1, "b": "é"}}},
        {"summary": "x"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_every_hashed_field_changes_the_hash(change: dict[str, object]) -> None:
    assert link_hash(GENESIS, _content(**change)) != link_hash(GENESIS, _content())


def test_the_previous_hash_changes_the_hash() -> None:
    assert link_hash("1" * 64, _content()) != link_hash(GENESIS, _content())


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        utc_moment(datetime(2026, 3, 2, 9, 15))  # noqa: DTZ001
