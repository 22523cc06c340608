"""`lexbill import KIND FILE`: a dry run or an all-or-nothing import of one CSV or Excel file.

    lexbill import timekeepers people.xlsx --dry-run
    lexbill import time entries-2019.csv --mapping '{"matter": "Matter No", "hours": "Qty"}'
    lexbill import time entries-2020.csv                 # the mapping saved for these headers
    lexbill import time entries.csv --mapping "Old system" --json

Problems are printed as "row R, column C: message" (all of them counted, the first ones listed)
and the exit code is 1; nothing is written unless the whole file is clean.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from lexbill.cli import JsonOpt, command

SHOWN_PROBLEMS = 50


def _mapping_arg(value: str, kind: str) -> tuple[dict[str, str], dict[str, Any]]:
    """JSON (inline or a .json file) or the name of a saved mapping → (columns, options)."""
    from lexbill.core.errors import InvalidEntry
    from lexbill.imports.services import named_mapping

    text = value.strip()
    if not text.startswith("{") and text.endswith(".json") and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidEntry(f"--mapping is not valid JSON: {exc}", field="mapping") from None
        if not isinstance(data, dict):
            raise InvalidEntry("--mapping must be a JSON object", field="mapping")
        if isinstance(data.get("columns"), dict):
            return {str(k): str(v) for k, v in data["columns"].items()}, dict(
                data.get("options") or {}
            )
        return {str(k): str(v) for k, v in data.items()}, {}
    saved = named_mapping(kind, value)
    return dict(saved.columns), dict(saved.options)


@command
def import_command(
    kind: Annotated[
        str, typer.Argument(help="timekeepers, clients, matters, rates, time or expenses")
    ],
    file: Annotated[Path, typer.Argument(help="a CSV or .xlsx file; its first row names columns")],
    mapping: Annotated[
        str,
        typer.Option(
            help="field → column as JSON (inline or a .json file), or a saved mapping's name; "
            "default: the mapping saved for this header row, else a guess from the headers"
        ),
    ] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check only: what would be created, every problem")
    ] = False,
    date_format: Annotated[
        str, typer.Option(help="auto (YYYY-MM-DD or MM/DD/YYYY), %d/%m/%Y, %d.%m.%Y, …")
    ] = "",
    decimal_comma: Annotated[
        bool, typer.Option("--decimal-comma", help="numbers are written 1.234,56")
    ] = False,
    allow_duplicates: Annotated[
        bool, typer.Option("--allow-duplicates", help="identical rows are all real")
    ] = False,
    save_mapping_as: Annotated[
        str,
        typer.Option("--save-mapping", help="save the mapping under this name for next time"),
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """Import (or --dry-run check) timekeepers, clients, matters, rates, time or expenses."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from lexbill.cli import _acting, _print_json, err, out
    from lexbill.core.errors import NotFound
    from lexbill.formats.import_fields import schema
    from lexbill.formats.tabular import TableError, read_header
    from lexbill.imports.services import (
        ImportRefused,
        proposed_mapping,
        run_import,
        save_mapping,
    )

    spec = schema(kind)
    if not file.is_file():
        raise NotFound(f"no file {file}", field="file")
    try:
        headers = read_header(file)
    except TableError as exc:
        headers = []
        header_error: TableError | None = exc
    else:
        header_error = None
    if mapping:
        columns, options = _mapping_arg(mapping, spec.kind.value)
    elif headers:
        columns, options, _saved = proposed_mapping(spec.kind, headers)
    else:
        columns, options = {}, {}
    if date_format:
        options["date_format"] = date_format
    if decimal_comma:
        options["decimal_comma"] = True
    if allow_duplicates:
        options["allow_duplicates"] = True
    with _acting() as user:
        if save_mapping_as and header_error is None:
            save_mapping(user, spec.kind, headers, columns, options, name=save_mapping_as)
        try:
            if as_json:
                result = run_import(
                    user, spec.kind, file, columns=columns, options=options, commit=not dry_run
                )
            else:
                with Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    TextColumn("{task.fields[rows]:,} rows"),
                    TimeRemainingColumn(),
                    console=err,
                    transient=True,
                ) as bar:
                    task = bar.add_task("checking" if dry_run else "importing", total=None, rows=0)
                    result = run_import(
                        user,
                        spec.kind,
                        file,
                        columns=columns,
                        options=options,
                        commit=not dry_run,
                        progress=lambda done, total, rows: bar.update(
                            task, completed=done, total=total, rows=rows
                        ),
                    )
        except ImportRefused as refused:
            result = refused.result
    _report(result, dry_run, as_json, out, err, _print_json)
    if not result.ok:
        raise typer.Exit(1)


def _report(result: Any, dry_run: bool, as_json: bool, out: Any, err: Any, print_json: Any) -> None:
    if as_json:
        print_json(result.as_dict())
        return
    made = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.counts.items())
    if result.ok:
        verb = "would create" if dry_run else "created"
        out.print(
            f"{result.file_name}: {result.rows} rows read; {verb}: {made or 'nothing'}",
            highlight=False,
            soft_wrap=True,
        )
        return
    for problem in result.problems[:SHOWN_PROBLEMS]:
        err.print(str(problem), highlight=False, markup=False, soft_wrap=True)
    more = result.problem_count - min(len(result.problems), SHOWN_PROBLEMS)
    if more > 0:
        err.print(f"… and {more} more", highlight=False, markup=False, soft_wrap=True)
    err.print(
        f"error: {result.problem_count} problem{'s' if result.problem_count != 1 else ''} in "
        f"{result.file_name} ({result.rows} rows read); nothing was imported",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
