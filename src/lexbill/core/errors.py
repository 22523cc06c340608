"""One error family for every rule the billing core enforces.

Each error carries where the problem is (source file, line, field) as data, so an import screen,
a form and the command line can all point at the offending value without parsing messages.
"""

from __future__ import annotations

import functools
from typing import Any


class LexbillError(Exception):
    """Base for every refusal the billing rules can make; catch this to report, not to recover."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.line = line
        self.source = source

    def __str__(self) -> str:
        location = []
        if self.line is not None:
            location.append(f"line {self.line}")
        if self.field is not None:
            location.append(f"field {self.field!r}")
        text = f"{', '.join(location)}: {self.message}" if location else self.message
        return f"{self.source}: {text}" if self.source is not None else text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only context would be lost by Exception's default pickling (args only), and
        # errors do cross process boundaries in background bill runs.
        rebuild = functools.partial(
            type(self), self.message, field=self.field, line=self.line, source=self.source
        )
        return (rebuild, ())


class CurrencyMismatch(LexbillError):
    """Amounts in different currencies were combined; there is no implicit conversion."""


class NoRateInForce(LexbillError):
    """No rate applies to the work, so it cannot be priced without someone setting one."""


class InvalidEntry(LexbillError):
    """A time or expense entry (or a value typed into one) breaks a billing rule."""


class InvalidTransition(LexbillError):
    """A record was asked to move to a state its lifecycle does not allow from where it is."""


class ImmutableRecord(LexbillError):
    """A posted record was about to change; corrections are new records, never edits."""


class AllocationError(LexbillError):
    """A payment allocation would misstate what a client owes."""


class NotFound(LexbillError):
    """The thing referred to does not exist (or is not visible to the caller)."""


class PermissionDenied(LexbillError):
    """The caller may not do this; kept distinct so it is never mistaken for bad input."""


class TrustRuleViolation(LexbillError):
    """A trust transaction would break a client-money rule (overdraw, commingle, unearned fee)."""
