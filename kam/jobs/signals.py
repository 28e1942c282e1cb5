"""The task signals of django-tasks keep every job's row up to date, whichever backend and
worker run it: enqueued (a row for any task that is not one of kam's own kinds), started
(running, on which worker), finished (done, or failed with the reason)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus
from django_tasks.signals import task_enqueued, task_finished, task_started

from kam.jobs.models import LIVE, Job, JobStatus
from kam.jobs.services import ENQUEUING, OWN_TASKS, _stop, job_for_task, task_job


@receiver(task_enqueued)
def _enqueued(sender: Any, task_result: Any, **kwargs: Any) -> None:
    current = ENQUEUING.get()
    if current is not None:
        Job.objects.filter(pk=current).update(task_id=str(task_result.id))
    elif task_result.task.module_path not in OWN_TASKS:
        job_for_task(task_result=task_result)


@receiver(task_started)
def _started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    job = task_job(task_result)
    if job is None:
        return
    worker = task_result.worker_ids[-1] if task_result.worker_ids else ""
    Job.objects.filter(pk=job.pk, status__in=LIVE).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        worker_id=str(worker)[:64],
        attempts=job.attempts + 1,
    )


def _reason(task_result: Any) -> str:
    if not task_result.errors:
        return _("The task failed.")
    error = task_result.errors[-1]
    name = error.exception_class_path.rsplit(".", 1)[-1]
    if name in ("SystemExit", "KeyboardInterrupt"):
        return _("The worker stopped (it was shut down during the job).")
    lines = [line for line in error.traceback.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else name
    return _("The task failed: %(error)s") % {"error": last[:2000]}


@receiver(task_finished)
def _finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    job = task_job(task_result)
    if job is None:
        return
    if task_result.status == TaskResultStatus.SUCCESSFUL:
        Job.objects.filter(pk=job.pk, status__in=LIVE).update(
            status=JobStatus.DONE, progress=100, phase="", finished_at=timezone.now()
        )
    else:
        _stop(job, status=JobStatus.FAILED, reason=_reason(task_result), from_status=LIVE)
