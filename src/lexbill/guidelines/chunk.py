"""A slice of the lines being checked, read column by column.

Rules run over a few thousand lines at a time and read columns (every line's minutes, every
line's rate) built once per chunk with ``attrgetter`` in C, instead of each rule fetching
attributes line by line. Narratives are tokenized once per chunk for all the rules that read
words, and dropped with the chunk, so checking a million lines never holds a million word sets.
Text rules first ask which rows have the words they look for, a question answered once per
group of narratives sharing the same such words (``time_groups``), and look closely only at
those rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import cached_property
from itertools import compress, repeat
from operator import attrgetter, contains

from lexbill.guidelines.model import Line, LineKind
from lexbill.guidelines.text import TextFacts, read_narratives

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
_entered_on = attrgetter("entered_on")
_travel = attrgetter("travel")
_event = attrgetter("event_id")


class Chunk:
    """Lines plus their positions in the whole input (findings are sorted by position)."""

    def __init__(
        self,
        lines: Sequence[Line],
        positions: Sequence[int],
        vocabulary: frozenset[str] = frozenset(),
    ) -> None:
        self.lines = lines
        self.positions = positions
        self.vocabulary = vocabulary
        """Every word the rules of the check look for (their ``trigger_words``)."""
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
        """Classifications in lower case, as every rule compares them: each distinct one
        lowered once, so rows share one string (whose hash Python then keeps)."""
        classifications = list(map(_classification, self.lines))
        lowered = {name: name.lower() for name in set(classifications)}
        return list(map(lowered.__getitem__, classifications))

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
    def entered_on(self) -> list[datetime.date | None]:
        return list(map(_entered_on, self.lines))

    @cached_property
    def travel_flags(self) -> list[bool | None]:
        return list(map(_travel, self.lines))

    @cached_property
    def event_ids(self) -> list[str]:
        return list(map(_event, self.lines))

    @cached_property
    def _read(self) -> tuple[list[str], list[frozenset[str]]]:
        return read_narratives(self.narratives)

    @cached_property
    def padded(self) -> list[str]:
        """Each narrative's words joined by single spaces, with a space at each end, so a
        phrase is found as a whole-word substring (see ``text.analyze``)."""
        return self._read[0]

    @cached_property
    def words(self) -> list[frozenset[str]]:
        """Each narrative's set of words, in lower case."""
        return self._read[1]

    def text(self, i: int) -> TextFacts:
        """Row ``i``'s narrative as ``text.analyze`` reads it, for the phrase finders."""
        return self.padded[i], self.words[i]

    @cached_property
    def time_groups(self) -> dict[frozenset[str], list[int]]:
        """The time rows grouped by which words of ``vocabulary`` their narrative has.

        The 4,096 narratives of a chunk fall into a hundred or two such groups (the words
        rules look for are few, and narratives repeat them), so a rule that tests only these
        words tests each group once instead of each row: see ``time_rows_where``.
        """
        rows = self.time_rows
        found = map(self.vocabulary.intersection, map(self.words.__getitem__, rows))
        groups: defaultdict[frozenset[str], list[int]] = defaultdict(list)
        for row, key in zip(rows, found, strict=True):
            groups[key].append(row)
        return groups

    def time_groups_reading(
        self, reads: frozenset[str]
    ) -> Iterable[tuple[frozenset[str], list[int]]]:
        """``time_groups`` (group words, rows) when ``reads`` is within ``vocabulary``; else
        each time row alone with all its words, so a test of them is exact either way."""
        if reads <= self.vocabulary:
            return self.time_groups.items()
        words = self.words
        return ((words[row], [row]) for row in self.time_rows)

    def time_rows_where(
        self, test: Callable[[frozenset[str]], bool], reads: frozenset[str]
    ) -> list[int]:
        """The time rows (in order) whose narrative's words pass ``test``.

        ``test`` may look only at the words in ``reads`` (it must answer alike for two
        narratives sharing those), so when they are all in ``vocabulary`` (the engine gathers
        each rule's ``trigger_words`` into it) it runs once per group; otherwise once per row.
        """
        rows = [
            row for found, group in self.time_groups_reading(reads) if test(found) for row in group
        ]
        rows.sort()
        return rows

    def time_rows_mentioning(self, triggers: frozenset[str]) -> list[int]:
        """The time rows whose narrative has one of ``triggers`` among its words."""
        return self.time_rows_where(lambda words: not triggers.isdisjoint(words), triggers)

    def time_rows_with_any_of(self, marks: str) -> list[int]:
        """The time rows whose narrative contains one of the characters ``marks``.

        Only the marks found in the chunk at all are looked for row by row (most chunks have
        few of them), each by a substring test mapped over the narratives in C.
        """
        narratives = self.narratives
        whole = "".join(narratives)
        found: set[int] = set()
        for mark in marks:
            if mark in whole:
                found.update(
                    compress(range(len(narratives)), map(contains, narratives, repeat(mark)))
                )
        kinds, time = self.kinds, LineKind.TIME
        return [i for i in sorted(found) if kinds[i] is time]

    def time_rows_coded(self, codes: frozenset[str]) -> list[int]:
        """The time rows whose activity code is one of ``codes`` (tested in C)."""
        activity_codes = self.activity_codes
        coded = map(codes.__contains__, map(activity_codes.__getitem__, self.time_rows))
        return list(compress(self.time_rows, coded))
