"""Scheme pages: list, version detail with what changed, create and edit (a new version)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.portfolio.models import SchemeVersion, ScoringScheme
from kam.portfolio.services import scheme_version_create
from tests.conftest import client_for
from tests.portfolio.test_services import make_review, make_scheme, scheme_content


def _post_data(a_weights=(50, 30, 20), s_weights=(60, 40), **extra):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "a-key": [f"a{i + 1}" for i in range(len(a_weights))],
        "a-name": [f"Attr {i + 1}" for i in range(len(a_weights))],
        "a-weight": [str(w) for w in a_weights],
        "a-anchor_2": ["low"] * len(a_weights),
        "a-anchor_5": ["middle"] * len(a_weights),
        "a-anchor_8": ["high"] * len(a_weights),
        "s-key": [f"s{i + 1}" for i in range(len(s_weights))],
        "s-name": [f"Buying {i + 1}" for i in range(len(s_weights))],
        "s-weight": [str(w) for w in s_weights],
        "s-anchor_2": [""] * len(s_weights),
        "s-anchor_5": [""] * len(s_weights),
        "s-anchor_8": [""] * len(s_weights),
        "competitors": "Rival Foods\nBudget Brands\n",
        "attractiveness_cut": "5.0",
        "strength_cut_relative": "1.0",
        "strength_cut_absolute": "5.0",
    }
    data.update(extra)
    return data


@pytest.mark.django_db
def test_list_shows_latest_version_criteria_and_reviews(director, viewer):
    version = make_scheme(director)
    make_review(director, [director], version=version, name="Spring 2026")
    scheme_version_create(
        scheme=version.scheme, content=scheme_content(a=(40, 40, 20)), created_by=director
    )
    response = client_for(viewer).get(reverse("portfolio:scheme_list"))
    assert response.status_code == 200
    row = response.content.decode()
    assert "Food retail" in row
    assert "v2" in row
    assert "Spring 2026" in row


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_schemes(director, django_assert_max_num_queries):
    for n in range(5):
        make_review(director, [director], version=make_scheme(director, name=f"S{n}"))
    client = client_for(director)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("portfolio:scheme_list")).status_code == 200


@pytest.mark.django_db
def test_detail_shows_version_and_what_changed(director, member):
    v1 = make_scheme(director)
    scheme_version_create(
        scheme=v1.scheme,
        content=scheme_content(a=(40, 40, 20)),
        change_note="growth up",
        created_by=director,
    )
    client = client_for(member)
    url = reverse("portfolio:scheme_detail", args=[v1.scheme_id])
    latest = client.get(url)
    assert latest.status_code == 200
    text = latest.content.decode()
    assert "growth up" in text
    assert "What changed since v1" in text
    assert "<del>50</del>" in text and "<ins>40</ins>" in text
    assert "Rival Foods" in text

    first = client.get(url + "?version=1").content.decode()
    assert "This is the first version." in first
    assert client.get(url + "?version=9").status_code == 404


@pytest.mark.django_db
def test_team_member_cannot_create_or_edit_a_scheme(director, member, kam_user):
    version = make_scheme(director)
    for user in (member, kam_user):
        client = client_for(user)
        assert client.get(reverse("portfolio:scheme_create")).status_code == 403
        create = reverse("portfolio:scheme_create")
        assert client.post(create, _post_data(name="X")).status_code == 403
        edit = reverse("portfolio:scheme_edit", args=[version.scheme_id])
        assert client.post(edit, _post_data(change_note="x")).status_code == 403
    assert ScoringScheme.objects.count() == 1


@pytest.mark.django_db
def test_director_creates_a_scheme(director):
    response = client_for(director).post(
        reverse("portfolio:scheme_create"), _post_data(name="Retail", description="")
    )
    scheme = ScoringScheme.objects.get(name="Retail")
    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio:scheme_detail", args=[scheme.pk])
    version = scheme.latest_version()
    assert version.criteria.filter(axis="attractiveness").count() == 3
    assert sorted(version.competitors.values_list("name", flat=True)) == [
        "Budget Brands",
        "Rival Foods",
    ]


@pytest.mark.django_db
def test_invalid_scheme_lists_every_problem_and_keeps_the_input(director):
    data = _post_data(a_weights=(50, 25, 20), s_weights=(60, 50), name="Retail")
    data["a-anchor_5"] = ["middle", "", "middle"]
    response = client_for(director).post(reverse("portfolio:scheme_create"), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Attractiveness weights add up to 95; they must add up to 100 (add 5)." in text
    assert "Strength weights add up to 110" in text
    assert "&#x27;a2&#x27; needs anchors" in text
    assert "fix these 3 problems" in text
    assert 'value="Retail"' in text
    assert 'value="25"' in text
    assert not ScoringScheme.objects.exists()


@pytest.mark.django_db
def test_weight_that_is_not_a_whole_number_is_shown_beside_the_row(director):
    data = _post_data(name="Retail")
    data["a-weight"] = ["50", "29.5", "20"]
    response = client_for(director).post(reverse("portfolio:scheme_create"), data)
    text = response.content.decode()
    assert "The weight of &#x27;Attr 2&#x27; must be a whole number" in text
    assert 'class="criterion-row has-errors"' in text
    assert not ScoringScheme.objects.exists()


@pytest.mark.django_db
def test_edit_saves_a_new_version_and_old_review_keeps_v1(director):
    v1 = make_scheme(director)
    review = make_review(director, [director], version=v1)
    client = client_for(director)
    url = reverse("portfolio:scheme_edit", args=[v1.scheme_id])

    form = client.get(url)
    assert form.status_code == 200
    assert 'value="a1"' in form.content.decode()

    response = client.post(url, _post_data(a_weights=(40, 40, 20), change_note="growth up"))
    assert response.status_code == 302
    versions = SchemeVersion.objects.filter(scheme=v1.scheme).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].change_note == "growth up"
    review.refresh_from_db()
    assert review.scheme_version_id == v1.pk

    # Posting the same content again makes no third version.
    client.post(url, _post_data(a_weights=(40, 40, 20), change_note="again"))
    assert SchemeVersion.objects.filter(scheme=v1.scheme).count() == 2


@pytest.mark.django_db
def test_pages_need_login(client):
    response = client.get(reverse("portfolio:scheme_list"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
