"""Guideline documents as YAML and data: round trips, templates, and errors that name the rule
and the parameter, with nothing half-loaded."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from lexbill.core.errors import NotFound
from lexbill.guidelines import (
    GuidelineError,
    RateCapItem,
    RuleType,
    check_lines,
    document_from_data,
    document_in_force,
    document_to_data,
    dump_document,
    load_document,
    load_template,
    template_names,
    template_text,
)
from tests.guidelines.conftest import document, time_line

GOOD = """\
# Acme's guidelines
name: Acme outside counsel guidelines
client: ACME
version: 2
effective_from: 2026-01-01
rules:
  - id: tenths
    type: billing_increment
    source: "§4.1 Time in tenths"
    minutes: 6
  - id: caps
    type: rate_cap
    caps:
      - classification: partner
        max_rate: "450.00"
      - timekeeper: "0042"
        max_rate: 500
    default_max_rate: 0.10   # a plain decimal reads exactly
  - id: words
    type: vague_narrative
    phrases: [attention to, "work on", 'review file']
matters:
  - matter: M-7
    note: trial matter, rates agreed higher
    disable: [tenths]
    rules:
      - id: caps
        type: rate_cap
        caps:
          - classification: partner
            max_rate: "600"
"""


def test_a_yaml_document_reads_into_typed_rules() -> None:
    doc = load_document(GOOD)
    assert (doc.name, doc.client, doc.version, doc.effective_from) == (
        "Acme outside counsel guidelines",
        "ACME",
        2,
        date(2026, 1, 1),
    )
    assert [rule.type for rule in doc.rules] == [
        RuleType.BILLING_INCREMENT,
        RuleType.RATE_CAP,
        RuleType.VAGUE_NARRATIVE,
    ]
    caps = doc.rules[1].params
    assert caps.caps == (  # type: ignore[union-attr]
        RateCapItem(max_rate=Decimal("450.00"), classification="partner"),
        RateCapItem(max_rate=Decimal(500), timekeeper="0042"),
    )
    assert caps.default_max_rate == Decimal("0.10")  # type: ignore[union-attr]
    assert doc.rules[2].params.phrases == ("attention to", "work on", "review file")  # type: ignore[union-attr]
    assert doc.rules[0].source == "§4.1 Time in tenths"


def test_dumping_and_loading_gives_the_same_document() -> None:
    doc = load_document(GOOD)
    text = dump_document(doc)
    assert load_document(text) == doc
    assert load_document(dump_document(load_document(text))) == doc
    data = document_to_data(doc)
    assert document_from_data(json.loads(json.dumps(data))) == doc


@pytest.mark.parametrize("name", template_names())
def test_every_template_loads_round_trips_and_has_at_least_25_rules(name: str) -> None:
    doc = load_template(name, client="C001")
    assert doc.client == "C001"
    assert len(doc.rules) >= 25
    assert load_document(dump_document(doc)) == doc
    assert load_document(template_text(name)).rules == doc.rules


def test_templates_cover_every_rule_type_between_them() -> None:
    types = {rule.type for name in template_names() for rule in load_template(name).rules}
    assert types == set(RuleType)


def test_an_unknown_template_is_refused_by_name() -> None:
    with pytest.raises(NotFound, match="insurance-defense"):
        template_text("nonsense")


def test_what_the_emitter_writes_plain_pyyaml_reads_to_the_same_document() -> None:
    import yaml

    for name in template_names():
        dumped = dump_document(load_template(name))
        assert document_from_data(yaml.safe_load(dumped)) == load_template(name)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: x\n  client: y\n", 2),
        ("name: x\nclient: [a\n", 3),
        ("name: x\nrules:\n  - id: a\n    type: late_entry\n    max_days: 3\n    max_days: 4\n", 6),
    ],
)
def test_bad_yaml_is_refused_with_its_line(text: str, line: int) -> None:
    with pytest.raises(GuidelineError) as caught:
        load_document(text, source="acme.yaml")
    assert f"line {line}: " in str(caught.value)
    assert caught.value.source == "acme.yaml" and caught.value.line == line


def test_a_plain_number_is_text_where_text_is_expected() -> None:
    doc = document({"type": "approved_timekeepers", "timekeepers": [42]}, client=10231)
    assert doc.client == "10231"
    assert doc.rules[0].params.timekeepers == ("42",)  # type: ignore[union-attr]


@pytest.mark.parametrize("number", ["0042", "1_000", "0x1F"])
def test_numbers_yaml_reads_differently_from_how_they_look_are_refused(number: str) -> None:
    with pytest.raises(GuidelineError, match=r"line 2: .*put it in quotes"):
        load_document(f"name: x\nclient: {number}\n")


def test_bad_parameters_are_all_named_by_rule_and_parameter_at_once() -> None:
    text = """\
name: Acme
client: ACME
version: 1
effective_from: 2026-01-01
rules:
  - id: tenths
    type: billing_increment
    minutes: 7.5
  - id: caps
    type: rate_cap
    caps:
      - classification: partner
        max_rate: lots
  - id: travel
    type: travel_time
    billable_percent: "150"
    speed: fast
  - type: vague_narrative
  - id: mystery
    type: frobnicate
  - id: tenths
    type: late_entry
    severity: fatal
