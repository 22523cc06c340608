"""Warnings on the entry form, while the entry is typed: cheap, and only what one entry shows."""

from __future__ import annotations

import time
from decimal import Decimal

from lexbill.guidelines import RuleType, check_entry, compile_guidelines, load_template
from tests.guidelines.conftest import document, time_line


def test_an_entry_being_typed_gets_the_warnings_it_already_deserves() -> None:
    doc = load_template("insurance-defense")
    entry = time_line(
        minutes=15,
        narrative="Review file; draft letter",
        task_code="L100",
        classification="associate",
        rate=Decimal("225"),
    )
    found = {f.rule_id: f for f in check_entry(doc, entry)}
    assert set(found) == {"increment", "block-billing", "codes"}
    assert "L100 is a phase" in found["codes"].message


def test_a_vague_narrative_is_flagged_as_soon_as_it_is_typed() -> None:
    doc = document({"type": "vague_narrative"}, {"type": "billing_increment"})
    typed = ""
    warnings = []
    for word in ("Attention", "to", "file"):
        typed = f"{typed} {word}".strip()
        warnings.append([f.rule_type for f in check_entry(doc, time_line(narrative=typed))])
    assert warnings == [["vague_narrative"]] * 3
    fine = time_line(narrative="Attention to deposition outline for plaintiff's treating physician")
    assert check_entry(doc, fine) == ()


def test_set_wise_rules_wait_for_the_pre_bill() -> None:
    doc = document(
        {"type": "duplicate_entry"},
        {"type": "daily_hours", "max_hours": "1"},
        {"type": "internal_conference", "max_billers": 1},
        {"type": "entry_hours", "max_hours": "1"},
    )
    long_entry = time_line(minutes=120, narrative="Conference with partner about the brief")
    assert [f.rule_type for f in check_entry(doc, long_entry)] == ["entry_hours"]


def test_the_rules_can_be_narrowed_to_what_the_form_shows() -> None:
    doc = load_template("insurance-defense")
    entry = time_line(minutes=15, narrative="Attention to file")
    found = check_entry(doc, entry, types={RuleType.VAGUE_NARRATIVE})
    assert [f.rule_type for f in found] == ["vague_narrative"]


def test_checking_one_entry_is_cheap() -> None:
    doc = load_template("insurance-defense")
    compiled = compile_guidelines(doc)
    entry = time_line(narrative="Review deposition transcript of plaintiff regarding causation")
    check_entry(compiled, entry)
    start = time.perf_counter()
    for _ in range(200):
        check_entry(doc, entry)  # the compiled form is cached per document
    per_call = (time.perf_counter() - start) / 200
    assert per_call < 0.002, f"{per_call * 1e6:.0f} µs per entry"
