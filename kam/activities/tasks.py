"""The activities app's background work: keeping the actual-time page's stored sums fresh
(kam/activities/hours_store.py, docs/activities.md "Actual time")."""

from __future__ import annotations

from django_tasks import task

from kam.jobs.models import Job
from kam.jobs.services import JobTracker, job_run


def _refresh(job: Job, tracker: JobTracker) -> None:
    from kam.activities.hours_store import hours_store

    tracker.check()
    hours_store()


@task()
def hours_refresh_task(*, job_id: int) -> dict[str, str]:
    """Store again the person-minutes per account and per person of the twelve months up
    to today (kam/activities/hours_store.py)."""
    return job_run(job_id, _refresh)


@task()
def hours_refresh_all() -> int:
    """Periodic (nightly): store the sums of the twelve months up to today (the period moves
    with the date). The number of accounts with hours."""
    from kam.activities.hours_store import hours_store

    return hours_store()
