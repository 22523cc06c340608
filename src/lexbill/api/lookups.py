"""Finding the records a request names, the one way every router of the API does it.

An id in the path that the caller may not see is a 404 problem, exactly like one that does not
exist, so a guessed id tells nobody whether the record is there. An id in the body that names
nothing is the request's fault, not a missing page: a 422 naming the field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from lexbill.core.errors import InvalidEntry, NotFound
from lexbill.firm.models import Timekeeper, User

M = TypeVar("M", bound=Model)


def visible(queryset: QuerySet[M], pk: int, what: str) -> M:
    """The record ``pk`` of ``queryset`` (already cut to what the caller may see), or 404."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"no {what} {pk}")
    return found


def referenced(queryset: QuerySet[M], pk: int | None, field: str, what: str) -> M | None:
    """The record a body field names (``None`` stays ``None``), or a 422 naming the field."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise InvalidEntry(f"no {what} {pk}", field=field)
    return found


def acting_user(request: Any) -> User:
    """The token's owner; the API's auth has run before any operation."""
    user = request.user
    assert isinstance(user, User), "the API's auth runs before any operation"
    return user


def own_timekeeper(user: User) -> Timekeeper | None:
    """The caller's own timekeeper, the default for work they record (as on the web form)."""
    return Timekeeper.objects.filter(user=user).first()
