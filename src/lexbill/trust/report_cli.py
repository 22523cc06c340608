"""`lexbill trust ledger|journal|trial-balance|dormant|refused`: the trust reports in the shell.

    lexbill trust ledger C001-001 --from 2026-01-01 --to 2026-03-31
    lexbill trust journal --account IOLTA --from 2026-03-01 --to 2026-03-31 --xlsx march.xlsx
    lexbill trust trial-balance --as-of 2026-03-31 --json
    lexbill trust dormant --months 12
    lexbill --user clara trust refused --from 2026-03-01 --pdf refused.pdf

Each prints the same report the Trust reports pages show (trust.reports): a table, or with
--json the rows, totals and balances with amounts as strings; --xlsx FILE and --pdf FILE write
the Excel and PDF versions as well. Only the billing office may read them (``--user``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lexbill.cli import JsonOpt, _acting, _date, _money, _print_json, command, out

Opt = typer.Option
AccountOpt = Annotated[str, Opt("--account", help="Trust account name (the only one if left out).")]
AllAccountsOpt = Annotated[str, Opt("--account", help="Trust account name (all if left out).")]
FromOpt = Annotated[str | None, Opt("--from", help="First day (YYYY-MM-DD).")]
ToOpt = Annotated[str | None, Opt("--to", help="Last day (YYYY-MM-DD); today if left out.")]
AsOfOpt = Annotated[str | None, Opt("--as-of", help="The day (YYYY-MM-DD); today if left out.")]
ClientOpt = Annotated[str, Opt("--client", help="Only this client's ledgers (client number).")]
XlsxOpt = Annotated[Path | None, Opt("--xlsx", help="Also write the report as an Excel file.")]
PdfOpt = Annotated[Path | None, Opt("--pdf", help="Also write the report as a PDF.")]


def _today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def _day(text: str | None, field: str, default: date | None = None) -> date | None:
    return _date(text, field) if text else default


def _account(name: str, *, required: bool = True) -> Any:
    """The account named; else the firm's only active one (or every account when not required)."""
    from lexbill.core.errors import InvalidEntry, NotFound
    from lexbill.trust.models import TrustAccount

    if name:
        found = TrustAccount.objects.filter(name=name).first()
        if found is None:
            known = ", ".join(TrustAccount.objects.values_list("name", flat=True)) or "none yet"
            raise NotFound(f"no trust account named {name!r} (accounts: {known})", field="account")
        return found
    if not required:
        return None
    accounts = list(TrustAccount.objects.filter(active=True)[:2])
    if len(accounts) != 1:
        raise InvalidEntry(
            "name the trust account with --account" + ("" if accounts else " (none is open yet)"),
            field="account",
        )
    return accounts[0]


def _client(number: str) -> Any:
    from lexbill.clients.models import Client
    from lexbill.core.errors import NotFound

    if not number:
        return None
    found = Client.objects.filter(number=number).first()
    if found is None:
        raise NotFound(f"no client {number}", field="client")
    return found


def _ledger(matter_number: str, account_name: str) -> Any:
    """The matter's ledger in the account named, or in the only account holding one."""
    from lexbill.core.errors import InvalidEntry, NotFound
    from lexbill.trust.models import TrustLedger

    ledgers = TrustLedger.objects.filter(matter__number=matter_number).select_related(
        "account", "matter", "client"
    )
    if account_name:
        ledgers = ledgers.filter(account__name=account_name)
    found = list(ledgers[:2])
    if not found:
        where = f" in {account_name}" if account_name else ""
        raise NotFound(f"no trust ledger for matter {matter_number}{where}", field="matter")
    if len(found) > 1:
        raise InvalidEntry(
            f"{matter_number} has ledgers in several trust accounts: name one with --account",
            field="account",
        )
    return found[0]


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return _money(Decimal(value))
    if kind == "datetime":
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _emit(report: Any, as_json: bool, xlsx: Path | None, pdf: Path | None) -> None:
    """Print the report (table or JSON) and write the files asked for."""
    if xlsx is not None:
        xlsx.write_bytes(report.xlsx())
    if pdf is not None:
        from lexbill.trust.report_pdf import report_pdf

        pdf.write_bytes(report_pdf(report))
    if as_json:
        _print_json(report.as_json())
        return
    table = Table(title=report.title, title_justify="left")
    for column in report.columns:
        table.add_column(column.title, justify="left" if column.type == "text" else "right")
    for row in report.rows:
        cells = [_cell(row.values.get(c.key), str(c.type)) for c in report.columns]
        table.add_row(*cells, style="bold red" if row.flag else None)
    if report.totals is not None:
        totals = [_cell(report.totals.get(c.key), str(c.type)) for c in report.columns]
        table.add_row(*[totals[0] or "Total", *totals[1:]], style="bold", end_section=True)
    out.print(table)
    for figure in report.figures:
        value = _money(Decimal(figure.amount)) if figure.type == "money" else str(figure.amount)
        out.print(f"{figure.label}: {report.currency if figure.type == 'money' else ''} {value}")
    for note in report.notes:
        out.print(note, style="italic", highlight=False)
    for path in (xlsx, pdf):
        if path is not None:
            out.print(f"wrote {path}")


