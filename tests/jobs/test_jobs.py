"""Background jobs on the database backend (docs/operations.md, "Background jobs"): the web
request only enqueues; a worker runs the job; cancel, retry, visibility, dead workers and
periodic tasks. The worker loop runs in the test's process here; tests/jobs/
test_worker_process.py runs real `kam worker` processes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.economics.lines import store_get
from kam.economics.models import AccountFacts, ImportStatus, TransactionImport
from kam.economics.services import transaction_import_start
from kam.errors import ApplicationError
from kam.jobs.models import Job, JobStatus, JobWorker, PeriodicRun
from kam.jobs.services import (
    job_cancel,
    job_retry,
    jobs_reap,
    periodic_enqueue,
    periodic_tasks,
)
from tests.conftest import client_for
from tests.economics.conftest import lines_csv
from tests.factories import AccountFactory
from tests.jobs import dummy_tasks
from tests.jobs.conftest import run_queued_jobs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("db_backend")]

LINES = [
    ("A1", "i1", "2026-01-10", "150", "90", "2026-02-10", "2026-02-12", "EUR"),
    ("A1", "i2", "2026-03-10", "100", "60", "2026-04-10", "2026-04-10", "EUR"),
    ("A2", "j1", "2026-02-01", "40", "30", None, None, "EUR"),
]


@pytest.fixture
def accounts(db):  # type: ignore[no-untyped-def]
    return [AccountFactory(external_id="A1"), AccountFactory(external_id="A2")]


def _start(user, name: str = "lines.csv") -> TransactionImport:  # type: ignore[no-untyped-def]
    return transaction_import_start(
        user=user, content=lines_csv(LINES), filename=name, as_of=dt.date(2026, 6, 30)
    )


def _job(row: TransactionImport) -> Job:
    return Job.objects.get(kind="transaction_import", object_id=row.pk)


# --- the request enqueues, the worker runs ---------------------------------------------------


def test_an_import_waits_in_the_queue_and_the_worker_runs_it(director, accounts):
    row = _start(director)
    job = _job(row)
    assert row.status == ImportStatus.QUEUED and job.status == JobStatus.QUEUED
    assert job.created_by == director and job.label == "lines.csv" and job.task_id
    assert store_get().sources() == []  # nothing ran in the request
    with pytest.raises(ApplicationError) as busy:  # one import at a time: a live job is busy
        _start(director, "other.csv")
    assert busy.value.status == 409
    run_queued_jobs()
    row.refresh_from_db()
    job.refresh_from_db()
    assert row.status == ImportStatus.DONE, row.error
    assert row.report["rows_imported"] == 3 and row.summary["facts"] == 2
    assert job.status == JobStatus.DONE and job.progress == 100 and job.attempts == 1
    assert job.worker_id == "test-worker" and job.started_at and job.finished_at
    assert not Path(row.path).exists()  # the upload went with the finished import
    _start(director, "again.csv")  # no longer busy


def test_restarts_lose_nothing_a_queued_job_runs_when_a_worker_comes(director, accounts):
    row = _start(director)
    # (no worker ran: the job waits in the database, whatever restarts in between)
    assert Job.objects.get(pk=_job(row).pk).status == JobStatus.QUEUED
    run_queued_jobs(worker_id="after-restart")
    row.refresh_from_db()
    assert row.status == ImportStatus.DONE


# --- cancel ---------------------------------------------------------------------------------


def test_a_queued_job_cancelled_never_runs_and_its_upload_goes(director, accounts):
    row = _start(director)
    job = job_cancel(user=director, job=_job(row))
    assert job.status == JobStatus.CANCELLED and "before it started" in job.error
    row.refresh_from_db()
    assert row.status == ImportStatus.FAILED and "Cancelled" in row.error
    assert not Path(row.path).exists()
    run_queued_jobs()
    assert store_get().sources() == []
    assert Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    with pytest.raises(ApplicationError) as ended:
        job_cancel(user=director, job=job)
    assert ended.value.status == 409


def test_a_running_import_cancelled_stops_at_its_next_step_and_writes_nothing(director, accounts):
    row = _start(director)
    job = _job(row)
    # The cancel arrives while it runs: the flag is read at its first progress point.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    job = job_cancel(user=director, job=Job.objects.get(pk=job.pk))
    assert job.status == JobStatus.RUNNING and job.cancel_requested
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)  # as the worker finds it
    run_queued_jobs()
    job.refresh_from_db()
    row.refresh_from_db()
    assert job.status == JobStatus.CANCELLED, job.error
    assert row.status == ImportStatus.FAILED
    assert store_get().sources() == [] and not AccountFacts.objects.exists()
    assert not any((store_get().root / ".staging").glob("*"))


# --- retry ----------------------------------------------------------------------------------


def test_a_failed_import_keeps_its_upload_and_a_retry_completes(director, accounts, monkeypatch):
    import kam.economics.services as economics

    real = economics.facts_compute
    monkeypatch.setattr(
        economics, "facts_compute", lambda **kw: (_ for _ in ()).throw(RuntimeError("disk full"))
    )
    row = _start(director)
    run_queued_jobs()
    job = _job(row)
    row.refresh_from_db()
    assert job.status == JobStatus.FAILED and "disk full" in job.error
    assert row.status == ImportStatus.FAILED and Path(row.path).exists()
    monkeypatch.setattr(economics, "facts_compute", real)
    job = job_retry(user=director, job=job)
    assert job.status == JobStatus.QUEUED and job.error == ""
    run_queued_jobs()
    job.refresh_from_db()
    row.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 2
    assert row.status == ImportStatus.DONE and row.summary["facts"] == 2
    with pytest.raises(ApplicationError) as done:
        job_retry(user=director, job=job)
    assert done.value.status == 409


def test_a_refused_file_fails_its_job_and_cannot_be_retried(director, accounts):
    row = transaction_import_start(
        user=director,
        content=lines_csv([("A1", "i1", "not a date", "150", "90", None, None, "EUR")]),
        filename="bad.csv",
    )
    run_queued_jobs()
    job = _job(row)
    assert job.status == JobStatus.FAILED and "refused" in job.error
    with pytest.raises(ApplicationError) as gone:
        job_retry(user=director, job=job)
    assert gone.value.status == 409 and "upload it again" in gone.value.message


# --- any other task -------------------------------------------------------------------------


def test_any_registered_task_runs_as_a_job_and_a_failed_one_is_retried(director):
    dummy_tasks.CALLS.clear()
    result = dummy_tasks.note.enqueue("hello")
    job = Job.objects.get(task_id=str(result.id))
    assert job.kind == "task" and job.label == "note" and job.created_by is None
    failing = Job.objects.get(task_id=str(dummy_tasks.fails.enqueue("now").id))
    run_queued_jobs()
    job.refresh_from_db()
    failing.refresh_from_db()
    assert dummy_tasks.CALLS == ["hello"] and job.status == JobStatus.DONE
    assert failing.status == JobStatus.FAILED
    assert "the dummy task failed on purpose now" in failing.error
    failing = job_retry(user=director, job=failing)
    assert failing.status == JobStatus.QUEUED
    assert Job.objects.filter(kind="task").count() == 2  # the same job, not a new row
    run_queued_jobs()
    failing.refresh_from_db()
    assert failing.status == JobStatus.FAILED and failing.attempts == 2


def test_a_running_task_without_progress_points_cannot_be_cancelled(director):
    job = Job.objects.get(task_id=str(dummy_tasks.note.enqueue().id))
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    with pytest.raises(ApplicationError) as refused:
        job_cancel(user=director, job=Job.objects.get(pk=job.pk))
    assert refused.value.status == 409


# --- dead workers ---------------------------------------------------------------------------


def _running_import_on(director, **worker) -> tuple[TransactionImport, Job, JobWorker]:  # type: ignore[no-untyped-def]
    from kam.jobs.services import _host

    row = _start(director)
    job = _job(row)
    worker = JobWorker.objects.create(hostname=_host(), **worker)
    TransactionImport.objects.filter(pk=row.pk).update(status=ImportStatus.RUNNING, progress=30)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, worker_id=worker.worker_id)
    staging = store_get().root / ".staging" / "tmpwork"
    staging.mkdir(parents=True)
    (staging / "staging.parquet").write_bytes(b"x" * 1000)
    store_get().lines_dir.mkdir(parents=True, exist_ok=True)
    (store_get().lines_dir / ".lines.parquet.abc.tmp").write_bytes(b"partial")
    return row, job, JobWorker.objects.get(pk=worker.pk)


def test_a_worker_without_heartbeat_fails_its_job_and_its_temp_files_go(director, accounts):
    import os

    row, job, worker = _running_import_on(
        director,
        worker_id="w-stale",
        pid=os.getpid(),  # alive: the heartbeat decides
        heartbeat_at=timezone.now() - dt.timedelta(minutes=5),
    )
    assert jobs_reap() == 1
    job.refresh_from_db()
    row.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error.startswith(
        "The worker stopped (no heartbeat"
    )
    assert row.status == ImportStatus.FAILED and row.error == job.error
    assert not any((store_get().root / ".staging").iterdir())
    assert not list(store_get().lines_dir.glob(".*.tmp"))
    assert Path(row.path).exists()  # the upload stays for a retry
    assert JobWorker.objects.get(pk=worker.pk).stopped_at is not None
    # busy is a live job: the next import may start at once (no 2-hour window)
    _start(director, "next.csv")


def test_a_worker_whose_process_is_gone_fails_its_job(director, accounts):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _row, job, _worker = _running_import_on(
        director,
        worker_id="w-gone",
        pid=gone.pid,
        heartbeat_at=timezone.now(),  # fresh: the process decides
    )
    jobs_reap()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == f"The worker stopped (its process {gone.pid} ended)."


def test_a_process_id_on_another_host_or_namespace_is_not_checked(director, accounts):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that means nothing here
    _row, job, _worker = _running_import_on(
        director, worker_id="w-elsewhere", pid=gone.pid, heartbeat_at=timezone.now()
    )
    JobWorker.objects.filter(worker_id="w-elsewhere").update(hostname="other-host#1")
    assert jobs_reap() == 0  # its heartbeat is fresh: it lives
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_a_live_worker_keeps_its_job(director, accounts):
    import os

    _row, job, _worker = _running_import_on(
        director, worker_id="w-live", pid=os.getpid(), heartbeat_at=timezone.now()
    )
    assert jobs_reap() == 0
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


# --- periodic tasks -------------------------------------------------------------------------


def test_a_periodic_task_is_enqueued_once_in_its_hour_of_its_weekday(settings):
    settings.KAM_PERIODIC_TASKS = [{"task": "tests.jobs.dummy_tasks.note", "weekday": 0, "hour": 7}]
    tz = timezone.get_current_timezone()
    monday_7 = dt.datetime(2026, 12, 7, 7, 12, tzinfo=tz)  # a Monday
    assert periodic_enqueue(now=monday_7 - dt.timedelta(hours=1)) == []
    assert periodic_enqueue(now=monday_7 + dt.timedelta(days=1)) == []
    assert periodic_enqueue(now=monday_7) == ["tests.jobs.dummy_tasks.note"]
    assert periodic_enqueue(now=monday_7 + dt.timedelta(minutes=30)) == []  # same slot
    run = PeriodicRun.objects.get()
    assert run.job is not None and run.job.kind == "task"
    dummy_tasks.CALLS.clear()
    run_queued_jobs()
    assert dummy_tasks.CALLS == ["weekly"]
    assert periodic_enqueue(now=monday_7 + dt.timedelta(days=7)) == ["tests.jobs.dummy_tasks.note"]


@pytest.mark.parametrize(
    "entry",
    [
        {"task": "tests.jobs.dummy_tasks.nothing_here", "hour": 7},
        {"task": "tests.jobs.dummy_tasks.note", "hour": 24},
        {"task": "tests.jobs.dummy_tasks.note", "hour": 7, "weekday": 7},
        {"hour": 7},
    ],
)
def test_a_wrong_periodic_entry_is_refused_with_its_place(settings, entry):  # type: ignore[no-untyped-def]
    settings.KAM_PERIODIC_TASKS = [entry]
    with pytest.raises(ApplicationError) as wrong:
        periodic_tasks()
    assert "KAM_PERIODIC_TASKS[0]" in wrong.value.message


# --- who sees what: page and API ------------------------------------------------------------


def test_a_key_account_manager_sees_only_their_own_jobs(director, kam_user, other_kam):
    from kam.jobs.services import KINDS, job_enqueue

    mine = job_enqueue(kind="allocation_run", user=kam_user, object_id=None, label="mine")
    theirs = job_enqueue(kind="allocation_run", user=other_kam, object_id=None, label="theirs")
    page = client_for(kam_user).get(reverse("jobs:list"))
    assert page.status_code == 200
    assert f'id="job-{mine.pk}"'.encode() in page.content
    assert f'id="job-{theirs.pk}"'.encode() not in page.content
    assert reverse("jobs:list").encode() in page.content  # in the navigation
    intro = page.content.decode().split('data-testid="job-kinds"')[1].split("</ul>")[0]
    for kind in KINDS.values():  # the intro names every kind, the findings refresh too
        assert f"<li>{kind.label}</li>" in intro
    everyone = client_for(director).get(reverse("jobs:list"))
    assert f'id="job-{theirs.pk}"'.encode() in everyone.content
    api = client_for(kam_user)
    listed = api.get("/api/jobs").json()
    assert [j["id"] for j in listed["items"]] == [mine.pk]
    assert api.get(f"/api/jobs/{theirs.pk}").status_code == 404
    assert api.post(f"/api/jobs/{theirs.pk}/cancel").status_code == 404
    assert api.post(f"/api/jobs/{theirs.pk}/retry").status_code == 404
    assert client_for(kam_user).post(reverse("jobs:cancel", args=[theirs.pk])).status_code == 404
    assert Job.objects.get(pk=theirs.pk).status == JobStatus.QUEUED


def test_viewers_and_team_members_have_no_jobs_page(viewer, member):
    for user in (viewer, member):
        client = client_for(user)
        assert client.get(reverse("jobs:list")).status_code == 404
        assert client.get("/api/jobs").status_code == 403
        assert reverse("jobs:list").encode() not in client.get(reverse("home"), follow=True).content


def test_the_api_cancels_and_retries_with_documented_errors(director, accounts):
    client = client_for(director)
    row = _start(director)
    job = _job(row)
    detail = client.get(f"/api/jobs/{job.pk}").json()
    assert detail["status"] == "queued" and detail["kind"] == "transaction_import"
    assert detail["started_by"] == director.username
    assert client.post(f"/api/jobs/{job.pk}/retry").status_code == 409  # not failed
    cancelled = client.post(f"/api/jobs/{job.pk}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/jobs/{job.pk}/cancel")
    assert again.status_code == 409 and "already ended" in again.json()["detail"]
    retried = client.post(f"/api/jobs/{job.pk}/retry")  # the cancelled upload is gone
    assert retried.status_code == 409 and "upload it again" in retried.json()["detail"]
    assert client.get("/api/jobs/999999").status_code == 404
    schema = client.get("/api/openapi.json").json()
    responses = schema["paths"]["/api/jobs/{job_id}/cancel"]["post"]["responses"]
    assert {"200", "403", "404", "409"} <= set(responses)


def test_the_page_cancels_and_retries(director, accounts, monkeypatch):
    import kam.economics.services as economics

    client = client_for(director)
    row = _start(director)
    job = _job(row)
    page = client.get(reverse("jobs:list"))
    assert b'hx-trigger="every 2s"' in page.content  # a live job: the table refreshes
    assert reverse("jobs:cancel", args=[job.pk]).encode() in page.content
    assert b"No background worker is running" in page.content
    response = client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)
    assert response.status_code == 200 and b"cancelled" in response.content
    assert Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED

    monkeypatch.setattr(
        economics, "facts_compute", lambda **kw: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    failed = _job(_start(director, "second.csv"))
    run_queued_jobs()
    page = client.get(reverse("jobs:list"))
    assert b'hx-trigger="every 2s"' not in page.content
    assert reverse("jobs:retry", args=[failed.pk]).encode() in page.content
    response = client.post(reverse("jobs:retry", args=[failed.pk]), follow=True)
    assert b"queued again" in response.content
    assert Job.objects.get(pk=failed.pk).status == JobStatus.QUEUED
