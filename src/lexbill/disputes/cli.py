"""The `lexbill dispute` commands, registered on the main command by lexbill.cli.

lexbill dispute list [--all] [--assigned USER] [--client C001] [--kind dispute] [--json]
lexbill dispute open 2026-0001 --kind dispute --by "Jane Roe" --amount 250 --text "..."
lexbill dispute show 3 [--json]
lexbill dispute assign 3 sam
lexbill dispute note 3 "Called Jane; she will send the engagement letter"
lexbill dispute resolve 3 --explain "Rate per the engagement letter"
lexbill dispute resolve 3 --credit 250 --reason "Duplicate entry"
lexbill dispute reopen 3 --reason "Client disagrees"
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, help="Client inquiries and disputes.")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _cli() -> Any:
    """lexbill.cli imports this module at its very end; its helpers exist by the time we run."""
    from lexbill import cli

    return cli


def _dispute(number: int) -> Any:
    from lexbill.core.errors import NotFound
    from lexbill.disputes.models import Dispute

    found = (
        Dispute.objects.select_related("invoice__client", "line", "assigned_to", "credit_note")
        .filter(pk=number)
        .first()
    )
    if found is None:
        raise NotFound(f"no inquiry or dispute {number}")
    return found


def _user(username: str) -> Any:
    from lexbill.core.errors import NotFound
    from lexbill.firm.models import User

    found = User.objects.filter(username=username).first()
    if found is None:
        raise NotFound(f"no user {username}")
    return found


def _data(d: Any, today: Any, *, notes: bool = False) -> dict[str, Any]:
    from lexbill.disputes.selectors import age_in_days

    data: dict[str, Any] = {
        "id": d.pk,
        "kind": d.kind,
        "status": d.status,
        "invoice": d.invoice.number,
        "line": d.line.position if d.line else None,
        "client": d.invoice.client.number,
        "raised_by": d.raised_by,
        "raised_on": d.raised_on,
        "received_via": d.received_via,
        "age_days": age_in_days(d, today),
        "amount_disputed": d.amount_disputed,
        "currency": d.invoice.currency,
        "assigned_to": d.assigned_to.username if d.assigned_to else None,
        "description": d.description,
        "resolution": d.resolution or None,
        "credit_note": d.credit_note.number if d.credit_note else None,
    }
    if notes:
        data["notes"] = [
            {"at": n.at.isoformat(), "author": str(n.author or "system"), "text": n.text}
            for n in d.notes.select_related("author")
        ]
    return data


def _print(d: Any, as_json: bool) -> None:
    from django.utils import timezone

    cli = _cli()
    data = _data(_dispute(d.pk), timezone.localdate(), notes=True)
    if as_json:
        cli._print_json(data)
        return
    where = f"{data['invoice']}" + (f" line {data['line']}" if data["line"] else "")
    cli.out.print(
        f"{data['kind']} {data['id']} on {where} ({data['client']}) · {data['status']} · "
        f"raised {data['raised_on']} by {data['raised_by']} · {data['age_days']} days · "
        f"disputed {cli._money(data['amount_disputed'])} {data['currency']} · "
        f"assigned to {data['assigned_to'] or 'nobody'}",
        highlight=False,
    )
    cli.out.print(data["description"], highlight=False)
    for note in data["notes"]:
        cli.out.print(f"  {note['at'][:16]} {note['author']}: {note['text']}", highlight=False)


@app.command("list")
def dispute_list(
    all_: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
    assigned: Annotated[
        str | None, typer.Option("--assigned", help="Only those assigned to this user.")
    ] = None,
    client: Annotated[str | None, typer.Option(help="Only this client number.")] = None,
    kind: Annotated[str | None, typer.Option(help="inquiry or dispute.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Unresolved inquiries and disputes, oldest first, with their age in days."""
    cli = _cli()

    def run() -> None:
        from django.utils import timezone
        from rich.table import Table

        from lexbill.disputes.selectors import disputes_list
        from lexbill.firm.permissions import Action, require

        today = timezone.localdate()
        with cli._acting() as user:
            require(user, Action.VIEW_RECEIVABLES)
            rows = [
                _data(d, today)
                for d in disputes_list(
                    unresolved_only=not all_,
                    assigned_to_id=_user(assigned).pk if assigned else None,
                    client_id=cli._client(client).pk if client else None,
                    kind=kind,
                )
            ]
        if as_json:
            cli._print_json(rows)
            return
        table = Table("#", "Kind", "Invoice", "Client", "Raised", "Age", "Disputed", "Assigned")
        for r in rows:
            table.add_row(
                str(r["id"]),
                r["kind"],
                r["invoice"] + (f" #{r['line']}" if r["line"] else ""),
                r["client"],
                r["raised_on"].isoformat(),
                str(r["age_days"]),
                f"{cli._money(r['amount_disputed'])} {r['currency']}",
                r["assigned_to"] or "",
            )
        cli.out.print(table)

    cli.command(run)()


