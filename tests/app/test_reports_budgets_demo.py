"""The demo firm shows the issue-8 features: its matters have practice areas, and a budget
alert is raised (Northwind's litigation has one phase billed past its budget)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.db import transaction

from lexbill.clients.models import Matter
from lexbill.demo import DemoSummary, build_demo_firm
from lexbill.reports.budgets import budget_alerts

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_demo_firm(seed=2026, today=date(2026, 3, 18))
        transaction.set_rollback(True)


def test_demo_matters_have_practice_areas_and_an_alert(demo: DemoSummary) -> None:
    areas = set(Matter.objects.values_list("practice_area", flat=True))
    assert {"Litigation", "Corporate", "Employment"} <= areas
    assert not Matter.objects.filter(practice_area="").exists()
    alerts = budget_alerts()
    assert any(a.threshold is not None and a.used is not None and a.used >= 100 for a in alerts)
