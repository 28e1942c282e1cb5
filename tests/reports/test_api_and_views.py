"""Downloads from the pages and the API: files come back with the right type and name, and
the same visibility as accounts (a KAM cannot export another KAM's plan)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.reports.files import FORMATS
from tests.conftest import client_for
from tests.reports.conftest import INTERNAL, pdf_text, pptx_texts


def api_plan(plan_id: int, fmt: str) -> str:
    return f"/api/reports/plans/{plan_id}/export/{fmt}"


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_owner_downloads_the_plan_from_the_api(marked_plan, kam_user, fmt):
    response = client_for(kam_user).get(api_plan(marked_plan.pk, fmt), {"audience": "customer"})

    assert response.status_code == 200
    assert response["Content-Type"] == FORMATS[fmt]
    assert response["Content-Disposition"] == (
        f'attachment; filename="alpha-retail-plan-2026-customer-en.{fmt}"'
    )
    text = pdf_text(response.content) if fmt == "pdf" else "\n".join(pptx_texts(response.content))
    assert "Alpha Retail" in text
    assert INTERNAL not in text


@pytest.mark.django_db
def test_another_kam_cannot_export_the_plan(marked_plan, other_kam):
    client = client_for(other_kam)

    api = client.get(api_plan(marked_plan.pk, "pdf"))
    page = client.get(reverse("reports:plan_export", args=[marked_plan.pk, "pdf"]))

    assert api.status_code == 404
    assert api.json()["detail"] == "There is no such plan."
    assert page.status_code == 404


@pytest.mark.django_db
def test_a_viewer_reads_every_plan_and_a_team_member_their_accounts(
    marked_plan, viewer, member, team_member_of_alpha
):
    assert client_for(viewer).get(api_plan(marked_plan.pk, "pdf")).status_code == 200
    assert client_for(team_member_of_alpha).get(api_plan(marked_plan.pk, "pdf")).status_code == 200
    assert client_for(member).get(api_plan(marked_plan.pk, "pdf")).status_code == 404


@pytest.mark.django_db
def test_bad_requests_answer_with_the_field(marked_plan, kam_user):
    client = client_for(kam_user)

    wrong_audience = client.get(api_plan(marked_plan.pk, "pdf"), {"audience": "board"})
    unknown_version = client.get(api_plan(marked_plan.pk, "pdf"), {"version": 7})
    page_language = client.get(
        reverse("reports:plan_export", args=[marked_plan.pk, "pdf"]), {"lang": "fr"}
    )
    page_format = client.get(reverse("reports:plan_export", args=[marked_plan.pk, "docx"]))

    assert wrong_audience.status_code == 422
    assert wrong_audience.json()["field"] == "audience"
    assert unknown_version.status_code == 404
    assert page_language.status_code == 400
    assert page_format.status_code == 404


@pytest.mark.django_db
def test_anonymous_gets_nothing(marked_plan, client):
    assert client.get(api_plan(marked_plan.pk, "pdf")).status_code == 401
    page = client.get(reverse("reports:plan_export", args=[marked_plan.pk, "pdf"]))
    assert page.status_code == 302


@pytest.mark.django_db
def test_page_download_in_dutch_for_the_customer(marked_plan, kam_user):
    response = client_for(kam_user).get(
        reverse("reports:plan_export", args=[marked_plan.pk, "pptx"]),
        {"audience": "customer", "lang": "nl"},
    )

    assert response.status_code == 200
    assert 'filename="alpha-retail-plan-2026-customer-nl.pptx"' in response["Content-Disposition"]
    slides = "\n".join(pptx_texts(response.content))
    assert INTERNAL not in slides
    assert "31 dec 2026" in slides  # the objective's date, as Dutch pages write it


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_portfolio_deck_from_the_api_and_the_page(portfolio, director, fmt):
    client = client_for(director)

    api = client.get(f"/api/reports/portfolio/export/{fmt}", {"review_id": portfolio.review.pk})
    page = client.get(reverse("reports:portfolio_export", args=[fmt]))

    for response in (api, page):
        assert response.status_code == 200
        assert response["Content-Type"] == FORMATS[fmt]
        assert "portfolio-review-2026-03-01-en" in response["Content-Disposition"]


@pytest.mark.django_db
def test_portfolio_deck_of_an_unknown_review_is_404(portfolio, director):
    response = client_for(director).get("/api/reports/portfolio/export/pdf", {"review_id": 999})
    assert response.status_code == 404


@pytest.mark.django_db
def test_matrix_page_offers_the_review_deck(portfolio, director):
    response = client_for(director).get(reverse("portfolio:matrix"))

    html = response.content.decode()
    assert 'data-testid="portfolio-export"' in html
    assert reverse("reports:portfolio_deck_prepare", args=["pptx"]) in html
    assert 'method="post"' in html
    assert f'name="review_id" value="{portfolio.review.pk}"' in html


@pytest.mark.django_db
def test_plan_export_links_render_for_a_plan(marked_plan, rf, kam_user):
    from django.template.loader import render_to_string

    html = render_to_string("reports/plan_export_links.html", {"plan": marked_plan})

    assert reverse("reports:plan_export", args=[marked_plan.pk, "pdf"]) in html
    assert reverse("reports:plan_export", args=[marked_plan.pk, "pptx"]) in html
    assert 'value="customer"' in html and 'value="nl"' in html


def test_docs_name_the_api_endpoints_that_exist():
    from pathlib import Path

    from kam.api import api

    docs = (Path(__file__).resolve().parents[2] / "docs" / "exports.md").read_text()
    paths = set(api.get_openapi_schema()["paths"])

    for documented in (
        "/api/reports/plans/{plan_id}/export/{fmt}",
        "/api/reports/portfolio/export/{fmt}",
    ):
        assert documented in paths
        assert documented.replace("{fmt}", "{pdf|pptx}") in docs
