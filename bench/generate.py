"""A seeded synthetic firm for the bill-run benchmark, loaded fast with set-based inserts.

    .venv/bin/python bench/generate.py --entries 50000 --database-url sqlite:///bench/out/x.sqlite3

The database is migrated fresh (``migrate``) and then filled directly: executemany on SQLite,
COPY on PostgreSQL, never the ORM per row. Primary keys are assigned here, so foreign keys are
known without reading anything back. The same parameters and seed always give the same rows.

What the data exercises in the bill run:

* every rate level and key: firm-wide classification rates (in every currency used), timekeeper
  standard rates, client rate cards and matter overrides by timekeeper and by classification,
  some in force only from the middle of the period so the work date picks the row;
* matters in USD, EUR, GBP and JPY (a zero-decimal currency), so currency filters and rounding
  to the currency's minor unit both matter;
* hourly, capped and flat-fee matters; a few percent of no-charge entries; expenses.

Every timekeeper / matter / day has a rate in force: classification rates in every currency start
a year before the first entry.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
DATA_DIR = ROOT / "src" / "lexbill" / "formats" / "data"

# Bump when the generated data changes shape, so cached databases are not reused by mistake.
GENERATOR_VERSION = 1
# Annual billable-hour targets by classification (none for legal assistants), and the firm's
# practice areas, assigned by matter number: neither draws from the random stream, so adding
# them left every other generated value unchanged.
TARGET_HOURS = {"partner": 1700, "of_counsel": 1500, "associate": 1900, "paralegal": 1400}
PRACTICE_AREAS = ("Litigation", "Corporate", "Employment", "Real Estate", "IP", "Tax")

FIRST_DAY = date(2025, 1, 1)
RATES_FROM = date(2024, 1, 1)  # a year before the first entry: a rate is always in force

CLASSIFICATIONS: tuple[tuple[str, float], ...] = (
    ("partner", 0.20),
    ("of_counsel", 0.05),
    ("associate", 0.40),
    ("paralegal", 0.25),
    ("legal_assistant", 0.10),
)
# Firm-wide hourly rate per classification, in USD.
CLASS_RATE_USD: dict[str, int] = {
    "partner": 850,
    "of_counsel": 700,
    "associate": 480,
    "paralegal": 210,
    "legal_assistant": 140,
}
STANDARD_RANGE_USD: dict[str, tuple[int, int]] = {
    "partner": (650, 1450),
    "of_counsel": (550, 950),
    "associate": (320, 780),
    "paralegal": (150, 290),
    "legal_assistant": (95, 175),
}
# Currency, share of clients, and conversion from the USD figures above.
CURRENCIES: tuple[tuple[str, float, float], ...] = (
    ("USD", 0.88, 1.0),
    ("EUR", 0.06, 0.92),
    ("GBP", 0.04, 0.79),
    ("JPY", 0.02, 150.0),
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alan Alice Amir Ana Ben Beatriz Carl Chen Chloe Dana David Elena Eli Farah Felix "
    "Grace Hana Hugo Ines Ivan Jade James Jun Kai Kara Leo Lena Liam Maya Mei Noah Nora Omar "
    "Olga Paul Priya Quinn Rosa Ravi Sara Sam Tara Tom Uma Victor Wen Yara Zoe"
)
LAST_NAMES = _words(
    "Abbott Baker Castillo Dimitrov Edwards Fischer Garcia Haddad Ito Jensen Kowalski Larsen "
    "Moreau Nakamura Okafor Petrov Quintero Rossi Schmidt Tanaka Ueda Varga Walsh Xu Yilmaz "
    "Zhang Brennan Cohen Duarte Eriksen Fontaine Gallagher Horvat Ibrahim Janssen Keller"
)
COMPANY_A = _words(
    "Acme Apex Beacon Cobalt Delta Ember Falcon Granite Harbor Iris Juniper Keystone Lumen "
    "Meridian Northwind Orion Pioneer Quarry Redwood Summit Tidewater Union Vertex Willow"
)
COMPANY_B = _words(
    "Holdings Industries Logistics Pharma Capital Energy Foods Media Robotics Shipping "
    "Insurance Partners Biotech Retail Semiconductors Aviation Textiles Mining Software Bank"
)
COMPANY_C = ("Inc.", "LLC", "Ltd", "GmbH", "S.A.", "plc", "Corp.", "AG", "KK", "LP")
MATTER_KINDS = (
    "v. {x} (breach of contract)",
    "Acquisition of {x}",
    "Patent infringement defense",
    "Employment class action",
    "Lease renegotiation",
    "Regulatory investigation",
    "Trademark portfolio",
    "Supply agreement dispute",
    "Securities litigation",
    "Insurance coverage dispute",
    "Arbitration against {x}",
    "Antitrust review",
)

VERBS = (
    "Draft",
    "Revise",
    "Review and analyze",
    "Prepare",
    "Research",
    "Finalize",
    "Outline",
    "Annotate",
    "Summarize",
    "Edit",
    "Cite-check",
    "Organize",
)
OBJECTS = (
    "motion to compel",
    "opposition brief",
    "deposition outline",
    "document production",
    "privilege log",
    "expert report",
    "settlement agreement",
    "discovery responses",
    "interrogatories",
    "case law on standing",
    "draft complaint",
    "witness statements",
    "board minutes",
    "purchase agreement",
    "disclosure schedules",
    "engagement letter",
    "claim chart",
    "hearing exhibits",
)
CONTEXTS = (
    "",
    " for hearing",
    " per client comments",
    " re damages theory",
    " re jurisdiction issues",
    " and circulate to team",
    " ahead of mediation",
    " re third-party subpoenas",
    " for partner review",
    " re indemnification provisions",
)
CALLS = (
    "Telephone conference with client re {o}",
    "Email correspondence with opposing counsel re {o}",
    "Conference with {n} re strategy and next steps",
    "Attend deposition of {n}",
    "Meet with {n} to discuss {o}",
    "Prepare for and attend status conference",
    "Call with expert {n} re {o}",
)

EXPENSE_KINDS: tuple[tuple[str, str, tuple[int, int], tuple[int, int]], ...] = (
    # code, description, quantity range (whole units), unit cost range in cents
    ("E101", "Copying", (20, 900), (10, 25)),
    ("E106", "Online research charges", (1, 1), (1500, 42000)),
    ("E107", "Courier delivery", (1, 3), (1800, 9500)),
    ("E108", "Postage", (1, 40), (73, 73)),
    ("E110", "Travel to hearing", (1, 1), (18000, 95000)),
    ("E111", "Working meal", (1, 8), (1500, 6500)),
    ("E112", "Court filing fee", (1, 1), (5000, 40500)),
    ("E115", "Deposition transcript", (40, 420), (350, 725)),
)


@dataclass(frozen=True)
class Params:
    timekeepers: int = 500
    clients: int = 2000
    matters: int = 20_000
    entries: int = 1_000_000
    months: int = 6
    seed: int = 42

    @property
    def expenses(self) -> int:
        return max(self.entries // 50, 1)

    @property
    def last_day(self) -> date:
        return add_months(FIRST_DAY, self.months) - timedelta(days=1)

    @property
    def through(self) -> date:
        """The bill run's date: the last day of the period, so every entry is taken."""
        return self.last_day

    def key(self) -> str:
        return (
            f"t{self.timekeepers}-c{self.clients}-m{self.matters}-e{self.entries}"
            f"-mo{self.months}-s{self.seed}-v{GENERATOR_VERSION}-{schema_digest()}"
        )


