"""Writes about people: creating users with their kam role and capacity, changing roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.users.models import Function, Profile, Role, StartVisit


def user_create(
    *,
    username: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    role: str = Role.VIEWER,
    function: str = Function.SALES,
    hours_per_year: int = 0,
    hourly_cost: Decimal = Decimal("0"),
) -> User:
    """Create a user with a profile; ``password=None`` makes an account that cannot log in."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            first_name=first_name,
            last_name=last_name,
            email=email,
            is_superuser=role == Role.ADMINISTRATOR,
            is_staff=role == Role.ADMINISTRATOR,
        )
        profile, _created = Profile.objects.update_or_create(
            user=user,
            defaults={
                "role": role,
                "function": function,
                "hours_per_year": hours_per_year,
                "hourly_cost": hourly_cost,
            },
        )
    # The post_save signal cached a default profile on ``user``; hand back the real one.
    user.profile = profile
    return user


def user_role_set(*, user: User, role: str) -> Profile:
    """Give a user another kam role; administrators are the Django superusers and staff."""
    if role not in Role.values:
        raise ApplicationError(
            _("“%(role)s” is not a kam role.") % {"role": role}, field="role", status=400
        )
    with transaction.atomic():
        profile, _created = Profile.objects.get_or_create(user=user)
        admin = role == Role.ADMINISTRATOR
        if profile.role != role:
            profile.role = role
            profile.save(update_fields=["role"])
        if user.is_superuser != admin or user.is_staff != admin:
            user.is_superuser = admin
            user.is_staff = admin
            user.save(update_fields=["is_superuser", "is_staff"])
    return profile


def login_lockout_clear(*, username: str) -> int:
    """End the login lockouts of a user name (after a password reset); returns how many."""
    from axes.utils import reset

    return int(reset(username=username))


#: A visit this long after the one before starts a new working session: the start page then
#: shows what changed since the end of the previous session (docs/start.md).
START_SESSION_GAP = dt.timedelta(minutes=30)


def start_visit_record(*, user: User, now: dt.datetime) -> StartVisit:
    """Record a visit to the start page at ``now``.

    Returns the row after the visit: ``since`` (None on the first visit) is what the page
    compares today against (new findings are those recorded after it). Within one session
    (visits less than ``START_SESSION_GAP`` apart) ``since`` stays put, so a reload shows
    the same changes.
    """
    with transaction.atomic():
        visit = StartVisit.objects.select_for_update().filter(user_id=user.pk).first()
        if visit is None:
            return StartVisit.objects.create(user_id=user.pk, since=None, last_seen_at=now)
        if now - visit.last_seen_at > START_SESSION_GAP:
            visit.since = visit.last_seen_at
        visit.last_seen_at = now
        visit.save()
    return visit


def profile_get_or_create(*, user: User) -> Profile:
    """The person's profile, created with the defaults when they have none yet."""
    return Profile.objects.get_or_create(user=user)[0]
