"""`lexbill trust reconcile`: added to the trust command group by trust/cli.py."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the reconciliation commands to ``app``."""
