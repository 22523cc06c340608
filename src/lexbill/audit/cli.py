"""The `lexbill audit` commands: check that the audit trail is as it was written.

    lexbill audit verify                 # walk the hash chain; exit 1 at the first break
    lexbill audit verify --json          # the same as JSON (ok, verified, head, broken)
    lexbill audit verify --anchor HASH   # and require a head hash noted down earlier

Verification streams the trail in id order (bounded memory whatever its size) with a progress
bar on stderr. The head hash it prints is worth keeping outside the database (a month-end
report, a ticket): the chain alone proves nothing was changed *inside* it, an anchor kept
elsewhere also proves it was not recomputed or cut back.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lexbill.cli import JsonOpt, command

app = typer.Typer(no_args_is_help=True, help="The audit trail's hash chain.")


class _Bar:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("verifying the audit trail", total=None)

    def start(self, total: int) -> None:
        self.progress.update(self.task, total=max(total, 1))

    def advance(self, rows: int) -> None:
        self.progress.advance(self.task, rows)


@app.command("verify")
@command
def audit_verify(
    anchor: Annotated[
        str | None,
        typer.Option(help="A head hash noted earlier, which must still be in the chain."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute every audit record's hash in order and name the first one that does not fit."""
    from lexbill.audit.chain import verify_chain
    from lexbill.cli import _print_json, err, out

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        result = verify_chain(_Bar(progress), anchor=anchor)
    if as_json:
        _print_json(result.as_dict())
    elif result.broken is None:
        out.print(
            f"audit trail intact: {result.verified:,} records verified; head {result.head} "
            f"(record {result.head_id})",
            highlight=False,
        )
    else:
        b = result.broken
        where = f" ({b.model}, {b.at})" if b.record_id is not None else ""
        err.print(f"[red]audit trail broken:[/red] {b.message}{where}", highlight=False)
        err.print(
            f"{result.verified:,} records before it verified; the last good one is "
            f"record {result.head_id}",
            highlight=False,
        )
    if not result.ok:
        raise typer.Exit(1)
