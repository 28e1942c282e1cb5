"""Idle timeout: a session ends after ``KAM_IDLE_MINUTES`` without a request.

Besides, a session never outlives ``SESSION_COOKIE_AGE`` after the sign-in (14 days by
default), however active it is (docs/operations.md, "Signing in").
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LAST_SEEN = "kam_last_seen"
SIGNED_IN_AT = "kam_signed_in_at"
# Record activity at most once a minute: not a session write on every request.
_RESOLUTION = 60


class IdleTimeoutMiddleware:
    """Sign out a browser session that was idle too long or is older than the maximum."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            last_seen = session.get(LAST_SEEN)
            signed_in = session.get(SIGNED_IN_AT)
            idle_limit = settings.KAM_IDLE_MINUTES * 60
            if isinstance(last_seen, int) and now - last_seen > idle_limit:
                self._end(
                    request,
                    _("You were signed out after %(hours)s without activity.")
                    % {"hours": _duration(settings.KAM_IDLE_MINUTES)},
                )
            elif isinstance(signed_in, int) and now - signed_in > settings.SESSION_COOKIE_AGE:
                self._end(request, _("Your session has ended; please sign in again."))
            else:
                if not isinstance(signed_in, int):
                    session[SIGNED_IN_AT] = now
                if not isinstance(last_seen, int) or now - last_seen >= _RESOLUTION:
                    session[LAST_SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, message: str) -> None:
        logout(request)
        messages.info(request, message)


def _duration(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
