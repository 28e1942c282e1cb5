"""Reads about people: a person's own API tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.users.models import ApiToken
from kam.web.errors import ApplicationError


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The tokens of ``user``, newest first, revoked ones included (they stay listed as revoked)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def api_token_get(*, user: User, token_id: int) -> ApiToken:
    """One of ``user``'s own tokens.

    Another person's token is answered exactly like a token that does not exist (404), so
    that nobody learns which token ids are in use.
    """
    token = api_token_list(user=user).filter(pk=token_id).first()
    if token is None:
        raise ApplicationError(_("No such token."), status=404)
    return token
