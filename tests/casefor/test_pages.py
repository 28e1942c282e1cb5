"""The business case pages: empty state, questionnaire, the case, the list and the PDF."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse

from kam.casefor.models import Assessment
from kam.casefor.services import assessment_create
from kam.organisation.selectors import organisation_get
from tests.casefor.conftest import answers_at, form_data, readiness_at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

DEMO_LIKE_ANSWERS = {
    "customer_power": 4,
    "global_customers": 3,
    "complex_dmu": 3,
    "purchasing_practices": 4,
    "own_complexity": 2,
    "focus_resources": 3,
    "relationships_win": 3,
    "solutions": 2,
    "shape_strategy": 2,
    "abnormal_rewards": 3,
}
DEMO_LIKE_READY = {
    "sponsorship": 1,
    "cross_functional": 2,
    "profitability_data": 1,
    "planning_discipline": 2,
    "people": 2,
}


@pytest.mark.parametrize("who", ["director", "kam_user", "viewer"])
def test_without_an_assessment_everyone_sees_how_to_start(request, who):
    response = client_for(request.getfixturevalue(who)).get(reverse("casefor:case"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No assessment yet" in html
    has_start = reverse("casefor:create") in html
    assert has_start == (who == "director")


def test_pages_need_a_login():
    for url in (reverse("casefor:case"), reverse("casefor:create"), reverse("casefor:list")):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["kam_user", "member", "viewer"])
def test_only_directors_and_administrators_open_the_questionnaire(request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("casefor:create")).status_code == 403
    post = client.post(reverse("casefor:create"), form_data(answers_at(2), readiness_at(2)))
    assert post.status_code == 403
    assert not Assessment.objects.exists()


def test_the_questionnaire_shows_every_question_with_its_five_levels(director):
    html = client_for(director).get(reverse("casefor:create")).content.decode()
    assert html.count('type="radio"') == 15 * 5
    assert "Our customers grow stronger and more professional" in html
    assert "Consolidation is under way now" in html  # a level text, visible
    assert "Executive sponsorship" in html and "Key account managers with the skills" in html


def test_answering_saves_and_shows_the_business_case(director, team, placed):
    client = client_for(director)
    response = client.post(reverse("casefor:create"), form_data(DEMO_LIKE_ANSWERS, DEMO_LIKE_READY))
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("casefor:detail", args=[assessment.pk])
    assert assessment.assessed_on == dt.date(2026, 3, 2)
    html = client.get(response["Location"]).content.decode()
    # 29 of 40 = 72.5 %, defensive 16/20 = 80 % against aggressive 13/20 = 65 %
    assert "The case for key account management is strong" in html
    assert "Defensive reasons dominate (80% against 65%)" in html
    assert "Start with a pilot of two or three key accounts" in html
    assert "Build an account P&amp;L" in html
    assert "No executive sponsor" in html
    assert "The portfolio has 3 key accounts." in html


def test_a_missing_answer_is_shown_beside_its_question_and_nothing_is_saved(director):
    data = form_data(answers_at(2), readiness_at(2))
    del data["reason__solutions"]
    response = client_for(director).post(reverse("casefor:create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="q-solutions"')
    assert "Choose an answer from 0 to 4." in html[start : start + 800]
    assert html.count('class="bc-q has-errors"') == 1
    # the answers given stay checked
    assert html.count(" checked") == 14
    assert not Assessment.objects.exists()


def test_the_questionnaire_starts_from_the_latest_answers(director):
    assessment_create(
        created_by=director,
        answers=answers_at(1) | {"solutions": 4},
        readiness=readiness_at(3),
        assessed_on=dt.date(2026, 1, 5),
    )
    html = client_for(director).get(reverse("casefor:create")).content.decode()
    assert html.count(" checked") == 15
    assert 'name="reason__solutions" value="4" checked' in html
    assert 'name="ready__people" value="3" checked' in html


def test_the_case_compares_with_the_previous_assessment(director, viewer):
    assessment_create(
        created_by=director,
        answers=answers_at(2),
        readiness=readiness_at(1),
        assessed_on=dt.date(2025, 3, 1),
    )
    latest = assessment_create(
        created_by=director,
        answers=answers_at(2) | {"solutions": 4},
        readiness=readiness_at(1),
        assessed_on=dt.date(2026, 3, 1),
    )
    response = client_for(viewer).get(reverse("casefor:detail", args=[latest.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Since the assessment of" in html
    assert "2 → 4</span> We want to sell solutions, not products" in html
    # aggressive 10/20 = 50 % before, 12/20 = 60 % now
    assert "50% → <b>60%</b>" in html


def test_the_list_shows_each_assessment_with_its_scores(director, kam_user):
    assessment_create(
        created_by=director,
        answers=DEMO_LIKE_ANSWERS,
        readiness=DEMO_LIKE_READY,
        assessed_on=dt.date(2026, 3, 1),
    )
    response = client_for(kam_user).get(reverse("casefor:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "80%" in html and "65%" in html  # defensive, aggressive
    assert reverse("casefor:create") not in html


def test_an_unknown_assessment_is_404(director):
    client = client_for(director)
    assert client.get(reverse("casefor:detail", args=[999])).status_code == 404
    assert client.get(reverse("casefor:pdf", args=[999])).status_code == 404


def test_the_pdf_is_one_a4_page_with_the_organisation_name(director, team, placed):
    org = organisation_get()
    org.name = "Zuivelfabriek Noord"
    org.save()
    assessment = assessment_create(
        created_by=director,
        answers=DEMO_LIKE_ANSWERS,
        readiness=DEMO_LIKE_READY,
        assessed_on=dt.date(2026, 3, 1),
        notes="Prepared for the board meeting of April.",
    )
    assessment_create(
        created_by=director,
        answers=DEMO_LIKE_ANSWERS | {"solutions": 4, "customer_power": 3},
        readiness=DEMO_LIKE_READY | {"sponsorship": 3},
        assessed_on=dt.date(2026, 3, 2),
    )
    client = client_for(director)
    response = client.get(reverse("casefor:pdf", args=[assessment.pk + 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")

    from django.test import RequestFactory

    from kam.casefor.views import case_pdf_document

    request = RequestFactory().get("/")
    request.user = director
    for a in Assessment.objects.all():
        document = case_pdf_document(request, a)
        assert len(document.pages) == 1, f"assessment of {a.assessed_on} takes more than a page"
        width, height = document.pages[0].width, document.pages[0].height
        # A4 is 210 × 297 mm; WeasyPrint measures in CSS px (96 per inch)
        assert round(width / 96 * 25.4) == 210 and round(height / 96 * 25.4) == 297
        text = _pdf_text(document)
        assert "Zuivelfabriek Noord" in text
        assert "Next steps" in text


def _pdf_text(document) -> str:  # type: ignore[no-untyped-def]
    """The text WeasyPrint laid out, read from its boxes (no pdftotext needed)."""
    out = io.StringIO()

    def walk(box) -> None:  # type: ignore[no-untyped-def]
        text = getattr(box, "text", None)
        if text:
            out.write(text + " ")
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return out.getvalue()


def test_the_date_field_is_iso_in_dutch_too(director):
    """A date input takes only YYYY-MM-DD; a Dutch-formatted value would be dropped."""
    client = client_for(director)
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    html = client.get(reverse("casefor:create")).content.decode()
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert f'type="date" name="assessed_on" value="{today}"' in html
