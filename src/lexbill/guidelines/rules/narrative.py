"""Rules that read what the narrative says: block billing, vague words, clerical work,
internal conferences and work the client restricts."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from itertools import compress

from lexbill.guidelines import params as p
from lexbill.guidelines.chunk import Chunk
from lexbill.guidelines.fixes import split_line
from lexbill.guidelines.model import ZERO, CheckContext, Fix, FixKind, Line
from lexbill.guidelines.params import RuleType
from lexbill.guidelines.pricing import at_risk, percent_of
from lexbill.guidelines.rules.base import Found, Rule, Scan, a_or_an, day, hours
from lexbill.guidelines.text import (
    CONNECTORS,
    SEPARATOR_MARKS,
    PhraseSet,
    TaskSplitter,
    TextFacts,
    words_of,
)


class BlockBillingRule(Rule[p.BlockBilling]):
    type = RuleType.BLOCK_BILLING

    def setup(self) -> None:
        self.splitter = TaskSplitter.of(self.params.task_words)

    @property
    def trigger_words(self) -> frozenset[str]:
        return CONNECTORS

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        splitter = self.splitter
        narratives = chunk.narratives
        least = self.params.min_tasks
        # might_split is False for a row without a separator mark unless a connector word
        # comes before a task word (its regex ``joined``): the chunk's rows with either are
        # found first, the regex mapped in C over the rows with a connector word.
        connected = chunk.time_rows_mentioning(CONNECTORS)
        padded = chunk.padded
        joined = map(splitter.joined.search, map(padded.__getitem__, connected))
        rows = {*chunk.time_rows_with_any_of(SEPARATOR_MARKS), *compress(connected, joined)}
        for i in sorted(rows):
            if not splitter.might_split(chunk.text(i), narratives[i]):
                continue
            parts = splitter.parts(narratives[i])
            if len(parts) < least:
                continue
            line = chunk.lines[i]
            message = (
                f"block billing: {len(parts)} tasks under one time of {hours(line.minutes)} h "
                f"({'; '.join(parts)}); the client wants each task with its own time"
            )
            risk = at_risk(
                line.amount, percent_of(line.amount, self.params.at_risk_percent, self.currency)
            )
            fixes = self._split(line, parts)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk, fixes)))

    def _split(self, line: Line, parts: list[str]) -> tuple[Fix, ...]:
        step = self.facts.increment_minutes
        if line.minutes % step or line.minutes // step < len(parts):
            return ()  # not enough whole increments to give each task one: no certain split
        proposed = split_line(line, parts, step, self.currency)
        fix = self.fix(
            line,
            FixKind.SPLIT,
            sum((part.amount for part in proposed), ZERO),
            f"split into {len(parts)} entries, one per task",
            split_narratives=tuple(parts),
            split_increment=step,
            proposed_lines=proposed,
        )
        return (fix,)


class VagueNarrativeRule(Rule[p.VagueNarrative]):
    type = RuleType.VAGUE_NARRATIVE

    def setup(self) -> None:
        self.phrases = PhraseSet.of(self.params.phrases)
        stop_words = self.params.stop_words
        # One-letter words ("s" of "client's", "3") name no subject either.
        singles = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
        self.stop = singles | {word for phrase in stop_words for word in words_of(phrase)}
        self.noise = self.stop | self.phrases.words

    @property
    def trigger_words(self) -> frozenset[str]:
        return self.noise

    def vague_because(self, narrative: str, text: TextFacts) -> str | None:
        length = len(narrative.strip())
        if length < self.params.min_length:
            return (
                f"narrative too short ({length} characters; the client wants at least "
                f"{self.params.min_length} saying what was done and why)"
            )
        words = text[1]
        if words.isdisjoint(self.phrases.first_words):
            return None
        least = self.params.min_subject_words
        if len(words - self.noise) >= least:
            return None  # enough subject even if every phrase word were a vague phrase's
        found = self.phrases.find_all(text)
        if not found:
            return None
        used = {word for phrase in found for word in phrase.split()}
        subject = [w for w in words if len(w) > 1 and w not in used and w not in self.stop]
        if len(subject) >= least:
            return None
        return (
            f"vague narrative: {found[0]!r} without naming what it was about (the client wants "
            "the task, the document or person, and the purpose)"
        )

    def suspects(self, chunk: Chunk) -> list[int]:
        """The time rows that may be vague: too short, or holding every word of a vague
        phrase with fewer than ``min_subject_words`` words outside every phrase and stop word
        (``noise``). ``vague_because`` repeats both tests and decides; these spare it the rest.

        The second test is made per group of narratives sharing the same noise words
        (``Chunk.time_groups_reading``): a narrative's words outside its group's words are
        all subject words, so row by row only its number of words is read.
        """
        narratives, words = chunk.narratives, chunk.words
        rows = chunk.time_rows
        lengths = map(len, map(str.strip, map(narratives.__getitem__, rows)))
        shortest, least = self.params.min_length, self.params.min_subject_words
        suspects = {i for i, length in zip(rows, lengths, strict=True) if length < shortest}
        for found, group in chunk.time_groups_reading(self.noise):
            if not self.phrases.may_be_in(found):
                continue
            wanting = least - len(found - self.noise)  # subject words still needed
            if wanting > 0:
                shared = len(found)
                suspects.update(row for row in group if len(words[row]) - shared < wanting)
        return sorted(suspects)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        narratives = chunk.narratives
        for i in self.suspects(chunk):
            because = self.vague_because(narratives[i], chunk.text(i))
            if because is not None:
                line = chunk.lines[i]
                risk = at_risk(line.amount, line.amount)
                found.append((chunk.positions[i], self.finding((line.id,), because, risk)))


class ClericalWorkRule(Rule[p.ClericalWork]):
    type = RuleType.CLERICAL_WORK

    def setup(self) -> None:
        self.phrases = PhraseSet.of(self.params.phrases)
        self.classes = frozenset(c.lower() for c in self.params.classifications)

    @property
    def trigger_words(self) -> frozenset[str]:
        return self.phrases.words

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        classes = chunk.classes
        only = self.classes
        for i in chunk.time_rows_where(self.phrases.may_be_in, self.phrases.words):
            if only and classes[i] not in only:
                continue
            phrase = self.phrases.find(chunk.text(i))
            if phrase is None:
                continue
            line = chunk.lines[i]
            who = a_or_an(line.classification or "timekeeper")
            message = (
                f"clerical or administrative work ({phrase!r}) billed by {who}: overhead the "
                "client does not pay for"
            )
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))


class InternalConferenceRule(Rule[p.InternalConference]):
    type = RuleType.INTERNAL_CONFERENCE

    def setup(self) -> None:
        self.phrases = PhraseSet.of(self.params.phrases)
        self.codes = frozenset(self.params.activity_codes)

    @property
    def trigger_words(self) -> frozenset[str]:
        return self.phrases.words

    @property
    def checks_alone(self) -> bool:
        return self.params.max_billers == 0

    def internal(self, chunk: Chunk, i: int) -> str | None:
        """What marks the line as an internal conference (a phrase or the code), or None."""
        code = chunk.activity_codes[i]
        if code in self.codes:
            return f"activity code {code}"
        if chunk.words[i].isdisjoint(self.phrases.first_words):
            return None
        phrase = self.phrases.find(chunk.text(i))
        return repr(phrase) if phrase is not None else None

    def candidates(self, chunk: Chunk) -> list[int]:
        """The time rows ``internal`` may mark: those with the code or a phrase's words."""
        worded = chunk.time_rows_where(self.phrases.may_be_in, self.phrases.words)
        return sorted({*chunk.time_rows_coded(self.codes), *worded})

    def begin(self, context: CheckContext) -> Scan:
        if self.params.max_billers == 0:
            return super().begin(context)
        return _InternalScan(self)

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        for i in self.candidates(chunk):
            marked = self.internal(chunk, i)
            if marked is None:
                continue
            line = chunk.lines[i]
            message = (
                f"internal conference between the firm's own people ({marked}); the client does "
                "not pay for them"
            )
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))


