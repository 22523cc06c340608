"""Taking all of the synthetic firm's data out: the archive (and optionally Excel and the load).

    .venv/bin/python bench/exports.py                  # 200,000 time entries on SQLite
    .venv/bin/python bench/exports.py --quick          # 50,000 entries
    .venv/bin/python bench/exports.py --xlsx --load    # also the Excel workbook and the load
    .venv/bin/python bench/exports.py --database-url postgresql://postgres@127.0.0.1:5432/exports_bench
    .venv/bin/python bench/exports.py --source bench/out/firm-….sqlite3   # an existing firm, copied

The firm is ``generate.py``'s (timekeepers, clients, matters, rates, time entries, expenses),
generated fresh into ``bench/out/exports-firm-….sqlite3`` (reused while its parameters and the
migrations are unchanged) or into the PostgreSQL database named (dropped and re-created first).
``--source`` copies an existing SQLite firm instead, e.g. the cached million-entry one, and never
writes to the original.

Each measurement runs in a fresh process: Django is set up, the resident memory noted, then the
export (``write_archive``, or ``write_workbook``; the load is ``load_archive`` into a fresh
database of the same engine) runs once, and the process's peak resident memory is read from the
kernel. Printed: rows and rows/s, MB written, peak memory and its growth over the set-up process.
A bounded-memory export shows the same growth at 50,000 and at 1,000,000 entries.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import OUT_DIR, QUICK, Params, is_postgres, setup_django

BENCH = Params(timekeepers=100, clients=400, matters=4_000, entries=200_000, months=6)
PARAM_NAMES = ("timekeepers", "clients", "matters", "entries", "months", "seed")
PYTHON = sys.executable


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- in the measuring process -------------------------------------------------------------------


def measure(what: str, url: str, archive: Path, target_url: str | None) -> dict[str, Any]:
    setup_django(target_url if what == "load" and target_url else url)
    from django.core.management import call_command
    from django.db import connection

    from lexbill.exports.archive import write_archive
    from lexbill.exports.loader import load_archive
    from lexbill.exports.tables import exported_tables
    from lexbill.exports.workbook import write_workbook

    # The target of a load is new; a copied firm may predate the latest migrations (applied to
    # the copy only); a generated one is already up to date.
    call_command("migrate", verbosity=0, skip_checks=True)
    connection.ensure_connection()
    exported_tables()
    base = _rss_mb()
    started = time.perf_counter()
    if what == "archive":
        manifest = write_archive(str(archive))
        rows, written = manifest.rows, archive.stat().st_size
    elif what == "xlsx":
        out = archive.with_suffix(".xlsx")
        sheets = write_workbook(str(out))
        rows, written = sum(s.rows for s in sheets), out.stat().st_size
    else:
        summary = load_archive(archive)
        rows, written = summary.rows, archive.stat().st_size
    seconds = time.perf_counter() - started
    return {
        "what": what,
        "engine": connection.vendor,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "mb": round(written / 1_000_000, 1),
        "rss_base_mb": round(base, 1),
        "rss_peak_mb": round(_peak_mb(), 1),
        "rss_growth_mb": round(_peak_mb() - base, 1),
    }


# --- the driver ---------------------------------------------------------------------------------


def _run_measure(
    what: str, url: str, archive: Path, target_url: str | None = None
) -> dict[str, Any]:
    command = [PYTHON, __file__, "measure", what, "--database-url", url, "--archive", str(archive)]
    if target_url:
        command += ["--target-url", target_url]
    env = {**os.environ, "LEXBILL_SECRET_KEY": "bench-only-secret-key"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout))


def _generate(params: Params, url: str) -> None:
    args = [f"--{name}={getattr(params, name)}" for name in PARAM_NAMES]
    _log(f"generating {params.entries:,} entries into {url}")
    subprocess.run(
        [PYTHON, str(Path(__file__).with_name("generate.py")), *args, "--database-url", url],
        check=True,
    )


def _fresh_postgres(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _sqlite_firm(params: Params, source: Path | None) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if source is not None:
        copy = OUT_DIR / f"exports-copy-{source.name}"
        if not copy.exists() or copy.stat().st_mtime < source.stat().st_mtime:
            _log(f"copying {source} to {copy}")
            shutil.copyfile(source, copy)
        return copy
    path = OUT_DIR / f"exports-firm-{params.key()}.sqlite3"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            stale.unlink(missing_ok=True)
        _generate(params, f"sqlite:///{partial}")
        partial.rename(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=["run", "measure"])
    parser.add_argument("what", nargs="?", default="archive", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="the 50,000-entry firm")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--source", type=Path, default=None, help="an existing SQLite firm")
    parser.add_argument("--xlsx", action="store_true", help="also the Excel workbook")
    parser.add_argument("--load", action="store_true", help="also load the archive back")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument("--archive", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--target-url", default=None, help=argparse.SUPPRESS)
    for name in PARAM_NAMES:
        parser.add_argument(f"--{name}", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "measure":
        print(json.dumps(measure(args.what, args.database_url, args.archive, args.target_url)))
        return 0

    defaults = QUICK if args.quick else BENCH
    params = Params(
        **{
            n: getattr(args, n) if getattr(args, n) is not None else getattr(defaults, n)
            for n in PARAM_NAMES
        }
    )
    workdir = Path(tempfile.mkdtemp(prefix="lexbill-exports-"))
    os.environ["LEXBILL_DATA_DIR"] = str(workdir)
    archive = workdir / "firm.zip"
    try:
        if args.database_url and is_postgres(args.database_url):
            url = args.database_url
            _fresh_postgres(url)
            _generate(params, url)
            target = f"{url}_load"
        else:
            url = f"sqlite:///{_sqlite_firm(params, args.source)}"
            target = f"sqlite:///{workdir / 'loaded.sqlite3'}"
        results = [_run_measure("archive", url, archive)]
        if args.xlsx:
            results.append(_run_measure("xlsx", url, archive))
        if args.load:
            if is_postgres(target):
                _fresh_postgres(target)
            results.append(_run_measure("load", url, archive, target))
            if is_postgres(target):
                _drop_postgres(target)
        described = "existing firm " + args.source.name if args.source else _describe(params)
        print(f"\n{described}, {results[0]['engine']}")
        print(
            f"{'':8} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'MB':>7} "
            f"{'peak RSS':>9} {'growth':>7}"
        )
        for r in results:
            print(
                f"{r['what']:8} {r['rows']:>10,} {r['seconds']:>8.1f} {r['rows_per_second']:>9,} "
                f"{r['mb']:>7.1f} {r['rss_peak_mb']:>7.0f}MB {r['rss_growth_mb']:>5.0f}MB"
            )
        if args.json:
            print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _describe(params: Params) -> str:
    return (
        f"{params.entries:,} time entries, {params.matters:,} matters, "
        f"{params.timekeepers} timekeepers"
    )


def _drop_postgres(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
