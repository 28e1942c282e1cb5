"""Values every page template needs: the user's role flags and the navigation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from kam.jobs.selectors import job_may_see
from kam.users.selectors import user_may_manage_portfolio


def kam(request: HttpRequest) -> dict[str, Any]:
    # A 404 raised while the address is resolved, before the authentication middleware has
    # run (an id too large for the database, kam.web.ranges), renders the error page for a
    # request without a user: it is shown as to somebody signed out.
    user = getattr(request, "user", None) or AnonymousUser()
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    return {
        "kam_profile": profile,
        "kam_can_manage": user_may_manage_portfolio(user=user),
        "kam_can_see_jobs": job_may_see(user=user),
    }
