"""Reads of accounts, always through the caller's visibility (section: People and access).

Every list, page and API endpoint that shows accounts starts from ``account_list_visible``
so that a key account manager cannot reach another manager's account by guessing its id.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account, AccountTeamMember
from kam.errors import ApplicationError
from kam.users.models import Role
from kam.users.selectors import user_may_manage_portfolio


def user_role(user: User | AnonymousUser) -> str | None:
    """The kam role of a user, or None for anonymous users and users without a profile."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else None


def _owned_or_served(user: User) -> Q:
    # A subquery rather than a join, so that no DISTINCT is needed and counts stay right.
    served = AccountTeamMember.objects.filter(user=user).values("account_id")
    return Q(owner=user) | Q(pk__in=served)


def account_list_visible(*, user: User | AnonymousUser) -> QuerySet[Account]:
    """The accounts ``user`` may read.

    Administrators, sales directors and viewers read every account; key account managers
    the accounts they own or are on the team of; team members the accounts they serve.
    """
    role = user_role(user)
    qs = Account.objects.all()
    if role in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR, Role.VIEWER}:
        return qs
    if role in {Role.KEY_ACCOUNT_MANAGER, Role.TEAM_MEMBER}:
        # only a signed-in user has one of these roles
        return qs.filter(_owned_or_served(cast(User, user)))
    return qs.none()


def account_list_editable(*, user: User | AnonymousUser) -> QuerySet[Account]:
    """The accounts ``user`` may change (master data, team, revenue).

    Administrators and sales directors change every account; key account managers those
    they own or are on the team of; team members and viewers none.
    """
    qs = Account.objects.all()
    if user_may_manage_portfolio(user=user):
        return qs
    if user_role(user) == Role.KEY_ACCOUNT_MANAGER:
        return qs.filter(_owned_or_served(cast(User, user)))  # only a signed-in user has this role
    return qs.none()


def account_get_visible(*, user: User | AnonymousUser, account_id: int) -> Account:
    """The account ``account_id`` if ``user`` may read it; 404 otherwise.

    An account that exists but is hidden answers exactly like one that does not exist,
    so ids cannot be probed.
    """
    account = (
        account_list_visible(user=user)
        .select_related("owner", "parent")
        .filter(pk=account_id)
        .first()
    )
    if account is None:
        raise ApplicationError(_("There is no such account."), status=404)
    return account


def account_editable_check(*, user: User | AnonymousUser, account: Account) -> None:
    """Raise 404 when ``user`` cannot read ``account``, 403 when they read but may not change it."""
    if not account_list_editable(user=user).filter(pk=account.pk).exists():
        if account_list_visible(user=user).filter(pk=account.pk).exists():
            raise ApplicationError(_("You may read this account but not change it."), status=403)
        raise ApplicationError(_("There is no such account."), status=404)


def account_get_editable(*, user: User | AnonymousUser, account_id: int) -> Account:
    """The account ``account_id`` if ``user`` may change it; 404 when hidden, 403 when read-only."""
    account = account_get_visible(user=user, account_id=account_id)
    account_editable_check(user=user, account=account)
    return account


def account_may_create(*, user: User | AnonymousUser) -> bool:
    """Directors and administrators create any account; key account managers their own."""
    return user_role(user) in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR, Role.KEY_ACCOUNT_MANAGER}


def account_may_import(*, user: User | AnonymousUser) -> bool:
    """Only sales directors and administrators import account files (they touch every account)."""
    return user_may_manage_portfolio(user=user)


def account_may_change_owner(*, user: User | AnonymousUser) -> bool:
    """Only sales directors and administrators give an account another owner, or create one
    for somebody else."""
    return user_may_manage_portfolio(user=user)


def account_may_edit(*, user: User | AnonymousUser, account: Account) -> bool:
    """Whether ``user`` may change ``account`` (one query)."""
    return account_list_editable(user=user).filter(pk=account.pk).exists()


def revenue_year_last() -> int:
    """The last complete calendar year, whose revenue the account list shows and sorts by."""
    return timezone.localdate().year - 1


def account_filter_options(*, user: User | AnonymousUser) -> dict[str, list[Any]]:
    """Choices for the list filters, drawn from the accounts ``user`` can see (three queries).

    ``owners`` is a list of (user id, display name), ``countries`` and ``channels`` lists of
    the values in use.
    """
    visible = account_list_visible(user=user)
    owner_rows = (
        get_user_model()
        .objects.filter(pk__in=visible.exclude(owner=None).values("owner_id"))
        .order_by("last_name", "first_name", "username")
        .values_list("pk", "first_name", "last_name", "username")
    )
    owners = [
        (pk, f"{first} {last}".strip() or username) for pk, first, last, username in owner_rows
    ]
    countries = list(visible.order_by("country").values_list("country", flat=True).distinct())
    channels = list(
        visible.exclude(channel="").order_by("channel").values_list("channel", flat=True).distinct()
    )
    return {"owners": owners, "countries": countries, "channels": channels}


def account_children_visible(*, user: User | AnonymousUser, account: Account) -> QuerySet[Account]:
    """The members of ``account``'s group that ``user`` may read, by name."""
    return account_list_visible(user=user).filter(parent=account).select_related("owner")


def account_team(*, account: Account) -> QuerySet[AccountTeamMember]:
    """The account team, core before surround, each by username, with their profiles."""
    return account.team.select_related("user", "user__profile").order_by(
        "team_role", "user__last_name", "user__username"
    )


def team_candidates() -> QuerySet[Any]:
    """Active people who can be put on an account team, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__isnull=False)
        .select_related("profile")
        .order_by("last_name", "first_name", "username")
    )


def owner_candidates() -> QuerySet[Any]:
    """Active people who may own an account (key account managers, directors, administrators)."""
    return team_candidates().filter(
        profile__role__in=[Role.KEY_ACCOUNT_MANAGER, Role.SALES_DIRECTOR, Role.ADMINISTRATOR]
    )
