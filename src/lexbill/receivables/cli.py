"""The `lexbill report` and `lexbill statement` commands, registered on the main command.

``lexbill report ar-aging`` prints the aging report as of a date; ``lexbill statement`` writes a
client's statement PDF and can e-mail it. Both run as ``--user`` (roles enforced) or the system.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

report_app = typer.Typer(
    no_args_is_help=True,
    help="Billing reports: lexbill report NAME --period 2026-Q3 (or --from/--to) [filters] "
    "--json | --xlsx FILE | --csv FILE | --pdf FILE.",
)


def _today() -> date:
    from django.utils import timezone

    return timezone.localdate()


@report_app.command("ar-aging")
def report_ar_aging(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Age balances as of this date (default today).")
    ] = None,
    by: Annotated[str, typer.Option(help="Rows by client, matter or attorney.")] = "client",
    client: Annotated[str, typer.Option(help="Only this client number.")] = "",
    attorney: Annotated[str, typer.Option(help="Only this responsible attorney's code.")] = "",
    currency: Annotated[str, typer.Option(help="Only this currency.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """AR aging: current, 1–30, 31–60, 61–90, 91–120 and over 120 days past due, per currency."""
    from lexbill.cli import command

    command(_ar_aging)(as_of, by, client, attorney, currency, as_json)


def _ar_aging(
    as_of: str | None, by: str, client: str, attorney: str, currency: str, as_json: bool
) -> None:
    from rich.table import Table

    from lexbill.cli import _acting, _date, _print_json, out
    from lexbill.core.aging import BUCKETS
    from lexbill.firm.permissions import Action, require
    from lexbill.receivables.aging import AgingFilters, ar_aging

    day = _date(as_of, "--as-of") if as_of else _today()
    with _acting() as user:
        require(user, Action.VIEW_RECEIVABLES)
        report = ar_aging(day, by, AgingFilters(client, attorney, currency.upper()))
    if as_json:
        _print_json(report.as_json())
        return
    table = Table(
        by.capitalize(),
        "Name",
        "Cur",
        *[b.label for b in BUCKETS],
        "Total",
        title=f"AR aging as of {day}",
    )
    for row in report.rows:
        amounts = row.totals.as_strings()
        table.add_row(
            row.key, row.label, row.currency, *[amounts[b.key] for b in BUCKETS], amounts["total"]
        )
    for cur, totals in report.totals.items():
        amounts = totals.as_strings()
        table.add_row(
            "Total", "", cur, *[amounts[b.key] for b in BUCKETS], amounts["total"], style="bold"
        )
    out.print(table)
    if not report.rows:
        out.print(f"nothing owed as of {day}")


def statement_command(
    client: Annotated[str, typer.Argument(help="Client number.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the PDF to this file.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day (default: 1st of this month).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: today).")] = None,
    currency: Annotated[str, typer.Option(help="The currency, if the client has several.")] = "",
    send: Annotated[
        bool, typer.Option("--send", help="E-mail it to the client's billing e-mail.")
    ] = False,
    email: Annotated[str, typer.Option("--email", help="With --send: this address instead.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """A client's statement: balance brought forward, activity, closing balance, open invoices."""
    from lexbill.cli import command

    command(_statement)(client, output, start, end, currency, send, email, as_json)


def _statement(
    number: str,
    output: Path | None,
    start: str | None,
    end: str | None,
    currency: str,
    send: bool,
    to: str,
    as_json: bool,
) -> None:
    from lexbill.cli import _acting, _client, _date, _print_json, _UsageError, out
    from lexbill.firm.permissions import Action, require
    from lexbill.receivables.statements import (
        build_statement,
        default_period,
        send_statement,
        statement_pdf,
    )

    if output is None and not send and not as_json:
        raise _UsageError("say where the PDF goes (-o FILE), or --send, or --json")
    first, last = default_period(_today())
    if end:
        last = _date(end, "--to")
        if not start:
            first = last.replace(day=1)
    if start:
        first = _date(start, "--from")
    with _acting() as user:
        require(user, Action.VIEW_RECEIVABLES)
        statement = build_statement(_client(number), first, last, currency or None)
        sent_to = send_statement(user, statement, to or None) if send else ""
    if output is not None:
        output.write_bytes(statement_pdf(statement))
    if as_json:
        data: dict[str, Any] = statement.as_json()
        data["file"] = str(output) if output else None
        data["sent_to"] = sent_to or None
        _print_json(data)
        return
    out.print(
        f"statement {statement.client.number} {statement.currency} {first} – {last}: "
        f"brought forward {statement.brought_forward.net}, "
        f"closing {statement.closing.net} "
        f"(due on invoices {statement.closing.due_on_invoices}, "
        f"unapplied credit {statement.closing.unapplied_credit})"
    )
    if output is not None:
        out.print(f"written to {output}")
    if sent_to:
        out.print(f"e-mailed to {sent_to}")
