"""LEDES benchmark: write and validate N LEDES lines, against Python's csv module on the same bytes.

    .venv/bin/python bench/ledes.py                 # 1,000,000 lines, LEDES 1998B
    .venv/bin/python bench/ledes.py --lines 100000 --format 98BI
    .venv/bin/python bench/ledes.py --repeat 3      # best of 3 runs of each timing

Builds synthetic invoices (fees, expenses, write-downs, a discount line per invoice, some
non-ASCII narratives), then times, in one run: the writer (``export_ledes``), the validator
(``validate_ledes``), ``csv.writer`` writing the very same rows pipe-delimited (its output is
checked to be byte-identical) and ``csv.reader`` reading them back. Targets: at least 100,000
lines/s for the writer and for the validator, and each within 5x of csv on the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from lexbill.formats.utbms import CodeKind, codes_of
from lexbill.ledes import (
    ClientRules,
    InternationalDetails,
    Invoice,
    LedesFormat,
    LineItem,
    LineType,
    Party,
    export_ledes,
    percentage_discount,
    validate_ledes,
)

TARGET_LINES_PER_SECOND = 100_000
TARGET_RATIO = 5.0
LINES_PER_INVOICE = 200

T = TypeVar("T")

_VOCABULARY = (
    "review draft revise analyze prepare attend call conference research motion discovery "
    "deposition witness expert settlement pleading brief memo client counsel court hearing "
    "exhibit production privilege log strategy correspondence agreement schedule filing"
)
_WORDS = _VOCABULARY.split()
_ODD = ("Müller’s", "“draft”", "café", "—", "§ 1983", "Søren", "naïve", "résumé", "½ day")


def _timekeepers(rng: random.Random) -> list[tuple[str, str, str, Decimal]]:
    classes = ("PARTNR", "ASSOC", "OFCOUN", "PARALG", "LGLAST")
    keepers = []
    for index in range(60):
        classification = classes[index % len(classes)]
        rate = Decimal(rng.randrange(150, 950, 5))
        keepers.append((f"TK{index:04d}", f"Name{index}, Given{index}", classification, rate))
    return keepers


def _narrative(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 16))
    if rng.random() < 0.05:
        words.insert(rng.randrange(len(words)), rng.choice(_ODD))
    return " ".join(words).capitalize()


def build_invoices(lines: int, fmt: LedesFormat, seed: int = 42) -> list[Invoice]:
    """Invoices of about 200 lines each adding up to ``lines`` LEDES lines."""
    rng = random.Random(seed)
    keepers = _timekeepers(rng)
    tasks = [c.code for c in codes_of(CodeKind.TASK) if c.code_set == "litigation"]
    activities = [c.code for c in codes_of(CodeKind.ACTIVITY)]
    expenses = [c.code for c in codes_of(CodeKind.EXPENSE)]
    start = date(2026, 1, 1)
    end = date(2026, 1, 31)
    invoices = []
    made = 0
    number = 0
    while made < lines:
        number += 1
        count = min(LINES_PER_INVOICE, lines - made)
        items: list[LineItem] = []
        priced = count - 1 if count > 1 else count
        for index in range(priced):
            day = start + timedelta(days=rng.randrange(31))
            if rng.random() < 0.08:
                items.append(
                    LineItem(
                        number=str(index + 1),
                        type=LineType.EXPENSE,
                        date=day,
                        units=Decimal(rng.randint(1, 20)),
                        unit_cost=Decimal(rng.randrange(10, 5000)) / 100,
                        expense_code=rng.choice(expenses),
                        description=_narrative(rng),
                    )
                )
                continue
            keeper_id, name, classification, rate = rng.choice(keepers)
            units = Decimal(rng.randint(1, 80)) / 10
            write_down = Decimal(0)
            if rng.random() < 0.03:
                write_down = -(units * rate / 4).quantize(Decimal("0.01"))
            items.append(
                LineItem(
                    number=str(index + 1),
                    type=LineType.FEE,
                    date=day,
                    units=units,
                    unit_cost=rate,
                    adjustment=write_down,
                    task_code=rng.choice(tasks),
                    activity_code=rng.choice(activities),
                    timekeeper_id=keeper_id,
                    timekeeper_name=name,
                    timekeeper_classification=classification,
                    description=_narrative(rng),
                )
            )
        if count > 1:
            discount = percentage_discount(items, Decimal("0.05"), str(count), end)
            items.append(
                discount
                or LineItem(str(count), LineType.FEE_ADJUSTMENT, end, description="No discount")
            )
        international = None
        if fmt is LedesFormat.LEDES_98BI:
            international = InternationalDetails(
                client_tax_id="GB123456789",
                matter_name=f"Matter {number}",
                tax_rate=Decimal("0.2"),
                tax_type="VAT",
                law_firm=Party("Smith & Jones LLP", "1 Fleet Street", city="London", country="GB"),
                client=Party("Widgets plc", city="Leeds", country="GB"),
            )
        invoices.append(
            Invoice(
                number=f"INV{number:07d}",
                date=date(2026, 2, 1),
                client_id=f"C{number % 97:04d}",
                law_firm_id="24-6437381",
                law_firm_matter_id=f"M{number:06d}",
                billing_start=start,
                billing_end=end,
                lines=tuple(items),
                description="For services rendered",
                client_matter_id=f"CM-{number % 1000}",
                currency="GBP",
                international=international,
            )
        )
        made += count
    return invoices


def timed(work: Callable[[], T]) -> tuple[T, float]:
    gc.collect()
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def best_of(repeat: int, work: Callable[[], T]) -> tuple[T, float, float]:
    """The result, and the fastest wall-clock and CPU seconds over ``repeat`` runs."""
    walls, cpus = [], []
    result: T | None = None
    for _ in range(repeat):
        result = None  # let the previous result go before running again
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return result, min(walls), min(cpus)


def csv_write(rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, delimiter="|", quoting=csv.QUOTE_NONE, quotechar=None, lineterminator="\n"
    )
    writer.writerows(rows)
    return buffer.getvalue()


def time_csv_write(text: str, repeat: int) -> tuple[str, float, float]:
    """csv.writer's time to write the file's own rows (split beforehand, not timed)."""
    rows = [line.split("|") for line in text.split("\n")[:-1]]
    return best_of(repeat, lambda: csv_write(rows))


def csv_read(text: str) -> int:
    count = 0
    for _ in csv.reader(io.StringIO(text, newline=""), delimiter="|", quoting=csv.QUOTE_NONE):
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="LEDES lines (1,000,000)")
    parser.add_argument(
        "--format", choices=[f.value for f in LedesFormat], default=LedesFormat.LEDES_1998B.value
    )
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs of each timing")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    fmt = LedesFormat(args.format)
    repeat = max(1, args.repeat)

    invoices, built = timed(lambda: build_invoices(args.lines, fmt, args.seed))
    lines = sum(len(invoice.lines) for invoice in invoices)
    load = os.getloadavg()[0]
    print(
        f"LEDES {fmt.value}: {lines:,} lines in {len(invoices):,} invoices "
        f"(built in {built:.1f} s); load average {load:.1f} on {os.cpu_count()} CPUs, "
        f"best of {repeat}"
    )
    export, write_time, write_cpu = best_of(
        repeat, lambda: export_ledes(invoices, fmt, ClientRules())
    )
    text = export.text
    invoices.clear()  # the validator and csv get the machine without them
    report, validate_time, validate_cpu = best_of(repeat, lambda: validate_ledes(text))
    written, csv_write_time, csv_write_cpu = time_csv_write(text, repeat)
    read, csv_read_time, csv_read_cpu = best_of(repeat, lambda: csv_read(text))
    print(f"  {'':10} {'wall s':>7} {'lines/s':>10} {'cpu s':>7}")
    for label, wall, cpu in (
        ("export", write_time, write_cpu),
        ("validate", validate_time, validate_cpu),
        ("csv write", csv_write_time, csv_write_cpu),
        ("csv read", csv_read_time, csv_read_cpu),
    ):
        print(f"  {label:10} {wall:7.2f} {lines / wall:>10,.0f} {cpu:7.2f}")
    print(f"  ({len(text) / 1e6:.0f} MB written, {len(export.changes):,} text changes reported)")

    checks = [
        ("the export validates with no problem", not report.problems),
        ("the validator saw every line", report.line_items == lines),
        ("csv wrote the very same bytes", written == text),
        ("csv read every line", read == lines + 2),
    ]
    write_ratio = write_time / csv_write_time
    read_ratio = validate_time / csv_read_time
    targets = [
        (f"export >= {TARGET_LINES_PER_SECOND:,} lines/s", lines / write_time, True),
        (f"validate >= {TARGET_LINES_PER_SECOND:,} lines/s", lines / validate_time, True),
        (f"export within {TARGET_RATIO:g}x csv write ({write_ratio:.2f}x)", write_ratio, False),
        (f"validate within {TARGET_RATIO:g}x csv read ({read_ratio:.2f}x)", read_ratio, False),
    ]
    failed = False
    for label, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
        failed |= not ok
    for label, value, is_rate in targets:
        ok = value >= TARGET_LINES_PER_SECOND if is_rate else value <= TARGET_RATIO
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
        failed |= not ok
    for problem in report.problems[:10]:
        print(f"    {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