def _may_read(user: Any) -> None:
    from lexbill.firm.permissions import Action, require

    require(user, Action.VIEW_TRUST)


def register(app: typer.Typer) -> None:
    """Add the report commands to ``app``."""

    @app.command("ledger")
    @command
    def ledger_command(
        matter: Annotated[str, typer.Argument(help="Matter number, e.g. C001-001.")],
        account: AccountOpt = "",
        start: FromOpt = None,
        end: ToOpt = None,
        as_json: JsonOpt = False,
        xlsx: XlsxOpt = None,
        pdf: PdfOpt = None,
    ) -> None:
        """A client ledger's history: each posting, the running balance, opening and closing."""
        from lexbill.trust.reports import ledger_history

        with _acting() as user:
            _may_read(user)
            report = ledger_history(_ledger(matter, account), _day(start, "from"), _day(end, "to"))
        _emit(report, as_json, xlsx, pdf)

    @app.command("journal")
    @command
    def journal_command(
        account: AccountOpt = "",
        start: FromOpt = None,
        end: ToOpt = None,
        client: ClientOpt = "",
        as_json: JsonOpt = False,
        xlsx: XlsxOpt = None,
        pdf: PdfOpt = None,
    ) -> None:
        """The trust journal: every receipt and disbursement in a period (this month by default)."""
        from lexbill.trust.reports import journal, month_to_date

        first, today = month_to_date(_today())
        with _acting() as user:
            _may_read(user)
            report = journal(
                _account(account),
                _day(start, "from", first) or first,
                _day(end, "to", today) or today,
                _client(client),
            )
        _emit(report, as_json, xlsx, pdf)

    @app.command("trial-balance")
    @command
    def trial_balance_command(
        account: AccountOpt = "",
        as_of: AsOfOpt = None,
        client: ClientOpt = "",
        as_json: JsonOpt = False,
        xlsx: XlsxOpt = None,
        pdf: PdfOpt = None,
    ) -> None:
        """Every client ledger's balance on a day, their total and the journal balance."""
        from lexbill.trust.reports import trial_balance

        with _acting() as user:
            _may_read(user)
            report = trial_balance(
                _account(account), _day(as_of, "as-of") or _today(), _client(client)
            )
        _emit(report, as_json, xlsx, pdf)

    @app.command("dormant")
    @command
    def dormant_command(
        months: Annotated[
            int | None, Opt("--months", min=1, help="Months without activity (trust policy).")
        ] = None,
        as_of: AsOfOpt = None,
        account: AllAccountsOpt = "",
        client: ClientOpt = "",
        as_json: JsonOpt = False,
        xlsx: XlsxOpt = None,
        pdf: PdfOpt = None,
    ) -> None:
        """Client money with no posting for N months: whose it is, how long idle, how much."""
        from lexbill.trust.reports import dormant_balances

        with _acting() as user:
            _may_read(user)
            report = dormant_balances(
                _day(as_of, "as-of") or _today(),
                months,
                _account(account, required=False),
                _client(client),
            )
        _emit(report, as_json, xlsx, pdf)

    @app.command("refused")
    @command
    def refused_command(
        start: FromOpt = None,
        end: ToOpt = None,
        account: AllAccountsOpt = "",
        as_json: JsonOpt = False,
        xlsx: XlsxOpt = None,
        pdf: PdfOpt = None,
    ) -> None:
        """Trust operations refused by the rules or the roles: when, who, what and why."""
        from lexbill.trust.reports import month_to_date, refused_attempts

        first, today = month_to_date(_today())
        with _acting() as user:
            _may_read(user)
            report = refused_attempts(
                _day(start, "from", first) or first,
                _day(end, "to", today) or today,
                _account(account, required=False),
            )
        _emit(report, as_json, xlsx, pdf)
