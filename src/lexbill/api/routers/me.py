"""Who the token acts as: the first call an integration makes to check its set-up."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router()


class MeOut(Schema):
    username: str
    name: str
    role: str
    token_name: str


@router.get("/me", response=MeOut, summary="The user and role this token acts as")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        username=user.username,
        name=str(user),
        role=user.role,  # type: ignore[union-attr]
        token_name=request.api_token.name,  # type: ignore[attr-defined]
    )
