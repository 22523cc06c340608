"""Trust reconciliation benchmark: a month of 100,000 trust transactions (SQLite, PostgreSQL).

    .venv/bin/python bench/trust.py                      # 100,000 postings, SQLite
    .venv/bin/python bench/trust.py --quick              # 10,000 postings
    .venv/bin/python bench/trust.py --database-url postgresql://postgres@127.0.0.1:5432/trust_bench
    .venv/bin/python bench/trust.py --postings 250000 --ledgers 5000 --json

Builds a firm of its own on a fresh database (SQLite: bench/out/trust-bench.sqlite3, rebuilt each
run; PostgreSQL: the database in the URL, dropped and re-created): ``--ledgers`` client matters
in one pooled IOLTA account and, in one month, ``--postings`` journal postings (deposits by check,
wire and ACH, disbursements by check, fee transfers, bank charges from the buffer) plus IOLTA
interest. The bank's month is a real CSV statement of one line per cleared posting (checks carry
their number, wires their memo), imported through ``banking.services.import_statement``; 2% of
the deposits and 3% of the checks have not cleared by the month's end, and 0.2% of the postings
share an amount and a day with another (left for a person).

Timed: the import (reported, not judged); ``auto_match`` through the month's end; then
``three_way_for`` (best of ``--repeat``). Target (issue 7): auto-match plus the three-way in
under 5 s. Baseline, same run: the three sides computed by hand-written SQL (sums, and NOT EXISTS
for what has not cleared), whose figures must equal the engine's to the cent; the ratio is the
engine's time over the baseline's.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import OUT_DIR, is_postgres, setup_django

T = TypeVar("T")
TARGET_SECONDS = 5.0
MONTH_START, MONTH_END = date(2026, 9, 1), date(2026, 9, 30)
OPENED = date(2026, 8, 1)


def _fresh_database(url: str | None) -> tuple[str, str]:
    if url and is_postgres(url):
        from urllib.parse import urlsplit, urlunsplit

        import psycopg
        from psycopg import sql

        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        with psycopg.connect(
            urlunsplit(parts._replace(path="/postgres")), autocommit=True
        ) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return url, "PostgreSQL"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / "trust-bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", "SQLite"


def best_of(repeat: int, work: Callable[[], T]) -> tuple[T, float]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return result, best


# ---- the firm and its month ------------------------------------------------------------------


def build(postings: int, ledgers: int, seed: int) -> tuple[Any, bytes, Decimal, dict[str, int]]:
    """The firm, its journal (bulk inserts) and the bank's CSV statement for the month."""
    from django.core.management import call_command
    from django.db import transaction

    from lexbill.banking.services import create_bank_account, save_csv_mapping
    from lexbill.clients.models import Client, Matter
    from lexbill.firm.services import configure_firm, create_timekeeper
    from lexbill.trust.models import (
        FoundationInterest,
        TrustLedger,
        TrustTransaction,
    )
    from lexbill.trust.services import open_trust_account

    rng = random.Random(seed)
    call_command("migrate", verbosity=0, interactive=False)
    configure_firm(None, name="Bench & Partners LLP", address="1 Bench St")
    lawyer = create_timekeeper(None, "BP", "Bea", "Partner", "partner")
    bank = create_bank_account(None, "IOLTA bench", number="999000999")
    save_csv_mapping(
        None,
        bank,
        "bench csv",
        {
            "date_column": "Date",
            "amount_column": "Amount",
            "reference_column": "Memo",
            "payer_column": "Party",
            "check_number_column": "Check",
            "date_format": "%Y-%m-%d",
        },
    )
    account = open_trust_account(None, "IOLTA", "pooled", bank, OPENED)
    stamp = datetime(2026, 10, 1, tzinfo=UTC)
    with transaction.atomic():
        clients = Client.objects.bulk_create(
            [Client(number=f"B{i:05d}", name=f"Bench client {i}") for i in range(ledgers)],
            batch_size=2000,
        )
        matters = Matter.objects.bulk_create(
            [
                Matter(
                    client=c, number=f"B{i:05d}-001", name=f"Matter {i}",
                    responsible_attorney=lawyer, opened_on=OPENED,
                )
                for i, c in enumerate(clients)
            ],
            batch_size=2000,
        )  # fmt: skip
        books = TrustLedger.objects.bulk_create(
            [
                TrustLedger(
                    account=account, kind="client", client=m.client, matter=m, opened_on=OPENED
                )
                for m in matters
            ],
            batch_size=2000,
        )  # fmt: skip
    buffer = TrustLedger.objects.get(account=account, kind="buffer")

    rows: list[TrustTransaction] = []
    bank_lines: list[tuple[date, Decimal, str, str, str]] = []  # day, amount, memo, party, check
    counts = {"deposits": 0, "checks": 0, "fee transfers": 0, "bank charges": 0}
    used: set[tuple[date, Decimal]] = set()

    def post(ledger: Any, kind: str, day: date, amount: Decimal, method: str, ref: str) -> None:
        rows.append(
            TrustTransaction(
                account=account, ledger=ledger, kind=kind, entered_on=day,
                available_on=day if amount > 0 else None, amount=amount, currency="USD",
                method=method, counterparty="bench", reference=ref, posted_at=stamp,
            )
        )  # fmt: skip

    def clears(day: date, amount: Decimal, memo: str, check: str, late: float) -> None:
        """The bank line of a posting, a few days later; ``late`` of them after the month."""
        if rng.random() < late:
            return
        booked = min(day + timedelta(days=rng.randint(0, 3)), MONTH_END)
        bank_lines.append((booked, amount, memo, "bench", check))

    def amount_between(low: int, high: int, day: date) -> Decimal:
        while True:  # distinct amounts per day, except the few duplicates made on purpose
            value = Decimal(rng.randint(low, high)) / 100
            if (day, value) not in used or rng.random() < 0.002:
                used.add((day, value))
                return value

    buffer_in = Decimal("500.00")
    post(buffer, "buffer_deposit", MONTH_START, buffer_in, "transfer", "")
    clears(MONTH_START, buffer_in, "firm funds", "", 0)
    check_no = 10_000
    pairs = (postings - 1) // 2
    for i in range(pairs):
        ledger = books[i % len(books)]
        day = MONTH_START + timedelta(days=rng.randint(0, 24))
        amount = amount_between(10_000, 2_500_000, day)
        method = rng.choice(["check", "wire", "ach"])
        ref = (
            f"W-{i}"
            if method == "wire"
            else (f"{rng.randint(100, 9999)}" if method == "check" else "")
        )
        post(ledger, "deposit", day, amount, method, ref)
        clears(day, amount, f"DEPOSIT {ref}".strip(), "", 0.02)
        counts["deposits"] += 1
        out_day = day + timedelta(days=rng.randint(1, 5))
        paid = -amount_between(1_000, int(amount * 100), out_day)
        if i % 10 == 0:  # earned fees to operating (as a transfer: no invoices in this firm)
            post(ledger, "disbursement", out_day, paid, "transfer", f"FEES {i}")
            clears(out_day, paid, f"TRANSFER FEES {i}", "", 0)
            counts["fee transfers"] += 1
        else:
            check_no += 1
            post(ledger, "disbursement", out_day, paid, "check", str(check_no))
            clears(out_day, paid, "CHECK PAID", str(check_no), 0.03)
            counts["checks"] += 1
    while len(rows) < postings:
        charge = -Decimal(rng.randint(100, 500)) / 100
        post(buffer, "bank_charge", MONTH_END, charge, "bank", "")
        clears(MONTH_END, charge, "SERVICE CHARGE", "", 0)
        counts["bank charges"] += 1
    with transaction.atomic():
        TrustTransaction.objects.bulk_create(rows, batch_size=5000)
        FoundationInterest.objects.create(
            account=account, kind="credited", entered_on=MONTH_END, amount=Decimal("1234.56"),
            reference="INTEREST", posted_at=stamp,
        )  # fmt: skip
    bank_lines.append((MONTH_END, Decimal("1234.56"), "IOLTA INTEREST", "bank", ""))
    counts["postings"] = len(rows)
    counts["bank lines"] = len(bank_lines)
    bank_lines.sort(key=lambda line: line[0])
    csv = ["Date,Amount,Memo,Party,Check"]
    csv += [f"{d.isoformat()},{a},{m},{p},{c}" for d, a, m, p, c in bank_lines]
    closing = sum((line[1] for line in bank_lines), Decimal("0.00"))
    _analyze()
    return account, ("\n".join(csv) + "\n").encode(), closing, counts


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# ---- the baseline ------------------------------------------------------------------------------


