"""Numbered pages cut from the ids alone, then only the page's rows loaded with their joins and
sums: counting and ordering a list of tens of thousands of invoices or pre-bills is cheap, but
computing every row's balance or line totals first, to show fifty of them, is not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

T = TypeVar("T")
PER_PAGE = 50


def page_of(
    ids: QuerySet[Any],
    number: str | None,
    load: Callable[[list[int]], Mapping[int, T]],
    per_page: int = PER_PAGE,
) -> tuple[Page[Any], list[T]]:
    """The page of ``ids`` (an ordered ``values_list("pk", flat=True)``) numbered ``number``,
    and its objects as ``load`` returns them (keyed by id), in the page's order."""
    page = Paginator(ids, per_page).get_page(number)
    keys = list(page.object_list)
    loaded = load(keys)
    return page, [loaded[key] for key in keys]
