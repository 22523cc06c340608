"""The ``lexbill`` command: the billing cycle from the shell, for people and for scripts.

Every command that lists or reports takes ``--json`` and then prints machine-readable JSON with
amounts as strings. Errors a user can cause go to stderr with exit code 1; nothing is half-done,
because each command is one service call in one transaction.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
prebill_app = typer.Typer(no_args_is_help=True, help="Review pre-bills.")
invoice_app = typer.Typer(no_args_is_help=True, help="Final invoices.")
payment_app = typer.Typer(no_args_is_help=True, help="Payments received.")
user_app = typer.Typer(no_args_is_help=True, help="Users and roles.")
time_app = typer.Typer(no_args_is_help=True, help="Time entries.")
expense_app = typer.Typer(no_args_is_help=True, help="Expenses (disbursements).")
guidelines_app = typer.Typer(
    no_args_is_help=True, help="Client billing guidelines: import, export, check."
)
ledes_app = typer.Typer(no_args_is_help=True, help="LEDES e-billing files: export and validate.")
app.add_typer(prebill_app, name="prebill")
app.add_typer(invoice_app, name="invoice")
app.add_typer(payment_app, name="payment")
app.add_typer(user_app, name="user")
app.add_typer(time_app, name="time")
app.add_typer(expense_app, name="expense")
app.add_typer(ledes_app, name="ledes")
app.add_typer(guidelines_app, name="guidelines")
matter_app = typer.Typer(no_args_is_help=True, help="Matters: budgets.")
client_app = typer.Typer(
    no_args_is_help=True, help="Clients: approved timekeepers and notices of rate increases."
)
app.add_typer(matter_app, name="matter")
app.add_typer(client_app, name="client")
adjustment_app = typer.Typer(no_args_is_help=True, help="Credits and write-offs awaiting approval.")
app.add_typer(adjustment_app, name="adjustment")

# Piped output keeps whole numbers and dates on one line instead of folding to 80 columns.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
_state: dict[str, Any] = {"user": None}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexbill.settings")
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@contextmanager
def _acting() -> Iterator[Any]:
    """Run as the --user given (roles enforced, audited by name) or as the system operator."""
    from lexbill.audit.context import acting_as

    user = None
    if _state["user"]:
        from lexbill.firm.models import User

        user = User.objects.filter(username=_state["user"], is_active=True).first()
        if user is None:
            raise _UsageError(f"no active user {_state['user']!r}")
    with acting_as(user, "cli"):
        yield user


class _UsageError(Exception):
    pass


def command(func: F) -> F:
    """Turn the project's errors into a message on stderr and a non-zero exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from django.core.exceptions import ObjectDoesNotExist, ValidationError

        from lexbill.core.errors import LexbillError

        try:
            return func(*args, **kwargs)
        except (LexbillError, _UsageError, ObjectDoesNotExist, ValidationError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _print_json(data: Any) -> None:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    sys.stdout.write(json.dumps(data, default=default, indent=2) + "\n")


@app.callback()
def main_options(
    user: Annotated[
        str | None,
        typer.Option("--user", envvar="LEXBILL_USER", help="Act as this user (roles enforced)."),
    ] = None,
) -> None:
    _state["user"] = user
    _setup_django()


@app.command()
@command
def setup() -> None:
    """Create or upgrade the database in the data directory (or LEXBILL_DATABASE_URL)."""
    _migrate()
    out.print("database ready")


@app.command()
@command
def demo(seed: int = 2026) -> None:
    """Create the database and fill it with a demo firm (once; an existing firm is kept)."""
    from lexbill.demo import DEMO_PASSWORD, DEMO_USERS, build_demo_firm
    from lexbill.firm.models import Firm

    _migrate()
    if Firm.objects.exists():
        out.print("the database already holds a firm; nothing to do")
    else:
        with _acting(), err.status("building the demo firm…") as status:
            summary = build_demo_firm(seed=seed, progress=lambda text: status.update(text))
        out.print(
            f"demo firm ready: {summary.clients} clients, {summary.matters} matters, "
            f"{summary.time_entries} time entries, {summary.invoices} invoices, "
            f"{_count(summary.disputes_open, 'open dispute')}, "
            f"{_count(summary.payment_plans_active, 'active payment plan')}, "
            f"{_count(summary.adjustments_pending, 'adjustment')} awaiting approval"
        )
    users = ", ".join(f"{name} ({role})" for name, role in DEMO_USERS.items())
    out.print(f"log in as one of {users} with password {DEMO_PASSWORD!r}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web application (waitress, a production-grade pure-Python WSGI server)."""
    from django.conf import settings
    from waitress import serve as waitress_serve

    from lexbill.wsgi import application

    if host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append(host)
    out.print(f"Lexbill at http://{host}:{port}/  (Ctrl-C stops)")
    waitress_serve(application, host=host, port=port, threads=8)


@app.command("bill-run")
@command
def bill_run(
    through: Annotated[
        str, typer.Option(help="Bill unbilled work dated on or before (YYYY-MM-DD).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Create one pre-bill per matter with unbilled work through a date."""
    from rich.progress import Progress

    from lexbill.billing.bill_run import run_bill_run

    day = _date(through, "through")
    with _acting() as user:
        if as_json:
            run = run_bill_run(user, day)
        else:
            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("billing entries", total=None)
                run = run_bill_run(
                    user,
                    day,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
    result = {
        "run": run.pk,
        "through": run.through,
        "prebills": run.prebill_count,
        "time_lines": run.time_line_count,
        "expense_lines": run.expense_line_count,
    }
    if as_json:
        _print_json(result)
    else:
        out.print(
            f"bill run {run.pk} through {run.through}: {run.prebill_count} pre-bills, "
            f"{run.time_line_count} time lines, {run.expense_line_count} expense lines"
        )


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _UsageError(f"{field}: {text!r} is not a date (YYYY-MM-DD)") from None


def _prebill(number: int) -> Any:
    from lexbill.billing.models import Prebill
    from lexbill.core.errors import NotFound

    found = Prebill.objects.select_related("matter__client").filter(pk=number).first()
    if found is None:
        raise NotFound(f"no pre-bill {number}")
    return found


def _prebill_data(prebill: Any, *, with_lines: bool) -> dict[str, Any]:
    from lexbill.billing.prebills import prebill_figures

    figures = prebill_figures(prebill)
    data: dict[str, Any] = {
        "prebill": prebill.pk,
        "status": prebill.status,
        "matter": prebill.matter.number,
        "client": prebill.matter.client.name,
        "currency": prebill.matter.currency,
        "fees": figures.totals.fees,
        "expenses": figures.totals.expenses,
        "adjustments": figures.totals.adjustments,
        "tax": figures.totals.tax,
        "total": figures.totals.total,
        "held_lines": figures.held,
    }
    if figures.fee_adjustment:
        data["fee_adjustment"] = {
            "label": figures.fee_adjustment_label,
            "amount": figures.fee_adjustment,
        }
    if with_lines:
        from lexbill.core.increments import minutes_to_hours

        data["lines"] = [
            {
                "line": line.pk,
                "kind": line.kind,
                "date": line.date,
                "timekeeper": line.timekeeper.code if line.timekeeper else "",
                "narrative": line.narrative,
                "hours": minutes_to_hours(line.minutes) if line.minutes is not None else None,
                "quantity": line.quantity,
                "rate": line.rate,
                "rate_source": line.rate_source,
                "amount": line.amount,
                "adjustment": line.adjustment,
                "adjustment_reason": line.adjustment_reason,
                "treatment": line.treatment,
            }
            for line in prebill.lines.select_related("timekeeper").order_by("kind", "date", "id")
        ]
        data["comments"] = [
            {
                "at": c.at.isoformat(),
                "by": c.author.username if c.author else "system",
                "action": c.action,
                "text": c.text,
            }
            for c in prebill.comments.select_related("author")
        ]
    return data


@prebill_app.command("list")
@command
def prebill_list(
    status: Annotated[str | None, typer.Option(help="draft, returned, approved, ...")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List pre-bills (open ones unless --status is given)."""
    from lexbill.billing.models import Prebill, PrebillStatus

    prebills = Prebill.objects.select_related("matter__client").order_by("pk")
    if status:
        prebills = prebills.filter(status=status)
    else:
        prebills = prebills.filter(
            status__in=[PrebillStatus.DRAFT, PrebillStatus.RETURNED, PrebillStatus.APPROVED]
        )
    rows = [_prebill_data(p, with_lines=False) for p in prebills]
    if as_json:
        _print_json(rows)
        return
    table = Table("Pre-bill", "Status", "Matter", "Client", "Total")
    for row in rows:
        table.add_row(
            str(row["prebill"]),
            row["status"],
            row["matter"],
            row["client"],
            f"{row['currency']} {_money(row['total'])}",
        )
    out.print(table)


@prebill_app.command("show")
@command
def prebill_show(number: int, as_json: JsonOpt = False) -> None:
    """Show a pre-bill's lines, with the level each rate came from."""
    data = _prebill_data(_prebill(number), with_lines=True)
    if as_json:
        _print_json(data)
        return
    out.print(f"Pre-bill {data['prebill']} ({data['status']}) — {data['matter']} {data['client']}")
    table = Table(
        "Line",
        "Date",
        "Who",
        "Narrative",
        "Hours/Qty",
        "Rate",
        "Source",
        "Amount",
        "Adj.",
        "Treatment",
    )
    for line in data["lines"]:
        table.add_row(
            str(line["line"]),
            str(line["date"]),
            line["timekeeper"],
            line["narrative"][:50],
            str(line["hours"] if line["hours"] is not None else line["quantity"]),
            _money(line["rate"]),
            line["rate_source"],
            _money(line["amount"]),
            _money(line["adjustment"]) if line["adjustment"] else "",
            line["treatment"],
        )
    out.print(table)
    if "fee_adjustment" in data:
        out.print(f"{data['fee_adjustment']['label']}: {_money(data['fee_adjustment']['amount'])}")
    out.print(
        f"fees {_money(data['fees'])}  expenses {_money(data['expenses'])}  "
        f"adjustments {_money(data['adjustments'])}  tax {_money(data['tax'])}  "
        f"total {data['currency']} {_money(data['total'])}"
    )
    for comment in data["comments"]:
        out.print(f"{comment['at'][:16]} {comment['by']} ({comment['action']}): {comment['text']}")


@prebill_app.command("approve")
@command
def prebill_approve(
    number: int, comment: Annotated[str, typer.Option(help="Optional note.")] = ""
) -> None:
    """Approve a pre-bill for finalization."""
    from lexbill.billing.prebills import approve_prebill

    with _acting() as user:
        prebill = approve_prebill(user, _prebill(number), comment)
    out.print(f"pre-bill {prebill.pk} approved")


@prebill_app.command("send-back")
@command
def prebill_send_back(
    number: int, comment: Annotated[str, typer.Option(help="What must change.")]
) -> None:
    """Send a pre-bill back for changes, with a comment."""
    from lexbill.billing.prebills import send_back_prebill

    with _acting() as user:
        prebill = send_back_prebill(user, _prebill(number), comment)
    out.print(f"pre-bill {prebill.pk} sent back")


@prebill_app.command("comment")
@command
def prebill_comment(number: int, text: str) -> None:
    """Add a comment to a pre-bill (a question, a note for the reviewer)."""
    from lexbill.billing.prebills import comment_on_prebill

    with _acting() as user:
        comment_on_prebill(user, _prebill(number), text)
    out.print(f"comment added to pre-bill {number}")


def _split_part(text: str, number: int) -> tuple[int, str]:
    """``"0.5=Draft motion to compel"`` as (minutes, narrative)."""
    from lexbill.core.errors import InvalidEntry
    from lexbill.core.increments import hours_to_minutes

    hours, sep, narrative = text.partition("=")
    if not sep:
        raise InvalidEntry(
            f'part {number}: write it as HOURS=NARRATIVE, e.g. "0.5=Draft motion to compel"',
            field="part",
        )
    try:
        return hours_to_minutes(hours.strip()), narrative
    except InvalidEntry as exc:
        raise InvalidEntry(f"part {number}: {exc.message}", field="minutes") from None


def _per_part(values: list[str] | None, count: int, option: str) -> Sequence[str | None]:
    """A code given once is every part's; given once per part, each part's in order."""
    if not values:
        return [None] * count
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise _UsageError(f"give {option} once for every part, or once per part ({count})")
    return list(values)


@prebill_app.command("split")
@command
def prebill_split(
    line: Annotated[int, typer.Argument(help="The time line's number (see prebill show).")],
    part: Annotated[
        list[str],
        typer.Option(
            "--part", help='One entry as HOURS=NARRATIVE, e.g. "0.5=Draft motion" (repeat).'
        ),
    ],
    task: Annotated[
        list[str] | None,
        typer.Option(help="UTBMS task code: once for every part, or once per part."),
    ] = None,
    activity: Annotated[
        list[str] | None,
        typer.Option(help="UTBMS activity code: once for every part, or once per part."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Split a block-billed time line into one entry per task. The parts' hours must add up to
    the line's; amount and write-down are shared out so the pre-bill bills the same."""
    from lexbill.billing.models import PrebillLine
    from lexbill.billing.prebills import SplitPart, split_prebill_line
    from lexbill.core.errors import LexbillError, NotFound
    from lexbill.core.increments import minutes_to_hours

    found = PrebillLine.objects.select_related("prebill", "timekeeper").filter(pk=line).first()
    if found is None:
        raise NotFound(f"no pre-bill line {line}")
    typed = [_split_part(text, number) for number, text in enumerate(part, start=1)]
    tasks = _per_part(task, len(typed), "--task")
    activities = _per_part(activity, len(typed), "--activity")
    parts = [
        SplitPart(minutes, narrative, task_code, activity_code)
        for (minutes, narrative), task_code, activity_code in zip(
            typed, tasks, activities, strict=True
        )
    ]
    try:
        with _acting() as user:
            lines = split_prebill_line(user, found, parts)
    except LexbillError as exc:
        # The message names the part; the error's ``line`` (the part's number) would read here
        # as a pre-bill line's.
        raise type(exc)(exc.message, field=exc.field) from None
    if as_json:
        _print_json(
            {
                "prebill": found.prebill_id,
                "lines": [
                    {
                        "line": row.pk,
                        "time_entry": row.time_entry_id,
                        "hours": minutes_to_hours(row.minutes or 0),
                        "narrative": row.narrative,
                        "task_code": row.task_code,
                        "activity_code": row.activity_code,
                        "rate": row.rate,
                        "amount": row.amount,
                        "adjustment": row.adjustment,
                    }
                    for row in lines
                ],
            }
        )
        return
    out.print(
        f"line {line} of pre-bill {found.prebill_id} split into {len(lines)} entries: "
        f"lines {', '.join(str(row.pk) for row in lines)}",
        highlight=False,
    )


def _invoice(number: str) -> Any:
    from lexbill.billing.models import Invoice
    from lexbill.billing.selectors import with_balances
    from lexbill.core.errors import NotFound

    found = (
        with_balances(Invoice.objects.select_related("client", "matter"))
        .filter(number=number)
        .first()
    )
    if found is None:
        raise NotFound(f"no invoice {number}")
    return found


def _invoice_data(invoice: Any) -> dict[str, Any]:
    from lexbill.billing.selectors import invoice_status

    return {
        "number": invoice.number,
        "status": invoice_status(invoice),
        "client": invoice.client.number,
        "client_name": invoice.client.name,
        "matter": invoice.matter.number,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "currency": invoice.currency,
        "fees": invoice.fees,
        "expenses": invoice.expenses,
        "adjustments": invoice.adjustments,
        "tax": invoice.tax,
        "total": invoice.total,
        "credited": invoice.credited,
        "paid": invoice.paid,
        "balance": invoice.balance,
    }


@invoice_app.command("finalize")
@command
def invoice_finalize(
    prebill: Annotated[int, typer.Argument(help="The approved pre-bill's number.")],
    date_: Annotated[str | None, typer.Option("--date", help="Issue date (default today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Turn an approved pre-bill into a final invoice with the next number."""
    from lexbill.billing.invoicing import finalize_prebill

    issued_on = _date(date_, "date") if date_ else None
    with _acting() as user:
        invoice = finalize_prebill(user, _prebill(prebill), issued_on)
    if as_json:
        _print_json(_invoice_data(_invoice(invoice.number)))
    else:
        out.print(
            f"invoice {invoice.number}: {invoice.currency} {_money(invoice.total)} "
            f"due {invoice.due_on}"
        )


@invoice_app.command("list")
@command
def invoice_list(
    client: Annotated[str | None, typer.Option(help="Client number.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List final invoices with their status and balance."""
    from lexbill.billing.models import Invoice
    from lexbill.billing.selectors import with_balances

    invoices = with_balances(Invoice.objects.select_related("client", "matter")).order_by(
        "issued_on", "number"
    )
    if client:
        invoices = invoices.filter(client__number=client)
    rows = [_invoice_data(inv) for inv in invoices]
    if as_json:
        _print_json(rows)
        return
    table = Table("Number", "Issued", "Due", "Client", "Matter", "Status", "Total", "Balance")
    for r in rows:
        table.add_row(
            r["number"],
            str(r["issued_on"]),
            str(r["due_on"]),
            r["client"],
            r["matter"],
            r["status"],
            f"{r['currency']} {_money(r['total'])}",
            _money(r["balance"]),
        )
    out.print(table)


@invoice_app.command("show")
@command
def invoice_show(number: str, as_json: JsonOpt = False) -> None:
    """Show an invoice with its lines."""
    invoice = _invoice(number)
    data = _invoice_data(invoice)
    data["lines"] = [
        {
            "position": line.position,
            "kind": line.kind,
            "date": line.date,
            "timekeeper": line.timekeeper_code,
            "narrative": line.narrative,
            "minutes": line.minutes,
            "quantity": line.quantity,
            "rate": line.rate,
            "rate_source": line.rate_source,
            "amount": line.amount,
            "adjustment": line.adjustment,
            "total": line.total,
            "tax": line.tax,
        }
        for line in invoice.lines.all()
    ]
    if as_json:
        _print_json(data)
        return
    out.print(
        f"Invoice {data['number']} ({data['status']}) — {data['client_name']}, "
        f"matter {data['matter']}\n"
        f"issued {data['issued_on']}, due {data['due_on']}"
    )
    table = Table("#", "Date", "Who", "Narrative", "Rate", "Source", "Total")
    for line in data["lines"]:
        table.add_row(
            str(line["position"]),
            str(line["date"]),
            line["timekeeper"],
            line["narrative"][:50],
            _money(line["rate"]),
            line["rate_source"],
            _money(line["total"]),
        )
    out.print(table)
    out.print(
        f"total {data['currency']} {_money(data['total'])}  credited {_money(data['credited'])}  "
        f"paid {_money(data['paid'])}  balance {_money(data['balance'])}"
    )


@invoice_app.command("pdf")
@command
def invoice_pdf(
    number: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
) -> None:
    """Write an invoice's PDF."""
    from lexbill.billing.pdf import render_invoice_pdf

    output.write_bytes(render_invoice_pdf(_invoice(number)))
    out.print(f"wrote {output}")


@invoice_app.command("credit")
@command
def invoice_credit(
    number: str,
    reason_code: Annotated[
        str,
        typer.Option(
            "--reason-code",
            help="The firm's reason code (e.g. BILLING_ERROR; `adjustment reasons` lists them). "
            "Above the approval threshold the credit waits for a coordinator's approval.",
        ),
    ],
    reason: Annotated[str, typer.Option(help="A note on why, kept with the credit.")] = "",
    amount: Annotated[
        str | None, typer.Option(help="Amount credited before tax (default: all that is open).")
    ] = None,
    line: Annotated[
        list[str] | None,
        typer.Option(help="LINE_ID=AMOUNT before tax; repeat to credit several lines."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Credit a final invoice, whole, partly or per line, for one of the firm's reasons."""
    from lexbill.receivables.adjustments import request_credit_note

    value = _decimal(amount, "amount") if amount is not None else None
    lines = _pairs(line or [], "--line", "LINE_ID=AMOUNT")
    per_line = {int(k): v for k, v in lines} if lines else None
    with _acting() as user:
        done = request_credit_note(
            user, _invoice(number), value, reason_code, reason, lines=per_line
        )
    _print_adjustment(done, number, as_json)


def _pairs(items: list[str], option: str, shape: str) -> list[tuple[str, Decimal]]:
    """``KEY=AMOUNT`` options, typed; refused whole with the option and shape named."""
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _UsageError(f"{option} {item!r}: use {shape}")
        if shape.startswith("LINE") and not key.strip().isdigit():
            raise _UsageError(f"{option} {item!r}: the line id is a number (see invoice show)")
        pairs.append((key.strip(), _decimal(value, option.lstrip("-"))))
    return pairs


def _print_adjustment(done: Any, number: str, as_json: bool) -> None:
    from lexbill.billing.models import CreditNote
    from lexbill.receivables.models import AdjustmentRequest

    if isinstance(done, AdjustmentRequest):
        data: dict[str, Any] = {
            "pending_request": done.pk,
            "kind": done.kind,
            "invoice": number,
            "amount": done.amount,
            "lines": done.line_amounts,
            "reason": done.reason.code,
        }
        text = f"above the approval threshold: request {done.pk} waits for approval"
    elif isinstance(done, CreditNote):
        data = {
            "credit_note": done.number,
            "invoice": number,
            "amount": done.amount,
            "tax": done.tax,
            "total": done.total,
            "reason_code": done.reason_code,
            "lines": [
                {"line": c.invoice_line_id, "amount": c.amount, "tax": c.tax}
                for c in done.lines.all()
            ],
        }
        text = f"credit note {done.number}: {_money(done.total)} against invoice {number}"
    else:
        data = {
            "write_off": done.pk,
            "invoice": number,
            "amount": done.amount,
            "reason": done.reason.code,
            "written_off_on": done.written_off_on,
        }
        text = f"wrote off {_money(done.amount)} of invoice {number} ({done.reason.code})"
    if as_json:
        _print_json(data)
    else:
        out.print(text, highlight=False)


@invoice_app.command("write-off")
@command
def invoice_write_off(
    number: str,
    amount: Annotated[
        str | None, typer.Argument(help="Amount to write off (default: all that is open).")
    ] = None,
    reason: Annotated[
        str, typer.Option(help="The firm's reason code, e.g. UNCOLLECTIBLE or SMALL_BALANCE.")
    ] = "",
    on: Annotated[str | None, typer.Option(help="Business date (default today).")] = None,
    note: Annotated[str, typer.Option(help="A note for the record.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Write off part or all of an invoice's open balance; above the policy's threshold it
    waits for approval (see `lexbill adjustment`)."""
    from lexbill.receivables.adjustments import request_write_off

    if not reason:
        raise _UsageError("--reason CODE is required (see the policy page for the codes)")
    value = _decimal(amount, "amount") if amount is not None else None
    day = _date(on, "on") if on else None
    with _acting() as user:
        done = request_write_off(user, _invoice(number), value, reason, day, note)
    _print_adjustment(done, number, as_json)


def _decimal(text: str, field: str) -> Decimal:
    from lexbill.core.errors import InvalidEntry
    from lexbill.core.money import to_decimal

    try:
        return to_decimal(text.replace(",", ""))
    except Exception:
        raise InvalidEntry(f"{text!r} is not an amount", field=field) from None


def _client(number: str) -> Any:
    from lexbill.clients.models import Client
    from lexbill.core.errors import NotFound

    found = Client.objects.filter(number=number).first()
    if found is None:
        raise NotFound(f"no client {number}")
    return found


@payment_app.command("post")
@command
def payment_post(
    client: Annotated[str, typer.Option(help="Client number.")],
    amount: Annotated[str, typer.Option(help="Amount received.")],
    date_: Annotated[
        str | None, typer.Option("--date", help="Date received (default today).")
    ] = None,
    allocate: Annotated[
        list[str] | None,
        typer.Option(help="INVOICE=AMOUNT; repeat for several. Default: oldest invoice first."),
    ] = None,
    unapplied: Annotated[
        bool, typer.Option("--unapplied", help="Keep it all as unapplied credit for now.")
    ] = False,
    currency: Annotated[
        str | None, typer.Option(help="Needed only for a client billed in several currencies.")
    ] = None,
    method: Annotated[str, typer.Option(help="check, ach, wire, card, cash or other.")] = "check",
    reference: Annotated[str, typer.Option(help="Check number or bank reference.")] = "",
    payer: Annotated[str, typer.Option(help="Who sent the money, as the bank shows it.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Post a payment; what is not allocated stays as unapplied credit."""
    from django.utils import timezone

    from lexbill.receivables.services import post_payment

    if unapplied and allocate:
        raise _UsageError("--unapplied and --allocate exclude each other")
    allocations: list[tuple[str, Decimal]] = []
    for item in allocate or []:
        number, sep, value = item.partition("=")
        if not sep:
            raise _UsageError(f"--allocate {item!r}: use INVOICE=AMOUNT")
        allocations.append((number.strip(), _decimal(value, "allocation")))
    received = _date(date_, "date") if date_ else timezone.localdate()
    with _acting() as user:
        payment = post_payment(
            user,
            _client(client),
            _decimal(amount, "amount"),
            received,
            allocations=allocations if (allocations or unapplied) else None,
            method=method,
            reference=reference,
            currency=currency,
            payer_name=payer,
        )
    applied = [(a.invoice.number, a.amount) for a in payment.allocations.select_related("invoice")]
    left = payment.amount - sum((a for _, a in applied), Decimal(0))
    if as_json:
        _print_json(
            {
                "payment": payment.pk,
                "client": client,
                "amount": payment.amount,
                "allocations": [{"invoice": n, "amount": a} for n, a in applied],
                "unapplied": left,
            }
        )
        return
    out.print(f"payment {payment.pk}: {payment.currency} {_money(payment.amount)}")
    for n, a in applied:
        out.print(f"  applied {_money(a)} to invoice {n}")
    if left:
        out.print(f"  unapplied credit {_money(left)}")


def _payment(payment_id: int) -> Any:
    from lexbill.core.errors import NotFound
    from lexbill.receivables.models import Payment

    found = Payment.objects.filter(pk=payment_id).first()
    if found is None:
        raise NotFound(f"no payment {payment_id}")
    return found


def _correction_data(row: Any) -> dict[str, Any]:
    return {
        "payment": row.pk,
        "kind": row.kind,
        "corrects": row.corrects_id,
        "client": row.client.number,
        "date": row.received_on,
        "amount": row.amount,
        "currency": row.currency,
        "method": row.method,
        "reference": row.reference,
        "reason": row.reason,
    }


@payment_app.command("reverse")
@command
def payment_reverse(
    payment_id: Annotated[int, typer.Argument(help="The receipt's number (see payment list).")],
    on: Annotated[str, typer.Option(help="Date the payment bounced or was recalled.")],
    reason: Annotated[str, typer.Option(help="Why, e.g. 'NSF: check returned'.")],
    as_json: JsonOpt = False,
) -> None:
    """Reverse a bounced (NSF) payment: every invoice it paid is open again."""
    from lexbill.receivables.services import reverse_payment

    with _acting() as user:
        reversal = reverse_payment(user, _payment(payment_id), _date(on, "on"), reason)
    from lexbill.receivables.models import PaymentAllocation

    data = _correction_data(reversal)
    data["invoices_reopened"] = [
        {"invoice": a.invoice.number, "amount": -a.amount}
        for a in PaymentAllocation.objects.filter(
            payment_id=payment_id, amount__lt=0, applied_on=reversal.received_on
        ).select_related("invoice")
    ]
    if as_json:
        _print_json(data)
        return
    out.print(f"payment {payment_id} reversed: {reversal.currency} {_money(-reversal.amount)}")
    for row in data["invoices_reopened"]:
        out.print(f"  invoice {row['invoice']} owes {_money(row['amount'])} again")


@payment_app.command("refund")
@command
def payment_refund(
    payment_id: Annotated[
        int, typer.Argument(help="The receipt whose unapplied credit to pay back.")
    ],
    amount: Annotated[str, typer.Argument(help="Amount refunded.")],
    on: Annotated[str, typer.Option(help="Date refunded.")],
    method: Annotated[str, typer.Option(help="check, ach, wire, card, cash or other.")] = "check",
    reference: Annotated[str, typer.Option(help="Check number or bank reference.")] = "",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Refund unapplied credit of a receipt to the client."""
    from lexbill.receivables.services import refund_credit

    with _acting() as user:
        refund = refund_credit(
            user,
            _payment(payment_id),
            _decimal(amount, "amount"),
            _date(on, "on"),
            method,
            reference,
            reason,
        )
    if as_json:
        _print_json(_correction_data(refund))
        return
    out.print(f"refunded {refund.currency} {_money(-refund.amount)} of payment {payment_id}")


@payment_app.command("history")
@command
def payment_history_command(
    client: Annotated[str, typer.Argument(help="Client number.")],
    matter: Annotated[str | None, typer.Option(help="Only this matter's invoices.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every receipt, allocation, reversal and refund of a client (or one matter), by date."""
    from dataclasses import asdict

    from lexbill.receivables.selectors import payment_history

    found = _client(client)
    rows = payment_history(found, _matter(matter) if matter else None)
    if as_json:
        _print_json([asdict(r) for r in rows])
        return
    table = Table("Date", "Event", "Payment", "Method", "Reference", "Invoice", "Amount")
    for r in rows:
        table.add_row(
            str(r.on),
            r.event,
            str(r.payment_id),
            r.method,
            r.reference,
            r.invoice,
            f"{r.currency} {_money(r.amount)}",
        )
    out.print(table)


@app.command()
@command
def balance(
    client: Annotated[str, typer.Argument(help="Client number.")],
    currency: Annotated[
        str | None, typer.Option(help="Needed only for a client billed in several currencies.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A client's balance in one currency, and per matter."""
    from lexbill.billing.selectors import client_balance, client_currency, matter_balance

    found = _client(client)
    currency = client_currency(found, currency)
    account = client_balance(found, currency)
    matters = [
        {"matter": m.number, "name": m.name, "balance_due": matter_balance(m).balance_due}
        for m in found.matters.filter(currency=currency).order_by("number")
    ]
    data = {
        "client": found.number,
        "name": found.name,
        "currency": currency,
        "invoiced": account.invoiced,
        "credited": account.credited,
        "paid": account.paid,
        "balance_due": account.balance_due,
        "unapplied_credit": account.unapplied,
        "net_balance": account.net,
        "matters": matters,
    }
    if as_json:
        _print_json(data)
        return
    out.print(f"{found.number} {found.name} ({currency})")
    out.print(
        f"invoiced {_money(account.invoiced)}  credited {_money(account.credited)}  "
        f"paid {_money(account.paid)}\nbalance due {_money(account.balance_due)}  "
        f"unapplied credit {_money(account.unapplied)}  net {_money(account.net)}"
    )
    for m in matters:
        out.print(f"  {m['matter']} {m['name']}: {_money(m['balance_due'])}")


def _matter(number: str) -> Any:
    from lexbill.clients.models import Matter
    from lexbill.core.errors import NotFound

    found = Matter.objects.select_related("client").filter(number=number).first()
    if found is None:
        raise NotFound(f"no matter {number}")
    return found


def _timekeeper(code: str) -> Any:
    from lexbill.core.errors import NotFound
    from lexbill.firm.models import Timekeeper

    found = Timekeeper.objects.filter(code=code).first()
    if found is None:
        raise NotFound(f"no timekeeper {code}")
    return found


@time_app.command("add")
@command
def time_add(
    matter: Annotated[str, typer.Option(help="Matter number.")],
    timekeeper: Annotated[str, typer.Option(help="Timekeeper ID.")],
    hours: Annotated[str, typer.Option(help="Hours worked, e.g. 1.25.")],
    narrative: Annotated[str, typer.Option(help="What was done.")],
    date_: Annotated[str | None, typer.Option("--date", help="Work date (default today).")] = None,
    task: Annotated[str, typer.Option(help="UTBMS task code, e.g. L120.")] = "",
    activity: Annotated[str, typer.Option(help="UTBMS activity code, e.g. A103.")] = "",
    billable: Annotated[
        str, typer.Option(help="billable, no_charge or non_billable.")
    ] = "billable",
    as_json: JsonOpt = False,
) -> None:
    """Record a time entry; it is billed in the firm's increment, rounded per policy."""
    from django.utils import timezone

    from lexbill.core.increments import format_hours, hours_to_seconds
    from lexbill.entries.services import TimeDraft, record_time

    work_date = _date(date_, "date") if date_ else timezone.localdate()
    seconds = hours_to_seconds(_decimal(hours, "hours"))
    with _acting() as user:
        entry = record_time(
            user,
            TimeDraft(
                _matter(matter),
                _timekeeper(timekeeper),
                work_date,
                seconds,
                narrative,
                task_code=task,
                activity_code=activity,
                billable=billable,
            ),
        )
    data = {
        "entry": entry.pk,
        "billed_hours": format_hours(entry.billed_minutes),
        "state": entry.state,
    }
    if as_json:
        _print_json(data)
    else:
        out.print(f"time entry {entry.pk}: {data['billed_hours']} h billable as {entry.billable}")


@expense_app.command("add")
@command
def expense_add(
    matter: Annotated[str, typer.Option(help="Matter number.")],
    code: Annotated[str, typer.Option(help="UTBMS expense code, e.g. E101.")],
    unit_cost: Annotated[str, typer.Option(help="Cost per unit.")],
    description: Annotated[str, typer.Option(help="What it was.")],
    quantity: Annotated[str, typer.Option(help="Units, e.g. pages.")] = "1",
    date_: Annotated[str | None, typer.Option("--date", help="Date (default today).")] = None,
    receipt: Annotated[
        bool, typer.Option("--receipt", help="A receipt is attached or on file.")
    ] = False,
    persons: Annotated[int, typer.Option(help="People the expense covers (a meal).")] = 1,
    travel_class: Annotated[
        str, typer.Option(help="Fare class: economy, premium, business or first.")
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record an expense against a matter."""
    from django.utils import timezone

    from lexbill.entries.services import ExpenseDraft, record_expense

    day = _date(date_, "date") if date_ else timezone.localdate()
    with _acting() as user:
        expense = record_expense(
            user,
            ExpenseDraft(
                _matter(matter),
                day,
                code,
                _decimal(quantity, "quantity"),
                _decimal(unit_cost, "unit_cost"),
                description,
                receipt=receipt,
                persons=persons,
                travel_class=travel_class,
            ),
        )
    if as_json:
        _print_json({"expense": expense.pk, "state": expense.state})
    else:
        out.print(f"expense {expense.pk} recorded")


@user_app.command("create")
@command
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help="clerk, specialist, coordinator, attorney, admin")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create a user who can log in to the web application."""
    from lexbill.firm.services import create_user

    with _acting() as actor:
        user = create_user(actor, username, password, role)
    out.print(f"user {user.username} ({user.get_role_display()}) created")


def main() -> None:
    app()


@ledes_app.command("export")
@command
def ledes_export(
    invoices: Annotated[list[str] | None, typer.Argument(help="Invoice numbers.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")] = Path(
        "invoices.ledes.txt"
    ),
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="1998B or 98BI (default: the client's e-billing profile)."),
    ] = None,
    run: Annotated[
        int | None, typer.Option(help="Every invoice of this bill run (with --client).")
    ] = None,
    client: Annotated[str | None, typer.Option(help="Client number, with --run.")] = None,
) -> None:
    """Write final invoices of one client as one LEDES file, checked before a byte is written."""
    from lexbill.billing.models import Invoice
    from lexbill.core.errors import InvalidEntry
    from lexbill.ebilling.export import export_invoices

    chosen = list(Invoice.objects.filter(number__in=invoices or []).order_by("number"))
    missing = sorted(set(invoices or []) - {inv.number for inv in chosen})
    if missing:
        raise InvalidEntry(f"no invoice {missing[0]}", field="invoices")
    if run is not None:
        if not client:
            raise _UsageError("--run needs --client: a LEDES file goes to one client")
        chosen += list(
            Invoice.objects.filter(prebill__run_id=run, client__number=client).order_by("number")
        )
    result = export_invoices(chosen, fmt)
    output.write_text(result.text, encoding="ascii", newline="")
    out.print(
        f"wrote {output}: {len(result.summary.invoices)} invoice(s), "
        f"{result.summary.line_items} line(s), LEDES {result.summary.format}"
    )
    for change in result.changes:
        err.print(f"changed: {change}", highlight=False)


@ledes_app.command("validate")
@command
def ledes_validate(
    file: Annotated[Path, typer.Argument(help="A LEDES 1998B or 98BI file.", exists=True)],
    as_json: JsonOpt = False,
) -> None:
    """Check a LEDES file made anywhere: every problem with its line and field; 1 on errors."""
    from lexbill.ledes import validate_ledes

    report = validate_ledes(file)
    if as_json:
        _print_json(report.as_dict())
    else:
        for problem in report.problems:
            out.print(str(problem), highlight=False)
        out.print(
            f"{file}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)",
            highlight=False,
        )
    if report.errors:
        raise typer.Exit(1)


ClientOpt = Annotated[str, typer.Option("--client", help="Client number.")]


@guidelines_app.command("import")
@command
def guidelines_import(
    file: Annotated[Path, typer.Argument(exists=True)], client: ClientOpt
) -> None:
    """Store a new version of a client's guidelines from YAML; every problem named, or stored."""
    from lexbill.compliance.services import import_guidelines

    with _acting() as user:
        version = import_guidelines(user, _client(client), file.read_text(encoding="utf-8"))
    out.print(
        f"imported {version.name!r} v{version.version} for client {client}, "
        f"in force from {version.effective_from}"
    )


@guidelines_app.command("export")
@command
def guidelines_export(
    client: ClientOpt,
    version: Annotated[int | None, typer.Option(help="Default: the latest.")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
) -> None:
    """Write a client's guidelines as YAML (to stdout without -o)."""
    from lexbill.compliance.services import export_guidelines

    text = export_guidelines(_client(client), version)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output}")


@guidelines_app.command("templates")
@command
def guidelines_templates(
    name: Annotated[str | None, typer.Argument(help="Print this template.")] = None,
) -> None:
    """List the starter templates, or print one to edit and import."""
    from lexbill.guidelines import template_names, template_text

    if name is None:
        for template in template_names():
            out.print(template)
        return
    sys.stdout.write(template_text(name))


def _print_findings(result: Any, as_json: bool) -> None:
    if as_json:
        _print_json(result.as_dict())
        return
    for finding in result.findings:
        lines = ", ".join(finding.line_ids) or "invoice"
        out.print(
            f"{finding.severity.value:5} {finding.rule_id} [{lines}] {finding.message} "
            f"(at risk {_money(finding.amount_at_risk)})",
            highlight=False,
        )
    out.print(
        f"{result.lines_checked} line(s): {len(result.blocking)} blocking, "
        f"{len(result.warnings)} warning(s), {_money(result.amount_at_risk)} at risk"
    )


@guidelines_app.command("check")
@command
def guidelines_check(
    client: ClientOpt,
    prebill: Annotated[
        int | None, typer.Option(help="One pre-bill (default: every open one).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check pre-bills against the client's guidelines; exit 1 when any finding blocks."""
    from lexbill.billing.models import Prebill
    from lexbill.billing.prebills import EDITABLE
    from lexbill.compliance.services import prebill_findings
    from lexbill.core.errors import InvalidEntry

    found = _client(client)
    prebills = (
        [_prebill(prebill)]
        if prebill is not None
        else list(Prebill.objects.filter(matter__client=found, status__in=EDITABLE))
    )
    blocking = 0
    results = []
    for item in prebills:
        if item.matter.client_id != found.pk:
            raise InvalidEntry(f"pre-bill {item.pk} is not for client {client}", field="prebill")
        result = prebill_findings(item)
        if result is None:
            raise InvalidEntry(f"client {client} has no guidelines in force", field="client")
        blocking += len(result.blocking)
        results.append((item, result))
    if as_json:
        _print_json([{"prebill": item.pk, **result.as_dict()} for item, result in results])
    else:
        for item, result in results:
            out.print(f"pre-bill {item.pk} ({item.matter.number})")
            _print_findings(result, False)
    if blocking:
        raise typer.Exit(1)


@guidelines_app.command("fix")
@command
def guidelines_fix(
    prebill: Annotated[int, typer.Option(help="The pre-bill to fix.")],
    rule: Annotated[list[str] | None, typer.Option(help="Only these rules (repeatable).")] = None,
) -> None:
    """Apply every certain fix of the client's guidelines to a pre-bill (rates capped, hours
    rounded, travel cut, non-reimbursable expenses no-charge); splits stay proposals."""
    from lexbill.compliance.services import apply_certain_fixes

    with _acting() as user:
        changed = apply_certain_fixes(user, _prebill(prebill), rule or None)
    out.print(f"pre-bill {prebill}: {changed} line(s) fixed")


@guidelines_app.command("report")
@command
def guidelines_report(
    start: Annotated[
        str | None,
        typer.Option("--from", help="Pre-bills through this day or later (default: last month)."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="…and through this day or earlier.")
    ] = None,
    client: Annotated[str | None, typer.Option(help="Only this client (number).")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule id.")] = None,
    timekeeper: Annotated[str | None, typer.Option(help="Only this timekeeper (code).")] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(help="client, rule or timekeeper (repeatable; default: all three)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Findings and amounts at risk (as first found) by client, rule and timekeeper over a
    period of pre-bills, with how many were fixed, overridden or are still open."""
    from django.utils import timezone

    from lexbill.compliance.report import GROUPINGS, Criteria, default_period, guideline_report
    from lexbill.core.errors import NotFound
    from lexbill.firm.models import Timekeeper

    first, last = default_period(timezone.localdate())
    groupings = by or list(GROUPINGS)
    unknown = [name for name in groupings if name not in GROUPINGS]
    if unknown:
        raise _UsageError(f"--by: {', '.join(unknown)}? choose from {', '.join(GROUPINGS)}")
    keeper = None
    if timekeeper:
        keeper = Timekeeper.objects.filter(code__iexact=timekeeper).first()
        if keeper is None:
            raise NotFound(f"no timekeeper {timekeeper}")
    criteria = Criteria(
        start=_date(start, "from") if start else first,
        end=_date(end, "to") if end else last,
        client_id=_client(client).pk if client else None,
        rule_id=rule or "",
        timekeeper_id=keeper.pk if keeper else None,
    )
    with _acting() as user:
        report = guideline_report(user, criteria)
    if as_json:
        _print_json(
            {
                "from": criteria.start,
                "to": criteria.end,
                "totals": [row.as_dict() for row in report.totals],
                **{
                    f"by_{name}": [row.as_dict() for row in report.grouping(name)]
                    for name in groupings
                },
            }
        )
        return
    heads = {
        "client": ("Client", "Name"),
        "rule": ("Rule", "Type"),
        "timekeeper": ("Timekeeper", "Name"),
    }
    for name in groupings:
        table = Table(
            *heads[name], "Findings", "At risk", "Fixed", "Overridden", "Open",
            title=f"By {name}, pre-bills through {criteria.start} to {criteria.end}",
        )  # fmt: skip
        for row in report.grouping(name):
            table.add_row(
                row.key or "-", row.label, str(row.findings),
                f"{row.currency} {_money(row.amount_at_risk)}",
                str(row.fixed), str(row.overridden), str(row.open),
            )  # fmt: skip
        out.print(table)
    for total in report.totals or ():
        out.print(
            f"{total.findings} finding(s), {total.currency} {_money(total.amount_at_risk)} at "
            f"risk: {total.fixed} fixed, {total.overridden} overridden, {total.open} open"
        )
    if not report.totals:
        out.print(f"no finding recorded on pre-bills through {criteria.start} to {criteria.end}")


@ledes_app.command("check")
@command
def ledes_check(
    file: Annotated[Path, typer.Argument(exists=True)], client: ClientOpt, as_json: JsonOpt = False
) -> None:
    """Check a LEDES file made anywhere against a client's guidelines before it is submitted."""
    from lexbill.compliance.ledes_check import check_ledes_file

    result = check_ledes_file(file, _client(client))
    _print_findings(result, as_json)
    if result.blocking:
        raise typer.Exit(1)


# ---- facts the client's billing guidelines need ---------------------------------------------


def _budget_data(matter: Any) -> dict[str, Any]:
    from lexbill.clients.selectors import matter_budget_status

    return {"matter": matter.number, **matter_budget_status(matter).as_dict()}


@matter_app.command("budget")
@command
def matter_budget(
    matter: Annotated[str, typer.Argument(help="Matter number.")],
    amount: Annotated[
        str | None, typer.Option(help="The budget, in the matter's currency.")
    ] = None,
    phase: Annotated[
        str, typer.Option(help="A UTBMS phase (L200) or task code; omit for the whole matter.")
    ] = "",
    remove: Annotated[bool, typer.Option("--remove", help="Remove this budget.")] = False,
    show: Annotated[
        bool, typer.Option("--show", help="Show budget, billed to date and remaining.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set, remove or show a matter's budget (whole matter or per phase): the client's budget
    rules compare it with what has been billed."""
    from lexbill.clients.services import remove_matter_budget, set_matter_budget

    found = _matter(matter)
    if amount is not None and remove:
        raise _UsageError("--amount and --remove exclude each other")
    if amount is not None or remove:
        with _acting() as user:
            if remove:
                remove_matter_budget(user, found, phase)
            else:
                set_matter_budget(user, found, phase, _decimal(amount or "", "amount"))
        if not (show or as_json):
            what = f"phase {phase.upper()}" if phase else "the whole matter"
            done = "removed" if remove else f"set to {_money(_decimal(amount or '', 'amount'))}"
            out.print(f"{found.number}: budget for {what} {done}")
            return
    data = _budget_data(found)
    if as_json:
        _print_json(data)
        return
    table = Table(title=f"{found.number} budget ({found.currency})")
    for heading in ("Phase", "Budget", "Billed to date", "Remaining"):
        table.add_column(heading, justify="left" if heading == "Phase" else "right")
    for row in data["budgets"]:
        table.add_row(
            row["phase"] or "whole matter",
            _money(row["budget"]),
            _money(row["billed"]),
            _money(row["remaining"]),
        )
    if not data["budgets"]:
        out.print(f"{found.number} has no budget")
        return
    out.print(table)


@client_app.command("approve-timekeeper")
@command
def client_approve_timekeeper(
    client: Annotated[str, typer.Argument(help="Client number.")],
    timekeeper: Annotated[str, typer.Argument(help="Timekeeper ID.")],
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Withdraw the approval instead.")
    ] = False,
    on: Annotated[str | None, typer.Option(help="Date approved (default today).")] = None,
    note: Annotated[str, typer.Option(help="E.g. who approved it.")] = "",
) -> None:
    """Record that a client approved a timekeeper to bill it (or withdraw that); once a client
    has approved anyone, its approved-timekeepers rule flags time by anyone else."""
    from django.utils import timezone

    from lexbill.clients.services import approve_timekeeper, withdraw_timekeeper_approval

    found, keeper = _client(client), _timekeeper(timekeeper)
    with _acting() as user:
        if withdraw:
            withdraw_timekeeper_approval(user, found, keeper)
        else:
            day = _date(on, "on") if on else timezone.localdate()
            approve_timekeeper(user, found, keeper, day, note)
    done = "no longer approved" if withdraw else "approved"
    out.print(f"{keeper.code} {done} by client {found.number}")


@client_app.command("rate-notice")
@command
def client_rate_notice(
    client: Annotated[str, typer.Argument(help="Client number.")],
    effective: Annotated[
        str | None, typer.Option(help="The day the increase takes effect (YYYY-MM-DD).")
    ] = None,
    given: Annotated[
        str | None, typer.Option(help="The day the client was told (YYYY-MM-DD).")
    ] = None,
    timekeeper: Annotated[
        str | None, typer.Option(help="Timekeeper ID; omit for every timekeeper.")
    ] = None,
    note: Annotated[str, typer.Option(help="E.g. how the client was told.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record when a client was told of a rate increase; without options, list the notices."""
    from lexbill.clients.models import RateNotice
    from lexbill.clients.services import record_rate_notice

    found = _client(client)
    if (effective is None) != (given is None):
        raise _UsageError("give both --effective and --given, or neither to list the notices")
    if effective is not None and given is not None:
        keeper = _timekeeper(timekeeper) if timekeeper else None
        with _acting() as user:
            record_rate_notice(
                user,
                found,
                _date(effective, "effective_from"),
                _date(given, "given_on"),
                keeper,
                note,
            )
    notices: list[dict[str, Any]] = [
        {
            "timekeeper": n.timekeeper.code if n.timekeeper else "",
            "effective_from": n.effective_from,
            "given_on": n.given_on,
            "note": n.note,
        }
        for n in RateNotice.objects.filter(client=found).select_related("timekeeper")
    ]
    if as_json:
        _print_json({"client": found.number, "rate_notices": notices})
        return
    if effective is not None:
        who = timekeeper or "every timekeeper"
        out.print(
            f"client {found.number}: notice of the {effective} increase for {who} given {given}"
        )
        return
    for n in notices:
        keeper = n["timekeeper"] or "all"
        out.print(f"{n['effective_from']}  {keeper:<6} given {n['given_on']}  {n['note']}")
    if not notices:
        out.print(f"client {found.number} has no rate notices")


def _adjustment_data(r: Any) -> dict[str, Any]:
    return {
        "request": r.pk,
        "status": r.status,
        "kind": r.kind,
        "invoice": r.invoice.number,
        "amount": r.amount,
        "lines": r.line_amounts,
        "reason": r.reason.code,
        "note": r.note,
        "requested_by": r.requested_by.username if r.requested_by else None,
        "requested_at": r.requested_at.isoformat(),
        "decided_by": r.decided_by.username if r.decided_by else None,
        "credit_note": r.credit_note.number if r.credit_note else None,
        "write_off": r.write_off_id,
    }


def _adjustment_request(request_id: int) -> Any:
    from lexbill.core.errors import NotFound
    from lexbill.receivables.models import AdjustmentRequest

    found = AdjustmentRequest.objects.filter(pk=request_id).first()
    if found is None:
        raise NotFound(f"no adjustment request {request_id}")
    return found


@adjustment_app.command("reasons")
@command
def adjustment_reason_list(as_json: JsonOpt = False) -> None:
    """The firm's active reasons for credits and write-offs (the codes --reason-code takes)."""
    from lexbill.receivables.selectors import adjustment_reasons

    rows = [
        {"code": r.code, "label": r.label, "applies_to": r.applies_to} for r in adjustment_reasons()
    ]
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        out.print(f"{r['code']:<20} {r['label']}  ({r['applies_to']})", highlight=False)


@adjustment_app.command("list")
@command
def adjustment_list(
    status: Annotated[str, typer.Option(help="pending, approved, rejected or all.")] = "pending",
    as_json: JsonOpt = False,
) -> None:
    """Credit and write-off requests (by default those awaiting approval), oldest first."""
    from lexbill.receivables.models import AdjustmentRequest

    requests = AdjustmentRequest.objects.select_related(
        "invoice", "reason", "requested_by", "decided_by", "credit_note"
    ).order_by("requested_at", "pk")
    if status != "all":
        requests = requests.filter(status=status)
    rows = [_adjustment_data(r) for r in requests]
    if as_json:
        _print_json(rows)
        return
    table = Table("#", "Status", "Kind", "Invoice", "Amount", "Reason", "Asked by")
    for r in rows:
        amount = "all open" if r["amount"] is None else _money(r["amount"])
        if r["lines"]:
            amount = ", ".join(f"line {k}: {v}" for k, v in r["lines"].items())
        table.add_row(
            str(r["request"]),
            r["status"],
            r["kind"],
            r["invoice"],
            amount,
            r["reason"],
            r["requested_by"] or "system",
        )
    out.print(table)


@adjustment_app.command("approve")
@command
def adjustment_approve(
    request_id: int,
    note: Annotated[str, typer.Option(help="A note for the record.")] = "",
    on: Annotated[str | None, typer.Option(help="Business date posted (default today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a request: the credit note or write-off is posted."""
    from lexbill.receivables.adjustments import approve_adjustment

    with _acting() as user:
        done = approve_adjustment(
            user, _adjustment_request(request_id), note, _date(on, "on") if on else None
        )
    if as_json:
        _print_json(_adjustment_data(done))
        return
    posted = f"credit note {done.credit_note.number}" if done.credit_note else "write-off"
    out.print(f"request {done.pk} approved: {posted} posted on invoice {done.invoice.number}")


@adjustment_app.command("reject")
@command
def adjustment_reject(
    request_id: int,
    note: Annotated[str, typer.Option(help="Why not.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Reject a request; nothing is posted."""
    from lexbill.receivables.adjustments import reject_adjustment

    with _acting() as user:
        done = reject_adjustment(user, _adjustment_request(request_id), note)
    if as_json:
        _print_json(_adjustment_data(done))
        return
    out.print(f"request {done.pk} rejected")


def _register_app_commands() -> None:
    """Each app keeps its commands in its own cli module; they join the main command here."""
    from lexbill.audit.cli import app as audit_app
    from lexbill.banking.cli import app as bank_app
    from lexbill.disputes.cli import app as dispute_app
    from lexbill.exports.cli import app as export_app
    from lexbill.imports.cli import import_command
    from lexbill.latecharges.cli import app as late_charges_app
    from lexbill.plans.cli import app as plan_app
    from lexbill.receivables.cli import report_app, statement_command
    from lexbill.reminders.cli import app as reminders_app
    from lexbill.reports.cli import add_report_commands
    from lexbill.trust.cli import app as trust_app

    add_report_commands(report_app)

    app.add_typer(audit_app, name="audit")
    app.add_typer(bank_app, name="bank")
    app.add_typer(dispute_app, name="dispute")
    app.add_typer(export_app, name="export")
    app.add_typer(late_charges_app, name="late-charges")
    app.add_typer(plan_app, name="plan")
    app.add_typer(reminders_app, name="reminders")
    app.add_typer(report_app, name="report")
    app.add_typer(trust_app, name="trust")
    app.command("statement")(statement_command)
    app.command("import")(import_command)
    from lexbill.exports.backup_cli import backup_command, restore_command

    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


_register_app_commands()
