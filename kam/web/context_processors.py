"""Values every page template needs: the user's role flags and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def kam(request: HttpRequest) -> dict[str, Any]:
    profile = getattr(request.user, "profile", None) if request.user.is_authenticated else None
    return {
        "kam_profile": profile,
        "kam_can_manage": bool(profile and profile.can_manage_portfolio),
        "kam_can_see_jobs": bool(
            profile and profile.role in {"administrator", "sales_director", "key_account_manager"}
        ),
    }
