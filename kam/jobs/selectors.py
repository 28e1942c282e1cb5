"""Reads of the background jobs: who sees which (docs/operations.md, "Background jobs")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.accounts.selectors import user_role
from kam.errors import ApplicationError
from kam.jobs.models import Job, JobStatus, JobWorker
from kam.jobs.services import FILE_KEEP_DAYS, KINDS, job_files_root
from kam.users.models import Role
from kam.users.selectors import user_may_manage_portfolio


def job_may_see(*, user: User | AnonymousUser) -> bool:
    """Key account managers (their own jobs), directors and administrators (all)."""
    return user_role(user) in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR, Role.KEY_ACCOUNT_MANAGER}


def job_list_visible(*, user: User) -> QuerySet[Job]:
    """The jobs ``user`` sees, newest first: everybody's for directors and administrators,
    their own for anyone else."""
    jobs = Job.objects.select_related("created_by")
    if not user.is_authenticated:
        return jobs.none()
    return jobs if user_may_manage_portfolio(user=user) else jobs.filter(created_by_id=user.pk)


def job_get_visible(*, user: User, job_id: int) -> Job:
    job = job_list_visible(user=user).filter(pk=job_id).first()
    if job is None:
        raise ApplicationError(_("There is no such job."), status=404)
    return job


def job_kind_label(job: Job) -> str:
    kind = KINDS.get(job.kind)
    return str(kind.label) if kind is not None else _("Task")


def workers_alive() -> QuerySet[JobWorker]:
    return JobWorker.objects.filter(stopped_at__isnull=True)


@dataclass(frozen=True)
class JobFile:
    """The file a finished job left: where it is, its download name and media type."""

    path: Path
    filename: str
    content_type: str


def job_file(job: Job) -> JobFile | None:
    """The file of a done ``job`` that is still kept (inside the job files' folder), or
    None: not done, no file, or removed after ``FILE_KEEP_DAYS``."""
    result = (job.arguments or {}).get("result") if isinstance(job.arguments, dict) else None
    if job.status != JobStatus.DONE or not isinstance(result, dict):
        return None
    path = Path(str(result.get("path", "")))
    if path.parent != job_files_root() or not path.is_file():
        return None
    return JobFile(path, str(result.get("filename") or path.name), str(result.get("content_type")))


def job_file_get_visible(*, user: User, job_id: int) -> JobFile:
    """The file of job ``job_id`` for ``user``: only its owner, or who sees all jobs, gets
    it; 404 for anyone else exactly as for a job that does not exist, and 404 with a reason
    when the job has no file (yet, or any more)."""
    job = job_get_visible(user=user, job_id=job_id)
    found = job_file(job)
    if found is None:
        if job.status == JobStatus.DONE:
            raise ApplicationError(
                _("The file of job %(id)s was removed after %(days)s days; prepare it again.")
                % {"id": job.pk, "days": FILE_KEEP_DAYS},
                status=404,
            )
        raise ApplicationError(
            _("Job %(id)s has no file yet: it is %(status)s.")
            % {"id": job.pk, "status": job.get_status_display()},
            status=404,
        )
    return found
