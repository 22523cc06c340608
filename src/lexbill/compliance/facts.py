"""The facts around a pre-bill that some guideline rules need, read from where Lexbill keeps
them: the matter's budgets and what was billed before (clients.selectors), the client's approved
timekeepers and rate notices (clients models), and the rate history (billing.Rate).

Each is a few set-based queries per pre-bill, never one per line. A fact the firm has not
recorded is left out, so its rule stays silent rather than guessing: no budget, no budget
finding; no approval recorded for the client, no approved-timekeeper finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from types import MappingProxyType

from django.db.models import Q

from lexbill import guidelines as g
from lexbill.billing.models import Prebill
from lexbill.billing.rates import matter_rate_rows, rate_query
from lexbill.clients.models import ApprovedTimekeeper, Client, Matter, RateNotice
from lexbill.clients.selectors import billed_to_date, matter_budgets
from lexbill.core.rates import RateBook
from lexbill.firm.models import Timekeeper

RATE_INCREASE_WINDOW = timedelta(days=365)
"""Rate increases taking effect in the year up to a pre-bill's through date are checked; one in
force for longer than that is taken as accepted by the client (it has paid it for a year)."""

_DAY = timedelta(days=1)


def matter_facts(matter: Matter, prebill: Prebill) -> g.MatterFacts:
    """The matter's code set, budgets and what was billed against them before this pre-bill."""
    budgets = matter_budgets(matter)
    if not budgets:
        return g.MatterFacts(code_set=matter.task_code_set)
    phases = {phase: amount for phase, amount in budgets.items() if phase}
    billed = billed_to_date(matter, phases, excluding_prebill=prebill.pk)
    return g.MatterFacts(
        code_set=matter.task_code_set,
        budget=budgets.get(""),
        billed_to_date=billed.total,
        phase_budgets=MappingProxyType(phases),
        phase_billed_to_date=MappingProxyType(billed.by_phase),
    )


def approved_timekeepers(client: Client) -> frozenset[str] | None:
    """The codes of the timekeepers the client approved, or None when it has approved none: a
    client that keeps no list is not flagged for every timekeeper."""
    codes = frozenset(
        ApprovedTimekeeper.objects.filter(client=client).values_list("timekeeper__code", flat=True)
    )
    return codes or None


def rate_increases(
    matter: Matter, timekeepers: Iterable[Timekeeper], through: date
) -> tuple[g.RateIncrease, ...]:
    """Each time the rate of one of ``timekeepers`` on the matter went up, effective in the year
    up to ``through``, with the day the client was told (or None).

    The rate is resolved the way the bill run resolves it (matter, client, timekeeper,
    classification), so a firm-wide rise that a client's negotiated rate overrides is no rise
    for that client. An increase is found by comparing the rate in force on each day a rate row
    takes effect with the day before. Its notice is the earliest recorded for that date, for the
    timekeeper or client-wide.
    """
    keepers = list(timekeepers)
    if not keepers:
        return ()
    rows = matter_rate_rows(matter, keepers, through)
    book = RateBook(rows)
    since = through - RATE_INCREASE_WINDOW
    found: list[tuple[Timekeeper, g.RateIncrease]] = []
    for keeper in keepers:
        days = sorted(
            {
                row.effective_from
                for row in rows
                if since < row.effective_from <= through
                and (row.timekeeper_id == keeper.pk or row.classification == keeper.classification)
            }
        )
        for day in days:
            new = book.resolve(rate_query(matter, keeper, day))
            old = book.resolve(rate_query(matter, keeper, day - _DAY))
            if new is not None and old is not None and new.amount > old.amount:
                found.append((keeper, g.RateIncrease(keeper.code, old.amount, new.amount, day)))
    if not found:
        return ()
    notices: dict[tuple[int | None, date], date] = {}
    for keeper_id, effective, given in RateNotice.objects.filter(
        Q(timekeeper__isnull=True) | Q(timekeeper__in=keepers),
        client_id=matter.client_id,
        effective_from__in={increase.effective_from for _, increase in found},
    ).values_list("timekeeper_id", "effective_from", "given_on"):
        key = (keeper_id, effective)
        notices[key] = min(given, notices.get(key, given))
    result = []
    for keeper, increase in found:
        day = increase.effective_from
        given_on = [d for d in (notices.get((keeper.pk, day)), notices.get((None, day))) if d]
        result.append(replace(increase, notice_given_on=min(given_on) if given_on else None))
    return tuple(result)
