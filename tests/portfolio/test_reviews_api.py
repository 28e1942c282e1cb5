"""Review API: list, create, detail with counts, the caller's scores, closing.

Permission rules: only raters write their own scores (403), a closed review refuses
scores (409), an account the caller may not read is answered as not found (404), scores
that break the rules are 422 with every problem.
"""

from __future__ import annotations

import json

import pytest

from kam.portfolio.models import Rating, ReviewStatus
from tests.conftest import client_for
from tests.factories import AccountFactory
from tests.portfolio.test_services import crit, make_review, make_scheme, score_all


def _put(client, review, ratings):  # type: ignore[no-untyped-def]
    return client.put(
        f"/api/reviews/{review.pk}/ratings",
        json.dumps({"ratings": ratings}),
        content_type="application/json",
    )


@pytest.mark.django_db
def test_create_list_and_detail(director, kam_user, viewer):
    version = make_scheme(director)
    body = {
        "name": "Spring",
        "review_date": "2026-04-01",
        "scheme_version_id": version.pk,
        "rater_ids": [director.pk, kam_user.pk],
    }
    response = client_for(director).post(
        "/api/reviews", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "open"
    assert created["scheme_version"] == 1
    assert sorted(created["raters"]) == sorted([director.pk, kam_user.pk])

    listed = client_for(viewer).get("/api/reviews").json()
    assert [r["id"] for r in listed] == [created["id"]]


@pytest.mark.django_db
def test_create_is_for_directors(director, kam_user):
    version = make_scheme(director)
    body = {
        "name": "Mine",
        "review_date": "2026-04-01",
        "scheme_version_id": version.pk,
        "rater_ids": [kam_user.pk],
    }
    response = client_for(kam_user).post(
        "/api/reviews", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_detail_counts_boxes_progress_and_flags(director, kam_user):
    account = AccountFactory(owner=kam_user)
    AccountFactory(owner=kam_user)  # in scope, never scored: not placed
    review = make_review(director, [director, kam_user])
    full = {"a1": 8, "a2": 6, "a3": 6, "s1": 7, "s2": 7}
    score_all(review, director, account, full, competitor={"s1": 5, "s2": 5})
    score_all(review, kam_user, account, {**full, "a1": 3}, competitor={"s1": 5, "s2": 5})

    detail = client_for(kam_user).get(f"/api/reviews/{review.pk}").json()
    # a1: mean 5.5; A = (50·5.5 + 30·6 + 20·6) / 100 = 5.75; RS = 7 / 5 = 1.4 -> key.
    assert detail["box_counts"]["key"] == 1
    assert detail["not_placed"] == 1  # the account nobody scored
    assert detail["flagged_criteria"] == 1  # a1 differs by 5 points
    progress = {p["rater_id"]: p for p in detail["progress"]}
    assert progress[kam_user.pk]["cells"] == 10
    assert progress[kam_user.pk]["scored"] == 5
    assert progress[kam_user.pk]["percent"] == 50


@pytest.mark.django_db
def test_rater_saves_and_reads_own_scores(director, kam_user):
    account = AccountFactory(owner=kam_user)
    review = make_review(director, [director, kam_user])
    v = review.scheme_version
    client = client_for(kam_user)
    response = _put(
        client,
        review,
        [
            {
                "account_id": account.pk,
                "criterion_id": crit(v, "a1"),
                "score": 7,
                "comment": "grows",
            },
            {
                "account_id": account.pk,
                "criterion_id": crit(v, "s1"),
                "score": 6,
                "competitor_score": 8,
                "view_source": "customer",
            },
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "deleted": 0}
    score_all(review, director, account, {"a1": 2})

    mine = client.get(f"/api/reviews/{review.pk}/ratings").json()
    assert sorted((r["criterion_key"], r["score"]) for r in mine) == [("a1", 7), ("s1", 6)]
    assert {r["rater_id"] for r in mine} == {kam_user.pk}

    cleared = _put(
        client, review, [{"account_id": account.pk, "criterion_id": crit(v, "a1"), "score": None}]
    )
    assert cleared.json() == {"created": 0, "updated": 0, "deleted": 1}


@pytest.mark.django_db
def test_only_directors_read_other_raters_scores(director, kam_user):
    account = AccountFactory(owner=kam_user)
    review = make_review(director, [director, kam_user])
    score_all(review, kam_user, account, {"a1": 4})
    score_all(review, director, account, {"a1": 9})

    forbidden = client_for(kam_user).get(f"/api/reviews/{review.pk}/ratings?rater={director.pk}")
    assert forbidden.status_code == 403

    one = client_for(director).get(f"/api/reviews/{review.pk}/ratings?rater={kam_user.pk}").json()
    assert [(r["rater_id"], r["score"]) for r in one] == [(kam_user.pk, 4)]
    everyone = client_for(director).get(f"/api/reviews/{review.pk}/ratings?rater=all").json()
    assert sorted(r["score"] for r in everyone) == [4, 9]


@pytest.mark.django_db
def test_bad_scores_are_422_and_nothing_is_saved(director, kam_user):
    account = AccountFactory(owner=kam_user)
    review = make_review(director, [kam_user])
    v = review.scheme_version
    response = _put(
        client_for(kam_user),
        review,
        [
            {"account_id": account.pk, "criterion_id": crit(v, "a1"), "score": 7},
            {"account_id": account.pk, "criterion_id": crit(v, "a2"), "score": 0},
            {
                "account_id": account.pk,
                "criterion_id": crit(v, "a3"),
                "score": 5,
                "competitor_score": 4,
            },
        ],
    )
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert len(problems) == 2
    assert "0 is not a whole number from 1 to 10" in problems[0]
    assert "attractiveness criterion" in problems[1]
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_non_rater_is_403(director, kam_user, other_kam):
    account = AccountFactory(owner=other_kam)
    review = make_review(director, [kam_user])
    response = _put(
        client_for(other_kam),
        review,
        [{"account_id": account.pk, "criterion_id": crit(review.scheme_version, "a1"), "score": 5}],
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_another_kams_account_is_404(director, kam_user, other_kam):
    theirs = AccountFactory(owner=other_kam)
    review = make_review(director, [kam_user, other_kam])
    response = _put(
        client_for(kam_user),
        review,
        [{"account_id": theirs.pk, "criterion_id": crit(review.scheme_version, "a1"), "score": 5}],
    )
    assert response.status_code == 404
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_closed_review_is_409_and_close_is_for_directors(director, kam_user):
    account = AccountFactory(owner=kam_user)
    review = make_review(director, [director, kam_user])
    assert client_for(kam_user).post(f"/api/reviews/{review.pk}/close").status_code == 403

    closed = client_for(director).post(f"/api/reviews/{review.pk}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == ReviewStatus.CLOSED

    response = _put(
        client_for(kam_user),
        review,
        [{"account_id": account.pk, "criterion_id": crit(review.scheme_version, "a1"), "score": 5}],
    )
    assert response.status_code == 409


@pytest.mark.django_db
def test_unknown_review_is_404_and_token_or_session_required(director, client):
    assert client_for(director).get("/api/reviews/999").status_code == 404
    assert client.get("/api/reviews").status_code == 401
