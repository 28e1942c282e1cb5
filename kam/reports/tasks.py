"""The reports' background job: the portfolio review deck (kam.jobs, docs/operations.md)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from kam.errors import ApplicationError
from kam.jobs.models import Job
from kam.jobs.services import JobFailed, JobTracker, job_file_save, job_run


def _deck(job: Job, tracker: JobTracker) -> None:
    from kam.reports.files import portfolio_export_file

    arguments = job.arguments or {}
    if job.created_by is None:
        raise JobFailed(_("The user who asked for this deck no longer exists."))
    tracker.update(5, "render")
    try:
        file = portfolio_export_file(
            user=job.created_by,
            fmt=str(arguments.get("fmt", "")),
            review_id=arguments.get("review_id"),
            lang=str(arguments.get("lang") or "en"),
        )
    except ApplicationError as exc:  # e.g. the review was deleted meanwhile
        raise JobFailed(exc.message) from None
    tracker.check()
    tracker.update(95, "save")
    job_file_save(
        job_id=job.pk, content=file.content, filename=file.filename, content_type=file.content_type
    )


@task()
def portfolio_deck_task(*, job_id: int) -> dict[str, str]:
    """Render the portfolio review deck and keep it for its owner to download."""
    return job_run(job_id, _deck)
