"""Portfolio pages: the matrix, schemes and reviews."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def matrix(request: HttpRequest) -> HttpResponse:
    return render(request, "portfolio/matrix.html", {})


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portfolio/matrix.html", {})


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portfolio/matrix.html", {})
