"""The `lexbill reminders` commands, registered on the main command by lexbill.cli.

``lexbill reminders send`` is meant to run by itself once a day (cron, a systemd timer); running
it twice sends nothing twice.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lexbill.cli import _acting, _client, _date, _print_json, command, err, out

app = typer.Typer(no_args_is_help=True, help="Payment reminders.")


def _outcome_data(outcome: Any) -> dict[str, Any]:
    group = outcome.group
    return {
        "client": group.client.number,
        "client_name": group.client.name,
        "to": group.recipient,
        "subject": outcome.subject,
        "status": outcome.status,
        "error": outcome.error,
        "rule": group.rule.name,
        "items": [
            {
                "reference": r.item.reference,
                "invoice": r.item.invoice_numbers[0] if r.invoice_id else None,
                "instalment_id": r.instalment_id,
                "rule": r.rule.name,
                "offset_days": r.rule.offset_days,
                "due_on": r.item.due_on,
                "amount_due": r.item.amount_due,
                "currency": r.item.currency,
            }
            for r in group.reminders
        ],
    }


def _skipped_data(skipped: Any) -> dict[str, Any]:
    r = skipped.reminder
    return {
        "client": r.client.number,
        "reference": r.item.reference,
        "rule": r.rule.name,
        "due_on": r.item.due_on,
        "amount_due": r.item.amount_due,
        "currency": r.item.currency,
        "reason": skipped.reason,
    }


@app.command("send")
@command
def send(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Run as of this date (default today).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and log nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Send every reminder due: one e-mail per client, the statement attached."""
    from lexbill.reminders.services import send_reminders

    day = _date(as_of, "--as-of") if as_of else None
    with _acting() as actor:
        result = send_reminders(actor, day, dry_run=dry_run)
    outcomes = result.outcomes
    skipped = result.plan.skipped
    if as_json:
        _print_json(
            {
                "as_of": result.as_of,
                "dry_run": dry_run,
                "run": result.pk,
                "reminders_sent": 0 if dry_run else result.reminders_sent,
                "clients_emailed": 0 if dry_run else result.clients_emailed,
                "clients_failed": result.clients_failed,
                "emails": [_outcome_data(o) for o in outcomes],
                "skipped": [_skipped_data(s) for s in skipped],
            }
        )
    else:
        for o in outcomes:
            refs = ", ".join(r.item.reference for r in o.group.reminders)
            line = f"{o.status:<10} {o.group.client.number:<8} {o.group.recipient}  {refs}"
            (err if o.status == "failed" else out).print(
                line + (f"  {o.error}" if o.error else ""), highlight=False
            )
        for s in skipped:
            r = s.reminder
            out.print(
                f"{'skipped':<10} {r.client.number:<8} {r.item.reference}: {s.reason}",
                highlight=False,
            )
        if dry_run:
            out.print(
                f"dry run as of {result.as_of}: {result.reminders_sent} reminders to "
                f"{result.clients_emailed} clients would be sent; nothing was sent"
            )
        else:
            out.print(
                f"as of {result.as_of}: {result.reminders_sent} reminders sent to "
                f"{result.clients_emailed} clients, {result.clients_failed} failed"
            )
    if result.clients_failed:
        raise typer.Exit(1)


@app.command("log")
@command
def log(
    client: Annotated[str | None, typer.Option("--client", help="Client number.")] = None,
    limit: Annotated[int, typer.Option(help="Newest this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """The reminders sent (and failed), newest first."""
    from lexbill.firm.permissions import Action, require
    from lexbill.reminders.selectors import reminder_log

    with _acting() as actor:
        require(actor, Action.SEND_REMINDERS)
        logs = list(reminder_log(_client(client) if client else None)[:limit])
    rows: list[dict[str, Any]] = [
        {
            "at": (log.sent_at or log.claimed_at).isoformat(),
            "client": log.client.number,
            "reference": log.reference,
            "invoice": log.invoice.number if log.invoice else None,
            "instalment_id": log.instalment_id,
            "rule": log.rule.name,
            "to": log.recipients,
            "subject": log.subject,
            "status": log.status,
            "message_id": log.message_id,
            "error": log.error,
        }
        for log in logs
    ]
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        out.print(
            f"{row['at'][:16]}  {row['status']:<8} {row['client']:<8} {row['reference']}  "
            f"{row['rule']}  {row['to']}" + (f"  {row['error']}" if row["error"] else ""),
            highlight=False,
        )
    if not rows:
        out.print("no reminders logged")