class _InternalScan(Scan):
    """With ``max_billers`` N: per matter and day, only N timekeepers may bill them."""

    def __init__(self, rule: InternalConferenceRule) -> None:
        self.rule = rule
        self.groups: dict[tuple[str, datetime.date], list[int]] = {}

    def scan(self, chunk: Chunk) -> None:
        for i in self.rule.candidates(chunk):
            if self.rule.internal(chunk, i) is not None:
                key = (chunk.matters[i], chunk.dates[i])
                self.groups.setdefault(key, []).append(chunk.positions[i])

    def finish(self, lines: Sequence[Line]) -> Found:
        limit = self.rule.params.max_billers
        found: Found = []
        for (matter, worked_on), positions in self.groups.items():
            extra = extra_timekeepers(lines, positions, limit)
            if not extra:
                continue
            keepers = sorted({lines[pos].timekeeper_id for pos in extra})
            message = (
                f"internal conferences on matter {matter} on {day(worked_on)} billed by "
                f"{len({lines[pos].timekeeper_id for pos in positions})} timekeepers; the client "
                f"pays for {limit} (at risk: {', '.join(keepers)})"
            )
            risk = sum((at_risk(lines[pos].amount, lines[pos].amount) for pos in extra), ZERO)
            ids = tuple(lines[pos].id for pos in extra)
            found.append((extra[0], self.rule.finding(ids, message, risk)))
        return found


def extra_timekeepers(lines: Sequence[Line], positions: list[int], limit: int) -> list[int]:
    """Positions of the lines of timekeepers beyond ``limit``: those who billed the most are
    kept (they led the work), ties broken by who billed first."""
    by_keeper: dict[str, list[int]] = {}
    for pos in positions:
        by_keeper.setdefault(lines[pos].timekeeper_id, []).append(pos)
    if len(by_keeper) <= limit:
        return []
    ranking: list[tuple[Decimal, int, str]] = []
    for rank, (keeper, own) in enumerate(by_keeper.items()):
        total = sum((lines[pos].amount for pos in own), ZERO)
        ranking.append((-total, rank, keeper))
    ranking.sort()
    return sorted(pos for _, _, keeper in ranking[limit:] for pos in by_keeper[keeper])


class RestrictedWorkRule(Rule[p.RestrictedWork]):
    type = RuleType.RESTRICTED_WORK

    def setup(self) -> None:
        self.phrases = PhraseSet.of(self.params.phrases)

    @property
    def trigger_words(self) -> frozenset[str]:
        return self.phrases.words

    def check(self, chunk: Chunk, context: CheckContext, found: Found) -> None:
        for i in chunk.time_rows_where(self.phrases.may_be_in, self.phrases.words):
            phrase = self.phrases.find(chunk.text(i))
            if phrase is None:
                continue
            line = chunk.lines[i]
            message = f"{self.params.label} (the narrative mentions {phrase!r})"
            risk = at_risk(line.amount, line.amount)
            found.append((chunk.positions[i], self.finding((line.id,), message, risk)))
