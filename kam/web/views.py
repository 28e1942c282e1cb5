"""Site-wide views: the home redirect and the Vega bundle kam serves itself (no CDN)."""

from __future__ import annotations

import functools
import hashlib

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.views.decorators.http import require_GET


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("portfolio:matrix")


@functools.cache
def _vega_bundle() -> tuple[bytes, str]:
    """Vega, Vega-Lite and vega-embed as one script, from the copy vl-convert-python ships."""
    import vl_convert

    body = vl_convert.javascript_bundle().encode()
    return body, hashlib.sha256(body).hexdigest()[:16]


@require_GET
def vega_bundle(request: HttpRequest) -> HttpResponse:
    body, etag = _vega_bundle()
    if request.headers.get("If-None-Match") == f'"{etag}"':
        return HttpResponseNotModified()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = "public, max-age=86400"
    return response