def baseline_sides(account: Any, as_of: date, statement: Decimal) -> dict[str, Decimal]:
    """The three sides by hand-written SQL: what the engine must agree with to the cent."""
    from django.db import connection

    params = {"a": account.pk, "b": account.bank_account_id, "d": as_of}
    late = """
        SELECT c.match_no FROM trust_trustclearing c
          JOIN banking_banktransaction bt ON bt.id = c.bank_transaction_id
         WHERE bt.booked_on > %(d)s
        UNION SELECT c.match_no FROM trust_trustclearing c
          JOIN trust_trusttransaction tt ON tt.id = c.trust_transaction_id
         WHERE tt.entered_on > %(d)s
        UNION SELECT c.match_no FROM trust_trustclearing c
          JOIN trust_foundationinterest fi ON fi.id = c.foundation_interest_id
         WHERE fi.entered_on > %(d)s
    """
    queries = {
        "journal": "SELECT COALESCE(SUM(amount), 0) FROM trust_trusttransaction "
        "WHERE account_id = %(a)s AND entered_on <= %(d)s",
        "open postings": f"""
            SELECT COALESCE(SUM(t.amount), 0) FROM trust_trusttransaction t
             WHERE t.account_id = %(a)s AND t.entered_on <= %(d)s AND NOT EXISTS (
               SELECT 1 FROM trust_trustclearing c WHERE c.trust_transaction_id = t.id
                  AND c.match_no NOT IN ({late}))""",
        "open interest": f"""
            SELECT COALESCE(SUM(CASE WHEN f.kind = 'credited' THEN f.amount ELSE -f.amount END), 0)
              FROM trust_foundationinterest f
             WHERE f.account_id = %(a)s AND f.entered_on <= %(d)s AND NOT EXISTS (
               SELECT 1 FROM trust_trustclearing c WHERE c.foundation_interest_id = f.id
                  AND c.match_no NOT IN ({late}))""",
        "interest held": """
            SELECT COALESCE(SUM(CASE WHEN kind = 'credited' THEN amount ELSE -amount END), 0)
              FROM trust_foundationinterest WHERE account_id = %(a)s AND entered_on <= %(d)s""",
        "ledgers": """
            SELECT COALESCE(SUM(s), 0) FROM (
              SELECT l.id, (SELECT COALESCE(SUM(t.amount), 0) FROM trust_trusttransaction t
                             WHERE t.ledger_id = l.id AND t.entered_on <= %(d)s) AS s
                FROM trust_trustledger l WHERE l.account_id = %(a)s AND l.opened_on <= %(d)s) x""",
        "unrecorded": f"""
            SELECT COALESCE(SUM(b.amount), 0) FROM banking_banktransaction b
             WHERE b.bank_account_id = %(b)s AND b.booked_on <= %(d)s AND NOT EXISTS (
               SELECT 1 FROM trust_trustclearing c WHERE c.bank_transaction_id = b.id
                  AND c.match_no NOT IN ({late}))""",
    }
    got: dict[str, Decimal] = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, params)
            # money is stored as integer cents (lexbill.fields.FixedDecimalField)
            got[name] = Decimal(int(cursor.fetchone()[0])).scaleb(-2)
    open_items = got["open postings"] + got["open interest"]
    return {
        "adjusted_bank": statement + open_items - got["interest held"],
        "journal_balance": got["journal"],
        "ledgers_total": got["ledgers"],
        "unrecorded": got["unrecorded"],
    }  # fmt: skip


