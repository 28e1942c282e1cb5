"""Counting attempts in a fixed window, in Django's cache (docs/operations.md).

One rule for every throttle that is not a login (django-axes throttles those): share-link
guessing, sign-offs through a share link and password-reset e-mails. The window starts at
the first attempt. With several web processes, configure a shared cache (``CACHES``), or
each process counts on its own.
"""

from __future__ import annotations

from django.core.cache import cache


def attempt_count(key: str, *, window: int) -> int:
    """Count one attempt under ``key``; the number of attempts in the current window."""
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1


def attempts(key: str) -> int:
    """The attempts counted under ``key`` in the current window (0 when none)."""
    return int(cache.get(key, 0))
