"""Whole numbers in an address that no row can have: answered 404/422, never 500.

The request bodies are checked by ``kam.web.numbers``; this middleware checks what comes
before the body. An id in the path beyond a 64-bit integer (``/api/plans/99999999999999999999``)
names no row (404: "not found", as for any id that does not exist), where the database
used to fail on it (500). A whole number in the query of an API request beyond the same
range, or a ``page`` so far out that its offset overflows, is refused with 422 naming the
parameter, in the API's error shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from kam.web.numbers import INT_MAX

_WHOLE = re.compile(r"[+-]?\d+")
#: No list of kam has a billion pages; beyond it (page - 1) × page size could overflow.
PAGE_MAX = 10**9


def _too_large(text: str, limit: int) -> bool:
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        return False
    digits = text.lstrip("+-")
    # a very long string of digits is too large without converting it (Python refuses
    # int() of more than 4,300 digits)
    return len(digits) > 19 or abs(int(text)) > limit


class NumberRangeMiddleware:
    """404 for an impossible id in the path; 422 for an impossible number in an API query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        if any(_too_large(segment, INT_MAX) for segment in request.path.split("/")):
            if api:
                message = _("Not found: %(path)s holds a number no object can have.") % {
                    "path": request.path[:200]
                }
                return JsonResponse(
                    {"detail": message, "field": None, "problems": [message]}, status=404
                )
            raise Http404
        if api:
            for name, values in request.GET.lists():
                limit = PAGE_MAX if name == "page" else INT_MAX
                if any(_too_large(value, limit) for value in values):
                    message = _("%(name)s: the number is out of range (at most %(max)s).") % {
                        "name": name,
                        "max": f"{limit:,}",
                    }
                    return JsonResponse(
                        {"detail": message, "field": name, "problems": [message]}, status=422
                    )
        return self.get_response(request)
