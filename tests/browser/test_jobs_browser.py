"""The jobs page in a browser: reached from the navigation, a live job's row refreshes by
itself, cancel and retry from the row (docs/operations.md, "Background jobs")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def _jobs(username: str) -> dict[str, int]:
    from django.contrib.auth import get_user_model

    from kam.jobs.models import Job, JobStatus

    user = get_user_model().objects.get(username=username)
    now = timezone.now()
    done = Job.objects.create(
        kind="transaction_import",
        task_path="kam.economics.tasks.transaction_import_task",
        label="erp-2026.csv",
        created_by=user,
        status=JobStatus.DONE,
        progress=100,
        attempts=1,
        started_at=now - dt.timedelta(minutes=9),
        finished_at=now - dt.timedelta(minutes=7),
    )
    failed = Job.objects.create(
        kind="task",
        task_path="tests.jobs.dummy_tasks.fails",
        label="fails",
        status=JobStatus.FAILED,
        error="The worker stopped (its process 4242 ended).",
        attempts=1,
        started_at=now - dt.timedelta(minutes=5),
        finished_at=now - dt.timedelta(minutes=4),
    )
    running = Job.objects.create(
        kind="allocation_run",
        task_path="kam.allocation.tasks.allocation_run_task",
        label="Year plan 2027",
        created_by=user,
        status=JobStatus.RUNNING,
        progress=42,
        attempts=1,
        started_at=now - dt.timedelta(minutes=1),
    )
    return {"done": done.pk, "failed": failed.pk, "running": running.pk}


def test_the_jobs_page_shows_progress_and_cancels_a_running_job(live_server, page, demo_director):
    ids = _jobs(demo_director.username)
    log_in(page, live_server.url, demo_director)
    page.click(".usernav a:has-text('Jobs')")
    page.wait_for_url(f"{live_server.url}/jobs/")
    running = page.locator(f"#job-{ids['running']}")
    assert running.get_attribute("data-status") == "running"
    assert running.locator("progress").get_attribute("value") == "42"
    assert page.locator("[data-testid=no-worker]").is_visible()
    assert "The worker stopped" in page.locator(f"#job-{ids['failed']}").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "jobs.png"), full_page=True)
    # the table refreshes itself while a job is live
    from kam.jobs.models import Job

    Job.objects.filter(pk=ids["running"]).update(progress=77)
    # (a selector, not wait_for_function: the CSP forbids the eval that one needs)
    page.locator(f"#job-{ids['running']} progress[value='77']").wait_for()
    running.get_by_role("button", name="Cancel").click()
    page.wait_for_url(f"{live_server.url}/jobs/#job-{ids['running']}")
    assert "stops at its next step" in page.locator(".messages").inner_text()
    assert Job.objects.get(pk=ids["running"]).cancel_requested
    assert "cancel requested" in page.locator(f"#job-{ids['running']}").inner_text()
    # a page in Dutch
    page.click("button[value=nl]")
    page.wait_for_selector("h1:has-text('Achtergrondtaken')")
    page.screenshot(path=str(ARTIFACTS / "jobs-nl.png"), full_page=True)
