"""Put a service's refusal next to the form field it names."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError

from lexbill.core.errors import LexbillError


def add_service_error(
    form: forms.BaseForm,
    exc: LexbillError | ValidationError,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """A ``LexbillError.field`` (``matter_id`` → ``matter``, or renamed through ``aliases`` where a
    form shows one service field under another name, such as ``duration_seconds`` as ``hours``)
    or a model ValidationError's fields become errors on those form fields, so the message sits
    next to what the user has to fix; anything else is a form-wide error."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, messages)
        else:
            form.add_error(None, exc.messages)
        return
    name = exc.field or ""
    name = (aliases or {}).get(name, name)
    if name not in form.fields and name.endswith("_id"):
        name = name[: -len("_id")]
    message = exc.message[:1].upper() + exc.message[1:]
    form.add_error(name if name in form.fields else None, message)
