"""The `lexbill report` and `lexbill statement` commands, registered on the main command."""

from __future__ import annotations

import typer

report_app = typer.Typer(no_args_is_help=True, help="Receivables reports: AR aging.")


def statement_command(client: str) -> None:
    """A client's statement as PDF (to be written)."""
    raise typer.Exit(1)
