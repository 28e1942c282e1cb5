"""The allocation app's background job: an optimisation run (kam.jobs, docs/operations.md)."""

from __future__ import annotations

from django_tasks import task

from kam.jobs.models import Job
from kam.jobs.services import JobFailed, JobTracker, job_run


def _run(job: Job, tracker: JobTracker) -> None:
    from kam.allocation.models import AllocationRun, RunStatus
    from kam.allocation.run_services import run_execute

    assert job.object_id is not None
    run_execute(run_id=job.object_id, tracker=tracker)
    run = AllocationRun.objects.get(pk=job.object_id)
    if run.status == RunStatus.FAILED:
        raise JobFailed(run.error)


@task()
def allocation_run_task(*, job_id: int) -> dict[str, str]:
    """Optimise a planning period's hours and store the plan."""
    return job_run(job_id, _run)
