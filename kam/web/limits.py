"""Request limits applied before a view runs (docs/import.md, Limits)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from kam.imports.limits import ImportLimitError, limit, upload_size_check

#: What a multipart body may hold beside the file: the other fields and the part headers.
_ENVELOPE = 1024 * 1024


class RequestSizeMiddleware:
    """Answer 413 to a request whose body is larger than ``KAM_MAX_UPLOAD_BYTES`` (plus room
    for the form around the file), from its Content-Length and before anything reads it;
    under WSGI a body without a Content-Length is empty, so none gets past. The API answers
    in its JSON shape, pages with a short text."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit("KAM_MAX_UPLOAD_BYTES") + _ENVELOPE:
            try:
                upload_size_check(length - _ENVELOPE, name=_("The upload"))
            except ImportLimitError as exc:
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": exc.message, "field": exc.field, "problems": exc.problems},
                        status=413,
                    )
                response = HttpResponse(exc.message, status=413, content_type="text/plain")
                response["Connection"] = "close"
                return response
        return self.get_response(request)
