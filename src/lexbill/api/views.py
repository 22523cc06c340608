"""The "API tokens" page: every logged-in person creates and revokes their own tokens here;
an administrator also sees everyone's and can revoke any (someone who left, a leaked token).

The secret is shown once, in the answer to the POST that created it, and never stored (only a
digest is, see ``lexbill.api.tokens``): not in the session, not in a flash message, and the page
that shows it is not cached. Reloading that page asks the browser to post again, which makes a
new token rather than showing the old secret.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from lexbill.api.models import ApiToken
from lexbill.api.tokens import create_token, revoke_token
from lexbill.core.errors import LexbillError, NotFound
from lexbill.firm.models import Role, User
from lexbill.web.access import acting_user
from lexbill.web.errors import add_service_error


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use it, so you can tell your tokens apart (e.g. “time app”).",
    )


def _sees_everyones(user: User) -> bool:
    return user.role == Role.ADMINISTRATOR


def _tokens(user: User) -> QuerySet[ApiToken]:
    tokens = ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at", "-id")
    return tokens if _sees_everyones(user) else tokens.filter(user=user)


def _page(request: HttpRequest, form: TokenForm, status: int = 200, **extra: Any) -> HttpResponse:
    user = acting_user(request)
    context = {
        "form": form,
        "tokens": _tokens(user),
        "all_users": _sees_everyones(user),
        **extra,
    }
    return render(request, "api/tokens.html", context, status=status)


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """The list, and (POST) a new token whose secret this one answer shows."""
    if request.method == "GET":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        token, secret = create_token(acting_user(request), form.cleaned_data["name"])
    except LexbillError as exc:
        add_service_error(form, exc)
        return _page(request, form, status=400)
    response = _page(request, TokenForm(), status=201, new_token=token, secret=secret)
    add_never_cache_headers(response)
    return response


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = revoke_token(acting_user(request), pk)
    except NotFound:
        raise Http404("No such API token") from None
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) is revoked.")
    return redirect("apitokens:list")
