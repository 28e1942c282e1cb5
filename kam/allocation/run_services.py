"""The optimisation runs of a planning period as background jobs (docs/method.md section 2):
queued by ``run_start``, run by the worker through ``run_execute`` with progress and
cancel, retried or stopped through the job runner's hooks (``kam.jobs.services.KINDS``).
"""

from __future__ import annotations

import logging
import time

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.allocation.adapter import hour_values, result_store, run_problem, what_if_points
from kam.allocation.models import AllocationRun, PlanningPeriod, RunStatus
from kam.allocation.selectors import plan_hours
from kam.allocation.services import open_check, plan_check
from kam.core.allocation.solve import allocate
from kam.errors import ApplicationError
from kam.jobs.services import JobCancelled, JobTracker, job_busy, job_enqueue

log = logging.getLogger(__name__)


def run_start(*, user: User, period: PlanningPeriod) -> AllocationRun:
    """Queue an optimisation of ``period`` as a background job (``kam worker`` runs it;
    docs/operations.md). Refused while another run of the period is queued or running
    (409), when no account has a judgement (422) or when the box policies' hours of the
    accounts without judgements exceed the team's capacity (422, ``PlanHours.refusal``)."""
    plan_check(user)
    open_check(period)
    if not period.judgements.filter(account__active=True).exists():
        raise ApplicationError(
            _("No account has its four judgements yet: enter them before optimising."),
            status=422,
        )
    refusal = plan_hours(period=period).refusal()
    if refusal:
        raise ApplicationError(refusal, status=422)
    with transaction.atomic():  # the check and the new run together (see economics)
        _busy_check(period)
        run = AllocationRun.objects.create(period=period, created_by=user)
        job_enqueue(kind=RUN_JOB, user=user, object_id=run.pk, label=str(period))
    run.refresh_from_db()
    return run


RUN_JOB = "allocation_run"


def _busy_check(period: PlanningPeriod) -> None:
    if job_busy(kind=RUN_JOB, object_ids=list(period.runs.values_list("pk", flat=True))):
        raise ApplicationError(
            _("An optimisation of this period is already under way; wait for it to finish."),
            status=409,
        )


def run_stopped(*, object_id: int, reason: str, cancelled: bool) -> None:
    """The job of a run stopped without finishing (its worker died, it crashed or was
    cancelled): the run is marked failed with ``reason``; it stored nothing."""
    AllocationRun.objects.filter(
        pk=object_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).update(status=RunStatus.FAILED, error=reason, finished_at=timezone.now())


def run_retry(*, user: User, object_id: int) -> None:
    """Check that a failed run may run again (its period open, no other run of it under
    way) and put it back in the queue."""
    plan_check(user)
    run = AllocationRun.objects.select_related("period").filter(pk=object_id).first()
    if run is None:
        raise ApplicationError(_("There is no such optimisation."), status=404)
    open_check(run.period)
    _busy_check(run.period)
    AllocationRun.objects.filter(pk=object_id).update(
        status=RunStatus.QUEUED, progress=0, error="", started_at=None, finished_at=None
    )


class _Progress:
    """Writes the run's progress (0-100) at most every half second, and only forward; at
    each call a requested cancel stops the run (nothing is stored before the end)."""

    def __init__(self, run_id: int, lo: int, hi: int, tracker: JobTracker | None = None) -> None:
        self.run_id, self.lo, self.hi = run_id, lo, hi
        self.tracker = tracker
        self.last_pct = -1
        self.last_time = 0.0

    def __call__(self, fraction: float, phase: str = "") -> None:
        if self.tracker is not None:
            self.tracker.check()
        pct = self.lo + round((self.hi - self.lo) * min(max(fraction, 0.0), 1.0))
        now = time.monotonic()
        if pct <= self.last_pct or (now - self.last_time < 0.5 and pct < self.hi):
            return
        self.last_pct, self.last_time = pct, now
        AllocationRun.objects.filter(pk=self.run_id, progress__lt=pct).update(progress=pct)
        if self.tracker is not None:
            self.tracker.update(pct)


def run_execute(*, run_id: int, tracker: JobTracker | None = None) -> None:
    """Solve the run's period and store its lines and summary (docs/method.md section 2).

    Progress: building 0-5 %, the optimisation 5-60 %, the capacity what-if 60-95 %,
    storing 95-100 %. Any failure marks the run failed with the reason; a cancel reported
    by ``tracker`` (the background job's) stops it before it stores anything
    (``JobCancelled`` propagates)."""
    run = AllocationRun.objects.select_related("period").get(pk=run_id)
    AllocationRun.objects.filter(pk=run_id).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=1
    )
    try:
        built = run_problem(period=run.period)
        if not built.user_ids:
            raise ApplicationError(
                _("Nobody in this period has hours for customers: set the capacities first.")
            )
        AllocationRun.objects.filter(pk=run_id).update(progress=5)
        result = allocate(built.problem, progress=_Progress(run_id, 5, 60, tracker))
        points = what_if_points(built, result, _Progress(run_id, 60, 95, tracker))
        if tracker is not None:
            tracker.check()
        values = hour_values(built, result)
        if tracker is not None:
            tracker.check()
        result_store(run, built, result, points, values)
    except JobCancelled:
        raise
    except Exception as exc:  # the run must end, whatever went wrong; the reason is kept
        log.exception("allocation run %s failed", run_id)
        message = exc.message if isinstance(exc, ApplicationError) else str(exc) or repr(exc)
        AllocationRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=message, finished_at=timezone.now()
        )
