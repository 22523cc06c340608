"""Transliteration: LEDES-safe text, and a record of every character changed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.ledes import ChangeKind, clean_text, transliterate
from lexbill.ledes.text import is_ledes_safe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Attorney’s fees", "Attorney's fees"),
        ("“quoted” ‘single’ „low“", '"quoted" \'single\' "low"'),
        ("1999–2000 — dash", "1999-2000 - dash"),
        ("wait…", "wait..."),
        ("Straße Æsir œuvre Øresund", "Strasse AEsir oeuvre Oresund"),
        ("café naïve Ångström Łódź", "cafe naive Angstrom Lodz"),
        ("A | B [draft]", "A / B (draft)"),
        ("one\r\ntwo\nthree\rfour\tfive", "one two three four five"),
        ("§ 1983 © €5", "Sec. 1983 (c) EUR5"),
        ("ﬁle ½ x²", "file 1/2 x2"),
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
        ("中文 🙂", "?? ?"),
        ("ｆｕｌｌ｜ｗｉｄｔｈ", "full/width"),
        ("plain ASCII stays", "plain ASCII stays"),
    ],
)
def test_text_is_transliterated_to_what_ledes_can_carry(text: str, expected: str) -> None:
    cleaned = clean_text(text)
    assert cleaned.text == expected
    assert is_ledes_safe(cleaned.text)
    assert cleaned.changed is (text != expected)


def test_each_change_says_where_and_what() -> None:
    text, changes = transliterate(
        "Müller’s ’note’", invoice="2026-7", field="LINE_ITEM_DESCRIPTION", line_item="3"
    )
    assert text == "Muller's 'note'"
    assert [(c.original, c.replacement, c.count) for c in changes] == [("ü", "u", 1), ("’", "'", 3)]
    change = changes[1]
    assert (change.invoice, change.line_item, change.field) == (
        "2026-7",
        "3",
        "LINE_ITEM_DESCRIPTION",
    )
    assert "RIGHT SINGLE QUOTATION MARK" in change.message and "3 times" in change.message


def test_truncation_to_a_limit_is_reported_with_the_text_removed() -> None:
    text, changes = transliterate(
        "Review – of the agreement", invoice="I", field="LINE_ITEM_DESCRIPTION", limit=9
    )
    assert text == "Review -"
    assert [(c.kind, c.original) for c in changes] == [
        (ChangeKind.REPLACED, "–"),
        (ChangeKind.TRUNCATED, " of the agreement"),
    ]


@given(st.text(max_size=300))
def test_no_character_is_ever_dropped_silently(text: str) -> None:
    cleaned = clean_text(text)
    assert is_ledes_safe(cleaned.text)
    unsafe = sum(1 for c in text if not (" " <= c <= "~") or c in "|[]")
    pairs = text.count("\r\n")
    changed = sum(count for _, _, count in cleaned.replacements)
    # Every unsafe character is accounted for (a CR LF pair counts once).
    assert changed == unsafe - pairs
    if not cleaned.changed:
        assert cleaned.text == text


@given(st.text(max_size=200), st.integers(min_value=1, max_value=50))
def test_a_limit_is_always_respected_and_the_cut_text_kept(text: str, limit: int) -> None:
    cleaned = clean_text(text, limit)
    assert len(cleaned.text) <= limit
    assert cleaned.text + cleaned.truncated == clean_text(text).text