QUICK = Params(timekeepers=20, clients=60, matters=500, entries=50_000, months=6)


def schema_digest() -> str:
    """Names the migrations a cached firm was built with, so a new index or column gives a new
    cache file instead of a benchmark over the old schema."""
    names = sorted(
        f"{path.parent.parent.name}/{path.name}"
        for path in (ROOT / "src" / "lexbill").glob("*/migrations/0*.py")
    )
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:8]


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _add_params(parser: argparse.ArgumentParser, defaults: Params = Params()) -> None:
    parser.add_argument("--timekeepers", type=int, default=defaults.timekeepers)
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument("--matters", type=int, default=defaults.matters)
    parser.add_argument("--entries", type=int, default=defaults.entries)
    parser.add_argument("--months", type=int, default=defaults.months)
    parser.add_argument("--seed", type=int, default=defaults.seed)


def params_from(args: argparse.Namespace) -> Params:
    return Params(
        timekeepers=args.timekeepers,
        clients=args.clients,
        matters=args.matters,
        entries=args.entries,
        months=args.months,
        seed=args.seed,
    )


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme.startswith(("postgres", "pgsql"))


def setup_django(url: str) -> None:
    """Point lexbill at ``url`` and set Django up; call once per process, before any lexbill use."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "lexbill.settings"
    os.environ["LEXBILL_DATABASE_URL"] = url
    os.environ.setdefault("LEXBILL_DATA_DIR", str(OUT_DIR))
    os.environ.setdefault("LEXBILL_SECRET_KEY", "bench-only-secret-key")
    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    import django

    django.setup()


# --- the synthetic firm, as plain rows --------------------------------------------------------


def _codes(filename: str, task_only: bool = False) -> list[str]:
    with (DATA_DIR / filename).open(newline="") as fh:
        return [
            row["code"] for row in csv.DictReader(fh) if not task_only or row["level"] == "task"
        ]


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _narratives(rng: random.Random, count: int) -> list[str]:
    """A pool of short, varied work descriptions of roughly 40–120 characters."""
    pool: list[str] = []
    while len(pool) < count:
        if rng.random() < 0.3:
            text = rng.choice(CALLS).format(
                o=rng.choice(OBJECTS), n=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            )
        else:
            text = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(CONTEXTS)}"
        if rng.random() < 0.5:
            text += f"; {rng.choice(VERBS).lower()} {rng.choice(OBJECTS)}"
        if len(text) < 40:
            text += f" (matter team follow-up {rng.randint(1, 99)})"
        pool.append(text[:120])
    return pool


def _days(params: Params, *, weekend: bool) -> list[str]:
    """The period's weekdays (or weekend days), as ISO text ready to insert."""
    days = []
    day = FIRST_DAY
    while day <= params.last_day:
        if (day.weekday() >= 5) == weekend:
            days.append(day.isoformat())
        day += timedelta(days=1)
    return days


