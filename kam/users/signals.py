"""Every user gets a profile, however they were created (admin, createsuperuser, services)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
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
