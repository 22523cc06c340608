"""The `lexbill late-charges` commands, registered on the main command by lexbill.cli."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from lexbill.cli import JsonOpt, _acting, _date, _matter, _money, _print_json, command, out

app = typer.Typer(no_args_is_help=True, help="Late charges on overdue balances.")


def _assessment_rows(result: Any) -> list[dict[str, Any]]:
    rows = []
    for item in result.invoices:
        c = item.computation
        rows.append(
            {
                "charge": item.charge.pk if item.charge is not None else None,
                "invoice": item.invoice.number,
                "client": item.invoice.client.number,
                "matter": item.invoice.matter.number,
                "currency": item.invoice.currency,
                "due_on": item.invoice.due_on,
                "balance": item.balance,
                "period_from": c.period_from,
                "period_to": c.period_to,
                "days": c.chargeable_days,
                "annual_percent": c.annual_percent,
                "interest": c.interest,
                "flat_fee": c.flat_fee,
                "amount": c.amount,
                "periods": [
                    {
                        "start": p.start,
                        "end": p.end,
                        "days": p.days,
                        "balance": p.balance,
                        "chargeable": p.chargeable,
                    }
                    for p in c.periods
                ],
            }
        )
    return rows


@app.command("assess")
@command
def assess(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Charge through this day (YYYY-MM-DD); today.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be charged; record nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Assess late charges on overdue invoices of clients that allow them, by the firm policy."""
    from django.utils import timezone

    from lexbill.latecharges.services import assess_late_charges

    day: date = _date(as_of, "as-of") if as_of else timezone.localdate()
    with _acting() as user:
        result = assess_late_charges(user, day, dry_run=dry_run)
    rows = _assessment_rows(result)
    if as_json:
        _print_json({"as_of": day, "dry_run": dry_run, "charges": rows})
        return
    verb = "would charge" if dry_run else "charged"
    for r in rows:
        out.print(
            f"{r['invoice']}  {r['client']}/{r['matter']}  {r['period_from']}..{r['period_to']}"
            f"  {r['days']} days at {r['annual_percent'].normalize():f}%"
            f"  interest {_money(r['interest'])}"
            f"  fee {_money(r['flat_fee'])}  = {r['currency']} {_money(r['amount'])}",
            highlight=False,
        )
    totals = ", ".join(
        f"{cur} {_money(amount)}" for cur, amount in sorted(result.total_by_currency.items())
    )
    out.print(f"as of {day}: {verb} {len(rows)} invoices{': ' + totals if rows else ''}")


@app.command("list")
@command
def list_charges(
    pending: Annotated[
        bool, typer.Option("--pending", help="Only charges waiting for a bill.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List recorded late charges, newest first, with their status."""
    from lexbill.latecharges.selectors import charges

    rows = [
        {
            "id": c.pk,
            "assessed_on": c.assessed_on,
            "invoice": c.invoice.number,
            "client": c.client.number,
            "matter": c.matter.number,
            "currency": c.currency,
            "period_from": c.period_from,
            "period_to": c.period_to,
            "days": c.days,
            "annual_percent": c.annual_percent,
            "interest": c.interest,
            "flat_fee": c.flat_fee,
            "amount": c.amount,
            "status": c.status.value,
            "prebill": c.billed_line.prebill_id if c.billed_line else None,
        }
        for c in charges("pending" if pending else "")
    ]
    if as_json:
        _print_json(rows)
        return
    table = Table("Id", "Assessed", "Invoice", "Matter", "Period", "Days", "Amount", "Status")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["assessed_on"]),
            r["invoice"],
            r["matter"],
            f"{r['period_from']}..{r['period_to']}",
            str(r["days"]),
            f"{r['currency']} {_money(r['amount'])}",
            r["status"],
        )
    out.print(table)


@app.command("bill")
@command
def bill(
    matter: Annotated[str, typer.Argument(help="Matter number.")],
    as_json: JsonOpt = False,
) -> None:
    """Put a matter's pending late charges on its open pre-bill, or on a new one, now."""
    from lexbill.latecharges.services import bill_late_charges

    found = _matter(matter)
    with _acting() as user:
        prebill = bill_late_charges(user, found)
    if as_json:
        _print_json({"matter": found.number, "prebill": prebill.pk if prebill else None})
    elif prebill is None:
        out.print(f"matter {found.number} has no late charges waiting")
    else:
        out.print(f"late charges of matter {found.number} are on pre-bill {prebill.pk}")
