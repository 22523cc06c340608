"""The `lexbill plan` commands, registered on the main command by lexbill.cli.

    lexbill plan create C001 --invoice 2026-0001 --invoice 2026-0002 --instalments 3 \\
        --first-due 2026-06-01 --every month
    lexbill plan list [--all] [--json]
    lexbill plan show 4 [--as-of 2026-07-15] [--json]
    lexbill plan cancel 4 [--reason TEXT]
    lexbill plan refresh          # mark completed the plans whose instalments are all paid
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, help="Payment plans: instalments on a client's balance.")

AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Instalment status as of this day (default today).")
]


def _cli() -> Any:
    """lexbill.cli imports this module at its very end; its helpers exist by the time we run."""
    from lexbill import cli

    return cli


def _as_of(text: str | None) -> date:
    from django.utils import timezone

    return _cli()._date(text, "as-of") if text else timezone.localdate()


def _plan(plan_id: int) -> Any:
    from lexbill.core.errors import NotFound
    from lexbill.plans.models import PaymentPlan

    plan = PaymentPlan.objects.select_related("client").filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(f"no payment plan {plan_id}")
    return plan


def _plan_data(view: Any, *, instalments: bool) -> dict[str, Any]:
    from lexbill.billing.models import Invoice

    plan = view.plan
    numbers = list(
        Invoice.objects.filter(pk__in=view.invoice_ids)
        .order_by("issued_on", "number")
        .values_list("number", flat=True)
    )
    nxt = view.next_instalment
    data: dict[str, Any] = {
        "id": plan.pk,
        "client": plan.client.number,
        "client_name": plan.client.name,
        "currency": plan.currency,
        "invoices": numbers,
        "start_on": plan.start_on,
        "status": plan.status,
        "standing": view.standing,
        "total": plan.total,
        "paid": view.paid,
        "reduced_by_credits": view.reduced,
        "left": view.left,
        "grace_days": plan.grace_days,
        "next_due_on": nxt.due_on if nxt else None,
        "next_unpaid": nxt.unpaid if nxt else None,
    }
    if instalments:
        data["instalments"] = [
            {
                "sequence": s.sequence,
                "due_on": s.due_on,
                "amount": s.amount,
                "owed": s.owed,
                "paid": s.paid,
                "unpaid": s.unpaid,
                "paid_on": s.paid_on,
                "status": str(s.status),
            }
            for s in view.states
        ]
    return data


def _show(view: Any, as_json: bool) -> None:
    cli = _cli()
    data = _plan_data(view, instalments=True)
    if as_json:
        cli._print_json(data)
        return
    from rich.table import Table

    cur = data["currency"]
    cli.out.print(
        f"Payment plan {data['id']} · {data['client']} {data['client_name']} · "
        f"{', '.join(data['invoices'])} · {data['status']} ({data['standing']})"
    )
    cli.out.print(
        f"Total {cli._money(data['total'])} {cur} · paid {cli._money(data['paid'])} · "
        f"credited/written off {cli._money(data['reduced_by_credits'])} · "
        f"left {cli._money(data['left'])}"
    )
    table = Table("#", "Due", "Amount", "Paid", "Unpaid", "Status")
    for row in data["instalments"]:
        table.add_row(
            str(row["sequence"]),
            row["due_on"].isoformat(),
            cli._money(row["amount"]),
            cli._money(row["paid"]),
            cli._money(row["unpaid"]),
            row["status"],
        )
    cli.out.print(table)


@app.command("create")
def plan_create(
    client: Annotated[str, typer.Argument(help="Client number.")],
    invoice: Annotated[
        list[str], typer.Option("--invoice", help="Invoice number; repeat for several.")
    ],
    first_due: Annotated[str, typer.Option("--first-due", help="First instalment due (date).")],
    instalments: Annotated[
        int | None, typer.Option("--instalments", help="Number of equal instalments.")
    ] = None,
    amount: Annotated[
        list[str] | None,
        typer.Option("--amount", help="Instalment amounts by hand, in order; repeat for each."),
    ] = None,
    every: Annotated[
        str, typer.Option("--every", help="month, week, or a number of days like 14days.")
    ] = "month",
    grace_days: Annotated[
        int, typer.Option("--grace-days", help="Days past due before an instalment is missed.")
    ] = 10,
    note: Annotated[str, typer.Option(help="What was agreed, with whom.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Put the open balance of some invoices on a plan of instalments."""
    cli = _cli()

    def run() -> None:
        from django.utils import timezone

        from lexbill.plans.selectors import plan_view
        from lexbill.plans.services import create_plan

        with cli._acting() as user:
            plan = create_plan(
                user,
                cli._client(client),
                invoice,
                first_due=cli._date(first_due, "first-due"),
                count=instalments,
                every=every,
                amounts=[cli._decimal(a, "amount") for a in amount] if amount else None,
                grace_days=grace_days,
                note=note,
            )
        _show(plan_view(plan, timezone.localdate()), as_json)

    cli.command(run)()


