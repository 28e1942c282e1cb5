"""Writes about people: creating users with their kam role and capacity."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from kam.users.models import Function, Profile, Role


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
) -> AbstractUser:
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
        profile, _ = Profile.objects.update_or_create(
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
    return user  # type: ignore[no-any-return]
