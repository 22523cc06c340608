"""How figures read on every page: money by Babel, hours, one date format, nav links that skip."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from lexbill.web.templatetags.lexbill import age_days, day, hours, money_text


def test_money_is_formatted_by_babel_in_the_currency_format() -> None:
    assert money_text(Decimal("1234.5"), "USD") == "$1,234.50"
    assert money_text(Decimal("-500"), "USD") == "-$500.00"
    assert money_text(Decimal("1234.50"), "EUR") == "€1,234.50"
    assert money_text(0, "USD") == "$0.00"
    assert money_text(None, "USD") == ""


def test_money_rounds_half_up_to_the_minor_unit() -> None:
    assert money_text(Decimal("0.125"), "USD") == "$0.13"
    assert money_text(Decimal("2.5"), "JPY") == "¥3"


def test_money_refuses_a_float() -> None:
    with pytest.raises(TypeError):
        money_text(1.1, "USD")  # type: ignore[arg-type]


def test_hours_and_days() -> None:
    assert hours(90) == "1.50"
    assert hours(1, 1) == "0.0"
    assert hours(None) == ""
    assert day(date(2026, 3, 2)) == "Mar 2, 2026"
    assert day(datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC"))) == "Dec 31, 2026"
    assert day(None) == ""
    assert age_days(date(2026, 3, 2), date(2026, 3, 12)) == 10


def test_the_tags_in_a_template(db: Any) -> None:
    html = Template(
        "{% load lexbill %}{% money amount 'USD' %}|{{ minutes|hours }}|{{ on|day }}"
    ).render(Context({"amount": Decimal("12345.6"), "minutes": 75, "on": date(2026, 11, 5)}))
    assert html == "$12,345.60|1.25|Nov 5, 2026"


def test_a_nav_link_whose_url_name_does_not_resolve_is_left_out(db: Any) -> None:
    html = Template(
        '{% load lexbill %}{% nav_link "home" "Dashboard" %}{% nav_link "nope:nothing" "Gone" %}'
    ).render(Context({}))
    assert html == '<a href="/">Dashboard</a>'
