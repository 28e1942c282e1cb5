"""Writes of the background jobs (docs/operations.md, "Background jobs").

Every long piece of work is a django-tasks task; a ``Job`` row follows it: who started it,
its progress, cancel, retry and why it failed. kam's own long tasks (``KINDS``) are enqueued
with ``job_enqueue`` and run their body through ``job_run``; any other registered task gets
its row from the task signals (``kam.jobs.signals``). A worker writes a heartbeat
(``JobWorker``); ``jobs_reap`` fails the running jobs of a worker that stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.errors import ApplicationError
from kam.jobs.models import LIVE, Job, JobStatus, JobWorker, PeriodicRun
from kam.users.selectors import user_may_manage_portfolio

log = logging.getLogger(__name__)

#: A worker whose heartbeat is older than this is dead (its jobs fail).
WORKER_STALE_SECONDS = 60


class JobCancelled(Exception):
    """Raised at a progress point of a job whose cancel was requested."""


class JobFailed(Exception):
    """A job's body ends it as failed, with a message for the user (not a crash)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Kind:
    """What kam knows about one kind of job: its task, and hooks (dotted paths, keyword
    arguments) that mark its own row when the job stops (``stopped(object_id, reason,
    cancelled)``) and check and reset it before a retry (``retry(user, object_id)``)."""

    label: str | Promise
    task: str
    stopped: str
    retry: str
    url: str = ""  # a URL name taking the object id (``pk``), for a link on the jobs page


KINDS: dict[str, Kind] = {
    "transaction_import": Kind(
        label=gettext_lazy("Transaction import"),
        task="kam.economics.tasks.transaction_import_task",
        stopped="kam.economics.services.transaction_import_stopped",
        retry="kam.economics.services.transaction_import_retry",
        url="economics:import_report",
    ),
    "transaction_source_remove": Kind(
        label=gettext_lazy("Removal of a transaction source"),
        task="kam.economics.tasks.transaction_source_remove_task",
        stopped="kam.economics.services.transaction_source_remove_stopped",
        retry="kam.economics.services.transaction_source_remove_retry",
    ),
    "allocation_run": Kind(
        label=gettext_lazy("Optimisation of a year plan"),
        task="kam.allocation.tasks.allocation_run_task",
        stopped="kam.allocation.run_services.run_stopped",
        retry="kam.allocation.run_services.run_retry",
        url="allocation:run",
    ),
    "portfolio_deck": Kind(
        label=gettext_lazy("Portfolio review deck"),
        task="kam.reports.tasks.portfolio_deck_task",
        stopped="kam.reports.services.deck_job_stopped",
        retry="kam.reports.services.deck_job_retry",
    ),
    "ledger_refresh": Kind(
        label=gettext_lazy("Account profit and loss brought up to date"),
        task="kam.economics.tasks.ledger_refresh_task",
        stopped="kam.economics.ledger_store.ledger_job_stopped",
        retry="kam.economics.ledger_store.ledger_job_retry",
    ),
    "hours_refresh": Kind(
        label=gettext_lazy("Actual time brought up to date"),
        task="kam.activities.tasks.hours_refresh_task",
        stopped="kam.activities.hours_store.hours_job_stopped",
        retry="kam.activities.hours_store.hours_job_retry",
    ),
    "findings_refresh": Kind(
        label=gettext_lazy("Findings brought up to date"),
        task="kam.relationships.tasks.findings_refresh_task",
        stopped="kam.relationships.findings_store.findings_job_stopped",
        retry="kam.relationships.findings_store.findings_job_retry",
    ),
}
#: kind of the jobs of any other registered task (e-mail …)
TASK = "task"
OWN_TASKS = {k.task: name for name, k in KINDS.items()}
#: the job being (re-)enqueued just now: its task's signals belong to it
ENQUEUING: ContextVar[int | None] = ContextVar("kam_job_enqueuing", default=None)


# --- enqueueing -----------------------------------------------------------------------------


_after_commit = threading.local()


def enqueue_after_commit(key: str, enqueue: Callable[[], object]) -> None:
    """Call ``enqueue`` once the current transaction commits, once however often the
    transaction asks under ``key``: a refresh job handles every mark present when it starts,
    so the marks of one transaction need one job (the stored P&L, the actual-time hours)."""
    pending: set[str] = _after_commit.__dict__.setdefault("keys", set())
    pending.add(key)

    def flush() -> None:
        if key in pending:
            pending.discard(key)
            enqueue()

    transaction.on_commit(flush)


