"""Fuzz the client billing guideline YAML reader: ``load_document`` refuses with a
``GuidelineError`` (a ``LexbillError`` listing every problem) or returns a checked document."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.guidelines.document import GuidelineDocument
from lexbill.guidelines.errors import GuidelineError
from lexbill.guidelines.yamltext import dump_document, load_document

from .support import FUZZ, NASTY_TEXT, ROOT, any_input, only_lexbill_errors

TEMPLATES = sorted((ROOT / "src" / "lexbill" / "guidelines" / "templates").glob("*.yaml"))


def _load(data: str | bytes) -> None:
    document = only_lexbill_errors(lambda: load_document(data, source="fuzz"))
    if isinstance(document, GuidelineDocument):
        # whatever loads must dump and load back to the same document
        assert load_document(dump_document(document)) == document


def test_the_templates_are_there_to_mutate() -> None:
    assert len(TEMPLATES) >= 2


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_a_mutated_guideline_file_is_refused_or_loaded(template: Path, data: st.DataObject) -> None:
    _load(data.draw(any_input(template.read_text())))


_SCALARS = st.sampled_from(NASTY_TEXT) | st.text(max_size=6) | st.integers() | st.booleans()


@st.composite
def _values_changed(draw: st.DrawFn, text: str) -> str:
    """``key: value`` lines given another value: the YAML stays valid, the document maybe not,
    so the schema checks (types, numbers, dates, enums) see arbitrary values."""
    lines = text.splitlines()
    spots = [
        i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")
    ]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.sampled_from(spots))
        key = lines[at].split(": ", 1)[0]
        value = draw(_SCALARS)
        quoted = draw(st.booleans())
        shown = repr(str(value)).replace("\\\\", "\\") if quoted else str(value)
        lines[at] = f"{key}: {shown}"
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
@FUZZ
@given(data=st.data())
def test_a_guideline_with_values_changed_is_refused_or_loaded(
    template: Path, data: st.DataObject
) -> None:
    _load(data.draw(_values_changed(template.read_text())))


@FUZZ
@given(text=st.text(alphabet=st.sampled_from("-:?[]{}&*!|>'\"#%@ \n\tab01"), max_size=120))
def test_yaml_punctuation_soup_is_refused_or_loaded(text: str) -> None:
    _load(text)


# --- inputs the fuzzer found, pinned ---------------------------------------------------------


def _template_with(old: str, new: str) -> str:
    text = TEMPLATES[0].read_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("text", ["{[a]: b}\n", "? [a]\n: b\n", "? {a: b}\n: c\n"])
def test_a_list_or_mapping_as_a_key_is_refused_with_its_line(text: str) -> None:
    # the duplicate-key check did ``key in seen`` first: TypeError (unhashable type)
    with pytest.raises(GuidelineError, match="key must be a name") as caught:
        load_document(text)
    assert caught.value.line == 1


def test_thousands_of_nested_brackets_are_refused_not_a_stack_overflow() -> None:
    with pytest.raises(GuidelineError, match="nested too deeply"):
        load_document("[" * 3000 + "]" * 3000)


def test_a_date_that_does_not_exist_is_refused() -> None:
    # PyYAML's timestamp constructor raised ValueError (day is out of range for month)
    with pytest.raises(GuidelineError, match="day is out of range"):
        load_document(_template_with("effective_from: 2026-01-01", "effective_from: 2026-02-30"))


@pytest.mark.parametrize("written", ["'--6'", "'²'", "'" + "9" * 5000 + "'"])
def test_a_whole_number_that_only_looks_like_digits_is_refused_by_name(written: str) -> None:
    # _read_int trusted str.isdigit(): int("--6"), int("²") and 5000 digits raised ValueError
    text = _template_with("minutes: 6", f"minutes: {written}")
    with pytest.raises(GuidelineError, match="minutes: expected a whole number"):
        load_document(text)
