"""The `lexbill trust` commands, registered on the main command by lexbill.cli."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Trust (IOLTA) accounts, ledgers and reconciliation.")
