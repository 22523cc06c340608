"""Server time of every main page over the synthetic firm (1,000,000 time entries by default).

    .venv/bin/python bench/pages.py                # full firm, 20 loads per page
    .venv/bin/python bench/pages.py --quick        # the 50,000-entry firm
    .venv/bin/python bench/pages.py --repeat 50 --only invoice

The firm from ``generate.py`` holds only unbilled work, so the first run gives it a billing history
through the real services and caches the result (``bench/out/billed-….sqlite3``): a bill run over
all but the last two months, every pre-bill approved and finalized into an invoice, most invoices
sent, paid in full or in part or credited; then a second bill run turns the next-to-last month into
draft pre-bills, and the last month stays unbilled work in progress. Each benchmark works on a
temporary copy of that file. Each page is loaded through Django's test Client as a logged-in
administrator: the time measured is the whole request inside the server (middleware, session,
queries, template), without network or browser. Prints p50/p95 in ms per page and PASS/FAIL against
the 200 ms target, judged on p95.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import OUT_DIR, Params, add_months, setup_django

TARGET_MS = 200.0
# Bump when the billing history changes shape, so an old cached file is not reused.
HISTORY_VERSION = 2


def _firm_file(params: Params) -> Path:
    """The cached generated firm; generated in a child process, because Django can be set up
    once per process and this one must point at its own working copy."""
    path = OUT_DIR / f"firm-{params.key()}.sqlite3"
    if not path.exists():
        print(f"generating {path.name} (once; it is cached) …", file=sys.stderr)
        command = [sys.executable, str(Path(__file__).with_name("generate.py"))]
        for name, value in asdict(params).items():
            command += [f"--{name}", str(value)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return path


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _href(html: str, rel: str) -> str | None:
    if f'rel="{rel}"' not in html:
        return None
    href = html.split(f'rel="{rel}"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    return href.replace("&amp;", "&")


def _progress(label: str, done: int, total: int, started: float) -> None:
    if done == total or done % 1000 == 0:
        rate = done / max(time.perf_counter() - started, 1e-9)
        print(f"  {label}: {done:,}/{total:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)


def _make_history(params: Params) -> None:
    """Bill, finalize, send, pay and credit through the real services, as a firm would."""
    from django.core.management import call_command

    from lexbill.billing.bill_run import run_bill_run
    from lexbill.billing.invoicing import finalize_prebill, issue_credit_note, record_delivery
    from lexbill.billing.models import Prebill
    from lexbill.billing.prebills import approve_prebill
    from lexbill.core.money import round_money
    from lexbill.receivables.services import post_payment

    call_command("migrate", verbosity=0)
    rng = random.Random(params.seed)
    billed_through = add_months(params.last_day.replace(day=1), -1) - timedelta(days=1)
    issued_on = billed_through + timedelta(days=5)
    started = time.perf_counter()
    run = run_bill_run(None, billed_through)
    print(
        f"  history bill run through {billed_through}: {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    prebills = list(Prebill.objects.filter(run=run).order_by("id"))
    started = time.perf_counter()
    for done, prebill in enumerate(prebills, 1):
        approve_prebill(None, prebill)
        invoice = finalize_prebill(None, prebill, issued_on=issued_on)
        chance = rng.random()
        if chance < 0.85:
            record_delivery(None, invoice, "ap@client.example")
        received = issued_on + timedelta(days=rng.randint(5, 60))
        if invoice.total <= 0:
            pass  # a bill of only no-charge work: nothing to pay
        elif chance < 0.55:
            post_payment(
                None,
                invoice.client,
                invoice.total,
                received,
                allocations=[(invoice.number, invoice.total)],
                reference=f"ck {done}",
                currency=invoice.currency,
            )
        elif chance < 0.70:
            part = round_money(invoice.total * Decimal("0.4"), invoice.currency)
            if part > 0:
                post_payment(
                    None,
                    invoice.client,
                    part,
                    received,
                    allocations=[(invoice.number, part)],
                    reference=f"ck {done}",
                    currency=invoice.currency,
                )
        elif chance < 0.72:
            issue_credit_note(None, invoice, None, "courtesy discount", issued_on=received)
        _progress("invoices finalized, sent, paid", done, len(prebills), started)
    drafts_through = params.last_day.replace(day=1) - timedelta(days=1)
    started = time.perf_counter()
    run_bill_run(None, drafts_through)
    print(
        f"  draft bill run through {drafts_through}: {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


def _billed_firm(params: Params, workdir: Path) -> Path:
    """The cached firm with its billing history, built on first use (minutes on the full firm)."""
    cached = OUT_DIR / f"billed-{params.key()}-h{HISTORY_VERSION}.sqlite3"
    copy = workdir / "firm.sqlite3"
    if cached.exists():
        shutil.copyfile(cached, copy)
        setup_django(f"sqlite:///{copy}")
        return copy
    shutil.copyfile(_firm_file(params), copy)
    setup_django(f"sqlite:///{copy}")
    print(
        f"building the billing history into {cached.name} (once; it is cached) …", file=sys.stderr
    )
    _make_history(params)
    from django.db import connection

    connection.close()
    shutil.copyfile(copy, cached)
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the 50,000-entry firm")
    parser.add_argument("--repeat", type=int, default=20, help="loads per page (default 20)")
    parser.add_argument("--only", default="", help="only pages whose name contains this text")
    args = parser.parse_args(argv)
    params = (
        Params(timekeepers=20, clients=60, matters=500, entries=50_000) if args.quick else Params()
    )
    workdir = Path(tempfile.mkdtemp(prefix="lexbill-pages-"))
    os.environ["LEXBILL_ALLOWED_HOSTS"] = "testserver"
    os.environ["LEXBILL_DATA_DIR"] = str(workdir)
    try:
        _billed_firm(params, workdir)
        return _run(args.repeat, params, args.only)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _timed_ms(sql: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql)
        cursor.fetchall()
        return (time.perf_counter() - started) * 1000


Page = tuple[str, str | Callable[[], str]]


def _pages(client: Any) -> list[Page]:
    """Every main page, with filters taken from the data itself so they hit real rows."""
    from django.db.models import Count

    from lexbill.billing.models import Invoice, Prebill
    from lexbill.clients.models import Client as LawClient
    from lexbill.clients.models import Matter
    from lexbill.entries.models import TimeEntry
    from lexbill.firm.models import Timekeeper
    from lexbill.receivables.models import Payment

    entry = TimeEntry.objects.order_by("-id").first()
    assert entry is not None, "the firm has no time entries"
    matter = Matter.objects.get(pk=entry.matter_id)
    keeper = Timekeeper.objects.get(pk=entry.timekeeper_id)
    day = entry.work_date
    week_from, week_to = day.replace(day=1), day.replace(day=7)
    law_client = LawClient.objects.order_by("id").first()
    assert law_client is not None
    paying = LawClient.objects.filter(pk=Payment.objects.values("client_id")[:1]).get()
    biggest = (
        Prebill.objects.filter(status="draft")
        .annotate(n=Count("lines"))
        .order_by("-n")
        .values_list("pk", flat=True)
        .first()
    )
    invoice = Invoice.objects.order_by("-id").first()
    assert biggest is not None and invoice is not None, "the firm has no billing history"
    busiest = (
        Matter.objects.annotate(n=Count("invoices")).order_by("-n").values_list("pk", flat=True)
    )[0]

    pages: list[Page] = [
        ("dashboard", "/"),
        ("time list: unbilled, newest first (default)", "/time/"),
        ("time list: all states, newest first", "/time/?state="),
        ("time list: matter", f"/time/?matter={matter.number}"),
        ("time list: timekeeper", f"/time/?timekeeper={keeper.pk}"),
        (
            "time list: timekeeper + one week",
            f"/time/?timekeeper={keeper.pk}&date_from={week_from}&date_to={week_to}",
        ),
        (
            "time list: one week, all states",
            f"/time/?state=&date_from={week_from}&date_to={week_to}",
        ),
        ("time list: task code L120", "/time/?task_code=L120"),
        ("time list: task code, all states", "/time/?task_code=L120&state="),
        ("time list: billed", "/time/?state=billed"),
        ("time list: sort by timekeeper", "/time/?sort=timekeeper&order=asc"),
        ("time list: sort by matter", "/time/?sort=matter&order=desc"),
        ("time list: sort by hours", "/time/?sort=hours&order=desc"),
        ("time list: matter, sort by hours", f"/time/?matter={matter.number}&sort=hours"),
    ]
    # deep pages: follow "Next page" from the default list, then time the 2nd and 10th page
    url = "/time/"
    for page_number in range(2, 11):
        href = _href(client.get(url).content.decode(), "next")
        if href is None:
            break
        url = f"/time/{href}"
        if page_number in (2, 10):
            pages.append((f"time list: page {page_number} (keyset)", url))
    previous = _href(client.get(url).content.decode(), "prev")
    if previous:
        pages.append(("time list: back from page 10", f"/time/{previous}"))
    pages += [
        ("time entry form", "/time/new/"),
        ("expense form", "/expenses/new/"),
        ("matter search", f"/time/search/matters/?q={law_client.name[:4]}"),
        ("task code search", "/time/search/codes/task/?q=motion"),
        ("pre-bills: open", "/prebills/"),
        ("pre-bills: open, page 100", "/prebills/?page=100"),
        ("pre-bills: finalized", "/prebills/?status=finalized"),
        ("pre-bills: search a client", f"/prebills/?q={law_client.name[:5]}"),
        ("pre-bill: largest, by timekeeper", f"/prebills/{biggest}/"),
        ("pre-bill: largest, by task", f"/prebills/{biggest}/?group=task"),
        ("bill run form", "/bill-runs/new/"),
        ("invoices: all", "/invoices/"),
        ("invoices: page 100", "/invoices/?page=100"),
        ("invoices: client", f"/invoices/?client={paying.pk}"),
        (
            "invoices: issued in a range",
            f"/invoices/?issued_from={invoice.issued_on}&issued_to={invoice.issued_on}",
        ),
    ]
    pages += [
        (f"invoices: {status}", f"/invoices/?status={status.replace(' ', '+')}")
        for status in ("final", "sent", "partly paid", "paid", "credited")
    ]
    pages += [
        ("invoice page", f"/invoices/{invoice.number}/"),
        ("payments: all", "/payments/"),
        ("payments: client", f"/payments/?client={paying.number}"),
        ("payment form", "/payments/new/"),
        ("payment form for a client", f"/payments/new/?client={paying.number}"),
        ("allocation rows for a client", f"/payments/allocations/?client={paying.number}"),
        ("client balance", f"/balances/{paying.number}/"),
        ("clients", "/clients/"),
        ("clients: search", f"/clients/?q={law_client.name[:4]}"),
        ("client page", f"/clients/{paying.pk}/"),
        ("matter page: most invoices", f"/matters/{busiest}/"),
        ("matter page: newest work", f"/matters/{matter.pk}/"),
        ("settings: firm policy", "/settings/"),
        ("settings: users", "/settings/users/"),
        ("settings: timekeepers", "/settings/timekeepers/"),
        ("settings: rates", "/settings/rates/"),
    ]
    return pages


def _run(repeat: int, params: Params, only: str) -> int:
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings

    from lexbill.billing.models import Invoice, Prebill
    from lexbill.entries.models import TimeEntry
    from lexbill.firm.services import create_user

    call_command("migrate", verbosity=0)
    admin = create_user(None, "bench-admin", "bench only password 1234", "admin")
    client = Client()
    client.force_login(admin)
    pages = [(name, target) for name, target in _pages(client) if only in name]

    print(
        f"Pages over {TimeEntry.objects.count():,} time entries, "
        f"{Prebill.objects.count():,} pre-bills, {Invoice.objects.count():,} invoices "
        f"({params.timekeepers} timekeepers, {params.matters:,} matters), "
        f"SQLite {connection.Database.sqlite_version}, {repeat} loads each, target p95 < "
        f"{TARGET_MS:.0f} ms"
    )
    print(f"{'page':46} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}  result")
    failures = 0
    with override_settings(DEBUG=True):  # to count queries; DEBUG's own cost is negligible here
        for name, target in pages:
            path = target() if callable(target) else target
            client.get(path)  # warm the page cache and template loaders
            times = []
            queries = 0
            for _ in range(repeat):
                reset_queries()
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                queries = len(connection.queries)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
            p50, p95 = statistics.median(times), _percentile(times, 0.95)
            ok = p95 < TARGET_MS
            failures += not ok
            print(
                f"{name:46} {p50:8.1f} {p95:8.1f} {max(times):8.1f} {queries:8d}  "
                f"{'PASS' if ok else 'FAIL'}",
                flush=True,
            )
    print("PASS: every page under target" if not failures else f"FAIL: {failures} page(s) over")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
