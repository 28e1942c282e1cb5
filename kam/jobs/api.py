"""The background jobs in the API (docs/operations.md, "Background jobs"): list, one job,
cancel, retry. A key account manager sees their own jobs, directors and administrators
all; a job one may not see answers 404 like one that does not exist."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from kam.errors import ApplicationError
from kam.jobs.models import Job
from kam.jobs.selectors import (
    job_file,
    job_file_get_visible,
    job_get_visible,
    job_kind_label,
    job_list_visible,
    job_may_see,
)
from kam.jobs.services import job_cancel, job_retry, jobs_reap
from kam.web.api_schemas import ErrorOut
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["jobs"])


class JobOut(Schema):
    """One background job: ``status`` is queued, running, done, failed or cancelled;
    ``kind`` transaction_import, transaction_source_remove, allocation_run, portfolio_deck or
    task (any other task, e.g. e-mail); ``object_id`` the import or run it works on (none
    for the removal of a transaction source, whose ``label`` names the source, and the
    deck); ``url`` this job in the API; ``download_url`` its file (the portfolio deck) once
    it is done, while it is kept."""

    id: int
    kind: str
    kind_label: str
    label: str
    object_id: int | None
    started_by: str | None
    status: str
    progress: int
    phase: str
    error: str
    cancel_requested: bool
    attempts: int
    enqueued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    url: str
    download_url: str | None

    @staticmethod
    def resolve_url(job: Job) -> str:
        return f"/api/jobs/{job.pk}"

    @staticmethod
    def resolve_download_url(job: Job) -> str | None:
        return f"/api/jobs/{job.pk}/download" if job_file(job) is not None else None

    @staticmethod
    def resolve_id(job: Job) -> int:
        return job.pk

    @staticmethod
    def resolve_kind_label(job: Job) -> str:
        return job_kind_label(job)

    @staticmethod
    def resolve_started_by(job: Job) -> str | None:
        return job.created_by.get_username() if job.created_by else None


def _out(job: Job) -> Job:
    return job


def _guard(request: AuthenticatedHttpRequest) -> None:
    if not job_may_see(user=request.user):
        raise ApplicationError(
            _("Only key account managers, directors and administrators see jobs."), status=403
        )


@router.get("", response={200: list[JobOut], 403: ErrorOut}, summary="List jobs")
@paginate(PageNumberPagination, page_size=100)
def jobs_list(request: AuthenticatedHttpRequest) -> Any:
    """The jobs the caller sees, newest first (jobs of a stopped worker are failed first)."""
    _guard(request)
    jobs_reap()
    return job_list_visible(user=request.user)


@router.get("/{job_id}", response={200: JobOut, 403: ErrorOut, 404: ErrorOut}, summary="One job")
def jobs_get(request: AuthenticatedHttpRequest, job_id: int) -> Any:
    _guard(request)
    return _out(job_get_visible(user=request.user, job_id=job_id))


@router.post(
    "/{job_id}/cancel",
    response={200: JobOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Cancel a job",
)
def jobs_cancel(request: AuthenticatedHttpRequest, job_id: int) -> Any:
    """A queued job is cancelled at once; a running one stops at its next progress point
    (``cancel_requested`` is true until it has). 409 when the job has ended, or when it is
    a running job of a task without progress points."""
    _guard(request)
    job = job_get_visible(user=request.user, job_id=job_id)
    return _out(job_cancel(user=request.user, job=job))


@router.post(
    "/{job_id}/retry",
    response={200: JobOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Retry a failed job",
)
def jobs_retry(request: AuthenticatedHttpRequest, job_id: int) -> Any:
    """Queue a failed or cancelled job again. 409 when it has not failed, when another job
    of its kind is under way, or when its input is no longer kept; 403 when the caller may
    not start such work."""
    _guard(request)
    job = job_get_visible(user=request.user, job_id=job_id)
    return _out(job_retry(user=request.user, job=job))


@router.get(
    "/{job_id}/download",
    response={401: ErrorOut, 404: ErrorOut},
    summary="The file of a done job",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file the job made (the portfolio deck: application/pdf "
                "or the PowerPoint media type).",
                "content": {
                    "application/pdf": {},
                    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {},
                },
            }
        }
    },
)
def jobs_download(request: AuthenticatedHttpRequest, job_id: int) -> Any:
    """Only the job's owner, or a director or administrator, gets the file; 404 for anyone
    else as for a job that does not exist, and 404 while the job has no file (not done yet,
    or removed after 7 days)."""
    found = job_file_get_visible(user=request.user, job_id=job_id)
    return FileResponse(
        found.path.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type=found.content_type,
    )
