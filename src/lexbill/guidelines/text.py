"""Reading narratives the way e-billing review does: by words and phrases, case and punctuation
ignored.

A million narratives are read per benchmark run, so each is tokenized once (per chunk of lines)
into its words, and every phrase list is compiled once per document into a set of trigger words:
a phrase is looked for only when its first word is among the narrative's words, which a set
lookup decides in C. Phrases are matched as whole words ("call" does not match "recall").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

_WORD = re.compile(r"[^\W_]+")
# The same words for ASCII text, found five times faster: one byte translation lowers the
# letters and turns everything but letters and digits into spaces.
_ASCII_WORDS = bytes(ord(chr(c).lower()) if chr(c).isalnum() else 32 for c in range(128)) + bytes(
    range(128, 256)
)

TextFacts = tuple[str, frozenset[str]]
"""A narrative read once: its words joined by single spaces (padded with a space at each end,
so a phrase is found as a whole-word substring) and the set of its words."""

EMPTY_TEXT: TextFacts = ("  ", frozenset())


def words_of(text: str) -> list[str]:
    """The words of ``text`` in lower case: runs of letters and digits (any script)."""
    if text.isascii():
        return text.encode().translate(_ASCII_WORDS).decode().split()
    return _WORD.findall(text.lower())


def analyze(narrative: str) -> TextFacts:
    if narrative.isascii():
        words = narrative.encode().translate(_ASCII_WORDS).decode().split()
    else:
        words = _WORD.findall(narrative.lower())
    if not words:
        return EMPTY_TEXT
    return (" " + " ".join(words) + " ", frozenset(words))


def read_narratives(narratives: Sequence[str]) -> tuple[list[str], list[frozenset[str]]]:
    """What ``analyze`` finds in each narrative (its padded word string and its word set), for
    a whole chunk at once, as two columns.

    For ASCII narratives the steps run in C, one narrative after the other, through chained
    ``map`` calls instead of a Python call each: the narrative is padded with a space at each
    end and translated (lowered, everything but letters and digits made a space); when that
    left no two spaces side by side, it already is the padded word string, else its words are
    joined again. A chunk with another script is read narrative by narrative by ``analyze``.
    """
    if not all(map(str.isascii, narratives)):
        texts = list(map(analyze, narratives))
        return [text[0] for text in texts], [text[1] for text in texts]
    padded = [f" {narrative} " for narrative in narratives]
    translated = map(bytes.translate, map(str.encode, padded), repeat(_ASCII_WORDS))
    spaced = list(map(bytes.decode, translated))
    padded = [text if "  " not in text else _respaced(text) for text in spaced]
    return padded, list(map(frozenset, map(str.split, spaced)))


def _respaced(text: str) -> str:
    """``text``'s words joined by single spaces, padded with one space at each end."""
    return f" {' '.join(text.split())} "


def normalize_phrases(phrases: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Each phrase as its words; blank phrases and repeats dropped, order kept."""
    seen: set[tuple[str, ...]] = set()
    result: list[tuple[str, ...]] = []
    for phrase in phrases:
        words = tuple(words_of(phrase))
        if words and words not in seen:
            seen.add(words)
            result.append(words)
    return tuple(result)


@dataclass(frozen=True, slots=True)
class PhraseSet:
    """A list of phrases compiled for fast whole-word matching."""

    phrases: tuple[tuple[str, ...], ...]
    single: frozenset[str]
    first_words: frozenset[str]
    multi: dict[str, tuple[tuple[str, str], ...]]
    """First word → (padded phrase text, phrase as written) for phrases of several words."""
    words: frozenset[str]
    """Every word of every phrase."""
    word_sets: tuple[frozenset[str], ...]
    """The words of each phrase."""

    @classmethod
    def of(cls, phrases: Iterable[str]) -> PhraseSet:
        normalized = normalize_phrases(phrases)
        multi: dict[str, list[tuple[str, str]]] = {}
        single: set[str] = set()
        for words in normalized:
            if len(words) == 1:
                single.add(words[0])
            else:
                text = " ".join(words)
                multi.setdefault(words[0], []).append((f" {text} ", text))
        return cls(
            phrases=normalized,
            single=frozenset(single),
            first_words=frozenset(single | set(multi)),
            multi={first: tuple(found) for first, found in multi.items()},
            words=frozenset(word for words in normalized for word in words),
            word_sets=tuple(frozenset(words) for words in normalized),
        )

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def may_be_in(self, words: frozenset[str]) -> bool:
        """Whether every word of some phrase is among ``words``. Without that no phrase is in
        the narrative (``find`` gives None), and the test reads only the phrases' words, so a
        chunk's rows are sifted by it group by group (``Chunk.time_rows_where``)."""
        if words.isdisjoint(self.first_words):
            return False
        return any(phrase <= words for phrase in self.word_sets)

    def find(self, text: TextFacts) -> str | None:
        """The first phrase (longest first among those sharing a word) in the narrative."""
        padded, words = text
        if words.isdisjoint(self.first_words):
            return None
        for first in sorted(words & self.first_words):
            for needle, phrase in self.multi.get(first, ()):
                if needle in padded:
                    return phrase
        hits = words & self.single
        return min(hits) if hits else None

    def find_all(self, text: TextFacts) -> list[str]:
        """Every phrase in the narrative (the vague rule removes all of them)."""
        padded, words = text
        if words.isdisjoint(self.first_words):
            return []
        found = [
            phrase
            for first in sorted(words & self.first_words)
            for needle, phrase in self.multi.get(first, ())
            if needle in padded
        ]
        found.extend(sorted(words & self.single))
        return found


_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "for",
        "with",
        "re",
        "on",
        "in",
        "at",
        "by",
        "from",
        "about",
        "regarding",
        "as",
        "it",
    ]
)