@app.command("list")
def plan_list(
    all_: Annotated[
        bool, typer.Option("--all", help="Also completed, cancelled and defaulted plans.")
    ] = False,
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Payment plans with their standing and next instalment."""
    cli = _cli()

    def run() -> None:
        from rich.table import Table

        from lexbill.firm.permissions import Action, require
        from lexbill.plans.models import PlanStatus
        from lexbill.plans.selectors import plan_views, plans_list

        with cli._acting() as user:
            require(user, Action.VIEW_RECEIVABLES)
            plans = list(plans_list(status=None if all_ else PlanStatus.ACTIVE))
            views = plan_views(plans, _as_of(as_of))
        rows = [_plan_data(v, instalments=False) for v in views]
        if as_json:
            cli._print_json(rows)
            return
        table = Table("Plan", "Client", "Invoices", "Status", "Total", "Left", "Next due")
        for r in rows:
            table.add_row(
                str(r["id"]),
                r["client"],
                ", ".join(r["invoices"]),
                f"{r['status']} ({r['standing']})",
                f"{cli._money(r['total'])} {r['currency']}",
                cli._money(r["left"]),
                r["next_due_on"].isoformat() if r["next_due_on"] else "",
            )
        cli.out.print(table)

    cli.command(run)()


@app.command("show")
def plan_show(
    plan_id: Annotated[int, typer.Argument(help="Plan number.")],
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """A plan's instalments: due dates, amounts, what is paid and each one's status."""
    cli = _cli()

    def run() -> None:
        from lexbill.firm.permissions import Action, require
        from lexbill.plans.selectors import plan_view

        with cli._acting() as user:
            require(user, Action.VIEW_RECEIVABLES)
            view = plan_view(_plan(plan_id), _as_of(as_of))
        _show(view, as_json)

    cli.command(run)()


@app.command("cancel")
def plan_cancel(
    plan_id: Annotated[int, typer.Argument(help="Plan number.")],
    reason: Annotated[str, typer.Option(help="Why the plan ends.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """End an active plan; its invoices go back to the normal reminders."""
    cli = _cli()

    def run() -> None:
        from django.utils import timezone

        from lexbill.plans.selectors import plan_view
        from lexbill.plans.services import cancel_plan

        with cli._acting() as user:
            plan = cancel_plan(user, _plan(plan_id), reason)
        _show(plan_view(plan, timezone.localdate()), as_json)

    cli.command(run)()


@app.command("refresh")
def plan_refresh(
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Mark completed every active plan whose instalments are all paid."""
    cli = _cli()

    def run() -> None:
        from lexbill.plans.services import complete_paid_plans

        with cli._acting() as user:
            done = complete_paid_plans(user, _as_of(as_of))
        if as_json:
            cli._print_json({"completed": [p.pk for p in done]})
        else:
            cli.out.print(f"{len(done)} plan(s) completed: {', '.join(str(p.pk) for p in done)}")

    cli.command(run)()
