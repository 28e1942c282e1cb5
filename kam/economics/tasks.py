"""The economics app's background job: a transaction import (kam.jobs, docs/operations.md)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from kam.jobs.models import Job
from kam.jobs.services import JobFailed, JobTracker, job_run


def _import(job: Job, tracker: JobTracker) -> None:
    from kam.economics.models import ImportStatus, TransactionImport
    from kam.economics.services import transaction_import_execute

    assert job.object_id is not None
    transaction_import_execute(job_id=job.object_id, tracker=tracker)
    row = TransactionImport.objects.get(pk=job.object_id)
    if row.status == ImportStatus.FAILED:
        raise JobFailed(row.error)
    if row.status == ImportStatus.REFUSED:
        raise JobFailed(
            _("The file was refused: nothing was imported (the import's report lists why).")
        )


@task()
def transaction_import_task(*, job_id: int) -> dict[str, str]:
    """Import an uploaded invoice-line file, then compute the facts."""
    return job_run(job_id, _import)