"""
    with pytest.raises(GuidelineError) as caught:
        load_document(text)
    problems = caught.value.problems
    assert problems == (
        "rules[0] 'tenths' (billing_increment): minutes: expected a whole number, got 7.5",
        "rules[1] 'caps' (rate_cap): caps[0].max_rate: expected a decimal number, got 'lots'",
        "rules[2] 'travel' (travel_time): speed: unknown parameter (takes: billable_percent, "
        "phrases, activity_codes)",
        "rules[3]: id is required",
        "rules[4] 'mystery': unknown rule type 'frobnicate' (one of "
        + ", ".join(t.value for t in RuleType)
        + ")",
        "rules[5] 'tenths': severity: expected one of block, warn, got 'fatal'",
    )
    assert "invalid guideline document (6 problems)" in str(caught.value)


def test_limits_beyond_types_are_checked_and_named() -> None:
    with pytest.raises(GuidelineError) as caught:
        document(
            {"type": "travel_time", "billable_percent": "150"},
            {"type": "billing_increment", "minutes": 0},
            {"type": "rate_cap", "caps": [{"max_rate": "100"}]},
            {"type": "daily_hours", "max_hours": "-2"},
            {"type": "restricted_work", "phrases": [], "label": " "},
            {"type": "utbms_codes", "code_sets": ["tax"]},
        )
    assert caught.value.problems == (
        "rules[0] 'rule-1' (travel_time): billable_percent: must be at most 100, not 150",
        "rules[1] 'rule-2' (billing_increment): minutes: must be 1 to 60, not 0",
        "rules[2] 'rule-3' (rate_cap): caps[0]: names exactly one of timekeeper or classification",
        "rules[3] 'rule-4' (daily_hours): max_hours: cannot be negative (-2)",
        "rules[3] 'rule-4' (daily_hours): max_hours: must be above 0 and at most 24, not -2",
        "rules[4] 'rule-5' (restricted_work): phrases: needs at least one phrase",
        "rules[4] 'rule-5' (restricted_work): label: says why the work is restricted; it is blank",
        "rules[5] 'rule-6' (utbms_codes): code_sets: unknown sets ['tax']; use ['bankruptcy', "
        "'counseling', 'litigation', 'project']",
    )


def test_one_bad_rule_refuses_the_whole_document() -> None:
    data = document_to_data(load_document(GOOD))
    data["rules"][1]["caps"][0]["max_rate"] = "-5"  # type: ignore[index]
    with pytest.raises(GuidelineError, match=r"rules\[1\] 'caps' \(rate_cap\): caps\[0\]"):
        document_from_data(data)


def test_document_level_mistakes_are_named() -> None:
    with pytest.raises(GuidelineError) as caught:
        document_from_data(
            {
                "name": "x",
                "client": "y",
                "version": 0,
                "effective_from": "2026-05-01",
                "effective_to": "2026-01-01",
                "currency": "XYZ",
                "rules": [],
                "colour": "blue",
                "matters": [{"matter": "M1", "disable": ["nothing"]}],
            }
        )
    assert caught.value.problems == (
        "unknown key 'colour' (takes: format, name, client, version, effective_from, "
        "effective_to, currency, description, rules, matters)",
        "currency: 'XYZ' is not a supported currency",
    )
    with pytest.raises(GuidelineError) as structural:
        document_from_data(
            {
                "name": "x",
                "client": "y",
                "version": 0,
                "effective_from": "2026-05-01",
                "effective_to": "2026-01-01",
                "rules": [{"id": "day", "type": "daily_hours"}],
                "matters": [
                    {"matter": "M1", "disable": ["nothing", "day"]},
                    {"matter": "M2", "rules": [{"id": "day", "type": "late_entry"}]},
                ],
            }
        )
    assert structural.value.problems == (
        "version must be at least 1, not 0",
        "effective_to 2026-01-01 is before effective_from 2026-05-01",
        "matters[0] 'M1': disables 'nothing', which is not a rule",
        "matters[0] 'M1': 'day' (daily_hours) covers all the client's matters and cannot be "
        "switched off for one",
        "matters[1] 'M2' rules[0] 'day': replaces a daily_hours rule with a late_entry one; give "
        "the new rule its own id",
    )


def test_a_matter_override_replaces_and_disables_rules_for_that_matter_only() -> None:
    doc = load_document(GOOD)
    assert [r.id for r in doc.rules_for_matter("M-7")] == ["caps", "words"]
    partner = {"classification": "partner", "rate": Decimal("550.00"), "minutes": 15}
    lines = [time_line("1", **partner), time_line("2", matter_id="M-7", **partner)]
    result = check_lines(doc, lines)
    assert [(f.rule_id, f.line_ids) for f in result.findings] == [
        ("tenths", ("1",)),
        ("caps", ("1",)),
    ]


def test_the_version_in_force_is_the_latest_started_then_the_highest() -> None:
    first = load_document(GOOD)
    second = replace(first, version=3, effective_from=date(2026, 6, 1))
    reissue = replace(first, version=4, effective_from=date(2026, 6, 1))
    ended = replace(first, version=5, effective_to=date(2026, 2, 1))
    docs = [first, second, reissue, ended]
    assert document_in_force(docs, date(2026, 1, 15)) is ended
    assert document_in_force(docs, date(2026, 3, 1)) is first
    assert document_in_force(docs, date(2026, 7, 1)) is reissue
    assert document_in_force(docs, date(2025, 12, 31)) is None


def test_floats_from_pyyaml_are_read_as_the_decimals_that_were_typed() -> None:
    doc = document({"type": "rate_cap", "default_max_rate": 0.1})
    assert doc.rules[0].params.default_max_rate == Decimal("0.1")  # type: ignore[union-attr]


def test_text_that_a_yaml_reader_would_misread_is_quoted_on_the_way_out() -> None:
    doc = document(
        {"type": "restricted_work", "phrases": ["no", "on", "1e3", "a: b", "#tag"], "label": "x"}
    )
    assert load_document(dump_document(doc)) == doc
