"""The one refusal of this package, carrying the file, line (row) and column it is about."""

from __future__ import annotations

from lexbill.core.errors import LexbillError


class ArchiveRefused(LexbillError):
    """An archive that cannot be written or loaded as it is; nothing was written."""
