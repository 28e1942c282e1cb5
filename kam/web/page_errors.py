"""One error policy for pages (docs/architecture.md, rule 4).

A page view lets an :class:`~kam.errors.ApplicationError` it does not show beside a
form field propagate; :class:`ApplicationErrorMiddleware` answers it with the error's
status and message, rendered from one template (``web/error.html``, or its fragment
``web/_error.html`` for an htmx request, which ``kam.js`` swaps into the target although
the status is 4xx). Django's own 403 and 404 pages (``handler403``, ``handler404`` in
``kam/urls.py``) use the same template. The API under ``/api/`` keeps its own handler
(``kam/api.py``) and is never answered here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kam.errors import ApplicationError

API_PREFIX = "/api/"
# Tells kam.js to swap the fragment into the htmx target despite its 4xx status.
ERROR_HEADER = "Kam-Error"


def _heading(status: int) -> str:
    return {
        403: _("Not allowed"),
        404: _("Not found"),
        409: _("Not possible now"),
        412: _("Not possible now"),
    }.get(status, _("Not possible"))


def error_page(
    request: HttpRequest, *, message: str, status: int, problems: list[str] | None = None
) -> HttpResponse:
    """The one error page: ``message`` (and any further ``problems``) with ``status``."""
    htmx = getattr(request, "htmx", None)
    fragment = bool(htmx) and not htmx.boosted  # type: ignore[union-attr]
    context = {
        "heading": _heading(status),
        "message": message,
        "problems": [p for p in problems or [] if p != message],
        "status": status,
    }
    template = "web/_error.html" if fragment else "web/error.html"
    response = render(request, template, context, status=status)
    response[ERROR_HEADER] = str(status)
    return response


def application_error_page(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    """``error`` as the one error page, with its status, message and problems."""
    return error_page(request, message=error.message, status=error.status, problems=error.problems)


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """A 403 page saying why (a view's own check, not a raised error)."""
    return error_page(request, message=message, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 (``handler404``): the one error page with a generic message.

    The exception is not shown: a resolver's 404 carries the URL patterns tried.
    """
    return error_page(
        request, message=_("This page does not exist, or you may not see it."), status=404
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 403 (``handler403``, a ``PermissionDenied``): the one error page."""
    message = str(exception or "") or _("You may not do this.")
    return error_page(request, message=message, status=403)


class ApplicationErrorMiddleware:
    """An ``ApplicationError`` a page view did not handle: the one error page, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError) or request.path_info.startswith(API_PREFIX):
            return None
        return application_error_page(request, exception)


def refusal_message(request: HttpRequest, error: ApplicationError) -> None:
    """A refused action of a button that redirects back (post-redirect-get): the page shows
    ``error`` as its error message. An object that is not there (404) or not the caller's
    to change (403) is not a message but the one error page: the error is raised again.
    """
    if error.status in (403, 404):
        raise error
    messages.error(request, error.message)
