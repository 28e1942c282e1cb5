"""What a person may see on the pages that read several apps (docs/architecture.md, rule 3)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from kam.accounts.selectors import user_role
from kam.users.models import Role


def history_may_see_all(*, user: User | AnonymousUser) -> bool:
    """Administrators see (and export) all history, users' and roles' included."""
    return user_role(user) == Role.ADMINISTRATOR
