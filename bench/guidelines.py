"""Guidelines benchmark: check N entries against a 25-rule client guideline.

    .venv/bin/python bench/guidelines.py                  # 1,000,000 entries
    .venv/bin/python bench/guidelines.py --entries 100000 --repeat 3

Builds a synthetic client (not timed): 240 timekeepers over 60 matters and as many days
as keep each timekeeper near 5 hours a day, mostly
distinct narratives written from a legal vocabulary, 8% expenses, and a few percent of lines
breaking each rule (vague or block-billed narratives, clerical work, internal conferences,
travel, research, off-increment time, rates above the cap, summer associates, unapproved
timekeepers, late entries, duplicates, overhead and over-cap expenses, missing receipts, wrong
codes, long days, crowded depositions, matters over budget). Then times ``check_lines`` on all
of it with the 25-rule document (the insurance-defense template less four rules, so one rule of
each of 25 types), and prints entries/s, CPU time, the load average and the findings per rule.
Target (issue 5): at least 100,000 entries/s. Exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from lexbill.core.invoice_math import time_amount
from lexbill.formats.utbms import CodeKind, codes_of
from lexbill.guidelines import (
    CheckContext,
    CheckResult,
    GuidelineDocument,
    Line,
    LineKind,
    MatterFacts,
    RateIncrease,
    check_lines,
    compile_guidelines,
    load_template,
)

TARGET_ENTRIES_PER_SECOND = 100_000
LEFT_OUT = ("billing-about-billing", "new-staff", "appeals", "phase-budget")
START = date(2024, 1, 1)
ENTRIES_PER_DAY = 600
"""Entries per calendar day over the whole firm: about 2.5 entries and 4 hours per timekeeper per
day, so a batch of any size has the same share of long days."""


def _words(text: str) -> list[str]:
    return text.split()


_SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts"
)
_DOCUMENTS = (
    "motion to compel",
    "motion for summary judgment",
    "opposition brief",
    "reply brief",
    "deposition transcript",
    "expert report",
    "document production",
    "privilege log",
    "interrogatory responses",
    "requests for admission",
    "settlement demand",
    "mediation statement",
    "protective order",
    "case management statement",
    "witness outline",
    "exhibit list",
    "medical records",
    "claim file",
    "coverage letter",
    "subpoena",
)
_TOPICS = (
    "causation",
    "damages",
    "liability",
    "coverage",
    "statute of limitations",
    "expert opinions",
    "discovery deficiencies",
    "settlement strategy",
    "trial schedule",
    "comparative fault",
    "spoliation",
    "indemnity",
    "lien resolution",
    "venue",
    "jurisdiction",
    "punitive damages",
)
_VERBS = (
    "Review and analyze",
    "Draft",
    "Revise",
    "Prepare",
    "Analyze",
    "Outline",
    "Summarize",
    "Edit",
    "Finalize",
)
_VAGUE = ("Attention to file", "Review documents", "Work on matter", "Telephone call", "Emails")
_CLERICAL = ("Organize and index {doc} for production", "Scheduling deposition of {name}")
_CITIES = ("Chicago", "Denver", "Atlanta", "Boston", "Dallas", "Phoenix")


def _good_narrative(rng: random.Random) -> str:
    doc = rng.choice(_DOCUMENTS)
    name = rng.choice(_SURNAMES)
    topic = rng.choice(_TOPICS)
    form = rng.randrange(5)
    if form == 0:
        return f"{rng.choice(_VERBS)} {doc} of {name} regarding {topic}"
    if form == 1:
        return f"Telephone conference with adjuster {name} regarding {topic} and {doc}"
    if form == 2:
        return f"{rng.choice(_VERBS)} {doc} addressing {topic} (pages {rng.randrange(1, 400)})"
    if form == 3:
        return f"Correspondence with opposing counsel {name} concerning {doc} and {topic}"
    return f"{rng.choice(_VERBS)} analysis of {topic} for {doc} per {name} comments"


def _narrative(rng: random.Random) -> tuple[str, bool]:
    """A narrative and whether it is travel."""
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(_VAGUE), False
    if roll < 0.04:
        return f"{_good_narrative(rng)}; {_good_narrative(rng).lower()}", False
    if roll < 0.05:
        template = rng.choice(_CLERICAL)
        return template.format(doc=rng.choice(_DOCUMENTS), name=rng.choice(_SURNAMES)), False
    if roll < 0.06:
        return f"Conference with associate regarding {rng.choice(_TOPICS)}", False
    if roll < 0.07:
        return f"Travel to {rng.choice(_CITIES)} for deposition of {rng.choice(_SURNAMES)}", True
    if roll < 0.075:
        return f"Research case law regarding {rng.choice(_TOPICS)}", False
    return _good_narrative(rng), False


def build_batch(entries: int, seed: int = 42) -> tuple[list[Line], CheckContext]:
    rng = random.Random(seed)
    days = max(30, entries // ENTRIES_PER_DAY)
    classes = ["partner"] * 3 + ["associate"] * 5 + ["paralegal"] * 3
    caps = {"partner": 275, "associate": 225, "paralegal": 110, "summer associate": 150}
    keepers = []
    for index in range(240):
        classification = classes[index % len(classes)] if index < 238 else "summer associate"
        over = rng.random() < 0.03  # a few are billed above the cap
        rate = Decimal(caps[classification] + (25 if over else -rng.randrange(0, 40, 5)))
        keepers.append((f"TK{index:04d}", classification, rate))
    approved = frozenset(k for k, _, _ in keepers[2:])  # the first two were never approved
    increases = tuple(
        RateIncrease(k, rate - 10, rate, START + timedelta(days=days // 2), None)
        for k, _, rate in keepers[:4]
    )
    matters = [f"M{index:03d}" for index in range(60)]
    tasks = [c.code for c in codes_of(CodeKind.TASK) if c.code_set == "litigation"]
    tasks = [code for code in tasks if not code.startswith("L5")]
    # A105 (in-firm), A109 (attend) and A111 (other: travel here) only where the work is that.
    activities = [
        c.code for c in codes_of(CodeKind.ACTIVITY) if c.code not in ("A105", "A109", "A111")
    ]
    lines: list[Line] = []
    amounts: defaultdict[str, Decimal] = defaultdict(Decimal)
    while len(lines) < entries:
        number = len(lines)
        matter = rng.choice(matters)
        early = rng.random() < 0.001  # work from before the billing period
        worked_on = START + timedelta(days=-rng.randint(1, 9) if early else rng.randrange(days))
        if rng.random() < 0.08:
            lines.append(_expense(rng, number, matter, worked_on))
            continue
        if rng.random() < 0.002:
            keeper, classification, rate = keepers[rng.randrange(len(keepers))]
            for attendee in range(rng.randint(2, 3)):  # the whole team at one deposition
                keeper, classification, rate = keepers[(int(keeper[2:]) + attendee * 11) % 238]
                amount = time_amount(180, rate, "USD")
                lines.append(
                    Line(
                        id=str(len(lines)),
                        kind=LineKind.TIME,
                        matter_id=matter,
                        work_date=worked_on,
                        amount=amount,
                        timekeeper_id=keeper,
                        classification=classification,
                        minutes=180,
                        rate=rate,
                        narrative=f"Attend deposition of {rng.choice(_SURNAMES)} (day one)",
                        task_code="L330",
                        activity_code="A109",
                        entered_on=worked_on,
                    )
                )
            continue
        keeper, classification, rate = keepers[rng.randrange(len(keepers))]
        narrative, travel = _narrative(rng)
        roll = rng.random()
        if travel:
            minutes = 6 * rng.randint(10, 60)  # 1 to 6 hours on the road
        elif roll < 0.01:
            minutes = 15 * rng.randint(1, 8)  # quarter hours, not tenths
        elif roll < 0.015:
            minutes = 6 * rng.randint(41, 80)  # a long day on one task
        else:
            minutes = 6 * rng.randint(1, 30)
        task = rng.choice(tasks) if rng.random() > 0.003 else "L100"
        activity = "A111" if travel else rng.choice(activities)
        if narrative.startswith("Conference with associate"):
            activity = "A105"
        late = rng.random() < 0.01
        entered = worked_on + timedelta(days=rng.randrange(40, 90) if late else rng.randrange(3))
        amount = time_amount(minutes, rate, "USD")
        amounts[matter] += amount
        line = Line(
            id=str(number),
            kind=LineKind.TIME,
            matter_id=matter,
            work_date=worked_on,
            amount=amount,
            timekeeper_id=keeper,
            classification=classification,
            minutes=minutes,
            rate=rate,
            narrative=narrative,
            task_code=task,
            activity_code=activity,
            entered_on=entered,
            travel=True if travel else None,
        )
        lines.append(line)
        if rng.random() < 0.004 and len(lines) < entries:
            lines.append(replace(line, id=str(number + 1)))  # a duplicate entry
    facts = {
        matter: MatterFacts(
            code_set="litigation",
            budget=(amounts[matter] * Decimal("0.95")).quantize(Decimal(1))
            if index % 10 == 0
            else None,
        )
        for index, matter in enumerate(matters)
    }
    context = CheckContext(
        period_start=START,
        period_end=START + timedelta(days=days - 1),
        invoice_date=START + timedelta(days=days + 45),
        matters=facts,
        approved_timekeepers=approved,
        rate_increases=increases,
    )
    return lines, context


def _expense(rng: random.Random, number: int, matter: str, worked_on: date) -> Line:
    roll = rng.random()
    persons, fare, receipt = 1, "", rng.random() < 0.97
    if roll < 0.4:
        code, narrative = "E101", "Copies of exhibits for production"
        quantity, cost = Decimal(rng.randrange(10, 600)), rng.choice(("0.10", "0.10", "0.15"))
    elif roll < 0.55:
        code, narrative = "E111", "Working meal during deposition preparation"
        persons = rng.randint(1, 4)
        quantity, cost = Decimal(1), str(rng.randrange(20, 70 * persons))
    elif roll < 0.7:
        code, narrative = "E110", "Airfare to deposition"
        fare = "business" if rng.random() < 0.05 else "economy"
        quantity, cost = Decimal(1), str(rng.randrange(200, 900))
    elif roll < 0.8:
        code, narrative = "E108", "Postage"
        quantity, cost = Decimal(1), str(rng.randrange(1, 20))
    else:
        code, narrative = "E112", "Court filing fee"
        quantity, cost = Decimal(1), str(rng.randrange(50, 450))
    unit_cost = Decimal(cost)
    return Line(
        id=str(number),
        kind=LineKind.EXPENSE,
        matter_id=matter,
        work_date=worked_on,
        amount=(quantity * unit_cost).quantize(Decimal("0.01")),
        narrative=narrative,
        expense_code=code,
        quantity=quantity,
        unit_cost=unit_cost,
        receipt=receipt,
        persons=persons,
        travel_class=fare,
    )


def bench_document() -> GuidelineDocument:
    template = load_template("insurance-defense", client="BENCH")
    rules = tuple(rule for rule in template.rules if rule.id not in LEFT_OUT)
    return replace(template, rules=rules)


def _time(
    document: GuidelineDocument, lines: list[Line], context: CheckContext
) -> tuple[float, float, CheckResult]:
    gc.collect()  # start every run from the same heap; the collector stays on, as in use
    wall, cpu = time.perf_counter(), time.process_time()
    result = check_lines(document, lines, context)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of N timed runs")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    document = bench_document()
    types = {rule.type for rule in document.rules}
    print(f"guideline: {len(document.rules)} rules of {len(types)} types")
    built = time.perf_counter()
    lines, context = build_batch(args.entries, args.seed)
    print(f"built {len(lines):,} entries in {time.perf_counter() - built:.1f} s (not timed)")
    compile_guidelines(document)

    best: tuple[float, float, CheckResult] | None = None
    for _ in range(max(1, args.repeat)):
        timing = _time(document, lines, context)
        if best is None or timing[0] < best[0]:
            best = timing
    assert best is not None
    wall, cpu, result = best
    rate = len(lines) / wall
    print(f"checked {len(lines):,} entries in {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    counts = result.by_rule()
    print(
        f"findings: {len(result.findings):,} ({len(result.blocking):,} blocking), "
        f"{len(result.fixes):,} certain fixes, {result.amount_at_risk:,.2f} at risk"
    )
    for rule in document.rules:
        count, amount = counts.get(rule.id, (0, Decimal(0)))
        print(f"  {rule.id:<22} {rule.type.value:<28} {count:>8,} {amount:>16,.2f}")
    silent = [rule.id for rule in document.rules if rule.id not in counts]
    status = "PASS" if rate >= TARGET_ENTRIES_PER_SECOND else "FAIL"
    print(
        f"{rate:,.0f} entries/s (CPU {len(lines) / cpu:,.0f}/s): {status} "
        f"(target {TARGET_ENTRIES_PER_SECOND:,} entries/s)"
    )
    if silent:
        print(f"rules that found nothing (the data should exercise every rule): {silent}")
        return 1
    return 0 if status == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
