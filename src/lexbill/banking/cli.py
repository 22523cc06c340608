"""The `lexbill bank` commands: accounts, CSV mappings, import, the queue and posting.

    lexbill bank account add Operating --currency USD --number 000123456789
    lexbill bank mapping add "Chase CSV" --account Operating --date-column "Posting Date" \\
        --amount-column Amount --reference-column Description
    lexbill bank mapping add "Sparkasse" --account Euro --file sparkasse.yaml
    lexbill bank import march.ofx --account Operating
    lexbill bank queue
    lexbill bank post

Every command takes --json; errors go to stderr with exit code 1 and change nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from lexbill.cli import JsonOpt, command

app = typer.Typer(no_args_is_help=True, help="Bank statements: import, match, post.")
account_app = typer.Typer(no_args_is_help=True, help="Bank accounts statements are imported into.")
mapping_app = typer.Typer(no_args_is_help=True, help="Saved CSV column mappings.")
app.add_typer(account_app, name="account")
app.add_typer(mapping_app, name="mapping")

Opt = typer.Option


def _account(name: str) -> Any:
    from lexbill.banking.models import BankAccount
    from lexbill.core.errors import NotFound

    account = BankAccount.objects.filter(name=name).first()
    if account is None:
        known = ", ".join(BankAccount.objects.values_list("name", flat=True)) or "none yet"
        raise NotFound(f"no bank account named {name!r} (accounts: {known})", field="account")
    return account


@account_app.command("add")
@command
def account_add(
    name: str,
    currency: Annotated[str, Opt(help="ISO currency code of the account.")] = "USD",
    number: Annotated[str, Opt(help="Account number or IBAN, checked against files.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Add a bank account."""
    from lexbill.banking.services import create_bank_account
    from lexbill.cli import _acting, _print_json, out

    with _acting() as user:
        account = create_bank_account(user, name, currency=currency, number=number)
    if as_json:
        _print_json({"id": account.pk, "name": account.name, "currency": account.currency})
    else:
        out.print(f"bank account {account.name} ({account.currency}) added")


def _mapping_file(path: Path) -> dict[str, object]:
    import yaml

    from lexbill.core.errors import InvalidEntry

    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise InvalidEntry(f"{path} must hold a mapping of settings", source=str(path))
    return {str(k): v for k, v in data.items()}


