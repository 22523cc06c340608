"""Guidelines edited as a web form: every document survives the trip through the form, each
parameter is read by its type, and a refused form names the rule the problem is in."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lexbill.guidelines import (
    PARAMS,
    RateCapItem,
    RuleType,
    load_template,
    template_names,
)
from lexbill.guidelines.formdata import (
    FieldKind,
    document_from_form,
    form_values,
    rule_forms,
    with_new_rule,
)
from lexbill.guidelines.params import RateCap, TravelTime
from tests.guidelines.conftest import document


def _required(rule_type: RuleType) -> list[str]:
    return [
        f.name
        for f in dataclasses.fields(PARAMS[rule_type])
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


REQUIRED = {rule_type for rule_type in RuleType if _required(rule_type)}


@pytest.mark.parametrize("name", template_names())
def test_a_template_comes_back_from_the_form_unchanged(name: str) -> None:
    template = load_template(name)

    rebuilt, problems, _ = document_from_form(form_values(template), template.client)

    assert problems == []
    assert rebuilt == template


@pytest.mark.parametrize("rule_type", [t for t in RuleType if t not in REQUIRED])
def test_a_rule_added_on_the_form_starts_at_its_defaults(rule_type: RuleType) -> None:
    values = with_new_rule(form_values(document()), rule_type)

    rebuilt, problems, _ = document_from_form(values, "ACME")

    assert problems == []
    assert rebuilt is not None
    added = rebuilt.rules[-1]
    assert added.type is rule_type
    assert added.params == PARAMS[rule_type]()  # type: ignore[call-arg]
    assert added.id == rule_type.value.replace("_", "-")


@pytest.mark.parametrize("rule_type", sorted(REQUIRED))
def test_a_rule_with_a_required_parameter_left_blank_is_refused_naming_it(
    rule_type: RuleType,
) -> None:
    values = with_new_rule(form_values(document()), rule_type)
    index = int(values["rule_count"]) - 1
    required = _required(rule_type)

    rebuilt, _, by_rule = document_from_form(values, "ACME")

    assert rebuilt is None
    assert set(by_rule) == {index}
    assert all(any(name in problem for problem in by_rule[index]) for name in required)
    # the problem is shown on the rule as the form has it
    assert rule_forms(values, by_rule)[index].problems == by_rule[index]


def test_adding_a_second_rule_of_a_type_gives_it_an_id_of_its_own() -> None:
    values = with_new_rule(
        with_new_rule(form_values(document()), RuleType.LATE_ENTRY), RuleType.LATE_ENTRY
    )

    rebuilt, problems, _ = document_from_form(values, "ACME")

    assert problems == []
    assert rebuilt is not None
    assert [rule.id for rule in rebuilt.rules] == ["late-entry", "late-entry-2"]


def test_a_rule_ticked_for_removal_is_left_out_and_later_problems_keep_their_rule() -> None:
    values = with_new_rule(
        with_new_rule(form_values(document()), RuleType.LATE_ENTRY), RuleType.LATE_INVOICE
    )
    values["rule-0-delete"] = "on"
    values["rule-1-max_days"] = "soon"

    rebuilt, _, by_rule = document_from_form(values, "ACME")

    assert rebuilt is None
    assert list(by_rule) == [1]
    assert "max_days" in by_rule[1][0] and "'late-invoice'" in by_rule[1][0]
    values["rule-1-max_days"] = "45"
    rebuilt, _, _ = document_from_form(values, "ACME")
    assert rebuilt is not None
    assert [rule.id for rule in rebuilt.rules] == ["late-invoice"]
    assert rebuilt.rules[0].params.max_days == 45  # type: ignore[union-attr]


def test_each_kind_of_parameter_is_read_by_its_type() -> None:
    base = document(
        {"id": "travel", "type": "travel_time", "billable_percent": "50"},
        {"id": "codes", "type": "utbms_codes"},
        {"id": "hours", "type": "entry_hours"},
    )
    values = form_values(base)
    kinds = {f.name: f.kind for form in rule_forms(values) for f in form.fields}
    assert kinds["billable_percent"] is FieldKind.DECIMAL
    assert kinds["phrases"] is FieldKind.LINES
    assert kinds["require_task"] is FieldKind.FLAG
    values["rule-0-billable_percent"] = "33.5"
    values["rule-0-phrases"] = "drove to\n\n  flew to  \n"
    values.pop("rule-1-require_task")  # an unticked box is not posted
    values["rule-2-max_hours"] = ""  # optional: blank is no limit

    rebuilt, problems, _ = document_from_form(values, "ACME")

    assert problems == []
    assert rebuilt is not None
    travel, codes, hours = (rule.params for rule in rebuilt.rules)
    assert travel == TravelTime(billable_percent=Decimal("33.5"), phrases=("drove to", "flew to"))
    assert codes.require_task is False  # type: ignore[union-attr]
    assert hours.max_hours is None  # type: ignore[union-attr]


def test_records_are_a_yaml_list_and_bad_yaml_names_the_rule_and_line() -> None:
    values = form_values(document({"id": "rates", "type": "rate_cap"}))
    values["rule-0-caps"] = "- timekeeper: PW\n  max_rate: [\n"

    rebuilt, _, by_rule = document_from_form(values, "ACME")

    assert rebuilt is None
    assert by_rule[0][0].startswith("rule 'rates': caps: line 3: not valid YAML")


def test_matter_overrides_are_kept_and_checked() -> None:
    values = form_values(document({"id": "travel", "type": "travel_time"}))
    values["matters"] = "- matter: M-1\n  disable: [nothing]\n"

    rebuilt, problems, by_rule = document_from_form(values, "ACME")

    assert rebuilt is None
    assert by_rule == {}
    assert any("disables 'nothing'" in problem for problem in problems)
    values["matters"] = "- matter: M-1\n  disable: [travel]\n"
    rebuilt, problems, _ = document_from_form(values, "ACME")
    assert rebuilt is not None
    assert rebuilt.matters[0].disable == ("travel",)


_rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@given(
    caps=st.lists(
        st.tuples(st.sampled_from(["PW", "AL", "PJ", "XX"]), _rates),
        max_size=4,
        unique_by=lambda c: c[0],
    ),
    default=st.none() | _rates,
    share=st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=3),
)
def test_amounts_survive_the_form_to_the_cent(
    caps: list[tuple[str, Decimal]], default: Decimal | None, share: Decimal
) -> None:
    rates = RateCap(
        caps=tuple(RateCapItem(max_rate=rate, timekeeper=keeper) for keeper, rate in caps),
        default_max_rate=default,
    )
    original = document(
        {"id": "rates", "type": "rate_cap"}, {"id": "travel", "type": "travel_time"}
    )
    original = dataclasses.replace(
        original,
        rules=(
            dataclasses.replace(original.rules[0], params=rates),
            dataclasses.replace(original.rules[1], params=TravelTime(billable_percent=share)),
        ),
    )

    rebuilt, problems, _ = document_from_form(form_values(original), original.client)

    assert problems == []
    assert rebuilt == original