SEPARATOR_MARKS = ";.,&\n"
"""Characters that may separate two tasks by themselves (see ``TaskSplitter.might_split``)."""
CONNECTORS = frozenset({"and", "then", "plus"})
"""Words that separate two tasks when a task word follows them."""


@dataclass(frozen=True, slots=True)
class TaskSplitter:
    """Splits a narrative into the tasks it describes, for block billing.

    Parts are separated by ``;``, a sentence end, a line break, or a comma / "and" / "then" /
    "&" right before a task word. A part is a task when a task word is among its first three
    words and something follows that word (so "review file" is a task, and "review and revise
    the motion" is one task, not two: the bare "review" before "and revise" joins the next
    part).
    """

    words: frozenset[str]
    separator: re.Pattern[str]
    joined: re.Pattern[str]
    """" and <task word> " (or then, plus) in the padded word string."""
    leading_pair: re.Pattern[str]

    @classmethod
    def of(cls, task_words: Iterable[str]) -> TaskSplitter:
        words = frozenset(word for phrase in task_words for word in words_of(phrase))
        alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
        task = f"(?:{alternatives})\\b" if alternatives else "(?!)"
        # Every branch starts with one character from a small set, which lets the regex engine
        # skip ahead instead of trying each branch at every position.
        separator = re.compile(
            r";|\.(?=\s|$)|\n|,(?=\s*(?:(?:and|then)\s+)?"
            + task
            + ")"
            + r"|\s(?:and|then|&|plus)\s+(?="
            + task
            + ")",
            re.IGNORECASE,
        )
        task = f"(?:{alternatives})" if alternatives else "(?!)"  # on the padded word string
        joined = re.compile(f" (?:and|then|plus) {task} ")
        pair = re.compile(f" {task} (?:and|then|plus) {task} ")
        return cls(words=words, separator=separator, joined=joined, leading_pair=pair)

    def might_split(self, text: TextFacts, narrative: str) -> bool:
        """False when ``parts`` cannot find two tasks, decided without a regex.

        Two tasks need a task word and a separator; a separator is ``;``, ``.``, a line
        break, a comma or "&" (``SEPARATOR_MARKS``), or "and" / "then" / "plus"
        (``CONNECTORS``) followed by a task word, which the padded word string shows as
        " and <word> ". Ordinary narratives have none of these ("review and analyze" aside),
        so most skip the regex; a chunk's rows without a mark or a connector are not even
        asked (see ``BlockBillingRule``).
        """
        padded, words = text
        if words.isdisjoint(self.words):
            return False
        if ";" in narrative or "." in narrative or "," in narrative or "&" in narrative:
            return True
        if "\n" in narrative:
            return True
        if " and " not in padded and " then " not in padded and " plus " not in padded:
            return False
        if self.joined.search(padded) is None:
            return False  # no "and" before a task word anywhere: the usual case, one search
        # A leading pair of task words ("review and analyze …") is one task, not two: the
        # bare first word names nothing and joins the next part, so look past it.
        pair = self.leading_pair.match(padded)
        return pair is None or self.joined.search(padded, pair.end() - 1) is not None

    def parts(self, narrative: str) -> list[str]:
        """The narrative cut into task parts (non-task fragments joined to a neighbour)."""
        spans: list[tuple[int, int]] = []
        start = 0
        for match in self.separator.finditer(narrative):
            if narrative[start : match.start()].strip():
                spans.append((start, match.start()))
            start = match.end()
        if narrative[start:].strip():
            spans.append((start, len(narrative)))
        tasks: list[list[int]] = []  # [start, end] of each task part
        pending: int | None = None  # start of non-task text waiting for the next task
        for span_start, span_end in spans:
            if self._is_task(narrative[span_start:span_end]):
                tasks.append([pending if pending is not None else span_start, span_end])
                pending = None
            elif pending is None:
                pending = span_start
        if pending is not None and tasks:
            tasks[-1][1] = spans[-1][1]
        return [_tidy(narrative[s:e]) for s, e in tasks]

    def count(self, narrative: str) -> int:
        return len(self.parts(narrative))

    def _is_task(self, part: str) -> bool:
        words = words_of(part)
        for start, first in enumerate(words[:3]):
            if first in self.words:
                return any(len(word) > 1 and word not in _FILLER for word in words[start + 1 :])
        return False


def _tidy(part: str) -> str:
    part = part.strip().strip(";,").strip()
    if part.endswith("."):
        part = part[:-1].rstrip()
    return part[:1].upper() + part[1:]