def job_waiting(*, kind: str) -> Job | None:
    """The oldest job of ``kind`` still waiting in the queue (not started), locked until the
    caller's transaction ends: a refresh that handles whatever is marked when it starts
    needs no second job beside a waiting one (the stored P&L, the actual-time hours, the
    findings)."""
    return (
        Job.objects.select_for_update()
        .filter(kind=kind, status=JobStatus.QUEUED, started_at__isnull=True)
        .order_by("pk")
        .first()
    )


def job_enqueue(
    *,
    kind: str,
    user: User | None,
    object_id: int | None,
    label: str = "",
    arguments: dict[str, Any] | None = None,
) -> Job:
    """A new job of ``kind`` (``KINDS``) on the row ``object_id`` (or, for a kind without
    a row of its own, on what ``arguments`` names; its body reads ``job.arguments``),
    enqueued on the task backend. With the database backend the job and its task are
    written in the caller's transaction; other backends get the task once that
    transaction commits."""
    job = Job.objects.create(
        kind=kind,
        task_path=KINDS[kind].task,
        object_id=object_id,
        arguments=arguments or {},
        label=label[:255],
        created_by=user if user is not None and user.is_authenticated else None,
    )
    _enqueue(job)
    job.refresh_from_db()
    return job


def _enqueue(job: Job) -> None:
    from django_tasks.backends.immediate import ImmediateBackend
    from django_tasks_db import DatabaseBackend

    task = import_string(job.task_path)
    args = job.arguments.get("args", []) if job.kind == TASK else []
    kwargs = job.arguments.get("kwargs", {}) if job.kind == TASK else {"job_id": job.pk}

    def send() -> None:
        token = ENQUEUING.set(job.pk)
        try:
            result = task.enqueue(*args, **kwargs)
        finally:
            ENQUEUING.reset(token)
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id))

    if isinstance(task.get_backend(), ImmediateBackend | DatabaseBackend):
        send()
    else:  # a queue outside the database must not see the job before it is committed
        transaction.on_commit(send)


# --- running --------------------------------------------------------------------------------


