"""``kam worker``: runs the background jobs (docs/operations.md, "Background jobs").

The worker is django-tasks-db's own ``db_worker`` loop, with what kam adds around it: a
heartbeat every few seconds (``JobWorker``) so that a worker that died is noticed, failing
the running jobs of dead workers (at start and then twice a minute), not running a job
cancelled while it waited, and enqueueing the periodic tasks (``KAM_PERIODIC_TASKS``).
With another django-tasks backend the backend's own workers run the tasks; ``kam worker``
then only keeps the schedule of the periodic tasks.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from typing import Any

from django.db import close_old_connections, connection

log = logging.getLogger("kam.jobs.worker")

HEARTBEAT_SECONDS = 5.0
REAP_SECONDS = 30.0
PERIODIC_SECONDS = 60.0


def _housekeeping(worker_id: str, stop: threading.Event, beat: float) -> None:
    from kam.jobs.services import jobs_reap, periodic_enqueue, worker_heartbeat

    last_reap = last_periodic = 0.0
    while not stop.wait(beat):
        try:
            worker_heartbeat(worker_id=worker_id)
            now = time.monotonic()
            if now - last_reap >= REAP_SECONDS:
                last_reap = now
                jobs_reap(exclude_worker=worker_id)
            if now - last_periodic >= PERIODIC_SECONDS:
                last_periodic = now
                periodic_enqueue()
        except Exception:  # the next beat tries again; the worker keeps running jobs
            log.exception("worker housekeeping failed")
        finally:
            close_old_connections()
    connection.close()


def run_worker(*, interval: float = 1.0, batch: bool = False, worker_id: str = "") -> int:
    """Run jobs until stopped (SIGINT/SIGTERM finish the job under way; a second signal
    stops at once, and the job fails as "the worker stopped"). ``batch``: stop when no job
    waits. Returns the exit code."""
    from django.conf import settings
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.management.commands.db_worker import Worker

    from kam.errors import ApplicationError
    from kam.jobs.models import Job, JobStatus
    from kam.jobs.services import (
        OWN_TASKS,
        jobs_reap,
        periodic_tasks,
        worker_register,
        worker_stopped,
    )

    # Until the worker loop takes over the signals, SIGTERM stops in order too (the
    # start-up's clean-up of dead workers' jobs is one transaction each).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        periodic_tasks()
    except ApplicationError as exc:
        print(f"kam worker: {exc.message}", file=sys.stderr)
        return 2
    worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"[:64]
    worker_register(worker_id=worker_id)
    reaped = jobs_reap(exclude_worker=worker_id)
    if reaped:
        print(f"kam worker: {reaped} job(s) of a stopped worker marked failed", flush=True)
    stop = threading.Event()
    beat = float(getattr(settings, "KAM_WORKER_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))
    keeper = threading.Thread(
        target=_housekeeping, args=(worker_id, stop, beat), name="kam-worker-heartbeat", daemon=True
    )
    keeper.start()

    class KamWorker(Worker):
        def run_task(self, db_task_result: Any) -> None:
            # A job cancelled while it waited does not run (the cancel closed its result,
            # but a worker may have claimed it in the same instant).
            kwargs = (db_task_result.args_kwargs or {}).get("kwargs", {})
            if db_task_result.task_path in OWN_TASKS:
                job = Job.objects.filter(pk=kwargs.get("job_id")).first()
            else:
                job = Job.objects.filter(task_id=str(db_task_result.id)).first()
            if job is not None and job.status == JobStatus.CANCELLED:
                db_task_result.set_failed(RuntimeError(job.error or "cancelled"))
                self._run_tasks += 1
                return
            super().run_task(db_task_result)

    print(f"kam worker {worker_id} is running jobs (Ctrl+C stops it)", flush=True)
    try:
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if isinstance(backend, DatabaseBackend):
            worker = KamWorker(
                queue_names=["*"],
                interval=interval,
                batch=batch,
                backend_name=backend.alias,
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            )
            worker.configure_signals()
            worker.run()
        else:
            print(
                f"kam worker: the task backend {type(backend).__name__} runs its tasks in its "
                "own workers; this process only enqueues the periodic tasks",
                flush=True,
            )
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while not batch:
                time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        keeper.join(timeout=beat + 1)
        worker_stopped(worker_id=worker_id)
        jobs_reap()  # what this worker left running (a forced stop) fails now, not later
    return 0
