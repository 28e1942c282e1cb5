"""The year plan API: periods, capacities, policies, judgements (422 naming the field),
runs with their status and lines, always through the caller's permissions."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kam.allocation.judgement_services import judgement_save
from kam.users.tokens import api_token_create
from tests.allocation.conftest import JUDGEMENTS, judgement
from tests.conftest import client_for
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
BASE = "/api/allocation"
BODY = {
    "reference_hours": 300,
    "contribution_at_zero": 200000,
    "contribution_at_reference": 400000,
    "contribution_at_150pct": 450000,
    "contribution_at_saturation": 500000,
}


def send(client: Client, method: str, url: str, body: object = None, **extra: str):  # type: ignore[no-untyped-def]
    return getattr(client, method)(
        BASE + url, json.dumps(body), content_type="application/json", **extra
    )


def test_a_director_plans_a_year_over_the_api_with_a_token(director, accounts):
    _token, plain = api_token_create(user=director, name="script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    client = Client()
    created = send(
        client,
        "post",
        "/periods",
        {"name": "API plan", "start": "2027-01-01", "end": "2027-12-31"},
        **auth,
    )
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    caps = client.get(f"{BASE}/periods/{pid}/capacities", **auth).json()
    assert {c["username"] for c in caps} == {"director", "kam1", "kam2"}
    for account, numbers in zip(accounts, JUDGEMENTS, strict=True):
        body = dict(zip(BODY, numbers, strict=True))
        r = send(client, "put", f"/periods/{pid}/judgements/{account.pk}", body, **auth)
        assert r.status_code == 200, r.content
        assert r.json()["curve"]["d"] > 0
    run = send(client, "post", f"/periods/{pid}/runs", None, **auth)
    assert run.status_code == 200, run.content  # inline in the tests: already done
    data = client.get(f"{BASE}/runs/{run.json()['id']}", **auth).json()
    assert data["status"] == "done" and data["progress"] == 100
    assert data["summary"]["gap"] >= 0
    assert data["summary"]["upper_bound"] >= data["summary"]["objective"] - 1e-6
    lines = client.get(f"{BASE}/runs/{data['id']}/lines", **auth).json()
    assert lines["count"] == 5
    assert sum(float(x["hours"]) for x in lines["items"]) <= sum(c["hours_per_year"] for c in caps)
    people = client.get(f"{BASE}/runs/{data['id']}/people", **auth).json()
    assert people["count"] >= 5


def test_an_inconsistent_judgement_answers_422_with_the_field(judged, kam_user, accounts):
    client = client_for(kam_user)
    r = send(
        client,
        "put",
        f"/periods/{judged.pk}/judgements/{accounts[0].pk}",
        {**BODY, "contribution_at_150pct": 550000},
    )
    assert r.status_code == 422
    assert r.json()["field"] == "contribution_at_150pct"
    assert "+50 %" in r.json()["detail"]


def test_judgements_follow_account_permissions(judged, kam_user, viewer, accounts):
    client = client_for(kam_user)
    hidden = send(client, "put", f"/periods/{judged.pk}/judgements/{accounts[2].pk}", BODY)
    assert hidden.status_code == 404
    listed = client.get(f"{BASE}/periods/{judged.pk}/judgements").json()
    assert {j["account"] for j in listed["items"]} == {"Customer 0", "Customer 1", "Customer 3"}
    r = send(client_for(viewer), "put", f"/periods/{judged.pk}/judgements/{accounts[0].pk}", BODY)
    assert r.status_code == 403


def test_only_planners_change_capacities_policies_and_start_runs(judged, kam_user):
    client = client_for(kam_user)
    assert send(client, "post", f"/periods/{judged.pk}/runs").status_code == 403
    r = send(
        client,
        "put",
        f"/periods/{judged.pk}/policies",
        [{"box": "key", "min_hours_per_year": 1, "max_hours_per_year": 2}],
    )
    assert r.status_code == 403
    r = send(
        client,
        "post",
        "/periods",
        {"name": "X", "start": "2027-01-01", "end": "2027-12-31"},
    )
    assert r.status_code == 403


def test_policy_errors_name_box_and_field(judged, director):
    r = send(
        client_for(director),
        "put",
        f"/periods/{judged.pk}/policies",
        [{"box": "key", "min_hours_per_year": 300, "max_hours_per_year": 100}],
    )
    assert r.status_code == 422
    assert r.json()["field"] == "key.max_hours_per_year"


def test_closing_a_period_over_the_api_freezes_it(judged, director, accounts):
    client = client_for(director)
    assert send(client, "patch", f"/periods/{judged.pk}", {"status": "closed"}).status_code == 200
    judged.refresh_from_db()
    assert judged.status == "closed"
    before = list(
        judged.judgements.order_by("pk").values_list("account", "contribution_at_reference")
    )
    r = send(client, "put", f"/periods/{judged.pk}/judgements/{accounts[0].pk}", BODY)
    assert r.status_code == 409
    assert (
        list(judged.judgements.order_by("pk").values_list("account", "contribution_at_reference"))
        == before
    )


def test_the_judgement_list_costs_the_same_queries_for_more_rows(judged, director, kam_user):
    client = client_for(director)
    url = f"{BASE}/periods/{judged.pk}/judgements"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(10):
        account = AccountFactory(name=f"Extra {n}", owner=kam_user)
        judgement_save(
            user=director, period=judged, account=account, data=judgement(*JUDGEMENTS[0])
        )
    assert count() == before


def test_an_unknown_run_is_404(director):
    assert client_for(director).get(f"{BASE}/runs/4242").status_code == 404


def test_caps_per_function_are_read_and_written_and_the_run_reports_them(
    judged, director, kam_user
):
    client = client_for(director)
    url = f"/periods/{judged.pk}/function-capacities"
    listed = client.get(BASE + url).json()
    assert [(f["function"], f["people"], f["hours_per_year"]) for f in listed] == [
        ("sales", 3, None)
    ]
    assert listed[0]["people_hours"] == 1400
    r = send(client, "put", url, [{"function": "sales", "hours_per_year": 700}])
    assert r.status_code == 200, r.content
    assert r.json()[0]["hours_per_year"] == 700
    r = send(client, "put", url, [{"function": "supply_chain", "hours_per_year": 1200}])
    assert {f["function"]: f["hours_per_year"] for f in r.json()} == {
        "sales": 700,
        "supply_chain": 1200,
    }
    bad = send(client, "put", url, [{"function": "sales", "hours_per_year": -5}])
    assert bad.status_code == 422
    assert bad.json()["field"] == "sales.hours_per_year"
    assert send(client_for(kam_user), "put", url, []).status_code == 403

    run = send(client, "post", f"/periods/{judged.pk}/runs").json()
    functions = {f["function"]: f for f in run["summary"]["functions"]}
    assert functions["sales"]["cap"] == 700
    assert functions["sales"]["hours"] <= 700
    assert functions["sales"]["shadow_price"] > 0
    assert run["summary"]["function_shadow_prices"]["sales"] == functions["sales"]["shadow_price"]
    # A cap on a function without people in the period is kept and reported, unused.
    assert functions["supply_chain"] == {
        "function": "supply_chain",
        "people_hours": 0.0,
        "cap": 1200.0,
        "hours": 0.0,
        "shadow_price": 0.0,
        "hour_value": 0.0,
    }
    assert functions["sales"]["hour_value"] > 0
    assert run["summary"]["function_hour_values"]["sales"] == functions["sales"]["hour_value"]
    removed = send(client, "put", url, [{"function": "supply_chain", "hours_per_year": None}])
    assert [f["function"] for f in removed.json()] == ["sales"]
