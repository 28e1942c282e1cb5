"""Login throttling with django-axes: who the client is, and the backend that checks first.

A user name and client address pair is locked out after ``AXES_FAILURE_LIMIT`` wrong
passwords for ``AXES_COOLOFF_TIME`` (``KAM_LOGIN_FAILURES``, ``KAM_LOGIN_COOLOFF_MINUTES``;
docs/operations.md, "Signing in"). An administrator unlocks with ``kam manage axes_reset``
or in the admin's "Access attempts".
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """Axes' standalone backend; a call without a request (code, not a browser) passes.

    Every sign-in form of kam (the login page, the admin's) hands Django the request, so
    every password typed in a browser is counted. ``authenticate()`` called from code
    without a request (the test client's ``login``, a management command) has no client
    to throttle; axes would raise, this backend lets the next backend answer.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]


def _is_trusted(address: str, trusted: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str:
    """The client's address: the connection's, or a trusted proxy's header when configured.

    A header such as X-Forwarded-For is only believed when the connection comes from one of
    ``KAM_TRUSTED_PROXIES``; then the right-most address that is not itself a trusted proxy
    is the client (addresses left of it were written by the client and prove nothing).
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    trusted: list[str] = settings.KAM_TRUSTED_PROXIES
    if not trusted or not _is_trusted(remote, trusted):
        return remote
    key = "HTTP_" + settings.KAM_CLIENT_IP_HEADER.upper().replace("-", "_")
    hops = [h.strip() for h in str(request.META.get(key, "")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a malformed header: fall back to the proxy's address
    return remote


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The page a locked-out sign-in gets (HTTP 429): why, for how long, what to do."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if cooloff else 0
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(
        request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


# Password-reset e-mails: at most this many per address and per client address in the
# window, so the form cannot be used to flood somebody's inbox. Beyond it the page answers
# as always ("if the address is known, a link is on its way") and sends nothing.
RESET_PER_EMAIL = 3
RESET_PER_CLIENT = 10
RESET_WINDOW = 60 * 60  # seconds


def password_reset_allowed(*, email: str, request: HttpRequest) -> bool:
    """Count one reset request for ``email`` from this client; whether to send the e-mail."""
    from kam.web.ratelimit import attempt_count

    by_email = attempt_count(f"kam:reset:email:{email.strip().lower()}", window=RESET_WINDOW)
    by_client = attempt_count(f"kam:reset:client:{client_ip(request)}", window=RESET_WINDOW)
    return by_email <= RESET_PER_EMAIL and by_client <= RESET_PER_CLIENT
