"""Who is acting, for the audit trail: set by the web middleware, the CLI and tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_actor: ContextVar[Any | None] = ContextVar("lexbill_actor", default=None)
_via: ContextVar[str] = ContextVar("lexbill_via", default="system")


def current_actor() -> Any | None:
    return _actor.get()


def current_channel() -> str:
    return _via.get()


@contextmanager
def acting_as(user: Any | None, via: str) -> Iterator[None]:
    """Attribute every change inside the block to ``user``, arriving through ``via`` (web, cli)."""
    token_actor = _actor.set(user)
    token_via = _via.set(via)
    try:
        yield
    finally:
        _actor.reset(token_actor)
        _via.reset(token_via)
