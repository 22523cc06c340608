"""A slice of the lines being checked, read column by column.

Rules run over a few thousand lines at a time and read columns (every line's minutes, every
line's rate) built once per chunk with ``attrgetter`` in C, instead of each rule fetching
attributes line by line. Narratives are tokenized once per chunk for all the rules that read
words, and dropped with the chunk, so checking a million lines never holds a million word sets.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from functools import cached_property
from operator import attrgetter

from lexbill.guidelines.model import Line, LineKind
from lexbill.guidelines.text import TextFacts, analyze

_kind = attrgetter("kind")
_minutes = attrgetter("minutes")
_rate = attrgetter("rate")
_amount = attrgetter("amount")
_timekeeper = attrgetter("timekeeper_id")
_classification = attrgetter("classification")
_matter = attrgetter("matter_id")
_work_date = attrgetter("work_date")
_narrative = attrgetter("narrative")
_task = attrgetter("task_code")
_activity = attrgetter("activity_code")
_expense = attrgetter("expense_code")


class Chunk:
    """Lines plus their positions in the whole input (findings are sorted by position)."""

    def __init__(self, lines: Sequence[Line], positions: Sequence[int]) -> None:
        self.lines = lines
        self.positions = positions
        self.shared: dict[object, object] = {}
        """Results several rules need (the travel lines), computed by the first to ask."""

    def __len__(self) -> int:
        return len(self.lines)

    @cached_property
    def kinds(self) -> list[LineKind]:
        return list(map(_kind, self.lines))

    @cached_property
    def time_rows(self) -> list[int]:
        """Indexes (within the chunk) of the time lines."""
        time = LineKind.TIME
        return [i for i, kind in enumerate(self.kinds) if kind is time]

    @cached_property
    def expense_rows(self) -> list[int]:
        expense = LineKind.EXPENSE
        return [i for i, kind in enumerate(self.kinds) if kind is expense]

    @cached_property
    def minutes(self) -> list[int]:
        return list(map(_minutes, self.lines))

    @cached_property
    def rates(self) -> list[Decimal]:
        return list(map(_rate, self.lines))

    @cached_property
    def amounts(self) -> list[Decimal]:
        return list(map(_amount, self.lines))

    @cached_property
    def timekeepers(self) -> list[str]:
        return list(map(_timekeeper, self.lines))

    @cached_property
    def classes(self) -> list[str]:
        """Classifications in lower case, as every rule compares them."""
        return [c.lower() for c in map(_classification, self.lines)]

    @cached_property
    def matters(self) -> list[str]:
        return list(map(_matter, self.lines))

    @cached_property
    def dates(self) -> list[datetime.date]:
        return list(map(_work_date, self.lines))

    @cached_property
    def narratives(self) -> list[str]:
        return list(map(_narrative, self.lines))

    @cached_property
    def task_codes(self) -> list[str]:
        return list(map(_task, self.lines))

    @cached_property
    def activity_codes(self) -> list[str]:
        return list(map(_activity, self.lines))

    @cached_property
    def expense_codes(self) -> list[str]:
        return list(map(_expense, self.lines))

    @cached_property
    def texts(self) -> list[TextFacts]:
        """Each narrative read once; a narrative repeated in the chunk is read once too (a
        memo across chunks measured slower: a big dict misses the CPU caches)."""
        narratives = self.narratives
        distinct = dict.fromkeys(narratives)
        if len(distinct) == len(narratives):
            return [analyze(narrative) for narrative in narratives]
        for narrative in distinct:
            distinct[narrative] = analyze(narrative)
        return [distinct[narrative] for narrative in narratives]  # type: ignore[misc]