# Minutes in tenths of an hour, weighted toward short entries (mean about 0.45 h).
_TENTHS: tuple[tuple[int, float], ...] = (
    (1, 14), (2, 16), (3, 14), (4, 10), (5, 9), (6, 7), (7, 5), (8, 5), (9, 3), (10, 5),
    (12, 3), (15, 3), (18, 1.5), (20, 2), (25, 1), (30, 1), (40, 0.4), (60, 0.1),
)  # fmt: skip


class Firm:
    """Builds every table's rows in memory (entries streamed), deterministically from the seed."""

    def __init__(self, params: Params, postgres: bool) -> None:
        self.p = params
        self.rng = random.Random(params.seed)
        self.postgres = postgres
        self.rate_rows: list[tuple[Any, ...]] = []
        self._rate_keys: set[tuple[Any, ...]] = set()

    def stamp(self, day: str) -> str:
        return f"{day} 18:00:00+00" if self.postgres else f"{day} 18:00:00"

    # firm, timekeepers, clients, matters

    def firm(self) -> list[tuple[Any, ...]]:
        return [
            (
                1, "Hale & Ward LLP (benchmark)", "1 Main St", "12-3456789", "billing@hw.example",
                "+1 555 0100", "USD", 6, "up", 30, "{year}-{seq:05d}", "CN-{year}-{seq:05d}",
                "80,100",
            )
        ]  # fmt: skip

    def timekeepers(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        self.tk_class: list[str] = []
        rows = []
        for pk in range(1, self.p.timekeepers + 1):
            # The first few timekeepers cover every classification, however small the firm.
            if pk <= len(CLASSIFICATIONS):
                classification = CLASSIFICATIONS[pk - 1][0]
            else:
                classification = _weighted(rng, CLASSIFICATIONS)
            self.tk_class.append(classification)
            rows.append(
                (
                    pk, f"TK{pk:05d}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES),
                    classification, True, None, TARGET_HOURS.get(classification),
                )
            )  # fmt: skip
        self.by_class: dict[str, list[int]] = {c: [] for c, _ in CLASSIFICATIONS}
        for pk, classification in enumerate(self.tk_class, start=1):
            self.by_class[classification].append(pk)
        return rows

    def clients(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        self.client_currency: list[str] = []
        rows = []
        for pk in range(1, self.p.clients + 1):
            currency = _weighted(rng, [(c, share) for c, share, _ in CURRENCIES])
            self.client_currency.append(currency)
            name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)} {rng.choice(COMPANY_C)}"
            tax = {"EUR": 190000, "GBP": 200000}.get(currency, 0)
            rows.append(
                (
                    pk, f"C{pk:06d}", f"{name} #{pk}", f"{pk} Commerce Way", "Accounts Payable",
                    f"ap{pk}@client.example", tax, "VAT" if tax else "Tax", "",
                    pk % 5 == 0,  # one engagement in five allows late charges
                )
            )  # fmt: skip
        return rows

    def matters(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        partners = self.by_class["partner"] + self.by_class["of_counsel"]
        self.matter_client: list[int] = []
        self.matter_currency: list[str] = []
        self.teams: list[list[int]] = []
        clients = range(1, self.p.clients + 1)
        cum = list(accumulate(min(rng.paretovariate(1.2), 40.0) for _ in clients))
        rows = []
        for pk in range(1, self.p.matters + 1):
            # Every client gets a matter first; then clients with a busy practice get more.
            client = pk if pk <= self.p.clients else rng.choices(clients, cum_weights=cum)[0]
            currency = self.client_currency[client - 1]
            if rng.random() < 0.03:  # a client's odd foreign-currency matter
                currency = rng.choice([c for c, _, _ in CURRENCIES if c != currency])
            responsible = rng.choice(partners)
            team = [responsible]
            for classification, low, high in (
                ("partner", 0, 1),
                ("associate", 1, 3),
                ("paralegal", 0, 2),
                ("legal_assistant", 0, 1),
                ("of_counsel", 0, 1),
            ):
                pool = self.by_class[classification]
                if pool:
                    team.extend(rng.sample(pool, min(len(pool), rng.randint(low, high))))
            team = list(dict.fromkeys(team))
            self.teams.append(team)
            self.matter_client.append(client)
            self.matter_currency.append(currency)
            roll = rng.random()
            fee = rng.randint(50, 900) * 100 * (150 if currency == "JPY" else 1) * 100
            flat_fee = fee if roll < 0.07 else None
            fee_cap = fee if 0.07 <= roll < 0.15 else None
            arrangement = "flat_fee" if flat_fee else "capped" if fee_cap else "hourly"
            kind = rng.choice(MATTER_KINDS).format(
                x=f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"
            )
            opened = RATES_FROM + timedelta(days=rng.randint(0, 360))
            rows.append(
                (
                    pk, f"C{client:06d}-{pk:06d}", kind, f"CM-{rng.randint(1000, 99999)}", "open",
                    currency, arrangement, flat_fee, fee_cap, opened.isoformat(), None, client,
                    responsible, "", PRACTICE_AREAS[pk % len(PRACTICE_AREAS)],
                )
            )  # fmt: skip
        return rows

    # rates

    def _rate(
        self,
        level: str,
        cents: int,
        currency: str,
        effective: date,
        *,
        matter: int | None = None,
        client: int | None = None,
        timekeeper: int | None = None,
        classification: str = "",
    ) -> None:
        key = (level, matter, client, timekeeper, classification, currency, effective)
        if key in self._rate_keys:
            return  # one row per key and day, as the unique constraint requires
        self._rate_keys.add(key)
        self.rate_rows.append(
            (
                len(self.rate_rows) + 1, level, cents, currency, effective.isoformat(),
                classification, client, matter, timekeeper,
            )
        )  # fmt: skip

    def rates(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        mid = add_months(FIRST_DAY, max(self.p.months // 2, 1))
        later = add_months(FIRST_DAY, max(self.p.months // 3, 1)) + timedelta(days=14)
        factor = {c: f for c, _, f in CURRENCIES}

        def money(usd: float, currency: str) -> int:
            """Cents of ``usd`` converted; a few odd cents so rounding is really exercised."""
            amount = usd * factor[currency]
            if currency == "JPY":
                return int(round(amount, -2)) * 100
            return int(amount * 100) + rng.choice((0, 0, 0, 25, 50, 33, 67, 1))

        # Firm-wide classification rates in every currency, and a raise in USD mid-period.
        for currency, _, _ in CURRENCIES:
            for classification, usd in CLASS_RATE_USD.items():
                self._rate("classification", money(usd, currency), currency, RATES_FROM,
                           classification=classification)  # fmt: skip
        for classification, usd in CLASS_RATE_USD.items():
            self._rate("classification", money(usd * 1.05, "USD"), "USD", mid,
                       classification=classification)  # fmt: skip
        # Standard rates for 90% of timekeepers; a third of them get a raise during the period.
        for tk, classification in enumerate(self.tk_class, start=1):
            if rng.random() < 0.10:
                continue
            low, high = STANDARD_RANGE_USD[classification]
            usd = rng.randint(low, high)
            self._rate("timekeeper", money(usd, "USD"), "USD", RATES_FROM, timekeeper=tk)
            if rng.random() < 0.33:
                self._rate("timekeeper", money(usd * 1.08, "USD"), "USD", mid, timekeeper=tk)
            if rng.random() < 0.15:
                self._rate("timekeeper", money(usd, "EUR"), "EUR", RATES_FROM, timekeeper=tk)
        # Client rate cards for ~12% of clients: discounts by classification, a few named people.
        for client in range(1, self.p.clients + 1):
            if rng.random() >= 0.12:
                continue
            currency = self.client_currency[client - 1]
            effective = RATES_FROM if rng.random() < 0.7 else later
            for classification in rng.sample(list(CLASS_RATE_USD), rng.randint(1, 3)):
                card = CLASS_RATE_USD[classification] * rng.uniform(0.8, 0.95)
                self._rate("client", money(card, currency), currency, effective,
                           client=client, classification=classification)  # fmt: skip
            for tk in rng.sample(range(1, self.p.timekeepers + 1), rng.randint(0, 3)):
                low, high = STANDARD_RANGE_USD[self.tk_class[tk - 1]]
                self._rate("client", money(rng.uniform(low, high) * 0.9, currency), currency,
                           effective, client=client, timekeeper=tk)  # fmt: skip
        # Matter overrides for ~6% of matters: the team's people and classifications.
        for matter in range(1, self.p.matters + 1):
            if rng.random() >= 0.06:
                continue
            currency = self.matter_currency[matter - 1]
            effective = RATES_FROM if rng.random() < 0.6 else mid
            team = self.teams[matter - 1]
            for tk in rng.sample(team, rng.randint(1, min(3, len(team)))):
                low, high = STANDARD_RANGE_USD[self.tk_class[tk - 1]]
                self._rate("matter", money(rng.uniform(low, high) * 0.85, currency), currency,
                           effective, matter=matter, timekeeper=tk)  # fmt: skip
            if rng.random() < 0.5:
                classification = self.tk_class[rng.choice(team) - 1]
                agreed = CLASS_RATE_USD[classification] * rng.uniform(0.7, 0.9)
                self._rate("matter", money(agreed, currency), currency, effective,
                           matter=matter, classification=classification)  # fmt: skip
        return self.rate_rows

    # work

    def time_entries(self) -> Iterable[list[tuple[Any, ...]]]:
        """All entries in work-date order (as they are recorded), in batches."""
        rng = self.rng
        p = self.p
        narratives = _narratives(rng, 20_000)
        tasks = _codes("utbms_litigation.csv", task_only=True)
        activities = _codes("utbms_activity.csv")
        workdays = _days(p, weekend=False)
        weekends = _days(p, weekend=True) or workdays
        # Some matters are far busier than others.
        weights = [min(rng.paretovariate(1.1), 60.0) for _ in range(p.matters)]
        tenths = [t for t, _ in _TENTHS]
        tenth_weights = [w for _, w in _TENTHS]
        days = [rng.choice(weekends) if rng.random() < 0.03 else rng.choice(workdays)
                for _ in range(p.entries)]  # fmt: skip
        days.sort()
        matters = rng.choices(range(1, p.matters + 1), weights=weights, k=p.entries)
        durations = rng.choices(tenths, weights=tenth_weights, k=p.entries)
        teams = self.teams
        batch: list[tuple[Any, ...]] = []
        stamp = self.stamp
        stamps: dict[str, str] = {}
        randint = rng.randint
        choice = rng.choice
        random_ = rng.random
        for pk in range(1, p.entries + 1):
            matter = matters[pk - 1]
            day = days[pk - 1]
            tenth = durations[pk - 1]
            seconds = tenth * 360 - randint(0, 359)  # bills as `tenth` tenths, rounded up
            billable = "no_charge" if random_() < 0.03 else "billable"
            created = stamps.get(day) or stamps.setdefault(day, stamp(day))
            batch.append(
                (
                    pk, day, seconds, tenth * 6, choice(narratives), choice(tasks),
                    choice(activities), billable, "unbilled", created, None, matter,
                    choice(teams[matter - 1]),
                )
            )  # fmt: skip
            if len(batch) == 20_000:
                yield batch
                batch = []
        if batch:
            yield batch

    def expenses(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        p = self.p
        workdays = _days(p, weekend=False)
        rows = []
        for pk in range(1, p.expenses + 1):
            matter = rng.randint(1, p.matters)
            code, description, (qlow, qhigh), (clow, chigh) = rng.choice(EXPENSE_KINDS)
            currency = self.matter_currency[matter - 1]
            cost = rng.randint(clow, chigh) * 100  # cents → places=4
            if currency == "JPY":
                cost *= 150
            day = rng.choice(workdays)
            tk = rng.choice(self.teams[matter - 1]) if rng.random() < 0.8 else None
            billable = "no_charge" if rng.random() < 0.03 else "billable"
            rows.append(
                (
                    pk, day, code, rng.randint(qlow, qhigh) * 10_000, cost, description,
                    billable, "unbilled", self.stamp(day), None, matter, tk,
                )
            )  # fmt: skip
        rows.sort(key=lambda row: row[1])
        return [(pk, *row[1:]) for pk, row in enumerate(rows, start=1)]


# --- loading -----------------------------------------------------------------------------------

TABLES: dict[str, tuple[str, ...]] = {
    "firm_firm": (
        "id", "name", "address", "tax_id", "email", "phone", "base_currency", "increment_minutes",
        "time_rounding", "payment_terms_days", "invoice_number_format",
        "credit_note_number_format", "budget_alert_percents",
    ),
    "firm_timekeeper": (
        "id", "code", "first_name", "last_name", "classification", "active", "user_id",
        "billable_target_hours",
    ),
    "clients_client": (
        "id", "number", "name", "address", "billing_contact", "billing_email",
        "tax_rate_percent", "tax_label", "tax_id", "late_charges_allowed",
    ),
    "clients_matter": (
        "id", "number", "name", "client_matter_id", "status", "currency", "arrangement",
        "flat_fee", "fee_cap", "opened_on", "closed_on", "client_id", "responsible_attorney_id",
        "task_code_set", "practice_area",
    ),
    "billing_rate": (
        "id", "level", "amount", "currency", "effective_from", "classification", "client_id",
        "matter_id", "timekeeper_id",
    ),
    "entries_timeentry": (
        "id", "work_date", "duration_seconds", "billed_minutes", "narrative", "task_code",
        "activity_code", "billable", "state", "created_at", "created_by_id", "matter_id",
        "timekeeper_id",
    ),
    "entries_expense": (
        "id", "date", "expense_code", "quantity", "unit_cost", "description", "billable",
        "state", "created_at", "created_by_id", "matter_id", "timekeeper_id",
    ),
}  # fmt: skip


class Loader:
    def __init__(self, postgres: bool) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.raw: Any = connection.connection
        self.postgres = postgres

    def load(self, table: str, batches: Iterable[Sequence[tuple[Any, ...]]]) -> int:
        columns = TABLES[table]
        count = 0
        if self.postgres:
            with self.raw.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for batch in batches:
                        for row in batch:
                            copy.write_row(row)
                        count += len(batch)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            cursor = self.raw.cursor()
            for batch in batches:
                cursor.executemany(sql, batch)
                count += len(batch)
            cursor.close()
        return count


def generate(params: Params, url: str, *, quiet: bool = False) -> dict[str, int]:
    """Migrate the (fresh, empty) database at ``url`` and fill it; Django must be set up on it."""
    from django.core.management import call_command
    from django.db import connection, transaction

    started = time.perf_counter()
    postgres = is_postgres(url)
    call_command("migrate", verbosity=0, skip_checks=True)
    firm = Firm(params, postgres)
    loader = Loader(postgres)
    counts: dict[str, int] = {}

    def log(message: str) -> None:
        if not quiet:
            print(
                f"  [{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True
            )

    with transaction.atomic():
        counts["firm_firm"] = loader.load("firm_firm", [firm.firm()])
        counts["firm_timekeeper"] = loader.load("firm_timekeeper", [firm.timekeepers()])
        counts["clients_client"] = loader.load("clients_client", [firm.clients()])
        counts["clients_matter"] = loader.load("clients_matter", [firm.matters()])
        counts["billing_rate"] = loader.load("billing_rate", [firm.rates()])
        log(f"firm, {params.timekeepers} timekeepers, {params.clients} clients, "
            f"{params.matters} matters, {counts['billing_rate']} rates")  # fmt: skip
        counts["entries_timeentry"] = loader.load("entries_timeentry", firm.time_entries())
        log(f"{counts['entries_timeentry']} time entries")
        counts["entries_expense"] = loader.load("entries_expense", [firm.expenses()])
        log(f"{counts['entries_expense']} expenses")
    with connection.cursor() as cursor:
        # Django is in autocommit here, as VACUUM needs; the checkpoint leaves one SQLite file.
        cursor.execute(
            "VACUUM (FREEZE, ANALYZE)" if postgres else "PRAGMA wal_checkpoint(TRUNCATE)"
        )
    log("done")
    return counts


def summary(params: Params) -> str:
    return ", ".join(f"{k}={v}" for k, v in asdict(params).items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _add_params(parser)
    parser.add_argument(
        "--database-url",
        help="a fresh, empty database (default: a new SQLite file in bench/out/)",
    )
    args = parser.parse_args(argv)
    params = params_from(args)
    url = args.database_url
    if url is None:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        path = OUT_DIR / f"firm-{params.key()}.sqlite3"
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    setup_django(url)
    counts = generate(params, url)
    print(f"generated {summary(params)} into {url}")
    for table, count in counts.items():
        print(f"  {table:20} {count:>10,}")


if __name__ == "__main__":
    main()
