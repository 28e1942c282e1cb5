"""Personal API tokens: shown once, stored as a SHA-256 digest, revocable.

These are the services (writes) for tokens; reads are in ``kam.users.selectors``.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.users.models import ApiToken

TOKEN_PREFIX = "kam_"
TOKEN_NAME_MAX_LENGTH = 100
# last_used_at is a hint for the person ("is this token still in use?"), not an audit
# trail: writing it at most once a minute keeps busy scripts from writing on every call.
LAST_USED_RESOLUTION_SECONDS = 60


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plain token, which is never stored.

    The plain token starts with ``kam_``; the row keeps its first 12 characters (the
    prefix, to recognise it in a list) and its SHA-256 digest.
    """
    name = name.strip()
    if len(name) > TOKEN_NAME_MAX_LENGTH:
        raise ApplicationError(
            _("Keep the token's name to %(n)d characters or fewer.") % {"n": TOKEN_NAME_MAX_LENGTH},
            field="name",
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name or "API", prefix=plain[:12], digest=_digest(plain)
        )
    return token, plain


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token now; a revoked token never authenticates again. Revoking twice is a no-op."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(plain: str) -> ApiToken | None:
    """The live token row for a plain token (with its active user), or None.

    Records when the token was last used (to the minute).
    """
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__profile")
        .filter(digest=_digest(plain), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
