"""The bill-run benchmark: one command, a synthetic firm, the real run against a raw-SQL baseline.

    .venv/bin/python bench/run.py                      # full size on SQLite (bench/out/)
    .venv/bin/python bench/run.py --quick              # a smoke run in seconds
    .venv/bin/python bench/run.py --database-url postgresql://postgres@127.0.0.1:5432/lexbill_bench

Steps: generate the firm once (SQLite: cached in bench/out/ by parameters and seed; PostgreSQL:
the database named in the URL, re-created, kept as a template and reused while its parameters
match), then for each phase (baseline, real) take an untouched copy (a file copy, or CREATE
DATABASE … TEMPLATE), run the phase in its own process so its ru_maxrss is its peak memory, and
digest what it wrote. Both phases must write identical pre-bills and lines (compared by SHA-256
over every row), and the real run must meet the targets below. Exit status 1 if anything fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from generate import OUT_DIR, QUICK, Params, _add_params, is_postgres, params_from, summary

BENCH_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable

MAX_SECONDS = 20.0
MAX_PEAK_MIB = 500.0
MAX_RATIO = 5.0
PHASES = ("baseline", "real")


def _child(*args: str) -> dict[str, Any]:
    """Run bench/<script> in a fresh interpreter; its last stdout line is a JSON result."""
    done = subprocess.run(
        [PYTHON, *args], cwd=BENCH_DIR, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{' '.join(args[:2])} failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _generate(params: Params, url: str) -> float:
    started = time.perf_counter()
    flags = [f"--{name}={value}" for name, value in vars(params).items()]
    done = subprocess.run(
        [PYTHON, "generate.py", *flags, f"--database-url={url}"], cwd=BENCH_DIR, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"generating {url} failed")
    return time.perf_counter() - started


class SQLiteFiles:
    """A generated file cached by parameters; each phase gets its own fresh copy."""

    def __init__(self, params: Params, regenerate: bool) -> None:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        self.source = OUT_DIR / f"firm-{params.key()}.sqlite3"
        if regenerate or not self.source.exists():
            partial = self.source.with_suffix(".partial")
            self._remove(partial)
            print(f"generating {summary(params)} → {self.source.name}", flush=True)
            seconds = _generate(params, f"sqlite:///{partial}")
            partial.rename(self.source)  # only complete files are ever cached
            print(f"generated in {seconds:.1f} s", flush=True)
        else:
            print(f"reusing {self.source.name}", flush=True)

    @staticmethod
    def _remove(path: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)

    def fresh(self, phase: str) -> str:
        copy = OUT_DIR / f"phase-{phase}.sqlite3"
        self._remove(copy)
        shutil.copyfile(self.source, copy)
        return f"sqlite:///{copy}"

    def drop(self, phase: str) -> None:
        self._remove(OUT_DIR / f"phase-{phase}.sqlite3")

    def drop_source(self) -> None:
        self._remove(self.source)


class PostgresDatabases:
    """The URL's database holds the generated firm; each phase runs on a copy made from it."""

    def __init__(self, url: str, params: Params, regenerate: bool) -> None:
        import psycopg
        from psycopg import sql

        parts = urlsplit(url)
        self.url = url
        self.name = parts.path.lstrip("/") or "lexbill_bench"
        self._parts = parts
        self.admin = psycopg.connect(self._url_for("postgres"), autocommit=True)
        key = f"lexbill bench {params.key()}"
        found = self.admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [self.name],
        ).fetchone()
        if regenerate or found is None or found[0] != key:
            print(f"generating {summary(params)} → database {self.name}", flush=True)
            self._recreate(self.name)
            seconds = _generate(params, self._url_for(self.name))
            comment = sql.SQL("COMMENT ON DATABASE {} IS {}")
            self.admin.execute(comment.format(sql.Identifier(self.name), sql.Literal(key)))
            print(f"generated in {seconds:.1f} s", flush=True)
        else:
            print(f"reusing database {self.name}", flush=True)

    def _url_for(self, database: str) -> str:
        return urlunsplit(self._parts._replace(path=f"/{database}"))

    def _recreate(self, database: str, template: str | None = None) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if template:
            # FILE_COPY clones the files (with their statistics) instead of WAL-logging each page.
            self.admin.execute(
                f'CREATE DATABASE "{database}" TEMPLATE "{template}" STRATEGY FILE_COPY'
            )
        else:
            self.admin.execute(f'CREATE DATABASE "{database}"')

    def fresh(self, phase: str) -> str:
        copy = f"{self.name}_{phase}"
        self._recreate(copy, template=self.name)
        self.admin.execute("CHECKPOINT")
        return self._url_for(copy)

    def drop(self, phase: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}_{phase}" WITH (FORCE)')

    def drop_source(self) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _mark(ok: bool | None) -> str:
    return "info" if ok is None else "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _add_params(parser)
    parser.add_argument("--quick", action="store_true", help=f"smoke size: {summary(QUICK)}")
    parser.add_argument("--database-url", help="postgresql://… (default: SQLite in bench/out/)")
    parser.add_argument("--regenerate", action="store_true", help="ignore a cached firm")
    parser.add_argument("--repeat", type=int, default=1, help="runs per phase; the best counts")
    parser.add_argument("--keep", action="store_true", help="keep the phase databases")
    parser.add_argument("--drop", action="store_true", help="remove the generated firm at the end")
    args = parser.parse_args()
    params = QUICK if args.quick else params_from(args)
    url = args.database_url
    engine = "PostgreSQL" if url and is_postgres(url) else "SQLite"
    store: SQLiteFiles | PostgresDatabases = (
        PostgresDatabases(url, params, args.regenerate)
        if url and is_postgres(url)
        else SQLiteFiles(params, args.regenerate)
    )
    _child("phase.py", "check-formulas")

    results: dict[str, dict[str, Any]] = {}
    digests: dict[str, dict[str, Any]] = {}
    rate_check: dict[str, Any] | None = None
    for _ in range(args.repeat):
        for phase in PHASES:
            phase_url = store.fresh(phase)
            result = _child(
                "phase.py", "bill", phase, "--database-url", phase_url,
                "--through", params.through.isoformat(),
            )  # fmt: skip
            print(
                f"  {phase:8} {result['seconds']:7.2f} s  peak {result['peak_mib']:6.1f} MiB",
                flush=True,
            )
            best = results.get(phase)
            if best is None or result["seconds"] < best["seconds"]:
                results[phase] = result
            if phase not in digests:
                digests[phase] = _child("phase.py", "digest", "--database-url", phase_url)
            if rate_check is None:
                rate_check = _child("phase.py", "check-rates", "--database-url", phase_url)
            if not args.keep:
                store.drop(phase)

    if args.drop:
        store.drop_source()
    real, base = results["real"], results["baseline"]
    assert rate_check is not None
    ratio = real["seconds"] / base["seconds"]
    print()
    print(f"Bill run benchmark on {engine}: {summary(params)}, through {params.through}")
    print(f"{'phase':10} {'entries':>10} {'seconds':>9} {'entries/s':>11} {'peak MiB':>9}")
    for phase in PHASES:
        r = results[phase]
        entries = r["time_lines"] + r["expense_lines"]
        print(
            f"{phase:10} {entries:>10,} {r['seconds']:>9.2f} {entries / r['seconds']:>11,.0f} "
            f"{r['peak_mib']:>9.1f}"
        )
    checks: list[tuple[str, str, bool | None]] = [
        # The issue sets the time target for SQLite; on PostgreSQL it is reported, not judged.
        (f"real run < {MAX_SECONDS:.0f} s (target on SQLite)", f"{real['seconds']:.2f} s",
         real["seconds"] < MAX_SECONDS if engine == "SQLite" else None),
        (f"peak memory < {MAX_PEAK_MIB:.0f} MiB", f"{real['peak_mib']:.1f} MiB",
         real["peak_mib"] < MAX_PEAK_MIB),
        (f"real / baseline ≤ {MAX_RATIO:.0f}×", f"{ratio:.2f}×", ratio <= MAX_RATIO),
    ]  # fmt: skip
    d_real, d_base = digests["real"], digests["baseline"]
    same_counts = all(real[k] == base[k] for k in ("prebills", "time_lines", "expense_lines"))
    progress_ok = real["progress_last"] == [real["time_lines"] + real["expense_lines"]] * 2
    checks += [
        ("same counts", f"{real['prebills']:,} pre-bills, {real['time_lines']:,} time + "
         f"{real['expense_lines']:,} expense lines", same_counts),
        ("same pre-bills (SHA-256 of every row)", d_real["prebills_sha256"][:16],
         d_real["prebills_sha256"] == d_base["prebills_sha256"]),
        ("same lines (SHA-256 of every row)", d_real["lines_sha256"][:16],
         d_real["lines_sha256"] == d_base["lines_sha256"]),
        ("same aggregates and entry states", "by kind/source, states",
         all(d_real[k] == d_base[k] for k in d_real if not k.endswith("sha256"))),
        ("progress reported to the end", f"{real['progress_calls']} calls", progress_ok),
        ("rate periods = RateBook.resolve (random)",
         f"{rate_check['checked']:,} rates + {rate_check['no_rate']:,} none, "
         f"{rate_check['extra_rates']:,} extra rate rows", True),
        ("integer pricing = core.invoice_math", "checked before the runs", True),
    ]  # fmt: skip
    print()
    print(f"{'kind':8} {'rate source':22} {'lines':>10} {'SUM(amount)':>16} {'SUM(rate)':>18}")
    for kind, source, n, amount, rate, _minutes in d_real["by_source"]:
        print(f"{kind:8} {source or '-':22} {n:>10,} {amount / 100:>16,.2f} {rate / 10**4:>18,.4f}")
    print()
    for label, value, ok in checks:
        print(f"{_mark(ok)}  {label:40} {value}")
    print(f"\nratio real/baseline: {ratio:.2f}")
    if any(ok is False for _, _, ok in checks):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
