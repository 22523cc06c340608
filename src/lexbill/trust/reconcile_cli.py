"""`lexbill trust reconcile …`: the monthly three-way reconciliation from the shell.

    lexbill --user sam trust reconcile import september.xml --account IOLTA
    lexbill trust reconcile show --account IOLTA --month 2026-09 --json
    lexbill trust reconcile open --account IOLTA --month 2026-09
    lexbill --user sam trust reconcile match --account IOLTA --bank 41 --posting 17 --posting 18
    lexbill --user sam trust reconcile unmatch 12
    lexbill trust reconcile firm --month 2026-09 --balance "Acme trust=10000.00"
    lexbill --user carol trust reconcile sign-off --account IOLTA --month 2026-09
    lexbill trust reconcile pdf --account IOLTA --month 2026-09 -o iolta-2026-09.pdf
    lexbill trust reconcile pending

Each command is one call into ``lexbill.trust.reconciliation`` (roles enforced there), takes
--json (amounts as strings), and on a refusal prints the reason on stderr with exit code 1,
changing nothing. ``show`` and ``firm`` exit 0 whether or not the month reconciles: read
``reconciled`` and ``problems``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from lexbill.cli import JsonOpt, _acting, _money, _print_json, command, out

Opt = typer.Option
AccountOpt = Annotated[
    str, Opt("--account", help="Trust account name (may be left out when there is only one).")
]
MonthOpt = Annotated[str, Opt("--month", help="The month, YYYY-MM (or any date in it).")]
BalanceOpt = Annotated[
    str | None,
    Opt("--statement-balance", help="The statement's closing balance, if no statement gave it."),
]


def _account(name: str) -> Any:
    from lexbill.trust.cli import _only_account

    return _only_account(name)


def _month_end(month: str) -> date:
    from lexbill.trust.reconciliation import month_bounds

    return month_bounds(month)[1]


def _balance(text: str | None, field: str = "statement_balance") -> Decimal | None:
    if text is None:
        return None
    from lexbill.trust.cli import _amount

    return _amount(text, field)


def _item(item: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "on": item.on,
        "amount": item.amount,
        "description": item.description,
        "reference": item.reference,
    }


def _ledger(line: Any) -> dict[str, Any]:
    return {
        "ledger": line.ledger_id,
        "name": line.name,
        "kind": line.kind,
        "balance": line.balance,
        "last_activity": line.last_activity,
    }


def three_way_data(account: Any, result: Any) -> dict[str, Any]:
    """A ThreeWay as JSON-ready data (the same keys as the dataclass, plus the account)."""
    return {
        "account": account.name,
        "currency": account.currency,
        "period_start": result.period_start,
        "period_end": result.period_end,
        "statement_balance": result.statement_balance,
        "deposits_in_transit": [_item(i) for i in result.deposits_in_transit],
        "outstanding_payments": [_item(i) for i in result.outstanding_payments],
        "foundation_interest": result.foundation_interest,
        "adjusted_bank": result.adjusted_bank,
        "journal_balance": result.journal_balance,
        "ledgers": [_ledger(line) for line in result.ledgers],
        "ledgers_total": result.ledgers_total,
        "unrecorded_bank_items": [_item(i) for i in result.unrecorded_bank_items],
        "differences": [
            {
                "between": d.between,
                "amount": d.amount,
                "explained_by": [_item(i) for i in d.explained_by],
                "unexplained": d.unexplained,
            }
            for d in result.differences
        ],
        "negative_ledgers": [_ledger(line) for line in result.negative_ledgers],
        "inactive_ledgers": [_ledger(line) for line in result.inactive_ledgers],
        "reconciled": result.reconciled,
        "problems": list(result.problems),
    }


def _print_three_way(account: Any, result: Any) -> None:
    out.print(
        f"{account.name} ({account.currency}), {result.period_start} – {result.period_end}",
        highlight=False,
    )
    in_transit = sum((i.amount for i in result.deposits_in_transit), Decimal(0))
    outstanding = sum((i.amount for i in result.outstanding_payments), Decimal(0))
    rows = [
        ("bank statement balance", result.statement_balance),
        ("+ deposits in transit", in_transit),
        ("- outstanding payments", outstanding),
        ("- IOLTA interest held for the bar foundation", -result.foundation_interest),
        ("(A) adjusted bank balance", result.adjusted_bank),
        ("(B) trust journal", result.journal_balance),
        ("(C) sum of client ledgers", result.ledgers_total),
    ]  # fmt: skip
    for label, amount in rows:
        out.print(f"  {label:46} {_money(amount):>16}", highlight=False)
    for line in result.ledgers:
        out.print(f"    {line.name[:44]:44} {_money(line.balance):>16}", highlight=False)
    if result.reconciled:
        out.print("reconciled: all three sides agree and no ledger is negative")
    else:
        out.print("NOT reconciled:")
        for problem in result.problems:
            out.print(f"  - {problem}", highlight=False)
    for line in result.inactive_ledgers:
        out.print(f"  inactive: {line.name} ({_money(line.balance)})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``lexbill trust reconcile …`` to ``app``."""
    reconcile_app = typer.Typer(
        no_args_is_help=True,
        help="Monthly three-way reconciliation: import, match, compare, sign off.",
    )
    app.add_typer(reconcile_app, name="reconcile")

    @reconcile_app.command("import")
    @command
    def import_command(
        file: Annotated[Path, typer.Argument(help="The bank statement (CAMT.053, OFX or CSV).")],
        account: AccountOpt = "",
        format: Annotated[
            str, Opt("--format", help="camt053, ofx or csv; guessed from the file if left out.")
        ] = "",
        mapping: Annotated[str, Opt(help="Saved CSV mapping name (the account's default).")] = "",
        as_json: JsonOpt = False,
    ) -> None:
        """Import a trust account's statement and match what can be matched automatically."""
        from lexbill.banking.models import CsvMapping
        from lexbill.core.errors import NotFound
        from lexbill.formats.bank import guess_format
        from lexbill.trust.reconciliation import import_trust_statement

        trust = _account(account)
        data = file.read_bytes()
        chosen = None
        if mapping:
            chosen = CsvMapping.objects.filter(
                bank_account=trust.bank_account, name=mapping
            ).first()
            if chosen is None:
                raise NotFound(f"no CSV mapping {mapping!r} for {trust.name}", field="mapping")
        with _acting() as user:
            result = import_trust_statement(
                user,
                trust,
                data,
                format or guess_format(data, file.name),
                mapping=chosen,
                file_name=file.name,
            )
        record = result.statement_import
        summary = {
            "import": record.pk,
            "account": trust.name,
            "period_start": record.period_start,
            "period_end": record.period_end,
            "closing_balance": record.closing_balance,
            "new": result.new,
            "known": result.known,
            "matched": result.matched,
            "unmatched": result.queued,
        }
        if as_json:
            _print_json(summary)
        else:
            out.print(
                f"{file.name} → {trust.name}: {result.new} new lines ({result.known} known), "
                f"{result.matched} matched automatically, {result.queued} waiting for a match",
                highlight=False,
            )

    @reconcile_app.command("show")
    @command
    def show(
        month: MonthOpt,
        account: AccountOpt = "",
        statement_balance: BalanceOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The three-way reconciliation of one account for a month, each difference explained."""
        from lexbill.trust.reconciliation import three_way_for

        trust = _account(account)
        result = three_way_for(trust, _month_end(month), _balance(statement_balance))
        if as_json:
            _print_json(three_way_data(trust, result))
        else:
            _print_three_way(trust, result)

    @reconcile_app.command("firm")
    @command
    def firm(
        month: MonthOpt,
        balance: Annotated[
            list[str] | None,
            Opt("--balance", help='An account\'s statement balance, "NAME=AMOUNT" (repeatable).'),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Every active trust account for the month, and the firm-wide totals of the sides."""
        from lexbill.core.errors import InvalidEntry
        from lexbill.trust.cli import _named_account
        from lexbill.trust.reconciliation import firm_wide

        given: dict[int, Decimal] = {}
        for pair in balance or []:
            name, sep, amount = pair.rpartition("=")
            if not sep:
                raise InvalidEntry(f"{pair!r}: write NAME=AMOUNT", field="balance")
            value = _balance(amount, "balance")
            assert value is not None
            given[_named_account(name).pk] = value
        summary = firm_wide(_month_end(month), given)
        data = {
            "period_end": summary.period_end,
            "reconciled": summary.reconciled,
            "problems": list(summary.problems),
            "totals": [
                {
                    "currency": t.currency,
                    "statement_balance": t.statement_balance,
                    "foundation_interest": t.foundation_interest,
                    "adjusted_bank": t.adjusted_bank,
                    "journal_balance": t.journal_balance,
                    "ledgers_total": t.ledgers_total,
                    "agree": t.agree,
                }
                for t in summary.totals
            ],
            "accounts": [
                {
                    "account": row.account.name,
                    "signed": row.signed is not None,
                    "missing": row.missing,
                    "three_way": (
                        three_way_data(row.account, row.three_way) if row.three_way else None
                    ),
                }
                for row in summary.accounts
            ],
        }
        if as_json:
            _print_json(data)
            return
        for row in summary.accounts:
            if row.three_way is None:
                out.print(f"{row.account.name}: {row.missing}", highlight=False)
                continue
            w = row.three_way
            state = "reconciled" if w.reconciled else "NOT reconciled"
            signed = ", signed off" if row.signed is not None else ""
            out.print(
                f"{row.account.name:24} A {_money(w.adjusted_bank):>14}  "
                f"B {_money(w.journal_balance):>14}  C {_money(w.ledgers_total):>14}  "
                f"{state}{signed}",
                highlight=False,
            )
        for t in summary.totals:
            out.print(
                f"{'firm-wide ' + t.currency:24} A {_money(t.adjusted_bank):>14}  "
                f"B {_money(t.journal_balance):>14}  C {_money(t.ledgers_total):>14}",
                highlight=False,
            )
        for problem in summary.problems:
            out.print(f"  - {problem}", highlight=False)

    @reconcile_app.command("open")
    @command
    def open_items(month: MonthOpt, account: AccountOpt = "", as_json: JsonOpt = False) -> None:
        """Bank lines, postings and interest entries through the month not matched yet."""
        from lexbill.trust.reconciliation import unmatched

        trust = _account(account)
        bank, postings, interest = unmatched(trust, _month_end(month))
        data = {
            "bank_lines": [
                {
                    "id": b.pk,
                    "booked_on": b.booked_on,
                    "amount": b.amount,
                    "check_number": b.check_number,
                    "text": " ".join(x for x in (b.payer_name, b.reference) if x),
                }
                for b in bank
            ],
            "postings": [
                {
                    "id": p.pk,
                    "entered_on": p.entered_on,
                    "amount": p.amount,
                    "kind": p.kind,
                    "reference": p.reference,
                    "counterparty": p.counterparty,
                }
                for p in postings
            ],
            "interest": [
                {"id": i.pk, "entered_on": i.entered_on, "amount": i.amount, "kind": i.kind}
                for i in interest
            ],
        }
        if as_json:
            _print_json(data)
            return
        for title, key in (("bank lines", "bank_lines"), ("postings", "postings")):
            out.print(f"{title} not matched: {len(data[key])}")
            for row in data[key]:
                day = row.get("booked_on") or row.get("entered_on")
                out.print(f"  #{row['id']:<6} {day} {_money(row['amount']):>14}", highlight=False)
        out.print(f"interest entries not matched: {len(data['interest'])}")

    @reconcile_app.command("auto-match")
    @command
    def auto_match_command(
        month: MonthOpt, account: AccountOpt = "", as_json: JsonOpt = False
    ) -> None:
        """Match every unambiguous bank line to its posting through the month's end."""
        from lexbill.trust.reconciliation import auto_match

        trust = _account(account)
        with _acting() as user:
            count = auto_match(user, trust, _month_end(month))
        if as_json:
            _print_json({"account": trust.name, "matched": count})
        else:
            out.print(f"{count} matched automatically in {trust.name}")

    @reconcile_app.command("match")
    @command
    def match_command(
        account: AccountOpt = "",
        bank: Annotated[list[int] | None, Opt("--bank", help="Bank line id (repeatable).")] = None,
        posting: Annotated[
            list[int] | None, Opt("--posting", help="Journal posting id (repeatable).")
        ] = None,
        interest: Annotated[
            list[int] | None, Opt("--interest", help="IOLTA interest entry id (repeatable).")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Match bank lines to postings by hand; the sums must agree."""
        from lexbill.trust.reconciliation import match_by_hand

        trust = _account(account)
        with _acting() as user:
            match_no = match_by_hand(
                user,
                trust,
                bank_ids=bank or [],
                posting_ids=posting or [],
                interest_ids=interest or [],
            )
        if as_json:
            _print_json({"match": match_no, "account": trust.name})
        else:
            out.print(f"match {match_no} made in {trust.name}")

    @reconcile_app.command("unmatch")
    @command
    def unmatch_command(
        match: Annotated[int, typer.Argument(help="The match number (its first bank line's id).")],
        as_json: JsonOpt = False,
    ) -> None:
        """Undo a match (refused when it is part of a signed month)."""
        from lexbill.trust.reconciliation import match_account, unmatch

        trust = match_account(match)
        with _acting() as user:
            unmatch(user, trust, match)
        if as_json:
            _print_json({"unmatched": match})
        else:
            out.print(f"match {match} undone")

    @reconcile_app.command("sign-off")
    @command
    def sign_off_command(
        month: MonthOpt,
        account: AccountOpt = "",
        statement_balance: BalanceOpt = None,
        note: Annotated[str, Opt(help="A note kept with the signed reconciliation.")] = "",
        as_json: JsonOpt = False,
    ) -> None:
        """Sign the month off (coordinators): refused, naming why, unless it reconciles."""
        from lexbill.trust.reconciliation import sign_off

        trust = _account(account)
        with _acting() as user:
            signed = sign_off(
                user, trust, _month_end(month), statement_balance=_balance(statement_balance),
                note=note,
            )  # fmt: skip
        data = {
            "signed": signed.pk,
            "account": trust.name,
            "period_end": signed.period_end,
            "balance": signed.journal_balance,
            "signed_by": signed.snapshot["signed_by"]["username"],
        }
        if as_json:
            _print_json(data)
        else:
            out.print(
                f"{trust.name} signed off to {signed.period_end} at "
                f"{_money(signed.journal_balance)}",
                highlight=False,
            )

    @reconcile_app.command("pdf")
    @command
    def pdf_command(
        month: MonthOpt,
        output: Annotated[Path, Opt("--output", "-o", help="Where to write the PDF.")],
        account: AccountOpt = "",
    ) -> None:
        """Write a signed month's reconciliation as a PDF."""
        from lexbill.core.errors import NotFound
        from lexbill.trust.models import SignedReconciliation
        from lexbill.trust.reconciliation_pdf import reconciliation_pdf

        trust = _account(account)
        end = _month_end(month)
        signed = SignedReconciliation.objects.filter(account=trust, period_end=end).first()
        if signed is None:
            raise NotFound(f"{trust.name} is not signed off for the month to {end}", field="month")
        output.write_bytes(reconciliation_pdf(signed))
        out.print(f"wrote {output}", highlight=False)

    @reconcile_app.command("pending")
    @command
    def pending(as_json: JsonOpt = False) -> None:
        """Months ended and not signed off yet, per account."""
        from django.utils import timezone

        from lexbill.trust.reconciliation import unreconciled_months

        months = unreconciled_months(timezone.localdate())
        if as_json:
            _print_json([{"account": a.name, "period_end": end} for a, end in months])
            return
        for account, end in months:
            out.print(f"{account.name:24} {end:%Y-%m} not signed off", highlight=False)
        if not months:
            out.print("every ended month is signed off")
