"""The portfolio review deck as a job, in a browser (docs/exports.md): the matrix page's
button prepares it and lands on its page; a page of a deck still under way refreshes by
itself (htmx, no inline script) until the download link appears."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def test_the_matrix_button_prepares_the_deck_and_offers_it(live_server, page, demo_director):
    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/portfolio/")

    page.click("[data-testid=portfolio-export-pdf]")

    page.wait_for_url(f"{live_server.url}/reports/portfolio/deck/**")
    link = page.locator("[data-testid=deck-download]")
    link.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deck-job-done.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"


def test_a_deck_under_way_refreshes_until_its_link_appears(live_server, page, demo_director):
    from django.contrib.auth import get_user_model

    from kam.jobs.models import Job, JobStatus
    from kam.jobs.services import job_file_save

    user = get_user_model().objects.get(username=demo_director.username)
    job = Job.objects.create(
        kind="portfolio_deck",
        task_path="kam.reports.tasks.portfolio_deck_task",
        label="Review of 2026-03-01, PDF, en",
        created_by=user,
        status=JobStatus.RUNNING,
        progress=40,
    )
    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/reports/portfolio/deck/{job.pk}/")
    assert page.locator("[data-testid=deck-status] progress").count() == 1
    page.screenshot(path=str(ARTIFACTS / "deck-job-running.png"), full_page=True)

    job_file_save(
        job_id=job.pk, content=b"%PDF-1.4", filename="d.pdf", content_type="application/pdf"
    )
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, progress=100)

    page.locator("[data-testid=deck-download]").wait_for()
    assert page.locator("[data-testid=deck-status]").get_attribute("data-status") == "done"