class JobTracker:
    """Handed to a job's body: ``update`` writes its progress (only forward), ``check``
    raises ``JobCancelled`` when a cancel was requested (read at most twice a second)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._checked = 0.0

    def update(self, percent: int, phase: str = "") -> None:
        Job.objects.filter(pk=self.job_id, progress__lt=percent).update(
            progress=min(max(int(percent), 0), 100), phase=phase[:40]
        )

    def check(self) -> None:
        now = time.monotonic()
        if now - self._checked < 0.5:
            return
        self._checked = now
        if Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise JobCancelled(_("Cancelled on request."))


def job_run(job_id: int, body: Callable[[Job, JobTracker], None]) -> dict[str, str]:
    """Run ``body(job, tracker)`` as the job ``job_id``: a job cancelled while it waited
    does not run; ``JobCancelled`` ends it cancelled (its kind's row told, nothing kept),
    ``JobFailed`` ends it failed with the message; any other exception propagates and the
    task signal marks it failed (``kam.jobs.signals``)."""
    job = Job.objects.get(pk=job_id)
    if job.status == JobStatus.CANCELLED:
        return {"status": JobStatus.CANCELLED}
    Job.objects.filter(pk=job_id).update(status=JobStatus.RUNNING)
    try:
        body(job, JobTracker(job_id))
    except JobCancelled as exc:
        _stop(job, status=JobStatus.CANCELLED, reason=str(exc), from_status=LIVE)
        return {"status": JobStatus.CANCELLED}
    except JobFailed as exc:
        _stop(job, status=JobStatus.FAILED, reason=exc.message, from_status=LIVE, hook=False)
        return {"status": JobStatus.FAILED}
    Job.objects.filter(pk=job_id, status__in=LIVE).update(
        status=JobStatus.DONE, progress=100, phase="", finished_at=timezone.now()
    )
    return {"status": JobStatus.DONE}


def _stop(
    job: Job,
    *,
    status: str,
    reason: str,
    from_status: tuple[str, ...] | list[str],
    hook: bool = True,
) -> bool:
    """End ``job`` (if still in ``from_status``) as ``status`` with ``reason``; its kind's
    row is told (and cleans up); its task result, if still waiting or running in the
    database backend, is closed so that no worker picks it up."""
    # One transaction: whoever sees the job ended also sees its row ended and its temporary
    # files gone (the clean-up runs before the commit).
    with transaction.atomic():
        ended = Job.objects.filter(pk=job.pk, status__in=from_status).update(
            status=status, error=reason, finished_at=timezone.now()
        )
        if not ended:
            return False
        _close_task_result(job.task_id, reason)
        kind = KINDS.get(job.kind)
        # a kind's hook is told even without a row (``object_id`` None: the job's own
        # arguments say what it works on)
        if hook and kind is not None:
            try:
                with transaction.atomic():
                    import_string(kind.stopped)(
                        object_id=job.object_id,
                        reason=reason,
                        cancelled=status == JobStatus.CANCELLED,
                    )
            except Exception:  # the job has ended whatever its row's clean-up did
                log.exception("clean-up of job %s failed", job.pk)
    return True


def _close_task_result(task_id: str, reason: str) -> None:
    try:
        uuid.UUID(task_id)
    except ValueError:  # no result of the database backend (the immediate backend's id)
        return
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the app is always installed with kam
        return
    from django_tasks import TaskResultStatus

    DBTaskResult.objects.filter(
        id=task_id, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="kam.jobs.services.JobFailed",
        traceback=reason,
    )


def job_fail(*, job: Job, reason: str) -> bool:
    """Mark a live job failed with ``reason`` (its row cleaned up); False when it had ended."""
    return _stop(job, status=JobStatus.FAILED, reason=reason, from_status=LIVE)


# --- cancel and retry -----------------------------------------------------------------------


def _visible_check(user: User, job: Job) -> None:
    if not user.is_authenticated or not (
        user_may_manage_portfolio(user=user) or job.created_by_id == user.pk
    ):
        raise ApplicationError(_("There is no such job."), status=404)


def job_cancel(*, user: User, job: Job) -> Job:
    """Cancel a job: a queued one at once (it will not run); a running one of kam's own
    kinds at its next progress point, where it stops and keeps nothing. Refused (409) for a
    finished job and for a running job of another task, which has no progress points."""
    _visible_check(user, job)
    jobs_reap()
    job.refresh_from_db()
    if job.status == JobStatus.QUEUED:
        reason = _("Cancelled by %(name)s before it started.") % {"name": _name(user)}
        if _stop(job, status=JobStatus.CANCELLED, reason=reason, from_status=[JobStatus.QUEUED]):
            job.refresh_from_db()
            return job
    if job.status == JobStatus.RUNNING:
        if job.kind not in KINDS:
            raise ApplicationError(
                _("This job cannot be stopped while it runs; it ends by itself shortly."),
                status=409,
            )
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        job.refresh_from_db()
        return job
    raise ApplicationError(
        _("This job has already ended (%(status)s); only a queued or running job can be cancelled.")
        % {"status": job.get_status_display()},
        status=409,
    )


def job_retry(*, user: User, job: Job) -> Job:
    """Run a failed or cancelled job again, as the same job (its attempts count up). Its
    kind checks first that the retry is allowed and possible (its input still kept, nothing
    else of the kind under way)."""
    _visible_check(user, job)
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise ApplicationError(
            _("Only a failed or cancelled job can be retried; this one is %(status)s.")
            % {"status": job.get_status_display()},
            status=409,
        )
    kind = KINDS.get(job.kind)
    with transaction.atomic():
        if kind is not None:
            jobs_reap()
            import_string(kind.retry)(user=user, object_id=job.object_id)
        updated = Job.objects.filter(
            pk=job.pk, status__in=[JobStatus.FAILED, JobStatus.CANCELLED]
        ).update(
            status=JobStatus.QUEUED,
            progress=0,
            phase="",
            error="",
            cancel_requested=False,
            worker_id="",
            started_at=None,
            finished_at=None,
            enqueued_at=timezone.now(),
        )
        if not updated:
            raise ApplicationError(_("This job was retried already."), status=409)
        job.refresh_from_db()
        _enqueue(job)
    job.refresh_from_db()
    return job


def _name(user: User) -> str:
    if not user.is_authenticated:
        return "?"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return str(full or user.get_username())


def job_busy(*, kind: str, object_ids: list[int] | None = None) -> bool:
    """Whether a live job of ``kind`` exists (on one of ``object_ids``, when given), after
    failing the jobs of workers that stopped."""
    jobs_reap()
    live = Job.objects.filter(kind=kind, status__in=LIVE)
    if object_ids is not None:
        live = live.filter(object_id__in=object_ids)
    return live.exists()


# --- workers --------------------------------------------------------------------------------


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child its parent has not waited for yet is gone too
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _host() -> str:
    """This machine's name and its process-id namespace: a process id is checked only from
    where it means the same process (two containers may share a host name)."""
    try:
        namespace = f"#{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}{namespace}"[:255]


def worker_register(*, worker_id: str) -> JobWorker:
    now = timezone.now()
    worker, _created = JobWorker.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": _host(),
            "pid": os.getpid(),
            "heartbeat_at": now,
            "stopped_at": None,
        },
    )
    return worker


def worker_heartbeat(*, worker_id: str) -> None:
    JobWorker.objects.filter(worker_id=worker_id).update(heartbeat_at=timezone.now())


def worker_stopped(*, worker_id: str) -> None:
    JobWorker.objects.filter(worker_id=worker_id, stopped_at__isnull=True).update(
        stopped_at=timezone.now()
    )


def jobs_reap(*, exclude_worker: str = "") -> int:
    """Fail the running jobs of every worker that stopped: its process is gone (on this
    host) or its heartbeat is older than ``KAM_WORKER_STALE_SECONDS`` (60 s). Each such job
    gets the reason "the worker stopped (…)" and its kind cleans up its temporary files.
    Returns how many jobs were failed."""
    stale = float(
        getattr(settings, "KAM_WORKER_STALE_SECONDS", None)
        or os.environ.get("KAM_WORKER_STALE_SECONDS")
        or WORKER_STALE_SECONDS
    )
    now = timezone.now()
    host = _host()
    failed = 0
    workers = JobWorker.objects.filter(stopped_at__isnull=True).exclude(worker_id=exclude_worker)
    for worker in workers:
        if worker.hostname == host and not _process_alive(worker.pid):
            why = _("its process %(pid)s ended") % {"pid": worker.pid}
        elif worker.heartbeat_at < now - dt.timedelta(seconds=stale):
            why = _("no heartbeat since %(time)s") % {
                "time": date_format(timezone.localtime(worker.heartbeat_at), "DATETIME_FORMAT")
            }
        else:
            continue
        JobWorker.objects.filter(pk=worker.pk).update(stopped_at=now)
        # A job still marked running on a worker that ended orderly is dead too.
        failed += _fail_jobs_of(worker.worker_id, why)
    for worker_id in (
        JobWorker.objects.filter(stopped_at__isnull=False)
        .filter(worker_id__in=Job.objects.filter(status=JobStatus.RUNNING).values("worker_id"))
        .values_list("worker_id", flat=True)
    ):
        failed += _fail_jobs_of(worker_id, _("it was shut down"))
    return failed


def _fail_jobs_of(worker_id: str, why: str) -> int:
    reason = _("The worker stopped (%(why)s).") % {"why": why}
    n = 0
    for job in Job.objects.filter(status=JobStatus.RUNNING, worker_id=worker_id):
        if job_fail(job=job, reason=reason):
            log.warning("job %s failed: %s", job.pk, reason)
            n += 1
    return n


# --- periodic tasks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Periodic:
    task: str
    hour: int
    weekday: int | None


def periodic_tasks() -> list[Periodic]:
    """The setting ``KAM_PERIODIC_TASKS``, checked: each entry a dict with ``task`` (the
    dotted path of a django-tasks task), ``hour`` (0-23) and optionally ``weekday`` (0 is
    Monday … 6; absent: every day)."""
    out = []
    for n, entry in enumerate(getattr(settings, "KAM_PERIODIC_TASKS", []) or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("task"), str):
            raise ApplicationError(f"KAM_PERIODIC_TASKS[{n}]: give a dict with a 'task' path.")
        hour, weekday = entry.get("hour", 0), entry.get("weekday")
        if not isinstance(hour, int) or not 0 <= hour <= 23:
            raise ApplicationError(f"KAM_PERIODIC_TASKS[{n}]: 'hour' must be 0 to 23.")
        if weekday is not None and (not isinstance(weekday, int) or not 0 <= weekday <= 6):
            raise ApplicationError(f"KAM_PERIODIC_TASKS[{n}]: 'weekday' must be 0 to 6.")
        try:
            import_string(entry["task"])
        except ImportError as exc:
            raise ApplicationError(f"KAM_PERIODIC_TASKS[{n}]: {exc}") from None
        out.append(Periodic(entry["task"], hour, weekday))
    return out


def periodic_enqueue(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue each periodic task whose hour (and weekday) is now, once per slot even with
    several workers; returns the task paths enqueued."""
    local = timezone.localtime(now or timezone.now())
    slot = local.replace(minute=0, second=0, microsecond=0)
    done = []
    for entry in periodic_tasks():
        if local.hour != entry.hour or (
            entry.weekday is not None and local.weekday() != entry.weekday
        ):
            continue
        try:
            with transaction.atomic():
                run = PeriodicRun.objects.create(task_path=entry.task, slot=slot)
        except IntegrityError:
            continue
        result = import_string(entry.task).enqueue()
        job = Job.objects.filter(task_id=str(result.id)).first()
        PeriodicRun.objects.filter(pk=run.pk).update(job=job)
        done.append(entry.task)
    return done


def task_job(task_result: Any) -> Job | None:
    """The job of a django-tasks result: kam's own tasks name it (``job_id``), any other
    task's job is found by the result's id."""
    path = task_result.task.module_path
    if path in OWN_TASKS:
        job_id = task_result.kwargs.get("job_id")
        return Job.objects.filter(pk=job_id).first() if job_id is not None else None
    return Job.objects.filter(task_id=str(task_result.id)).first()


def job_for_task(*, task_result: Any) -> Job:
    """The job row of any other task, created when it is enqueued."""
    job, _created = Job.objects.get_or_create(
        task_id=str(task_result.id),
        defaults={
            "kind": TASK,
            "task_path": task_result.task.module_path[:255],
            "label": task_result.task.name[:255],
            "arguments": {"args": task_result.args, "kwargs": task_result.kwargs},
        },
    )
    return job


# --- files a job leaves for its user (the portfolio deck) -----------------------------------

#: A job's file is removed this many days after it was written.
FILE_KEEP_DAYS = 7


def job_files_root() -> Path:
    """Where jobs keep the files they produce: ``KAM_JOB_FILES_ROOT`` when set (tests),
    else ``<data directory>/exports`` (docs/operations.md, "Background jobs")."""
    root = getattr(settings, "KAM_JOB_FILES_ROOT", None)
    return Path(root) if root else Path(settings.DATA_DIR) / "exports"


def job_file_save(*, job_id: int, content: bytes, filename: str, content_type: str) -> Path:
    """Write ``content`` as the file of job ``job_id`` (mode 0600, written whole under a
    temporary name, then renamed) and record its path, name and media type on the job's
    ``arguments["result"]``. Files older than ``FILE_KEEP_DAYS`` are removed first."""
    job_files_purge()
    root = job_files_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    suffix = Path(filename).suffix
    path = root / f"job-{job_id}-{uuid.uuid4().hex}{suffix}"
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    job = Job.objects.get(pk=job_id)
    old = (job.arguments or {}).get("result") or {}
    job.arguments = {
        **(job.arguments or {}),
        "result": {"path": str(path), "filename": filename, "content_type": content_type},
    }
    job.save(update_fields=["arguments"])
    if old.get("path") and old["path"] != str(path):  # a retry replaces the earlier file
        _file_remove(old["path"])
    return path


def _file_remove(path: str) -> None:
    target = Path(path)
    if target.parent == job_files_root():
        target.unlink(missing_ok=True)


def job_files_purge(*, days: int = FILE_KEEP_DAYS, now: float | None = None) -> int:
    """Remove the job files (and half-written ones) older than ``days``; returns how many.
    Runs before each new file is written (the next deck prepared clears the old ones)."""
    root = job_files_root()
    if not root.is_dir():
        return 0
    limit = (time.time() if now is None else now) - days * 86400
    removed = 0
    for entry in root.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < limit:
                entry.unlink()
                removed += 1
        except FileNotFoundError:  # another worker removed it just now
            continue
    return removed
