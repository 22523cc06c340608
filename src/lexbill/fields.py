"""Exact money and quantities in any database.

SQLite has no decimal type: Django's DecimalField lands there as a binary float, and SUM() over it
drifts. Storing every fixed-point value as a scaled integer makes storage, SUM() and comparisons
exact on SQLite and PostgreSQL alike, while Python code only ever sees ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.expressions import Combinable


class FixedDecimalField(models.BigIntegerField):  # type: ignore[type-arg]
    """A Decimal with ``places`` decimal places, stored as an integer of 10**-places units."""

    description = "Fixed-point decimal stored as a scaled integer"
    # What django-stubs' mypy plugin reads as the Python-side types of the field.
    _pyi_private_set_type: Decimal | int | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def __init__(self, *args: Any, places: int = 2, **kwargs: Any) -> None:
        self.places = places
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["places"] = self.places
        return name, path, args, kwargs

    def _scaled(self, value: Decimal) -> int:
        scaled = value.scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValidationError(
                f"{value} has more than {self.places} decimal places", code="too_precise"
            )
        return int(scaled)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money and quantities are Decimal, never float")
        if isinstance(value, (int, str)):
            value = Decimal(value)
        if isinstance(value, Decimal):
            return self._scaled(value)
        return super().get_prep_value(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise ValidationError("float is not accepted for money", code="invalid")
        try:
            return Decimal(str(value))
        except ArithmeticError as exc:
            raise ValidationError(f"{value!r} is not a number", code="invalid") from exc

    def formfield(self, **kwargs: Any) -> Any:
        defaults: dict[str, Any] = {"form_class": forms.DecimalField, "decimal_places": self.places}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)