@mapping_app.command("add")
@command
def mapping_add(
    name: str,
    account: Annotated[str, Opt(help="The bank account the mapping is for.")],
    file: Annotated[
        Path | None, Opt(help="A YAML or JSON file of settings (keys as the options below).")
    ] = None,
    date_column: Annotated[str, Opt(help="Column of the booking date.")] = "",
    amount_column: Annotated[str, Opt(help="Column of the signed amount.")] = "",
    credit_column: Annotated[str, Opt(help="Column of money in (instead of amount).")] = "",
    debit_column: Annotated[str, Opt(help="Column of money out (instead of amount).")] = "",
    reference_column: Annotated[str, Opt(help="Column of the reference text.")] = "",
    payer_column: Annotated[str, Opt(help="Column of the payer's name.")] = "",
    bank_id_column: Annotated[str, Opt(help="Column of the bank's unique id.")] = "",
    value_date_column: Annotated[str, Opt(help="Column of the value date.")] = "",
    type_column: Annotated[str, Opt(help="Column of the transaction type.")] = "",
    check_number_column: Annotated[str, Opt(help="Column of the check number.")] = "",
    date_format: Annotated[str, Opt(help="strftime format of dates.")] = "%m/%d/%Y",
    decimal_separator: Annotated[str, Opt(help="'.' or ','.")] = ".",
    thousands_separator: Annotated[str, Opt(help="',' '.' or '' for none.")] = ",",
    delimiter: Annotated[str, Opt(help="Field separator, e.g. ',' or ';'.")] = ",",
    encoding: Annotated[str, Opt(help="utf-8-sig, utf-8, cp1252 or latin-1.")] = "utf-8-sig",
    skip_rows: Annotated[int, Opt(help="Rows before the header row.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Save a CSV column mapping for an account (it becomes the account's default)."""
    from lexbill.banking.services import save_csv_mapping
    from lexbill.cli import _acting, _print_json, out

    settings: dict[str, object] = {
        "date_column": date_column,
        "amount_column": amount_column,
        "credit_column": credit_column,
        "debit_column": debit_column,
        "reference_column": reference_column,
        "payer_column": payer_column,
        "bank_id_column": bank_id_column,
        "value_date_column": value_date_column,
        "type_column": type_column,
        "check_number_column": check_number_column,
        "date_format": date_format,
        "decimal_separator": decimal_separator,
        "thousands_separator": thousands_separator,
        "delimiter": delimiter,
        "encoding": encoding,
        "skip_rows": skip_rows,
    }
    if file is not None:
        settings = {k: v for k, v in settings.items() if k in {"date_format", "encoding"}}
        settings.update(_mapping_file(file))
    with _acting() as user:
        mapping = save_csv_mapping(user, _account(account), name, settings)
    if as_json:
        _print_json({"id": mapping.pk, "name": mapping.name, "account": account})
    else:
        out.print(f"CSV mapping {mapping.name!r} saved for {account}")


def _line(txn: Any) -> dict[str, Any]:
    return {
        "id": txn.pk,
        "account": txn.bank_account.name,
        "line": txn.line_no,
        "booked_on": txn.booked_on,
        "amount": txn.amount,
        "currency": txn.currency,
        "payer": txn.payer_name,
        "reference": txn.reference,
        "status": txn.status,
        "note": txn.note,
        "candidates": txn.candidates,
    }


@app.command("import")
@command
def import_file(
    file: Path,
    account: Annotated[str, Opt(help="The bank account the statement is for.")],
    format: Annotated[
        str, Opt("--format", help="csv, ofx or camt053 (guessed from the file if omitted).")
    ] = "",
    mapping: Annotated[str, Opt(help="CSV mapping name (default: the account's).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Import a bank statement file; matched deposits wait for `lexbill bank post`."""
    from lexbill.banking.models import CsvMapping
    from lexbill.banking.services import import_statement
    from lexbill.cli import _acting, _print_json, out
    from lexbill.core.errors import NotFound
    from lexbill.formats.bank import guess_format

    data = file.read_bytes()
    chosen = format or guess_format(data, file.name)
    with _acting() as user:
        bank_account = _account(account)
        saved = None
        if mapping:
            saved = CsvMapping.objects.filter(bank_account=bank_account, name=mapping).first()
            if saved is None:
                raise NotFound(f"{account} has no CSV mapping {mapping!r}", field="mapping")
        result = import_statement(
            user, bank_account, data, chosen, mapping=saved, file_name=file.name
        )
    summary = {
        "import": result.statement_import.pk,
        "format": chosen,
        "lines": result.statement_import.entry_count,
        "new": result.new,
        "already_known": result.known,
        "matched": result.matched,
        "queued": result.queued,
    }
    if as_json:
        _print_json(summary)
        return
    out.print(
        f"{file.name} ({chosen}): {result.new} new lines, {result.known} already imported, "
        f"{result.matched} matched, {result.queued} queued for a person"
    )


@app.command("queue")
@command
def show_queue(as_json: JsonOpt = False) -> None:
    """Incoming money no invoice was found for, with the best candidates."""
    from rich.table import Table

    from lexbill.banking.selectors import queue
    from lexbill.cli import _acting, _money, _print_json, out
    from lexbill.firm.permissions import Action, require

    with _acting() as user:
        require(user, Action.IMPORT_BANK_STATEMENTS)
        lines = [_line(t) for t in queue()]
    if as_json:
        _print_json(lines)
        return
    table = Table("Id", "Booked", "Amount", "Payer", "Reference", "Best candidate")
    for line in lines:
        best = line["candidates"][0] if line["candidates"] else None
        table.add_row(
            str(line["id"]),
            line["booked_on"].isoformat(),
            f"{_money(line['amount'])} {line['currency']}",
            line["payer"],
            line["reference"][:40],
            f"{best['client_number']} {best['client_name']}" if best else line["note"],
        )
    out.print(table)


@app.command("post")
@command
def post(as_json: JsonOpt = False) -> None:
    """Post every matched deposit as a payment (each exactly once)."""
    from lexbill.banking.services import post_matched
    from lexbill.cli import _acting, _print_json, out

    with _acting() as user:
        result = post_matched(user)
        posted = [
            {**_line(t), "payment": t.payment_id, "client": t.client.number if t.client else ""}
            for t in result.posted
        ]
        requeued = [{**_line(t), "reason": reason} for t, reason in result.requeued]
    if as_json:
        _print_json({"posted": posted, "requeued": requeued})
        return
    out.print(f"{len(posted)} deposits posted as payments, {len(requeued)} returned to the queue")
    for line in requeued:
        out.print(f"  line {line['line']} ({line['amount']} {line['currency']}): {line['reason']}")
