"""Values every page template needs: the user's role flags and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kam.jobs.selectors import job_may_see
from kam.users.selectors import user_may_manage_portfolio


def kam(request: HttpRequest) -> dict[str, Any]:
    profile = getattr(request.user, "profile", None) if request.user.is_authenticated else None
    return {
        "kam_profile": profile,
        "kam_can_manage": user_may_manage_portfolio(user=request.user),
        "kam_can_see_jobs": job_may_see(user=request.user),
    }
