"""Creating, finding and revoking personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from lexbill.api.models import ApiToken
from lexbill.audit.recorder import record
from lexbill.core.errors import InvalidEntry, NotFound, PermissionDenied
from lexbill.firm.models import Role, User

TOKEN_PREFIX = "lxb_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; the secret is returned once and never stored."""
    name = name.strip()
    if not name:
        raise InvalidEntry(
            "Give the token a name, such as the program that will use it", field="name"
        )
    if len(name) > 100:
        raise InvalidEntry("A token name is at most 100 characters", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[:12], digest=_digest(secret)
        )
        # who can act as whom is security data: audited, without the digest
        record("create", "api.ApiToken", token.pk, after=_audited(token))
    return token, secret


def _audited(token: ApiToken) -> dict[str, object]:
    return {
        "user": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token: its owner may, and an administrator may revoke anyone's."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None or (token.user_id != actor.pk and actor.role != Role.ADMINISTRATOR):
            raise NotFound(f"No API token {token_id}")
        if token.revoked_at is not None:
            return token
        before = _audited(token)
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        record("update", "api.ApiToken", token.pk, before=before, after=_audited(token))
        return token


def user_for_secret(secret: str) -> tuple[User, ApiToken]:
    """The active user a presented secret acts as; refused if unknown, revoked or inactive."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        raise PermissionDenied("The API token is unknown or has been revoked")
    now = timezone.now()
    # one write a minute at most, so a busy integration does not write on every request
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token
