"""Downloads of the exports from the pages: the plan (PDF, PowerPoint; internal or for the
customer) and the portfolio review deck. Thin: parse the query, call ``files``, answer.

The deck is prepared as a background job (``portfolio_deck_prepare``, then its progress
page ``portfolio_deck``); the direct download ``portfolio_export`` stays for links kept."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from kam.errors import ApplicationError
from kam.jobs.models import LIVE
from kam.jobs.selectors import job_file, job_get_visible, job_may_see
from kam.reports.files import ExportFile, plan_export_file, portfolio_export_file
from kam.reports.services import KIND, portfolio_deck_enqueue
from kam.web.page_errors import refusal_message
from kam.web.requests import AuthenticatedHttpRequest


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ApplicationError("", status=404) from None


def _answer(file: ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


def _failed(exc: ApplicationError) -> HttpResponse:
    if exc.status == 404:
        raise Http404(exc.message)
    return HttpResponseBadRequest(exc.message)


@login_required
@require_GET
def plan_export(request: AuthenticatedHttpRequest, plan_id: int, fmt: str) -> HttpResponse:
    """A plan as ``pdf`` or ``pptx``; ``?audience=internal|customer&lang=en|nl&version=N``."""
    try:
        file = plan_export_file(
            user=request.user,
            plan_id=plan_id,
            fmt=fmt,
            audience=request.GET.get("audience") or "internal",
            lang=request.GET.get("lang") or get_language() or "en",
            version=_int(request.GET.get("version")),
        )
    except ApplicationError as exc:
        return _failed(exc)
    return _answer(file)


@login_required
@require_GET
def portfolio_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The portfolio review deck as ``pdf`` or ``pptx``; ``?review_id=N&lang=en|nl``."""
    try:
        file = portfolio_export_file(
            user=request.user,
            fmt=fmt,
            review_id=_int(request.GET.get("review_id")),
            lang=request.GET.get("lang") or get_language() or "en",
        )
    except ApplicationError as exc:
        return _failed(exc)
    return _answer(file)


@login_required
@require_POST
def portfolio_deck_prepare(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """Enqueue the deck (form fields ``review_id``, ``lang``) and go to its progress page."""
    try:
        job = portfolio_deck_enqueue(
            user=request.user,
            fmt=fmt,
            review_id=_int(request.POST.get("review_id")),
            lang=request.POST.get("lang") or get_language() or "en",
        )
    except ApplicationError as exc:
        refusal_message(request, exc)
        return redirect("portfolio:matrix")
    return redirect("reports:portfolio_deck", job_id=job.pk)


@login_required
@require_GET
def portfolio_deck(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """The deck's job: its progress while it is prepared (the status refreshes itself),
    then the download link. Only its owner, or a director or administrator, sees it."""
    job = job_get_visible(user=request.user, job_id=job_id)
    if job.kind != KIND:
        raise Http404
    context = {
        "job": job,
        "live": job.status in LIVE,
        "download": reverse("jobs:download", args=[job.pk]) if job_file(job) else "",
        "jobs_page": job_may_see(user=request.user),
    }
    if request.htmx:
        return render(request, "reports/_deck_status.html", context)
    return render(request, "reports/portfolio_deck.html", context)
