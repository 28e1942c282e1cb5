"""The jobs page (docs/operations.md, "Background jobs"): every background job the user may
see, with its progress; cancel a queued or running one, retry a failed one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kam.errors import ApplicationError
from kam.jobs.models import LIVE
from kam.jobs.selectors import (
    job_file,
    job_file_get_visible,
    job_get_visible,
    job_kind_label,
    job_list_visible,
    job_may_see,
    workers_alive,
)
from kam.jobs.services import KINDS, job_cancel, job_retry, jobs_reap
from kam.web.page_errors import refusal_message
from kam.web.requests import AuthenticatedHttpRequest

PER_PAGE = 50


def _guard(request: AuthenticatedHttpRequest) -> None:
    if not job_may_see(user=request.user):
        raise Http404(_("There is no such page."))


@login_required
@require_GET
def job_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The jobs, newest first, 50 a page; while one is live the table refreshes itself."""
    _guard(request)
    jobs_reap()
    page = Paginator(job_list_visible(user=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    jobs = list(page.object_list)
    for job in jobs:
        kind = KINDS.get(job.kind)
        job.kind_label = job_kind_label(job)  # type: ignore[attr-defined]
        job.link = (  # type: ignore[attr-defined]
            reverse(kind.url, args=[job.object_id]) if kind and kind.url and job.object_id else ""
        )
        job.download = (  # type: ignore[attr-defined]
            reverse("jobs:download", args=[job.pk]) if job_file(job) is not None else ""
        )
    context = {
        "page": page,
        "jobs": jobs,
        "live": any(j.status in LIVE for j in page.object_list),
        "workers": workers_alive().count(),
        # the intro names every kind of job there is, so a new kind cannot be left out
        "kinds": [kind.label for kind in KINDS.values()],
    }
    if request.htmx:
        return render(request, "jobs/_table.html", context)
    return render(request, "jobs/list.html", context)


def _act(request: AuthenticatedHttpRequest, job_id: int, action: str) -> HttpResponse:
    _guard(request)
    job = job_get_visible(user=request.user, job_id=job_id)
    try:
        if action == "cancel":
            job = job_cancel(user=request.user, job=job)
            messages.success(
                request,
                _("Job %(id)s cancelled.") % {"id": job.pk}
                if job.status == "cancelled"
                else _("Job %(id)s stops at its next step.") % {"id": job.pk},
            )
        else:
            job_retry(user=request.user, job=job)
            messages.success(request, _("Job %(id)s is queued again.") % {"id": job.pk})
    except ApplicationError as exc:
        refusal_message(request, exc)
    return redirect(reverse("jobs:list") + f"#job-{job_id}")


@login_required
@require_POST
def job_cancel_view(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    return _act(request, job_id, "cancel")


@login_required
@require_POST
def job_retry_view(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    return _act(request, job_id, "retry")


@login_required
@require_GET
def job_download(request: AuthenticatedHttpRequest, job_id: int) -> FileResponse:
    """The file a done job left (the portfolio deck): to its owner, or to who sees all
    jobs; 404 for anyone else, as for a job that does not exist."""
    found = job_file_get_visible(user=request.user, job_id=job_id)
    return FileResponse(
        found.path.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type=found.content_type,
    )
