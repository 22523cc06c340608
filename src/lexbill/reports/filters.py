"""Report filters as query conditions, and the groupings every report shares.

A report reaches the matter from wherever its rows live (an invoice's ``matter``, a time entry's
``matter``, an allocation's ``invoice__matter``), so each condition is built from that path.
Unknown client numbers, matter numbers or timekeeper codes are refused by name (a typo must
not silently give an empty report that looks like "nothing billed").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from lexbill.clients.models import Client, Matter
from lexbill.core.errors import LexbillError
from lexbill.firm.models import Timekeeper
from lexbill.reports.framework import ReportFilters


def matter_q(filters: ReportFilters, matter: str = "matter") -> Q:
    """Client, matter, responsible attorney and practice area, through the path to a matter."""
    q = Q()
    if filters.clients:
        q &= Q(**{f"{matter}__client__number__in": filters.clients})
    if filters.matters:
        q &= Q(**{f"{matter}__number__in": filters.matters})
    if filters.attorneys:
        q &= Q(**{f"{matter}__responsible_attorney__code__in": filters.attorneys})
    if filters.practice_areas:
        q &= Q(**{f"{matter}__practice_area__in": filters.practice_areas})
    return q


def timekeeper_q(filters: ReportFilters, code_path: str = "timekeeper__code") -> Q:
    """The people who did the work: ``timekeeper__code`` on entries, ``timekeeper_code`` on
    invoice lines (which keep the code as printed)."""
    if not filters.timekeepers:
        return Q()
    return Q(**{f"{code_path}__in": filters.timekeepers})


def check_filters(filters: ReportFilters) -> None:
    """Refuse a filter naming a client, matter or timekeeper that does not exist."""
    for field, values, model, column in (
        ("client", filters.clients, Client, "number"),
        ("matter", filters.matters, Matter, "number"),
        ("attorney", filters.attorneys, Timekeeper, "code"),
        ("timekeeper", filters.timekeepers, Timekeeper, "code"),
    ):
        if not values:
            continue
        known = set(
            model._default_manager.filter(**{f"{column}__in": values}).values_list(
                column, flat=True
            )
        )
        missing = [v for v in values if v not in known]
        if missing:
            raise LexbillError(f"no {field} {', '.join(missing)}", field=field)
    if filters.practice_areas:
        # free text on the matter: a typo is refused like an unknown client, and the message
        # lists the areas there are
        areas = set(
            Matter.objects.exclude(practice_area="")
            .values_list("practice_area", flat=True)
            .distinct()
        )
        missing = [v for v in filters.practice_areas if v not in areas]
        if missing:
            known_areas = ", ".join(sorted(areas)) or "none yet"
            raise LexbillError(
                f"no practice area {', '.join(missing)} (the practice areas are: {known_areas})",
                field="practice_area",
            )


@dataclass(frozen=True)
class Grouping:
    """How rows are grouped: the key column and the label columns, as paths from a matter."""

    key: str
    label: str
    key_path: str
    label_paths: tuple[str, ...]


# Paths from a matter; a report prefixes them with its own path to the matter.
MATTER_GROUPINGS: dict[str, Grouping] = {
    "client": Grouping("client", "Client", "client__number", ("client__name",)),
    "matter": Grouping("matter", "Matter", "number", ("name", "client__name")),
    "attorney": Grouping(
        "attorney",
        "Responsible attorney",
        "responsible_attorney__code",
        ("responsible_attorney__first_name", "responsible_attorney__last_name"),
    ),
    "practice_area": Grouping("practice_area", "Practice area", "practice_area", ()),
}

GROUPING_CHOICES: tuple[tuple[str, str], ...] = (
    ("client", "Client"),
    ("matter", "Matter"),
    ("attorney", "Responsible attorney"),
    ("timekeeper", "Timekeeper"),
    ("practice_area", "Practice area"),
    ("month", "Month"),
)


def prefixed(grouping: Grouping, matter: str) -> tuple[str, tuple[str, ...]]:
    """The grouping's key and label paths from a row whose matter is at ``matter``."""
    return (
        f"{matter}__{grouping.key_path}",
        tuple(f"{matter}__{path}" for path in grouping.label_paths),
    )


NO_TIMEKEEPER = "—"  # the key of the row for lines, credits and write-offs naming no timekeeper


def fill_timekeeper_names(rows: Iterable[dict[str, Any]]) -> None:
    """Name each timekeeper row whose frozen name is missing, by the code's current name (one
    query for all of them); the no-timekeeper row reads "no timekeeper"."""
    rows = list(rows)
    codes = {r["key"] for r in rows if not r["name"] and r["key"] != NO_TIMEKEEPER}
    names = {
        tk.code: tk.name
        for tk in Timekeeper.objects.filter(code__in=codes).only("code", "first_name", "last_name")
    }
    for r in rows:
        if not r["name"]:
            r["name"] = names.get(r["key"], "no timekeeper" if r["key"] == NO_TIMEKEEPER else "")


def label_of(values: tuple[object, ...]) -> str:
    """A readable label from label columns: names joined, blanks skipped."""
    return " ".join(str(v) for v in values if v not in (None, "")).strip()
