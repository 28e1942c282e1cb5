"""The portfolio review deck as a background job (docs/exports.md): prepared from the
matrix page or ``POST /api/reports/portfolio/export/{fmt}``, rendered by the worker (inline
in tests), kept 0600 in the job files' folder and served only to its owner (or directors
and administrators)."""

from __future__ import annotations

import io
import os
import stat
import time
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from kam.jobs.models import Job, JobStatus
from kam.jobs.services import job_files_purge, job_files_root
from kam.reports.files import FORMATS
from tests.conftest import client_for


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def _looks_like(fmt: str, content: bytes) -> None:
    if fmt == "pdf":
        assert content.startswith(b"%PDF")
    else:
        assert "ppt/presentation.xml" in zipfile.ZipFile(io.BytesIO(content)).namelist()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_page_prepares_the_deck_then_offers_its_download(portfolio, kam_user, fmt):
    client = client_for(kam_user)

    response = client.post(
        reverse("reports:portfolio_deck_prepare", args=[fmt]),
        {"review_id": portfolio.review.pk, "lang": "nl"},
    )

    job = Job.objects.get(kind="portfolio_deck")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:portfolio_deck", args=[job.pk])
    assert job.status == JobStatus.DONE and job.created_by == kam_user
    assert job.arguments["fmt"] == fmt and job.arguments["lang"] == "nl"
    path = Path(job.arguments["result"]["path"])
    assert path.parent == job_files_root()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    page = client.get(response["Location"])
    download = reverse("jobs:download", args=[job.pk])
    assert page.status_code == 200
    assert download in page.content.decode()
    assert "hx-trigger" not in page.content.decode()  # done: it no longer polls

    file = client.get(download)
    assert file.status_code == 200
    assert file["Content-Type"] == FORMATS[fmt]
    assert f"portfolio-review-2026-03-01-nl.{fmt}" in file["Content-Disposition"]
    _looks_like(fmt, _body(file))

    jobs_page = client.get(reverse("jobs:list")).content.decode()
    assert 'data-testid="job-download"' in jobs_page and download in jobs_page


@pytest.mark.django_db
def test_another_manager_gets_404_for_the_deck_and_its_page(portfolio, kam_user, other_kam):
    client_for(kam_user).post(reverse("reports:portfolio_deck_prepare", args=["pdf"]))
    job = Job.objects.get(kind="portfolio_deck")
    other = client_for(other_kam)

    assert other.get(reverse("jobs:download", args=[job.pk])).status_code == 404
    assert other.get(reverse("reports:portfolio_deck", args=[job.pk])).status_code == 404
    assert other.get(f"/api/jobs/{job.pk}/download").status_code == 404
    assert (
        reverse("jobs:download", args=[job.pk])
        not in other.get(reverse("jobs:list")).content.decode()
    )


@pytest.mark.django_db
def test_a_director_may_download_a_managers_deck(portfolio, kam_user, director):
    client_for(kam_user).post(reverse("reports:portfolio_deck_prepare", args=["pdf"]))
    job = Job.objects.get(kind="portfolio_deck")

    response = client_for(director).get(reverse("jobs:download", args=[job.pk]))

    assert response.status_code == 200
    _looks_like("pdf", _body(response))


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_api_answers_202_with_the_job_then_serves_the_file(portfolio, kam_user, fmt):
    client = client_for(kam_user)

    response = client.post(
        f"/api/reports/portfolio/export/{fmt}?review_id={portfolio.review.pk}&lang=en"
    )

    assert response.status_code == 202
    body = response.json()
    assert body["kind"] == "portfolio_deck" and body["url"] == f"/api/jobs/{body['id']}"
    job = client.get(body["url"]).json()
    assert job["status"] == "done"
    assert job["download_url"] == f"/api/jobs/{body['id']}/download"
    file = client.get(job["download_url"])
    assert file.status_code == 200 and file["Content-Type"] == FORMATS[fmt]
    _looks_like(fmt, _body(file))


@pytest.mark.django_db
def test_an_unknown_review_is_refused_before_any_job(portfolio, kam_user):
    client = client_for(kam_user)

    api = client.post("/api/reports/portfolio/export/pdf?review_id=999")
    page = client.post(
        reverse("reports:portfolio_deck_prepare", args=["pdf"]), {"review_id": "999"}
    )
    bad_format = client.post(reverse("reports:portfolio_deck_prepare", args=["docx"]))

    assert api.status_code == 404 and "review" in api.json()["detail"]
    assert page.status_code == 404 and bad_format.status_code == 404
    assert not Job.objects.filter(kind="portfolio_deck").exists()


@pytest.mark.django_db
def test_preparing_needs_a_post_and_a_sign_in(portfolio, kam_user):
    from django.test import Client

    url = reverse("reports:portfolio_deck_prepare", args=["pdf"])
    assert client_for(kam_user).get(url).status_code == 405
    assert Client().post(url).status_code == 302  # to the sign-in page
    assert Client().post("/api/reports/portfolio/export/pdf").status_code == 401
    assert not Job.objects.filter(kind="portfolio_deck").exists()


@pytest.mark.django_db
def test_a_file_older_than_seven_days_is_removed_and_its_link_goes(portfolio, kam_user):
    client = client_for(kam_user)
    client.post(reverse("reports:portfolio_deck_prepare", args=["pdf"]))
    job = Job.objects.get(kind="portfolio_deck")
    path = Path(job.arguments["result"]["path"])
    old = time.time() - 8 * 86400
    os.utime(path, (old, old))

    client.post(reverse("reports:portfolio_deck_prepare", args=["pptx"]))  # the next run

    assert not path.exists()
    assert job_files_purge() == 0  # nothing else was old
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 404
    page = client.get(reverse("reports:portfolio_deck", args=[job.pk])).content.decode()
    assert "removed after 7 days" in page
    assert client.get(f"/api/jobs/{job.pk}").json()["download_url"] is None


@pytest.mark.django_db
def test_a_deck_whose_review_disappeared_fails_with_a_reason(portfolio, kam_user):
    from kam.jobs.services import job_enqueue

    job = job_enqueue(
        kind="portfolio_deck",
        user=kam_user,
        object_id=None,
        arguments={"fmt": "pdf", "review_id": 999, "lang": "en"},
    )

    assert job.status == JobStatus.FAILED
    assert "There is no review 999" in job.error
    assert client_for(kam_user).get(reverse("jobs:download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_old_get_download_still_works(portfolio, director):
    response = client_for(director).get("/api/reports/portfolio/export/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert not Job.objects.exists()
