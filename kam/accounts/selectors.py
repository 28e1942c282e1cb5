"""Reads of accounts, always through the caller's visibility (section: People and access).

Every list, page and API endpoint that shows accounts starts from ``account_list_visible``
so that a key account manager cannot reach another manager's account by guessing its id.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from kam.accounts.models import Account, AccountTeamMember
from kam.users.models import Role


def user_role(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """The kam role of a user, or None for anonymous users and users without a profile."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else None


def _owned_or_served(user: AbstractBaseUser) -> Q:
    # A subquery rather than a join, so that no DISTINCT is needed and counts stay right.
    served = AccountTeamMember.objects.filter(user=user).values("account_id")
    return Q(owner=user) | Q(pk__in=served)


def account_list_visible(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Account]:
    """The accounts ``user`` may read.

    Administrators, sales directors and viewers read every account; key account managers
    the accounts they own or are on the team of; team members the accounts they serve.
    """
    role = user_role(user)
    qs = Account.objects.all()
    if role in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR, Role.VIEWER}:
        return qs
    if role in {Role.KEY_ACCOUNT_MANAGER, Role.TEAM_MEMBER}:
        return qs.filter(_owned_or_served(user))
    return qs.none()


def account_list_editable(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Account]:
    """The accounts ``user`` may change (master data, team, revenue).

    Administrators and sales directors change every account; key account managers those
    they own or are on the team of; team members and viewers none.
    """
    role = user_role(user)
    qs = Account.objects.all()
    if role in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR}:
        return qs
    if role == Role.KEY_ACCOUNT_MANAGER:
        return qs.filter(_owned_or_served(user))
    return qs.none()
