"""``lexbill report NAME``: every standard report from the command line.

One command per name in ``names.STANDARD_REPORTS``, all with the same options: a period
(``--period 2026-Q3`` or ``--from``/``--to``; last month when neither is given, as on the page),
the filters (repeatable), ``--by``, and where the
report goes: a table on the terminal, ``--json``, ``--xlsx FILE``, ``--csv FILE``, ``--pdf FILE``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from lexbill.reports.names import STANDARD_REPORTS

Codes = list[str]


def _make_command(name: str, help_text: str) -> Callable[..., None]:
    def run(
        start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
        period: Annotated[
            str | None, typer.Option(help="A year (2026), quarter (2026-Q3) or month (2026-09).")
        ] = None,
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Point-in-time figures as of this day.")
        ] = None,
        client: Annotated[Codes | None, typer.Option(help="Client number (repeatable).")] = None,
        matter: Annotated[Codes | None, typer.Option(help="Matter number (repeatable).")] = None,
        attorney: Annotated[
            Codes | None, typer.Option(help="Responsible attorney's code (repeatable).")
        ] = None,
        timekeeper: Annotated[
            Codes | None, typer.Option(help="Timekeeper code (repeatable).")
        ] = None,
        practice_area: Annotated[
            Codes | None, typer.Option("--practice-area", help="Practice area (repeatable).")
        ] = None,
        by: Annotated[str, typer.Option(help="Group rows by (see the report's page).")] = "",
        as_json: Annotated[
            bool, typer.Option("--json", help="Print machine-readable JSON.")
        ] = False,
        xlsx: Annotated[
            Path | None, typer.Option("--xlsx", help="Write an Excel workbook.")
        ] = None,
        csv: Annotated[Path | None, typer.Option("--csv", help="Write a CSV file.")] = None,
        pdf: Annotated[Path | None, typer.Option("--pdf", help="Write a PDF.")] = None,
    ) -> None:
        from lexbill.cli import command

        command(_run)(
            name,
            start,
            end,
            period,
            as_of,
            (client or [], matter or [], attorney or [], timekeeper or [], practice_area or []),
            by,
            as_json,
            xlsx,
            csv,
            pdf,
        )

    run.__doc__ = help_text
    return run


def _run(
    name: str,
    start: str | None,
    end: str | None,
    period: str | None,
    as_of: str | None,
    codes: tuple[Codes, Codes, Codes, Codes, Codes],
    by: str,
    as_json: bool,
    xlsx: Path | None,
    csv: Path | None,
    pdf: Path | None,
) -> None:
    from lexbill.cli import _acting, _date, _print_json, out
    from lexbill.core.periods import period_from
    from lexbill.firm.permissions import Action, require
    from lexbill.reports import exports
    from lexbill.reports.filters import check_filters
    from lexbill.reports.framework import ReportFilters, ReportRequest
    from lexbill.reports.registry import report_spec

    spec = report_spec(name)
    clients, matters, attorneys, timekeepers, areas = codes
    filters = ReportFilters(
        tuple(clients), tuple(matters), tuple(attorneys), tuple(timekeepers), tuple(areas)
    )
    if not (start or end or period):
        from django.utils import timezone

        from lexbill.core.periods import last_full_month

        chosen = last_full_month(timezone.localdate())  # as the page does
    else:
        chosen = period_from(start=start, end=end, period=period)
    request = ReportRequest(
        period=chosen,
        filters=filters,
        group_by=spec.grouping(by),
        as_of=_date(as_of, "--as-of") if as_of else None,
    )
    with _acting() as user:
        require(user, Action.VIEW_REPORTS)
        check_filters(filters)
        report = spec.build(request)
    written = []
    for path, render in (
        (xlsx, exports.xlsx_bytes),
        (csv, exports.csv_bytes),
        (pdf, _pdf),
    ):
        if path is not None:
            path.write_bytes(render(report))
            written.append(str(path))
    if as_json:
        _print_json(report.as_json())
        return
    if written:
        out.print(f"{report.title}, {request.period.label}: wrote {', '.join(written)}")
        return
    _print_tables(report)


def _pdf(report: object) -> bytes:
    from lexbill.reports.pdf import report_pdf

    return report_pdf(report)  # type: ignore[arg-type]


def _print_tables(report: object) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from lexbill.cli import out
    from lexbill.reports.exports import heading
    from lexbill.reports.framework import Report
    from lexbill.reports.pdf import cell_text, figure_text

    assert isinstance(report, Report)
    # Names and filters are data, not Rich markup: "Smith [/] Co" must print, not raise.
    for line in heading(report):
        out.print(line, highlight=False, markup=False)
    for f in report.figures:
        out.print(f"{f.label}: {figure_text(f)}", highlight=False, markup=False)
    for t in report.tables:
        table = Table(*[escape(c.title) for c in t.columns], title=Text(t.title))
        for row in [*t.rows, *t.totals]:
            currency = str(row.get("currency") or "")
            table.add_row(*[Text(cell_text(row.get(c.key), c.type, currency)) for c in t.columns])
        out.print(table)


def add_report_commands(report_app: typer.Typer) -> None:
    for name, help_text in STANDARD_REPORTS:
        report_app.command(name, help=help_text)(_make_command(name, help_text))
