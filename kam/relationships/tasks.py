"""The relationships app's background work: keeping the findings store fresh
(kam/relationships/findings_store.py, docs/relationships.md "Findings over time")."""

from __future__ import annotations

from django_tasks import task

from kam.jobs.models import Job
from kam.jobs.services import JobTracker, job_run


def _refresh(job: Job, tracker: JobTracker) -> None:
    from kam.relationships.findings_store import findings_refresh

    job.refresh_from_db(fields=["arguments"])  # a waiting job may have taken accounts on
    ids = job.arguments.get("account_ids")

    def progress(percent: int) -> None:
        tracker.check()
        tracker.update(percent)

    findings_refresh(account_ids=ids, progress=progress)


@task()
def findings_refresh_task(*, job_id: int) -> dict[str, str]:
    """Bring the findings of the job's accounts (all when none are named) up to date."""
    return job_run(job_id, _refresh)


@task()
def findings_refresh_all() -> int:
    """Periodic: bring every active account's findings up to date; the records opened."""
    from kam.relationships.findings_store import findings_refresh

    return findings_refresh().opened
