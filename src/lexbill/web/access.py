"""Who may open a page: one decorator, backed by the one role table (firm/permissions.py).

``@require_action(Action.MANAGE_FIRM)`` lets through the roles that table allows for the action;
``@require_role(Role.ADMINISTRATOR, …)`` names roles directly. Anyone else gets a 403 page that
says what they tried and why not. Anonymous visitors never get this far: LoginRequiredMiddleware
sends them to the log-in page first (only views marked ``login_not_required`` are public).

Services check the same table again, so a page that forgets its decorator still can't change
anything it shouldn't; the decorator is there to refuse early and clearly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lexbill.core.errors import PermissionDenied
from lexbill.firm.models import Role, User
from lexbill.firm.permissions import ALLOWED, Action, require

View = TypeVar("View", bound=Callable[..., HttpResponse])


def acting_user(request: HttpRequest) -> User:
    """The logged-in person a view acts for (the services check their role)."""
    user = request.user
    assert isinstance(user, User)  # LoginRequiredMiddleware keeps anonymous visitors out
    return user


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """The 403 page: the reason in words, on the normal layout."""
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def require_action(action: Action) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                require(request.user, action)  # type: ignore[arg-type]
            except PermissionDenied as exc:
                return forbidden(request, f"{_sentence(str(exc))} {_who_may(action)}")
            return view(request, *args, **kwargs)

        wrapped.lexbill_action = action  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def require_role(*roles: Role | str) -> Callable[[View], View]:
    allowed = {Role(r) for r in roles}

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            role = getattr(user, "role", None)
            if not user.is_active or role not in allowed:
                names = ", ".join(sorted(Role(r).label.lower() for r in allowed))
                label = user.get_role_display() if hasattr(user, "get_role_display") else "none"
                return forbidden(
                    request,
                    f"This page is for: {names}. You are logged in as {user.get_username()} "
                    f"({label}).",
                )
            return view(request, *args, **kwargs)

        wrapped.lexbill_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _who_may(action: Action) -> str:
    labels = [role.label.lower() for role in Role if role in ALLOWED[action]]
    if len(labels) == 1:
        return f"Only a user with the {labels[0]} role may."
    return f"Only these roles may: {', '.join(labels)}."


def roles_for(action: Action) -> frozenset[Role]:
    return frozenset(ALLOWED[action])


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith(".") else text + "."
