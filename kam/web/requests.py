"""The request a signed-in page receives, as the type checker sees it.

Django types ``HttpRequest.user`` as a user or ``AnonymousUser``, and knows nothing of the
``htmx`` attribute that django-htmx's middleware sets on every request. Behind
``login_required`` the user is a signed-in ``User`` (with the ``profile`` of its role,
docs/architecture.md rule 3), so the views behind it take an ``AuthenticatedHttpRequest``.
Only an annotation: the object is Django's own request.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind ``login_required``: a signed-in ``User``, and django-htmx's details."""

    user: User
    htmx: HtmxDetails
