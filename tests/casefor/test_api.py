"""The business case API: list, record (directors and administrators), read one with its case."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kam.casefor.models import Assessment
from kam.users.tokens import api_token_create
from tests.casefor.conftest import answers_at, readiness_at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/business-case/assessments"


def post(client: Client, body: object, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(BASE, json.dumps(body), content_type="application/json", **extra)


def test_a_director_records_an_assessment_and_gets_its_business_case(director, team, placed):
    _token, plain = api_token_create(user=director, name="script")
    body = {
        "answers": answers_at(3) | {"solutions": 4},
        "readiness": readiness_at(3),
        "assessed_on": "2026-03-02",
        "notes": "API",
    }
    response = post(Client(), body, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["assessed_on"] == "2026-03-02" and data["created_by"] == "director"
    case = data["business_case"]
    # defensive 15/20 = 75 %, aggressive 16/20 = 80 %: 5 points apart, balanced
    assert (case["defensive_pct"], case["aggressive_pct"]) == (75.0, 80.0)
    assert case["dominant"] == "balanced" and case["strength"] == "strong"
    assert case["readiness_pct"] == 75.0
    cap = case["capacity"]
    # ⌊(2400 − 1 × 120) / 200⌋ = 11 by hours; 2 managers × 4 = 8
    assert (cap["by_hours"], cap["by_managers"], cap["key_accounts"]) == (11, 8, 8)
    assert cap["binding"] == "managers" and cap["current_key_accounts"] == 3
    assert [s["code"] for s in case["next_steps"]] == ["roll_out", "add_managers", "lead_balanced"]
    assert case["next_steps"][0]["text"].startswith("Roll key account management out to at most 8")
    assert case["top_reasons"][0] == "solutions"

    one = client_for(director).get(f"{BASE}/{data['id']}")
    assert one.status_code == 200 and one.json() == data
    listed = client_for(director).get(BASE).json()
    assert [a["id"] for a in listed] == [data["id"]]
    assert listed[0]["key_account_capacity"] == 8


@pytest.mark.parametrize("who", ["kam_user", "member", "viewer"])
def test_other_roles_read_but_may_not_record(request, who, director):
    client = client_for(request.getfixturevalue(who))
    refused = post(client, {"answers": answers_at(2), "readiness": readiness_at(2)})
    assert refused.status_code == 403
    assert "sales directors and administrators" in refused.json()["detail"]
    assert not Assessment.objects.exists()
    assert client.get(BASE).status_code == 200


def test_incomplete_answers_are_refused_with_each_question_named(director):
    body = {"answers": answers_at(2) | {"solutions": 9}, "readiness": readiness_at(2)}
    del body["answers"]["customer_power"]
    response = post(client_for(director), body)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert any(p.startswith("customer_power:") for p in problems)
    assert any(p.startswith("solutions:") for p in problems)
    assert not Assessment.objects.exists()


def test_reading_needs_authentication_and_an_unknown_id_is_404(director):
    assert Client().get(BASE).status_code == 401
    assert client_for(director).get(f"{BASE}/4242").status_code == 404
