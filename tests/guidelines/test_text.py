"""Reading narratives: the fast paths must agree with the plain definitions they speed up."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lexbill.guidelines.params import TASK_WORDS
from lexbill.guidelines.text import PhraseSet, TaskSplitter, analyze, words_of

WORD = re.compile(r"[^\W_]+")
SPLITTER = TaskSplitter.of(TASK_WORDS)
PIECES = st.sampled_from(
    [
        *TASK_WORDS[:20],
        "motion", "client", "the", "file", "and", "then", "plus", "&", ";", ".", ",", ", and",
        "J.", "Dr.", "re:", "\n", "E-file", "café", "Müller's", "(p. 3)", "  ",
    ]
)  # fmt: skip


@given(st.text(max_size=60))
def test_the_ascii_shortcut_finds_the_same_words_as_the_regex(text: str) -> None:
    assert words_of(text) == WORD.findall(text.lower())


@settings(max_examples=500)
@given(st.lists(PIECES, min_size=1, max_size=14))
def test_the_block_billing_prefilter_never_hides_two_tasks(pieces: list[str]) -> None:
    narrative = " ".join(pieces)
    if not SPLITTER.might_split(analyze(narrative), narrative):
        assert len(SPLITTER.parts(narrative)) < 2, narrative


@settings(max_examples=500)
@given(st.lists(PIECES, min_size=1, max_size=14))
def test_each_proposed_part_is_a_single_task(pieces: list[str]) -> None:
    for part in SPLITTER.parts(" ".join(pieces)):
        assert len(SPLITTER.parts(part)) == 1, part


def test_phrases_match_whole_words_in_any_case_and_punctuation() -> None:
    phrases = PhraseSet.of(["attention to", "call", "e-file"])
    assert phrases.find(analyze("ATTENTION TO: file")) == "attention to"
    assert phrases.find(analyze("Recall witness")) is None
    assert phrases.find(analyze("E-File the brief")) == "e file"
    assert phrases.find_all(analyze("Call re attention to file")) == ["attention to", "call"]
