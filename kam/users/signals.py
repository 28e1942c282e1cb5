"""Every user gets a profile, however they were created; a sign-in starts the session clocks."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from kam.users.models import Profile, Role


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def ensure_profile(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw:
        role = Role.ADMINISTRATOR if instance.is_superuser else Role.VIEWER
        Profile.objects.get_or_create(user=instance, defaults={"role": role})


@receiver(user_logged_in)
def start_session_clock(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A sign-in starts the idle and maximum-age clocks of the session (kam.users.middleware)."""
    from kam.users.middleware import LAST_SEEN, SIGNED_IN_AT

    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[SIGNED_IN_AT] = now
        session[LAST_SEEN] = now
