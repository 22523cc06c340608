"""Who sees which pre-bills, invoices and payments through the API, and pages that carry figures.

The rules are the web's, from the one role table (``lexbill.firm.permissions``):

* pre-bills: every role works on pre-bills, but an attorney only on the matters they are the
  responsible attorney of (``require_prebill_access``); the API lists and reads accordingly, and
  a pre-bill outside that is a 404, exactly like one that does not exist;
* invoices: open to every role, as the invoice pages are;
* payments and balances: ``Action.VIEW_RECEIVABLES`` (the billing office), else a 403.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from lexbill.api.schemas import Page
from lexbill.billing.models import Prebill
from lexbill.core.errors import NotFound
from lexbill.firm.models import Role, Timekeeper, User

M = TypeVar("M", bound=Model)


def actor_of(request: HttpRequest) -> User:
    """The token's owner: the API's auth has run before any operation."""
    user = request.user
    assert isinstance(user, User), "the API's auth runs before any operation"
    return user


def found(queryset: QuerySet[M], pk: int, what: str) -> M:
    """Record ``pk`` of ``queryset`` (already cut to what the caller may see), else a 404."""
    record = queryset.filter(pk=pk).first()
    if record is None:
        raise NotFound(f"no {what} {pk}")
    return record


def visible_prebills(actor: User) -> QuerySet[Prebill]:
    """The pre-bills ``actor`` may see: all of them, or an attorney's own matters' only."""
    prebills = Prebill.objects.select_related("matter__client", "approved_by", "invoice").order_by(
        "matter__number", "id"
    )
    if actor.role == Role.ATTORNEY:
        keeper = Timekeeper.objects.filter(user=actor).first()
        if keeper is None:
            return prebills.none()
        return prebills.filter(matter__responsible_attorney=keeper)
    return prebills


class MappedPage(Page):
    """``Page`` whose items are turned into response objects after the list is cut to a page.

    Figures that cost a query per page (pre-bill line sums, ``with_prebill_figures``) are then
    computed for the fifty rows shown, never for the whole queue.
    """

    def __init__(self, *, build: Callable[[Sequence[Any]], list[Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.build = build

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page[self.items_attribute] = self.build(list(page[self.items_attribute]))
        return page
