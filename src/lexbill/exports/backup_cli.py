"""`lexbill backup FILE` and `lexbill restore FILE [--force]`: the operator's commands.

They act as the system operator (like `lexbill setup`): whoever can run them on the server can
read the database already. The restore is audited; a refused one changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lexbill.cli import JsonOpt, command
from lexbill.exports.cli import _Bar, _progress, _size


@command
def backup_command(
    file: Annotated[Path, typer.Argument(help="The backup file to write.", dir_okay=False)],
    as_json: JsonOpt = False,
) -> None:
    """Back up every table (password hashes included) in one consistent snapshot, while people
    keep working. The file is readable by its owner only: keep it as safe as the database."""
    from lexbill.cli import _print_json, out
    from lexbill.exports.backup import write_backup

    with _progress() as progress:
        done = write_backup(file, progress=_Bar(progress))
    if as_json:
        _print_json(done.__dict__)
        return
    out.print(
        f"backup of the {done.database} database written to {file}: {done.tables} tables, "
        f"{done.rows} rows, {_size(file)}, taken {done.generated_at}"
    )


@command
def restore_command(
    file: Annotated[Path, typer.Argument(help="The backup file to restore.", dir_okay=False)],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the data this database holds (in one transaction)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup: into an empty database (run `lexbill setup` first), or with --force
    replacing the current data. A damaged file, or one from another database schema, is refused
    before anything changes (the database is not migrated here either: that is `setup`)."""
    from lexbill.cli import _print_json, out
    from lexbill.exports.backup import restore_backup

    with _progress() as progress:
        done = restore_backup(file, replace_data=force, progress=_Bar(progress))
    if as_json:
        _print_json(done.__dict__)
        return
    how = "replacing the data held before" if done.replaced else "into the empty database"
    out.print(
        f"restored the backup taken {done.generated_at} ({done.database}), {how}: "
        f"{done.tables} tables, {done.rows} rows"
    )
