"""A model instance as plain JSON values, for the before/after of an audit record."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    return {
        field.attname: json_value(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.attname not in {"password"}
    }
