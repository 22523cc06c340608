"""The bill run prices every line exactly as the RateBook says, whatever the rate history."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.models import PrebillLine, Rate
from lexbill.billing.rates import load_ratebook, rate_query
from lexbill.core.invoice_math import time_amount
from lexbill.core.rates import RateLevel
from lexbill.entries.models import TimeEntry

START = date(2026, 1, 1)


def _random_rates(f: Any, rng: random.Random) -> None:
    matters = [f.acme_hourly, f.acme_capped, f.globex_flat]
    tks = [f.partner, f.associate, f.paralegal]
    for _ in range(rng.randint(0, 25)):
        level = rng.choice(list(RateLevel))
        keyed_by_tk = rng.random() < 0.5
        tk = rng.choice(tks)
        kwargs: dict[str, Any] = {}
        if level == RateLevel.MATTER:
            kwargs["matter"] = rng.choice(matters)
        elif level == RateLevel.CLIENT:
            kwargs["client"] = rng.choice([f.acme, f.globex])
        if level == RateLevel.CLASSIFICATION or (
            level in (RateLevel.MATTER, RateLevel.CLIENT) and not keyed_by_tk
        ):
            kwargs["classification"] = tk.classification
        else:
            kwargs["timekeeper"] = tk
        Rate.objects.get_or_create(
            level=level,
            currency="USD",
            effective_from=START + timedelta(days=rng.randint(0, 120)),
            matter=kwargs.get("matter"),
            client=kwargs.get("client"),
            timekeeper=kwargs.get("timekeeper"),
            classification=kwargs.get("classification", ""),
            defaults={"amount": Decimal(rng.randint(5_000, 120_000)).scaleb(-2)},
        )
    entries = [
        TimeEntry(
            matter=rng.choice(matters),
            timekeeper=rng.choice(tks),
            work_date=START + timedelta(days=rng.randint(0, 150)),
            duration_seconds=(minutes := rng.choice([6, 12, 18, 30, 48, 60, 96])) * 60,
            billed_minutes=minutes,
            narrative="Work",
        )
        for _ in range(rng.randint(1, 60))
    ]
    TimeEntry.objects.bulk_create(entries)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=False))
def test_every_line_has_the_rate_the_ratebook_resolves(small_firm: Any, rng: Any) -> None:
    f = small_firm
    with transaction.atomic():
        _random_rates(f, rng)
        run_bill_run(f.sam, date(2026, 12, 31))  # standard rates cover every entry
        book = load_ratebook()
        lines = PrebillLine.objects.select_related("time_entry__timekeeper", "prebill__matter")
        assert lines.count() == TimeEntry.objects.count()
        for line in lines:
            entry = line.time_entry
            expected = book.resolve(
                rate_query(line.prebill.matter, entry.timekeeper, entry.work_date)
            )
            assert expected is not None
            assert (line.rate, line.rate_source) == (expected.amount, expected.source)
            assert line.amount == time_amount(line.minutes, expected.amount, "USD")
        transaction.set_rollback(True)
