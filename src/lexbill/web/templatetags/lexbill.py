"""How figures read on every page: ``{% load lexbill %}``.

- ``{% money amount currency %}``: the amount in the firm's currency format (Babel, en_US),
  e.g. ``$1,234.50`` or ``€1,234.50``. Decimal in, never float (a float is refused).
- ``{{ minutes|hours }}``: billed minutes as decimal hours (``90`` → ``1.50``).
- ``{{ value|day }}``: one date format everywhere, e.g. ``Mar 2, 2026``.
- ``{{ due_on|age_days:today }}``: whole days from a date to another.
- ``{% nav_link "app:url-name" "Label" %}``: a navigation link, or nothing when the URL name does
  not resolve (yet).
- ``{% if user|may:"view billing reports" %}``: whether the role table lets the user do an
  action (its words, as in ``firm.permissions.Action``), so the layout offers what opens.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from lexbill.core.increments import format_hours
from lexbill.core.money import require_decimal, round_money
from lexbill.firm.permissions import Action, allowed

register = template.Library()

LOCALE = "en_US"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money_text(amount: Decimal | int | str | None, currency: str) -> str:
    """``$1,234.50``: rounded half-up to the currency's minor unit, then formatted by Babel."""
    if amount is None or amount == "":
        return ""
    if isinstance(amount, float):
        raise TypeError("money is never a float; pass a Decimal")
    value = round_money(require_decimal(Decimal(amount), "amount"), currency)
    return format_currency(value, currency, locale=LOCALE)


@register.simple_tag
def money(amount: Decimal | int | str | None, currency: str = "USD") -> str:
    return money_text(amount, currency or "USD")


@register.filter
def hours(minutes: int | str | None, places: int = 2) -> str:
    if minutes is None or minutes == "":
        return ""
    return format_hours(int(minutes), int(places))


def day_text(value: date | datetime | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


@register.filter
def day(value: date | datetime | None) -> str:
    return day_text(value)


@register.filter
def age_days(value: date | None, today: date) -> int | str:
    """Whole days from ``value`` to ``today`` (``{{ inv.due_on|age_days:today }}``)."""
    if value is None or today is None or value == "":
        return ""
    return (today - value).days


def url_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return None


@register.simple_tag(takes_context=True)
def nav_link(context: template.Context, name: str, label: str) -> SafeString | str:
    """A top-navigation link, marked current in its section; nothing if ``name`` doesn't resolve."""
    url = url_or_none(name)
    if url is None:
        return ""
    request = context.get("request")
    current = False
    if request is not None:
        current = request.path == url if url == "/" else request.path.startswith(url)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.filter
def may(user: Any, action: str) -> bool:
    """Whether ``user`` may do ``action`` by the role table; never for a visitor not logged in."""
    if not getattr(user, "is_authenticated", False):
        return False
    return allowed(user, Action(action))
