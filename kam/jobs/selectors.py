"""Reads of the background jobs: who sees which (docs/operations.md, "Background jobs")."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.accounts.selectors import user_role
from kam.jobs.models import Job, JobWorker
from kam.jobs.services import KINDS, may_see_all
from kam.users.models import Role
from kam.web.errors import ApplicationError

User = AbstractBaseUser | AnonymousUser


def may_see_jobs(user: User) -> bool:
    """Key account managers (their own jobs), directors and administrators (all)."""
    return user_role(user) in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR, Role.KEY_ACCOUNT_MANAGER}


def job_list_visible(*, user: User) -> QuerySet[Job]:
    """The jobs ``user`` sees, newest first: everybody's for directors and administrators,
    their own for anyone else."""
    jobs = Job.objects.select_related("created_by")
    if not user.is_authenticated:
        return jobs.none()
    return jobs if may_see_all(user) else jobs.filter(created_by_id=user.pk)


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