@app.command("open")
def dispute_open(
    invoice: Annotated[str, typer.Argument(help="Invoice number.")],
    by: Annotated[str, typer.Option("--by", help="Who raised it (the client's contact).")],
    text: Annotated[str, typer.Option("--text", help="What the client asks or contests.")],
    kind: Annotated[str, typer.Option(help="inquiry or dispute.")] = "inquiry",
    amount: Annotated[str, typer.Option(help="Amount disputed.")] = "0",
    line: Annotated[int | None, typer.Option(help="The invoice line's number.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Raised on (default today).")] = None,
    via: Annotated[str, typer.Option(help="email, phone, letter or portal.")] = "email",
    assign: Annotated[str | None, typer.Option(help="Assign to this user.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a client's inquiry or dispute about an invoice or one of its lines."""
    cli = _cli()

    def run() -> None:
        from lexbill.disputes.services import line_of, open_dispute

        with cli._acting() as user:
            found = cli._invoice(invoice)
            dispute = open_dispute(
                user,
                found,
                kind=kind,
                raised_by=by,
                description=text,
                raised_on=cli._date(on, "on") if on else None,
                received_via=via,
                amount_disputed=cli._decimal(amount, "amount"),
                line=line_of(found, line) if line is not None else None,
                assigned_to=_user(assign) if assign else None,
            )
        _print(dispute, as_json)

    cli.command(run)()


@app.command("show")
def dispute_show(
    dispute_id: Annotated[int, typer.Argument(help="Inquiry or dispute number.")],
    as_json: JsonFlag = False,
) -> None:
    """One inquiry or dispute with its notes."""
    cli = _cli()

    def run() -> None:
        from lexbill.firm.permissions import Action, require

        with cli._acting() as user:
            require(user, Action.VIEW_RECEIVABLES)
            dispute = _dispute(dispute_id)
        _print(dispute, as_json)

    cli.command(run)()


@app.command("assign")
def dispute_assign(
    dispute_id: Annotated[int, typer.Argument(help="Inquiry or dispute number.")],
    username: Annotated[str, typer.Argument(help="User to assign it to; '-' for nobody.")],
    as_json: JsonFlag = False,
) -> None:
    """Give an inquiry or dispute to a team member."""
    cli = _cli()

    def run() -> None:
        from lexbill.disputes.services import assign

        with cli._acting() as user:
            dispute = assign(
                user, _dispute(dispute_id), None if username == "-" else _user(username)
            )
        _print(dispute, as_json)

    cli.command(run)()


@app.command("note")
def dispute_note(
    dispute_id: Annotated[int, typer.Argument(help="Inquiry or dispute number.")],
    text: Annotated[str, typer.Argument(help="The note.")],
    as_json: JsonFlag = False,
) -> None:
    """Add a note to the conversation."""
    cli = _cli()

    def run() -> None:
        from lexbill.disputes.services import add_note

        with cli._acting() as user:
            dispute = _dispute(dispute_id)
            add_note(user, dispute, text)
        _print(dispute, as_json)

    cli.command(run)()


@app.command("resolve")
def dispute_resolve(
    dispute_id: Annotated[int, typer.Argument(help="Inquiry or dispute number.")],
    explain: Annotated[
        str | None, typer.Option("--explain", help="Resolve by this explanation.")
    ] = None,
    credit: Annotated[
        str | None, typer.Option("--credit", help="Resolve by a credit note of this amount.")
    ] = None,
    reason: Annotated[str, typer.Option(help="With --credit: the credit note's reason.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Resolve by explanation (--explain TEXT) or by credit note (--credit AMOUNT --reason)."""
    cli = _cli()

    def run() -> None:
        from lexbill.disputes.services import resolve_by_credit, resolve_by_explanation

        if (explain is None) == (credit is None):
            raise cli._UsageError("give either --explain TEXT or --credit AMOUNT --reason TEXT")
        with cli._acting() as user:
            dispute = _dispute(dispute_id)
            if credit is not None:
                dispute = resolve_by_credit(user, dispute, cli._decimal(credit, "credit"), reason)
            else:
                dispute = resolve_by_explanation(user, dispute, explain or "")
        _print(dispute, as_json)

    cli.command(run)()


@app.command("reopen")
def dispute_reopen(
    dispute_id: Annotated[int, typer.Argument(help="Inquiry or dispute number.")],
    reason: Annotated[str, typer.Option(help="Why it is reopened.")],
    as_json: JsonFlag = False,
) -> None:
    """Reopen a resolved inquiry or dispute."""
    cli = _cli()

    def run() -> None:
        from lexbill.disputes.services import reopen

        with cli._acting() as user:
            dispute = reopen(user, _dispute(dispute_id), reason)
        _print(dispute, as_json)

    cli.command(run)()
