"""Pages about the signed-in person: personal API tokens."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    return render(request, "portfolio/matrix.html", {})
