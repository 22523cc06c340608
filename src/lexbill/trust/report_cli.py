"""`lexbill trust ledger|journal|…` reports: added to the trust command group by trust/cli.py."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the report commands to ``app``."""
