"""The `lexbill export` commands: all of the firm's data out, and back into an empty database.

    lexbill export archive firm.zip        # every table as CSV + manifest.json, in one zip
    lexbill export xlsx firm.xlsx          # the same tables, a sheet per table
    lexbill export load firm.zip --password-for alice   # into a new, empty database

Loading lives here (not under `lexbill import`, which maps clients, matters and time from other
systems) because it is the other half of the archive. A progress bar goes to stderr; errors go to
stderr with exit code 1, and a refused load writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from lexbill.cli import JsonOpt, command

app = typer.Typer(
    no_args_is_help=True,
    help="All of the firm's data: a CSV archive or Excel workbook out, an archive back in.",
)


class _Bar:
    """The exports' progress protocol drawn as one Rich bar that restarts for each table."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=None)
        self.done = 0

    def start(self, table: Any, rows: int) -> None:
        self.progress.reset(self.task, total=max(rows, 1), description=f"{table.table:32}")
        if rows == 0:
            self.progress.update(self.task, completed=1)

    def advance(self, rows: int) -> None:
        self.done += rows
        self.progress.advance(self.task, rows)


def _progress() -> Progress:
    from lexbill.cli import err

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1_000_000:,.1f} MB"


@app.command("archive")
@command
def export_archive(
    file: Annotated[Path, typer.Argument(help="The zip file to write.", dir_okay=False)],
    as_json: JsonOpt = False,
) -> None:
    """Every table of the firm as one CSV file each, with a manifest, in one zip."""
    from lexbill.cli import _acting, _print_json, out
    from lexbill.exports.services import export_firm_archive

    with _acting() as user, _progress() as progress:
        manifest = export_firm_archive(user, file, progress=_Bar(progress))
    if as_json:
        _print_json(
            {
                "file": str(file),
                "bytes": file.stat().st_size,
                "tables": len(manifest.files),
                "rows": manifest.rows,
                "generated_at": manifest.generated_at,
            }
        )
        return
    out.print(
        f"archive written to {file}: {len(manifest.files)} tables, {manifest.rows:,} rows, "
        f"{_size(file)}"
    )


@app.command("xlsx")
@command
def export_xlsx(
    file: Annotated[Path, typer.Argument(help="The .xlsx file to write.", dir_okay=False)],
    as_json: JsonOpt = False,
) -> None:
    """The same tables as one Excel workbook: a sheet per table, "contents" first."""
    from lexbill.cli import _acting, _print_json, out
    from lexbill.exports.services import export_firm_workbook

    with _acting() as user, _progress() as progress:
        sheets = export_firm_workbook(user, file, progress=_Bar(progress))
    rows = sum(s.rows for s in sheets)
    if as_json:
        _print_json({"file": str(file), "sheets": len(sheets), "rows": rows})
        return
    out.print(f"workbook written to {file}: {len(sheets)} sheets, {rows:,} rows, {_size(file)}")


@app.command("load")
@command
def export_load(
    file: Annotated[Path, typer.Argument(help="An archive from `lexbill export archive`.")],
    password_for: Annotated[
        list[str] | None,
        typer.Option(
            "--password-for",
            help="Set this user's password (prompted); the archive holds no passwords.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load an archive into a new, empty database (creating its tables first), all or nothing."""
    from lexbill.cli import _acting, _migrate, _print_json, _UsageError, out
    from lexbill.exports.services import load_firm_archive

    if not file.is_file():
        raise _UsageError(f"no file {file}")
    passwords = {
        name: typer.prompt(
            f"password for {name}", hide_input=True, confirmation_prompt=True, err=True
        )
        for name in password_for or []
    }
    _migrate()
    with _acting() as user, _progress() as progress:
        summary = load_firm_archive(user, file, progress=_Bar(progress), passwords=passwords)
    if as_json:
        _print_json(
            {
                "tables": summary.tables,
                "rows": summary.rows,
                "generated_at": summary.generated_at,
                "users": summary.users,
                "passwords_set": sorted(passwords),
            }
        )
        return
    out.print(
        f"loaded {summary.rows:,} rows into {summary.tables} tables from {file} "
        f"(written {summary.generated_at})"
    )
    without = [u for u in summary.users if u not in passwords]
    if without:
        out.print(
            f"{len(without)} users have no password yet ({', '.join(without[:5])}"
            f"{', …' if len(without) > 5 else ''}); they cannot log in until one is set: "
            "load with --password-for NAME, or run `python -m django changepassword NAME "
            "--settings=lexbill.settings`"
        )
