"""Rate tables in the database, and the in-memory RateBook that resolves them.

A firm has thousands of rate rows, not millions, so resolving in Python from one load is both
simpler and faster than a correlated SQL lookup per entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from lexbill.billing.models import Rate
from lexbill.clients.models import Client, Matter
from lexbill.core.errors import InvalidEntry
from lexbill.core.money import minor_unit_places, to_decimal
from lexbill.core.rates import RateBook, RateLevel, RateQuery, RateRow, ResolvedRate
from lexbill.firm.models import Timekeeper, User
from lexbill.firm.permissions import Action, require


def set_rate(
    actor: User | None,
    level: RateLevel | str,
    amount: Decimal | str | int,
    effective_from: date,
    *,
    currency: str = "USD",
    matter: Matter | None = None,
    client: Client | None = None,
    timekeeper: Timekeeper | None = None,
    classification: str = "",
) -> Rate:
    """Add a rate in force from a date; rates are not edited back in time, a new row supersedes."""
    require(actor, Action.MANAGE_RATES)
    minor_unit_places(currency)
    row = RateRow(  # validates the key shape for the level
        level=RateLevel(level),
        amount=to_decimal(amount),
        currency=currency,
        effective_from=effective_from,
        matter_id=matter.pk if matter else None,
        client_id=client.pk if client else None,
        timekeeper_id=timekeeper.pk if timekeeper else None,
        classification=classification or None,
    )
    duplicate = Rate.objects.filter(
        level=row.level,
        currency=currency,
        effective_from=effective_from,
        matter=matter,
        client=client,
        timekeeper=timekeeper,
        classification=classification,
    )
    if duplicate.exists():
        raise InvalidEntry(
            f"a {row.level} rate from {effective_from} already exists for this key",
            field="effective_from",
        )
    return Rate.objects.create(
        level=row.level,
        amount=row.amount,
        currency=currency,
        effective_from=effective_from,
        matter=matter,
        client=client,
        timekeeper=timekeeper,
        classification=classification,
    )


def rate_rows() -> list[RateRow]:
    return _rows(Rate.objects.all())


def _rows(rates: QuerySet[Rate]) -> list[RateRow]:
    return [
        RateRow(
            level=RateLevel(level),
            amount=amount,
            currency=currency,
            effective_from=effective_from,
            matter_id=matter_id,
            client_id=client_id,
            timekeeper_id=timekeeper_id,
            classification=classification or None,
            rate_id=pk,
        )
        for (
            pk,
            level,
            amount,
            currency,
            effective_from,
            matter_id,
            client_id,
            timekeeper_id,
            classification,
        ) in rates.values_list(
            "pk",
            "level",
            "amount",
            "currency",
            "effective_from",
            "matter_id",
            "client_id",
            "timekeeper_id",
            "classification",
        )
    ]


def load_ratebook() -> RateBook:
    return RateBook(rate_rows())


def rate_for(matter: Matter, timekeeper: Timekeeper, work_date: date) -> ResolvedRate | None:
    """The rate in force for one entry, from only the rows that could apply to it."""
    candidates = Rate.objects.filter(
        effective_from__lte=work_date, currency=matter.currency
    ).filter(
        Q(level=RateLevel.MATTER, matter=matter)
        | Q(level=RateLevel.CLIENT, client_id=matter.client_id)
        | Q(level=RateLevel.TIMEKEEPER, timekeeper=timekeeper)
        | Q(level=RateLevel.CLASSIFICATION, classification=timekeeper.classification)
    )
    book = RateBook(_rows(candidates))
    return book.resolve(rate_query(matter, timekeeper, work_date))


def matter_rate_rows(
    matter: Matter, timekeepers: Iterable[Timekeeper], until: date
) -> list[RateRow]:
    """Every row that could price these timekeepers' work on the matter up to ``until``, in one
    query: a ``RateBook`` of them resolves their rate on any day, so a caller can follow how it
    changed (the guideline check looks for rate increases)."""
    keepers = list(timekeepers)
    candidates = Rate.objects.filter(effective_from__lte=until, currency=matter.currency).filter(
        Q(level=RateLevel.MATTER, matter=matter)
        | Q(level=RateLevel.CLIENT, client_id=matter.client_id)
        | Q(level=RateLevel.TIMEKEEPER, timekeeper__in=keepers)
        | Q(
            level=RateLevel.CLASSIFICATION,
            classification__in={keeper.classification for keeper in keepers},
        )
    )
    return _rows(candidates)


def rate_query(matter: Matter, timekeeper: Timekeeper, work_date: date) -> RateQuery:
    return RateQuery(
        work_date=work_date,
        matter_id=matter.pk,
        client_id=matter.client_id,
        timekeeper_id=timekeeper.pk,
        classification=timekeeper.classification,
        currency=matter.currency,
    )
