"""The import benchmark: a million time entries from CSV into the synthetic firm, checked and kept.

    .venv/bin/python bench/imports.py                # 1,000,000 rows (SQLite, bench/out/)
    .venv/bin/python bench/imports.py --quick        # 20,000 rows into a small firm, seconds
    .venv/bin/python bench/imports.py --write        # …and write the figures to IMPORTS.md
    .venv/bin/python bench/imports.py --firm-entries 1000000   # into the bill-run firm instead

The firm is the bill-run benchmark's (500 timekeepers, 2,000 clients, 20,000 matters, their
rates) with ``--firm-entries`` time entries of its own: by default 1,000, a firm whose master
data is in and whose history is still to come, which is when a million rows are imported; the
bill-run firm's million entries are an option. It is generated once (``generate.py``, cached in
bench/out/ like ``run.py``'s). A time CSV is written from its open matters and timekeepers (a
year before the firm's own work, so no day is over 24 hours and every row has a rate:
classification rates start then), with
headers another system would use ("Matter No", "Timekeeper", "Date" in MM/DD/YYYY, …), so the
mapping is guessed as for a real file. Then, each in its own process on an untouched copy of
the firm (so ``ru_maxrss`` is that phase's peak memory):

* ``baseline``: the least any importer must do — ``csv.reader``, the matter and timekeeper ids
  from two dicts, the date and seconds, one ``executemany`` per 10,000 rows in one transaction;
  no validation at all;
* ``dry-run``: ``lexbill.imports.services.check_file`` (every rule, nothing written);
* ``commit``: ``commit_file`` (every rule, then the rows, all or nothing, one audit event).

Checks: commit ≥ 50,000 rows/s on SQLite and peak memory < 500 MiB (the issue's targets), the
commit wrote exactly the rows the dry run counted, and the database holds them. Exit status 1
if a check fails (targets are judged at full size only). Each phase's CPU seconds (user +
system, all threads) and the machine's load average are printed beside the wall-clock time:
on a shared machine the wall clock measures the neighbours too.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from generate import OUT_DIR, QUICK, Params, setup_django, summary

BENCH_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable
MIN_ROWS_PER_SECOND = 50_000
MAX_PEAK_MIB = 500.0
PHASES = ("baseline", "dry-run", "commit")
HEADERS = [
    *("Matter No", "Timekeeper", "Date", "Hours"),
    *("Task", "Activity", "Description", "Billable"),
]
FIRST_DAY = date(2024, 1, 1)  # the year before the generated firm's own work


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _firm_file(params: Params, regenerate: bool, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / f"firm-{params.key()}.sqlite3"
    if regenerate or not source.exists():
        partial = source.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        flags = [f"--{name}={value}" for name, value in vars(params).items()]
        print(f"generating {summary(params)} → {source.name}", flush=True)
        done = subprocess.run(
            [PYTHON, "generate.py", *flags, f"--database-url=sqlite:///{partial}"],
            cwd=BENCH_DIR,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit("generating the firm failed")
        partial.rename(source)
    return source


def write_csv(firm: Path, path: Path, rows: int, seed: int = 7) -> None:
    """Rows for open matters whose code set takes litigation codes, at most 10 h a day each."""
    rng = random.Random(seed)
    with sqlite3.connect(firm) as db:
        matters = [
            n
            for (n,) in db.execute(
                "SELECT number FROM clients_matter WHERE status = 'open' "
                "AND task_code_set IN ('', 'litigation') ORDER BY id"
            )
        ]
        keepers = [c for (c,) in db.execute("SELECT code FROM firm_timekeeper ORDER BY id")]
    tasks = ["L110", "L120", "L210", "L230", "L310", "L330", "L420", "L440"]
    activities = ["A101", "A102", "A103", "A104", "A105", "A106", "A107", "A108"]
    words = ("Draft", "Review", "Revise", "Analyze", "Prepare", "Attend", "Confer with client on")
    things = (
        "motion to compel",
        "deposition outline",
        "discovery responses",
        "expert report",
        "settlement terms",
        "privilege log",
        "trial exhibits",
        "case strategy memo",
    )
    days = [FIRST_DAY + timedelta(days=i) for i in range(366)]
    workdays = [d for d in days if d.weekday() < 5]
    booked: dict[tuple[str, date], int] = {}
    tmp = path.with_suffix(".partial")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADERS)
        written = 0
        while written < rows:
            keeper = rng.choice(keepers)
            day = rng.choice(workdays)
            tenths = rng.randint(1, 30)
            if booked.get((keeper, day), 0) + tenths > 100:
                continue
            booked[(keeper, day)] = booked.get((keeper, day), 0) + tenths
            out.writerow(
                [
                    rng.choice(matters),
                    keeper,
                    f"{day.month:02d}/{day.day:02d}/{day.year}",
                    f"{tenths / 10:.1f}",
                    rng.choice(tasks),
                    rng.choice(activities),
                    f"{rng.choice(words)} {rng.choice(things)} ({written + 1})",
                    "N/C" if rng.random() < 0.03 else "Yes",
                ]
            )
            written += 1
    tmp.rename(path)


# --- phases, each in its own process ---------------------------------------------------------


def phase_baseline(csv_path: Path) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    started = time.perf_counter()
    with connection.cursor() as cursor:
        matters = dict(cursor.execute("SELECT number, id FROM clients_matter").fetchall())
        keepers = dict(cursor.execute("SELECT code, id FROM firm_timekeeper").fetchall())
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        "INSERT INTO entries_timeentry (matter_id, timekeeper_id, work_date, duration_seconds, "
        "billed_minutes, narrative, task_code, activity_code, billable, state, created_at, "
        "created_by_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    count = 0
    with transaction.atomic(), csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            for matter, keeper, day, hours, task, activity, narrative, billable in reader:
                month, dom, year = day.split("/")
                seconds = int(hours.replace(".", "")) * 360
                batch.append(
                    (
                        matters[matter],
                        keepers[keeper],
                        f"{year}-{month}-{dom}",
                        seconds,
                        seconds // 60,
                        narrative,
                        task,
                        activity,
                        "no_charge" if billable == "N/C" else "billable",
                        "unbilled",
                        now,
                        None,
                    )
                )
                if len(batch) == 10_000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch.clear()
            cursor.executemany(sql, batch)
            count += len(batch)
    return {"seconds": time.perf_counter() - started, "rows": count}


def phase_import(csv_path: Path, commit: bool) -> dict[str, Any]:
    from lexbill.imports.services import run_import

    calls: list[tuple[int, int, int]] = []
    started = time.perf_counter()
    result = run_import(
        None,
        "time",
        csv_path,
        commit=commit,
        progress=lambda done, total, rows: calls.append((done, total, rows)),
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": result.rows,
        "created": result.counts.get("time", 0),
        "billed_hours": result.counts.get("billed_hours"),
        "problem_count": result.problem_count,
        "problems": [str(p) for p in result.problems[:5]],
        "committed": result.committed,
        "progress_calls": len(calls),
        "progress_last": list(calls[-1]) if calls else None,
    }


def phase_count(since: str) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COALESCE(SUM(billed_minutes), 0) FROM entries_timeentry "
            "WHERE work_date < %s",
            [since],
        )
        count, minutes = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM audit_auditrecord WHERE model = 'imports.ImportBatch'")
        (events,) = cursor.fetchone()
    return {"entries": count, "billed_minutes": minutes, "audit_events": events}


def _child_main(args: argparse.Namespace) -> None:
    setup_django(args.database_url)
    csv_path = Path(args.csv)
    cpu_before = _cpu_seconds()
    if args.phase == "baseline":
        result = phase_baseline(csv_path)
    else:
        result = phase_import(csv_path, commit=args.phase == "commit")
    result["cpu_seconds"] = _cpu_seconds() - cpu_before
    result["load"] = os.getloadavg()[0]
    result.update(phase_count("2025-01-01"))
    result["peak_mib"] = _peak_mib()
    print(json.dumps(result))


def _run_child(phase: str, url: str, csv_path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, __file__, "--phase", phase, "--database-url", url, "--csv", str(csv_path)],
        cwd=BENCH_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"phase {phase} failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _mark(ok: bool | None) -> str:
    return "info" if ok is None else "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="20,000 rows into a small firm")
    parser.add_argument(
        "--firm-entries", type=int, default=1000, help="the firm's own time entries (1,000)"
    )
    parser.add_argument("--rows", type=int, help="time rows in the CSV (default 1,000,000)")
    parser.add_argument("--regenerate", action="store_true", help="ignore a cached firm and CSV")
    parser.add_argument("--out-dir", default=str(OUT_DIR), help="where firms and CSVs are cached")
    parser.add_argument("--write", action="store_true", help="write the figures to IMPORTS.md")
    parser.add_argument("--json", action="store_true", help="print the results as JSON last")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _child_main(args)
        return
    size = replace(QUICK, matters=500) if args.quick else Params()
    params = replace(size, entries=args.firm_entries)
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    out_dir = Path(args.out_dir)
    firm = _firm_file(params, args.regenerate, out_dir)
    csv_path = out_dir / f"import-time-{rows}-{firm.stem}.csv"
    if args.regenerate or not csv_path.exists():
        started = time.perf_counter()
        write_csv(firm, csv_path, rows)
        print(f"wrote {rows:,} rows to {csv_path.name} in {time.perf_counter() - started:.1f} s")
    size_mib = csv_path.stat().st_size / 2**20

    results: dict[str, dict[str, Any]] = {}
    for phase in PHASES:
        copy = out_dir / f"import-phase-{phase}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(firm, copy)
        try:
            results[phase] = _run_child(phase, f"sqlite:///{copy}", csv_path)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        r = results[phase]
        print(
            f"  {phase:9} {r['seconds']:7.2f} s  {r['rows'] / r['seconds']:>9,.0f} rows/s  "
            f"cpu {r['cpu_seconds']:6.2f} s  peak {r['peak_mib']:6.1f} MiB  "
            f"load {r['load']:.1f}",
            flush=True,
        )

    base, dry, commit = results["baseline"], results["dry-run"], results["commit"]
    full = rows >= 1_000_000
    commit_rate = commit["rows"] / commit["seconds"]
    checks: list[tuple[str, str, bool | None]] = [
        (
            f"commit ≥ {MIN_ROWS_PER_SECOND:,} rows/s",
            f"{commit_rate:,.0f} rows/s",
            commit_rate >= MIN_ROWS_PER_SECOND if full else None,
        ),
        (
            f"peak memory < {MAX_PEAK_MIB:.0f} MiB (dry run, commit)",
            f"{dry['peak_mib']:.1f} / {commit['peak_mib']:.1f} MiB",
            max(dry["peak_mib"], commit["peak_mib"]) < MAX_PEAK_MIB if full else None,
        ),
        (
            "no problems in the file",
            f"{dry['problem_count']} / {commit['problem_count']}",
            dry["problem_count"] == 0 and commit["problem_count"] == 0,
        ),
        (
            "dry run wrote nothing",
            f"{dry['entries']:,} entries before 2025",
            dry["entries"] == 0 and dry["audit_events"] == 0,
        ),
        (
            "commit wrote what the dry run counted",
            f"{dry['created']:,} counted, {commit['entries']:,} stored",
            dry["created"] == commit["created"] == commit["entries"] == rows
            and commit["committed"],
        ),
        (
            "same billed time as the baseline's arithmetic",
            f"{commit['billed_minutes']:,} / {base['billed_minutes']:,} min",
            commit["billed_minutes"] == base["billed_minutes"],
        ),
        (
            "one audit event for the import",
            str(commit["audit_events"]),
            commit["audit_events"] == 1,
        ),
        (
            "progress reported to the end",
            f"{commit['progress_calls']} calls",
            commit["progress_last"] is not None
            and commit["progress_last"][0] == commit["progress_last"][1],
        ),
    ]
    print()
    print(
        f"Import benchmark on SQLite: {rows:,} time rows ({size_mib:.0f} MiB CSV) into a firm "
        f"of {summary(params)}"
    )
    heading = f"{'phase':10} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'peak MiB':>9}"
    table = [f"{heading} {'× base':>7} {'CPU s':>7} {'rows/CPU s':>11} {'load':>5}"]
    for phase in PHASES:
        r = results[phase]
        table.append(
            f"{phase:10} {r['rows']:>10,} {r['seconds']:>9.2f} {r['rows'] / r['seconds']:>10,.0f}"
            f" {r['peak_mib']:>9.1f} {r['seconds'] / base['seconds']:>7.2f}"
            f" {r['cpu_seconds']:>7.2f} {r['rows'] / r['cpu_seconds']:>11,.0f} {r['load']:>5.1f}"
        )
    print("\n".join(table))
    print()
    for label, value, ok in checks:
        print(f"{_mark(ok)}  {label:46} {value}")
    if args.write:
        _write_markdown(rows, size_mib, params, table, checks)
    if args.json:
        print(
            json.dumps(
                {
                    "rows": rows,
                    "results": results,
                    "checks": [[label, value, ok] for label, value, ok in checks],
                }
            )
        )
    if any(ok is False for _, _, ok in checks):
        raise SystemExit(1)


def _write_markdown(
    rows: int,
    size_mib: float,
    params: Params,
    table: list[str],
    checks: list[tuple[str, str, bool | None]],
) -> None:
    import platform

    lines = [
        "# Import benchmark",
        "",
        f"`bench/imports.py`: {rows:,} time entries from one CSV ({size_mib:.0f} MiB) into the "
        f"synthetic firm ({summary(params)}), on SQLite, {platform.python_implementation()} "
        f"{platform.python_version()}, measured {time.strftime('%Y-%m-%d', time.gmtime())}. "
        "Each phase runs in its own process on a fresh copy of the firm; peak memory is that "
        "process's `ru_maxrss`, CPU seconds its user + system time (all threads), load the "
        "machine's 1-minute load average when the phase ended (2 cores).",
        "",
        "```",
        *table,
        "```",
        "",
        "| check | measured | |",
        "| --- | --- | --- |",
        *(f"| {label} | {value} | {_mark(ok)} |" for label, value, ok in checks),
        "",
        "`baseline` is the least an importer can do: `csv.reader`, two dict lookups, the date "
        "and the seconds, `executemany` in one transaction, no checks. `dry-run` and `commit` "
        "apply every rule typed time obeys (open matter, known UTBMS codes in the matter's code "
        "set, a rate in force, at most 24 hours per timekeeper and day counting what is "
        "recorded, duplicate rows) and keep every problem by row and column; `commit` also "
        "writes the rows in one transaction and one audit event.",
        "",
        "The commit beats the bare `executemany` because the baseline inserts into the time "
        "table's seven live indexes row by row, while a large commit on SQLite drops them in its "
        "transaction and rebuilds each once by sorting; the checks alone run at the dry run's "
        "rate.",
        "",
    ]
    target = BENCH_DIR / "IMPORTS.md"
    kept = ""
    if target.exists():  # the bill-run firm's figures, measured with --firm-entries 1000000
        text = target.read_text(encoding="utf-8")
        marker = text.find("\n## Into the bill-run firm")
        kept = text[marker:] if marker >= 0 else ""
    target.write_text("\n".join(lines) + kept, encoding="utf-8")


if __name__ == "__main__":
    main()
