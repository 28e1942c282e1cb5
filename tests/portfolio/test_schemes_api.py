"""Scheme API: list, read, create, new version; 422 with problems, 403 for non-directors."""

from __future__ import annotations

import json

import pytest

from kam.portfolio.models import SchemeVersion, ScoringScheme
from tests.conftest import client_for
from tests.portfolio.test_services import make_review, make_scheme


def _body(a=(50, 30, 20), s=(60, 40), **extra):  # type: ignore[no-untyped-def]
    criteria = [
        {
            "axis": "attractiveness",
            "key": f"a{i}",
            "name": f"Attr {i}",
            "weight": w,
            "anchor_2": "low",
            "anchor_5": "mid",
            "anchor_8": "high",
        }
        for i, w in enumerate(a, start=1)
    ] + [
        {"axis": "strength", "key": f"s{i}", "name": f"Buying {i}", "weight": w}
        for i, w in enumerate(s, start=1)
    ]
    return {"criteria": criteria, "competitors": ["Rival Foods"], **extra}


def _send(client, method, url, body):  # type: ignore[no-untyped-def]
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_create_and_read_a_scheme(director, viewer):
    response = _send(client_for(director), "post", "/api/schemes", _body(name="Retail"))
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Retail"
    assert created["versions"][0]["number"] == 1
    assert [c["key"] for c in created["versions"][0]["criteria"]] == ["a1", "a2", "a3", "s1", "s2"]

    listed = client_for(viewer).get("/api/schemes").json()
    assert listed == [
        {
            "id": created["id"],
            "name": "Retail",
            "description": "",
            "latest_version": 1,
            "criteria_count": 5,
            "reviews": [],
        }
    ]
    detail = client_for(viewer).get(f"/api/schemes/{created['id']}").json()
    assert detail["versions"][0]["competitors"] == ["Rival Foods"]


@pytest.mark.django_db
def test_invalid_scheme_is_422_with_every_problem(director):
    response = _send(client_for(director), "post", "/api/schemes", _body(a=(60, 35), name="Bad"))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == body["problems"][0]
    assert "Attractiveness needs 3 to 7 criteria; it has 2." in body["problems"]
    assert any("(add 5)" in p for p in body["problems"])
    assert not ScoringScheme.objects.exists()


@pytest.mark.django_db
def test_non_director_cannot_create_or_change(director, kam_user):
    version = make_scheme(director)
    client = client_for(kam_user)
    assert _send(client, "post", "/api/schemes", _body(name="Mine")).status_code == 403
    put = _send(client, "put", f"/api/schemes/{version.scheme_id}", _body(change_note="x"))
    assert put.status_code == 403
    assert SchemeVersion.objects.count() == 1


@pytest.mark.django_db
def test_new_version_by_put_and_post_old_review_keeps_its_version(director):
    v1 = make_scheme(director)
    review = make_review(director, [director], version=v1)
    client = client_for(director)

    put = _send(client, "put", f"/api/schemes/{v1.scheme_id}", _body(a=(40, 40, 20)))
    assert put.status_code == 200
    assert put.json()["number"] == 2

    same = _send(client, "post", f"/api/schemes/{v1.scheme_id}/versions", _body(a=(40, 40, 20)))
    assert same.status_code == 200
    assert same.json()["number"] == 2

    third = _send(
        client,
        "post",
        f"/api/schemes/{v1.scheme_id}/versions",
        _body(a=(30, 50, 20), change_note="margin up"),
    )
    assert third.status_code == 201
    assert third.json()["change_note"] == "margin up"
    review.refresh_from_db()
    assert review.scheme_version_id == v1.pk
    assert client.get(f"/api/schemes/{v1.scheme_id}/versions/1").json()["reviews"] == [review.pk]


@pytest.mark.django_db
def test_invalid_new_version_is_422(director):
    v1 = make_scheme(director)
    response = _send(client_for(director), "put", f"/api/schemes/{v1.scheme_id}", _body(s=(50,)))
    assert response.status_code == 422
    assert (
        "Strength weights add up to 50; they must add up to 100 (add 50)."
        in (response.json()["problems"])
    )


@pytest.mark.django_db
def test_unknown_scheme_is_404(director):
    assert client_for(director).get("/api/schemes/999").status_code == 404


@pytest.mark.django_db
def test_content_round_trips_without_a_new_version(director):
    v1 = make_scheme(director)
    client = client_for(director)
    content = client.get(f"/api/schemes/{v1.scheme_id}/content").json()
    response = _send(client, "put", f"/api/schemes/{v1.scheme_id}", content)
    assert response.json()["number"] == 1
