"""Server time of the time-entry pages over the synthetic firm (1,000,000 entries by default).

    .venv/bin/python bench/pages_time.py               # full firm, 20 loads per page
    .venv/bin/python bench/pages_time.py --quick       # the 50,000-entry firm
    .venv/bin/python bench/pages_time.py --repeat 50

Works on a temporary copy of the cached SQLite firm from ``generate.py`` (generated first when
missing), so the cached fixture is never changed. Each page is loaded through Django's test
Client as a logged-in administrator: the time measured is the whole request inside the server
(middleware, session, queries, template), without network or browser. Prints p50/p95 in ms per
page and PASS/FAIL against the 200 ms target, judged on p95.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import OUT_DIR, Params, generate, setup_django

TARGET_MS = 200.0


def _firm_file(params: Params) -> Path:
    path = OUT_DIR / f"firm-{params.key()}.sqlite3"
    if not path.exists():
        print(f"generating {path.name} (once; it is cached) …", file=sys.stderr)
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        setup_django(f"sqlite:///{path}")
        generate(params, f"sqlite:///{path}")
    return path


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _next_href(html: str) -> str | None:
    if 'rel="next"' not in html:
        return None
    href = html.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    return href.replace("&amp;", "&")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the 50,000-entry firm")
    parser.add_argument("--repeat", type=int, default=20, help="loads per page (default 20)")
    parser.add_argument(
        "--extra-indexes",
        action="store_true",
        help="first add the indexes proposed in bench/README.md (on the copy only)",
    )
    args = parser.parse_args(argv)
    params = (
        Params(timekeepers=20, clients=60, matters=500, entries=50_000) if args.quick else Params()
    )
    source = _firm_file(params)
    workdir = Path(tempfile.mkdtemp(prefix="lexbill-pages-"))
    copy = workdir / "firm.sqlite3"
    shutil.copyfile(source, copy)
    os.environ["LEXBILL_ALLOWED_HOSTS"] = "testserver"
    os.environ["LEXBILL_DATA_DIR"] = str(workdir)
    try:
        setup_django(f"sqlite:///{copy}")
        return _run(args.repeat, params, extra_indexes=args.extra_indexes)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# Indexes the time list would need to meet the target on every filter (see bench/README.md);
# created only on the benchmark's copy with --extra-indexes, never by this script otherwise.
PROPOSED_INDEXES = (
    "CREATE INDEX bench_time_work_date ON entries_timeentry (work_date)",
    "CREATE INDEX bench_time_unbilled_minutes ON entries_timeentry (billed_minutes) "
    "WHERE state = 'unbilled'",
)


def _timed_ms(sql: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql)
        cursor.fetchall()
        return (time.perf_counter() - started) * 1000


def _run(repeat: int, params: Params, *, extra_indexes: bool = False) -> int:
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings

    from lexbill.clients.models import Client as LawClient
    from lexbill.clients.models import Matter
    from lexbill.entries.models import TimeEntry
    from lexbill.firm.models import Timekeeper
    from lexbill.firm.services import create_user

    call_command("migrate", verbosity=0)
    if extra_indexes:
        for sql in PROPOSED_INDEXES:
            _timed_ms(sql)
    admin = create_user(None, "bench-admin", "bench only password 1234", "admin")
    client = Client()
    client.force_login(admin)

    # sample values from the data itself, so the filters hit real rows
    entry = TimeEntry.objects.order_by("-id").first()
    assert entry is not None, "the firm has no time entries"
    matter = Matter.objects.get(pk=entry.matter_id)
    keeper = Timekeeper.objects.get(pk=entry.timekeeper_id)
    day = entry.work_date
    client_name = LawClient.objects.order_by("id").values_list("name", flat=True).first() or "A"
    week_from, week_to = day.replace(day=1), day.replace(day=7)

    pages: list[tuple[str, str | Callable[[], str]]] = [
        ("list: unbilled, newest first (default)", "/time/"),
        ("list: all states, newest first", "/time/?state="),
        ("list: matter", f"/time/?matter={matter.number}"),
        ("list: timekeeper", f"/time/?timekeeper={keeper.pk}"),
        (
            "list: timekeeper + one week",
            f"/time/?timekeeper={keeper.pk}&date_from={week_from}&date_to={week_to}",
        ),
        ("list: one week", f"/time/?date_from={week_from}&date_to={week_to}"),
        ("list: task code L120", "/time/?task_code=L120"),
        ("list: task code + all states", "/time/?task_code=L120&state="),
        ("list: sort by timekeeper", "/time/?sort=timekeeper&order=asc"),
        ("list: sort by matter", "/time/?sort=matter&order=desc"),
        ("list: sort by hours", "/time/?sort=hours&order=desc"),
        ("list: matter, sort by hours", f"/time/?matter={matter.number}&sort=hours"),
        ("list: billed (none in this firm)", "/time/?state=billed"),
    ]
    # deep pages: follow "Next page" from the default list, then time the 2nd and 10th page
    url = "/time/"
    for page_number in range(2, 11):
        href = _next_href(client.get(url).content.decode())
        if href is None:
            break
        url = f"/time/{href}"
        if page_number in (2, 10):
            pages.append((f"list: page {page_number} (keyset)", url))
    pages += [
        ("entry form", "/time/new/"),
        ("expense form", "/expenses/new/"),
        ("matter search", f"/time/search/matters/?q={client_name[:4]}"),
        ("task code search", "/time/search/codes/task/?q=motion"),
    ]

    print(
        f"Time pages over {TimeEntry.objects.count():,} time entries "
        f"({params.timekeepers} timekeepers, {params.matters:,} matters), "
        f"SQLite {connection.Database.sqlite_version}, {repeat} loads each, target p95 < "
        f"{TARGET_MS:.0f} ms"
    )
    if extra_indexes:
        print("with the proposed indexes:", "; ".join(PROPOSED_INDEXES))
    # why the list shows "more than 1,000" instead of an exact count
    _timed_ms("SELECT COUNT(*) FROM entries_timeentry WHERE state = 'unbilled'")
    plain = min(
        _timed_ms("SELECT COUNT(*) FROM entries_timeentry WHERE state = 'unbilled'")
        for _ in range(3)
    )
    print(f"plain COUNT(*) of unbilled entries: {plain:.1f} ms (the list caps its count instead)")
    print(f"{'page':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}  result")
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
                f"{name:44} {p50:8.1f} {p95:8.1f} {max(times):8.1f} {queries:8d}  "
                f"{'PASS' if ok else 'FAIL'}"
            )
    print("PASS: every page under target" if not failures else f"FAIL: {failures} page(s) over")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
