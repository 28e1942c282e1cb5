"""Jobs on the database backend, and a worker run in the test's own process."""

from __future__ import annotations

from unittest import mock

import pytest

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_queued_jobs(worker_id: str = "test-worker") -> None:
    """Run every waiting job with django-tasks-db's worker loop (batch mode), in this
    process and this test's transaction (its connection checks are left out)."""
    from django_tasks_db.management.commands.db_worker import Worker

    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        ).run()


@pytest.fixture
def db_backend(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = DB_BACKEND
    return settings
