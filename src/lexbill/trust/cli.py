"""The `lexbill trust` commands, registered on the main command by lexbill.cli."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Trust (IOLTA) accounts, ledgers and reconciliation.")


def _register_parts() -> None:
    """Reconciliation and reports keep their commands in their own modules."""
    from lexbill.trust.reconcile_cli import register as reconcile_commands
    from lexbill.trust.report_cli import register as report_commands

    reconcile_commands(app)
    report_commands(app)


_register_parts()
