"""Reads about people: a person's own API tokens, and what their role lets them manage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.users.models import ApiToken, Role


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


def user_may_manage_portfolio(*, user: User | AnonymousUser) -> bool:
    """Whether ``user`` is an administrator or a sales director.

    The one definition of the role rule (docs/architecture.md, rule 3): they define
    schemes, open reviews, set policies, approve plans and see every colleague's work.
    """
    if not user.is_authenticated:
        return False
    profile = getattr(user, "profile", None)
    return profile is not None and profile.role in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR}


def user_get(*, user_id: int) -> Any | None:
    """The person ``user_id`` with their profile, or None."""
    return get_user_model().objects.select_related("profile").filter(pk=user_id).first()


def user_list_active(*, user_ids: Iterable[int]) -> QuerySet[Any]:
    """The active people among ``user_ids`` (people switched off cannot be named)."""
    return get_user_model().objects.filter(pk__in=list(user_ids), is_active=True)


def users_by_username(*, usernames: Iterable[str]) -> dict[str, Any]:
    """The people with these user names, by user name (unknown names are left out)."""
    return {u.username: u for u in get_user_model().objects.filter(username__in=list(usernames))}
