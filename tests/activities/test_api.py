"""The activities API: permissions per role, writes, import and actual hours."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kam.activities.models import Activity
from kam.portfolio.models import Placement
from kam.relationships.services import contact_create
from kam.users.tokens import api_token_create
from tests.activities.conftest import DAY, log, make_review
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BASE = "/api/activities/"


def token_client(user) -> Client:  # type: ignore[no-untyped-def]
    _row, plain = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {plain}"})


def post(client, url, data):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):  # type: ignore[no-untyped-def]
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def logged(kam_user, other_kam, member, accounts):  # type: ignore[no-untyped-def]
    return {
        "own": log(kam_user, accounts["own"], 60, [kam_user, member], topic="own"),
        "other": log(other_kam, accounts["other"], 30, [other_kam], topic="other"),
    }


def payload(account, **extra):  # type: ignore[no-untyped-def]
    return {
        "account_id": account.pk,
        "date": DAY.isoformat(),
        "duration_minutes": 45,
        "type": "call",
        "participants": ["kam1"],
        **extra,
    }


def test_anonymous_gets_401(logged):  # type: ignore[no-untyped-def]
    assert Client().get(BASE).status_code == 401
    assert Client().get(BASE + "hours/accounts").status_code == 401


def test_list_is_visibility_filtered(director, kam_user, logged):  # type: ignore[no-untyped-def]
    items = token_client(kam_user).get(BASE).json()["items"]
    assert [i["topic"] for i in items] == ["own"]
    assert items[0]["person_hours"] == 2.0
    assert {p["username"] for p in items[0]["participants"]} == {"kam1", "member1"}
    assert len(client_for(director).get(BASE).json()["items"]) == 2
    assert [
        i["topic"] for i in client_for(director).get(BASE, {"type": "call"}).json()["items"]
    ] == []
    assert client_for(director).get(BASE, {"type": "lunch"}).status_code == 422


def test_detail_of_another_managers_activity_is_404(kam_user, logged):  # type: ignore[no-untyped-def]
    client = token_client(kam_user)
    assert client.get(f"{BASE}{logged['own'].pk}").status_code == 200
    assert client.get(f"{BASE}{logged['other'].pk}").status_code == 404


def test_create(kam_user, accounts):  # type: ignore[no-untyped-def]
    anna = contact_create(user=kam_user, account=accounts["own"], name="Anna de Wit")
    response = post(
        token_client(kam_user), BASE, payload(accounts["own"], contact_names=["ANNA de wit"])
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account"]["external_id"] == "OWN-1"
    assert body["person_hours"] == 0.75
    assert body["contacts"] == [{"id": anna.pk, "name": "Anna de Wit"}]
    assert body["contact_names"] == []
    assert body["created_by"]["username"] == "kam1"
    assert Activity.objects.count() == 1


def test_create_refusals(kam_user, viewer, accounts):  # type: ignore[no-untyped-def]
    client = token_client(kam_user)
    assert post(client, BASE, payload(accounts["other"])).status_code == 404
    response = post(client, BASE, payload(accounts["own"], duration_minutes=0))
    assert response.status_code == 422 and response.json()["field"] == "duration_minutes"
    response = post(client, BASE, payload(accounts["own"], participants=["ghost"]))
    assert response.status_code == 422 and response.json()["field"] == "participants"
    assert post(client, BASE, payload(accounts["own"], external_uid="x1")).status_code == 201
    assert post(client, BASE, payload(accounts["own"], external_uid="x1")).status_code == 409
    assert post(token_client(viewer), BASE, payload(accounts["own"])).status_code == 403
    assert Activity.objects.count() == 1


def test_update_and_delete_permissions(director, kam_user, member, other_kam, viewer, logged):  # type: ignore[no-untyped-def]
    own = f"{BASE}{logged['own'].pk}"
    # viewer reads but does not write
    assert token_client(viewer).get(own).status_code == 200
    assert patch(token_client(viewer), own, {"topic": "x"}).status_code == 403
    assert token_client(viewer).delete(own).status_code == 403
    # another manager cannot see it
    assert patch(token_client(other_kam), own, {"topic": "x"}).status_code == 404
    assert token_client(other_kam).delete(own).status_code == 404
    # a participant changes it
    response = patch(token_client(member), own, {"topic": "changed", "participants": ["member1"]})
    assert response.status_code == 200, response.content
    assert response.json()["topic"] == "changed" and response.json()["person_hours"] == 1.0
    # kam1 is no longer a participant, but logged it: still allowed
    assert patch(token_client(kam_user), own, {"duration_minutes": 90}).status_code == 200
    assert patch(token_client(kam_user), own, {"duration_minutes": None}).status_code == 422
    assert (
        patch(token_client(kam_user), own, {"account_id": logged["other"].account_id}).status_code
        == 404
    )
    # the director deletes anything
    assert token_client(director).delete(f"{BASE}{logged['other'].pk}").status_code == 204
    assert token_client(kam_user).delete(own).status_code == 204
    assert Activity.objects.count() == 0


def test_import(director, kam_user, viewer, accounts):  # type: ignore[no-untyped-def]
    header = "date,account,duration_minutes,type,participants,uid\n"
    good = (header + "2025-05-06,OWN-1,60,visit,kam1,u1\n").encode()
    client = token_client(kam_user)
    response = client.post(BASE + "import", {"file": SimpleUploadedFile("a.csv", good)})
    assert response.status_code == 200 and response.json() == {"created": 1, "unchanged": 0}
    response = client.post(BASE + "import", {"file": SimpleUploadedFile("a.csv", good)})
    assert response.json() == {"created": 0, "unchanged": 1}
    bad = (header + "2025-05-06,OTH-1,60,visit,kam1,u2\n").encode()
    response = client.post(BASE + "import", {"file": SimpleUploadedFile("a.csv", bad)})
    assert response.status_code == 422
    assert response.json()["report"] == [
        {"row": 2, "column": "account", "reason": "There is no account with external id 'OTH-1'."}
    ]
    response = token_client(viewer).post(
        BASE + "import", {"file": SimpleUploadedFile("a.csv", good)}
    )
    assert response.status_code == 403
    assert Activity.objects.count() == 1


def test_actual_hours(director, kam_user, member, logged):  # type: ignore[no-untyped-def]
    review = make_review()
    Placement.objects.create(review=review, account=logged["own"].account, box="key")
    client = token_client(director)
    period = {"start": "2025-01-01", "end": "2025-12-31"}
    body = client.get(BASE + "hours/accounts", period).json()
    assert body["total_hours"] == 2.5
    assert [(r["detail"], r["hours"]) for r in body["rows"]] == [("OWN-1", 2.0), ("OTH-1", 0.5)]
    assert body["rows"][0]["share"] == pytest.approx(0.8)
    body = client.get(BASE + "hours/people", period).json()
    assert {r["detail"]: r["hours"] for r in body["rows"]} == {
        "kam1": 1.0,
        "member1": 1.0,
        "kam2": 0.5,
    }
    body = client.get(BASE + "hours/boxes", {**period, "review_id": review.pk}).json()
    assert body["review_id"] == review.pk
    assert {r["key"]: r["hours"] for r in body["rows"]} == {
        "key": 2.0,
        "key_development": 0.0,
        "maintenance": 0.0,
        "opportunistic": 0.0,
        "unplaced": 0.5,
    }
    # A key account manager sees only their own account's hours.
    body = token_client(kam_user).get(BASE + "hours/accounts", period).json()
    assert [r["detail"] for r in body["rows"]] == ["OWN-1"]
    # The default period is the last twelve months, which does not hold 2025-06-02 forever:
    # only the shape is checked here.
    assert set(token_client(kam_user).get(BASE + "hours/people").json()) >= {"start", "end", "rows"}
    assert client.get(BASE + "hours/boxes", {"review_id": 999999}).status_code == 404
    assert (
        client.get(
            BASE + "hours/accounts", {"start": "2025-12-31", "end": "2025-01-01"}
        ).status_code
        == 422
    )


# --- contacts ------------------------------------------------------------------------------


def test_create_with_contact_ids(kam_user, accounts):  # type: ignore[no-untyped-def]
    anna = contact_create(user=kam_user, account=accounts["own"], name="Anna de Wit")
    bob = contact_create(user=kam_user, account=accounts["own"], name="Bob Smit", email="b@o.nl")
    response = post(
        token_client(kam_user),
        BASE,
        payload(accounts["own"], contacts=[anna.pk], contact_names=["B@O.nl"]),
    )
    assert response.status_code == 201, response.content
    assert [c["id"] for c in response.json()["contacts"]] == [anna.pk, bob.pk]
    assert set(Activity.objects.get().contacts.all()) == {anna, bob}


def test_unmatched_names_answer_422_listing_each(kam_user, accounts):  # type: ignore[no-untyped-def]
    contact_create(user=kam_user, account=accounts["own"], name="Anna de Wit")
    response = post(
        token_client(kam_user),
        BASE,
        payload(accounts["own"], contact_names=["Anna de Wit", "Piet", "kees@x.nl"]),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "contact_names"
    assert "'Piet'" in body["detail"] and "'kees@x.nl'" in body["detail"]
    assert len(body["problems"]) == 2
    assert Activity.objects.count() == 0


def test_a_contact_id_of_another_account_answers_422(kam_user, other_kam, accounts):  # type: ignore[no-untyped-def]
    stranger = contact_create(user=other_kam, account=accounts["other"], name="Stan")
    response = post(
        token_client(kam_user), BASE, payload(accounts["own"], contacts=[stranger.pk, 999999])
    )
    assert response.status_code == 422
    assert response.json()["field"] == "contacts"
    assert f"#{stranger.pk}" in response.json()["detail"] and "#999999" in response.json()["detail"]


def test_patch_replaces_contacts_and_keeps_older_unmatched_names(kam_user, accounts):  # type: ignore[no-untyped-def]
    anna = contact_create(user=kam_user, account=accounts["own"], name="Anna de Wit")
    activity = log(kam_user, accounts["own"], 60, [kam_user], contact_names=["Piet"])
    client = token_client(kam_user)
    response = patch(client, f"{BASE}{activity.pk}", {"contacts": [anna.pk]})
    assert response.status_code == 200, response.content
    assert response.json()["contacts"] == [{"id": anna.pk, "name": "Anna de Wit"}]
    assert response.json()["contact_names"] == ["Piet"]
    response = patch(client, f"{BASE}{activity.pk}", {"contact_names": ["Nobody"]})
    assert response.status_code == 422 and "'Nobody'" in response.json()["detail"]
    response = patch(client, f"{BASE}{activity.pk}", {"contact_names": []})
    assert response.status_code == 200
    assert response.json()["contacts"] == [] and response.json()["contact_names"] == []