# ---- measuring ---------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, Any]:
    url, engine = _fresh_database(args.database_url)
    setup_django(url)
    from lexbill.banking.services import import_statement
    from lexbill.trust.reconciliation import auto_match, three_way_for

    started = time.perf_counter()
    account, statement, closing, counts = build(args.postings, args.ledgers, args.seed)
    print(f"{engine}: built {counts} in {time.perf_counter() - started:.1f} s", flush=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    imported = import_statement(None, account.bank_account, statement, "csv", file_name="bench.csv")
    timings["import the CSV statement (not judged)"] = time.perf_counter() - started
    _analyze()
    started = time.perf_counter()
    matched = auto_match(None, account, MONTH_END)
    timings["auto-match"] = time.perf_counter() - started
    result, timings["three-way"] = best_of(
        args.repeat, lambda: three_way_for(account, MONTH_END, closing)
    )
    timings["reconcile: auto-match + three-way"] = timings["auto-match"] + timings["three-way"]
    base, timings["baseline: three sides in raw SQL"] = best_of(
        args.repeat, lambda: baseline_sides(account, MONTH_END, closing)
    )
    engine_sides = {
        "adjusted_bank": result.adjusted_bank,
        "journal_balance": result.journal_balance,
        "ledgers_total": result.ledgers_total,
        "unrecorded": sum((i.amount for i in result.unrecorded_bank_items), Decimal(0)),
    }
    same = engine_sides == base
    total = timings["reconcile: auto-match + three-way"]
    return {
        "engine": engine,
        "sizes": {**counts, "ledgers": args.ledgers, "bank lines imported": imported.new},
        "matched": matched,
        "open": {
            "deposits in transit": len(result.deposits_in_transit),
            "outstanding payments": len(result.outstanding_payments),
            "unrecorded bank lines": len(result.unrecorded_bank_items),
        },
        "sides": {k: str(v) for k, v in engine_sides.items()},
        "timings": timings,
        "ratio_to_baseline": {
            name: seconds / timings["baseline: three sides in raw SQL"]
            for name, seconds in timings.items()
            if not name.startswith("baseline")
        },
        "matches_baseline": same,
        "passed": same and total < TARGET_SECONDS,
    }


def _print(results: dict[str, Any]) -> None:
    print(f"\n{results['engine']}: " + ", ".join(f"{v:,} {k}" for k, v in results["sizes"].items()))
    print(f"  matched automatically: {results['matched']:,}; open: {results['open']}")
    base = results["timings"]["baseline: three sides in raw SQL"]
    for name, seconds in results["timings"].items():
        mark = ""
        if name.startswith("reconcile"):
            mark = "PASS" if seconds < TARGET_SECONDS else "FAIL"
        print(f"  {name:42} {seconds:8.3f} s  {seconds / base:7.2f}× baseline  {mark}")
    print(f"  sides equal the raw-SQL baseline to the cent: {results['matches_baseline']}")
    print(f"  sides: {results['sides']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 postings, 500 ledgers")
    parser.add_argument("--postings", type=int, default=None)
    parser.add_argument("--ledgers", type=int, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    args.postings = args.postings or (10_000 if args.quick else 100_000)
    args.ledgers = args.ledgers or (500 if args.quick else 5_000)
    results = measure(args)
    _print(results)
    if args.json:
        print(json.dumps(results, default=str))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
