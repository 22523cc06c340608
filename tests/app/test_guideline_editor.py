"""Editing a client's billing guidelines in the browser, rule by rule: a saved form is a new
version (the old one kept), a refused form stores nothing and shows each problem on its rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from lexbill.audit.models import AuditRecord
from lexbill.compliance.models import GuidelineVersion
from lexbill.compliance.services import import_guidelines
from lexbill.guidelines import load_document, load_template
from lexbill.guidelines.params import RateCap

pytestmark = pytest.mark.django_db

CAP = Decimal("400.00")
GUIDELINES = f"""\
format: lexbill-guidelines/1
name: Acme outside counsel guidelines
client: C001
version: 1
effective_from: 2026-01-01
rules:
  - id: rates
    type: rate_cap
    caps:
      - classification: PARTNR
        max_rate: "{CAP}"
  - id: vague
    type: vague_narrative
    min_length: 20
"""


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def _url(firm: Any, **query: str) -> str:
    url = reverse("compliance:client-guidelines-edit", args=[firm.acme.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _form(response: Any) -> dict[str, str]:
    """The values the page's form would post, read back from what it was rendered with."""
    values = dict(response.context["values"])
    values["action"] = "save"
    return values


def test_the_form_starts_from_the_version_in_force_numbered_next(small_firm: Any) -> None:
    import_guidelines(None, small_firm.acme, GUIDELINES)

    response = _as(small_firm.sam).get(_url(small_firm))

    assert response.status_code == 200
    values = response.context["values"]
    assert values["version"] == "2"
    assert [rule.id for rule in response.context["rules"]] == ["rates", "vague"]
    assert f'max_rate: "{CAP}"' in values["rule-0-caps"]
    assert 'name="rule-0-caps"' in response.content.decode()


def test_saving_the_form_stores_a_new_version_and_keeps_the_old(small_firm: Any) -> None:
    first = import_guidelines(None, small_firm.acme, GUIDELINES)
    browser = _as(small_firm.sam)
    values = _form(browser.get(_url(small_firm)))
    values["rule-0-caps"] = values["rule-0-caps"].replace(str(CAP), "425.50")
    values["effective_from"] = "2026-07-01"

    response = browser.post(_url(small_firm), values)

    assert response.status_code == 302
    versions = list(GuidelineVersion.objects.filter(client=small_firm.acme).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].source == first.source
    saved = load_document(versions[1].source)
    rates = saved.rules[0].params
    assert isinstance(rates, RateCap)
    assert rates.caps[0].max_rate == Decimal("425.50")
    assert str(saved.effective_from) == "2026-07-01"
    assert versions[1].imported_by == small_firm.sam
    assert AuditRecord.objects.filter(
        model="compliance.GuidelineVersion", object_id=str(versions[1].pk), action="create"
    ).exists()


def test_a_refused_form_stores_nothing_and_shows_the_problem_on_its_rule(
    small_firm: Any,
) -> None:
    import_guidelines(None, small_firm.acme, GUIDELINES)
    browser = _as(small_firm.sam)
    values = _form(browser.get(_url(small_firm)))
    values["rule-1-min_length"] = "twenty"

    response = browser.post(_url(small_firm), values)

    assert response.status_code == 400
    assert GuidelineVersion.objects.filter(client=small_firm.acme).count() == 1
    [vague] = [rule for rule in response.context["rules"] if rule.id == "vague"]
    assert any("min_length" in problem for problem in vague.problems)
    # what was typed is shown again, not the stored value
    assert response.context["values"]["rule-1-min_length"] == "twenty"


def test_adding_a_rule_shows_it_with_its_defaults_before_anything_is_saved(
    small_firm: Any,
) -> None:
    browser = _as(small_firm.sam)
    values = _form(browser.get(_url(small_firm)))
    values.update(action="add", add_type="travel_time")

    response = browser.post(_url(small_firm), values)

    assert response.status_code == 200
    assert [rule.type.value for rule in response.context["rules"]] == ["travel_time"]
    assert response.context["values"]["rule-0-billable_percent"] == "50"
    assert not GuidelineVersion.objects.filter(client=small_firm.acme).exists()
    saved = browser.post(_url(small_firm), {**response.context["values"], "action": "save"})
    assert saved.status_code == 302
    stored = GuidelineVersion.objects.get(client=small_firm.acme)
    assert load_document(stored.source).rules[0].id == "travel-time"


def test_a_template_starts_the_form_for_this_client(small_firm: Any) -> None:
    response = _as(small_firm.sam).get(_url(small_firm, start="template:insurance-defense"))

    template = load_template("insurance-defense")
    assert [rule.id for rule in response.context["rules"]] == [r.id for r in template.rules]
    saved = _as(small_firm.sam).post(_url(small_firm), _form(response))
    assert saved.status_code == 302
    stored = load_document(GuidelineVersion.objects.get(client=small_firm.acme).source)
    assert stored.client == small_firm.acme.number
    assert stored.rules == template.rules


@pytest.mark.parametrize("who", ["clara", "pat"])
def test_people_who_do_not_manage_clients_cannot_edit_guidelines(small_firm: Any, who: str) -> None:
    browser = _as(getattr(small_firm, who))

    assert browser.get(_url(small_firm)).status_code == 403
    posted = browser.post(_url(small_firm), {"name": "x", "version": "1", "rule_count": "0"})
    assert posted.status_code == 403
    assert not GuidelineVersion.objects.exists()
