"""The policies API: everyone signed in reads, only directors and administrators change."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from kam.organisation.models import BoxPolicy, ExchangeRate
from kam.organisation.selectors import organisation_get
from kam.users.models import Role
from kam.users.tokens import api_token_create
from tests.conftest import client_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db
BASE = "/api/organisation"


def put(client: Client, path: str, body: object, **extra: str):  # type: ignore[no-untyped-def]
    return client.put(BASE + path, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return make_user(Role.ADMINISTRATOR, username="admin1")


@pytest.mark.parametrize("who", ["director", "kam_user", "member", "viewer"])
def test_everyone_signed_in_reads_settings_and_policies(request, who):
    client = client_for(request.getfixturevalue(who))
    settings = client.get(BASE + "/settings")
    assert settings.status_code == 200
    assert settings.json()["max_key_accounts"] == 50
    assert settings.json()["max_key_accounts_per_manager"] == 4
    assert Decimal(settings.json()["uncertainty_threshold"]) == Decimal("0.80")
    assert settings.json()["exchange_rates"] == {"EUR": "1"}
    policies = client.get(BASE + "/box-policies")
    assert policies.status_code == 200
    assert [p["box"] for p in policies.json()] == [
        "key",
        "key_development",
        "maintenance",
        "opportunistic",
    ]


def test_reading_needs_authentication():
    assert Client().get(BASE + "/settings").status_code == 401
    assert Client().get(BASE + "/team-capacity").status_code == 401


@pytest.mark.parametrize("who", ["kam_user", "member", "viewer"])
def test_other_roles_cannot_change_anything(request, who):
    user = request.getfixturevalue(who)
    _token, plain = api_token_create(user=user, name="script")
    for client, extra in (
        (client_for(user), {}),
        (Client(), {"HTTP_AUTHORIZATION": f"Bearer {plain}"}),
    ):
        r = put(client, "/settings", {"max_key_accounts": 99}, **extra)
        assert r.status_code == 403
        assert set(r.json()) == {"detail", "field", "problems"}
        r = put(
            client,
            "/box-policies",
            [
                {
                    "box": "key",
                    "min_hours_per_year": 1,
                    "max_hours_per_year": 2,
                    "review_cadence_months": 3,
                }
            ],
            **extra,
        )
        assert r.status_code == 403
        r = put(client, "/exchange-rates/USD", {"rate_to_base": "0.9"}, **extra)
        assert r.status_code == 403
        assert client.delete(BASE + "/exchange-rates/USD", **extra).status_code == 403
    assert organisation_get().max_key_accounts == 50
    assert BoxPolicy.objects.get(box="key").min_hours_per_year == 200
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize("who", ["director", "admin_user"])
def test_directors_and_administrators_change_settings(request, who):
    client = client_for(request.getfixturevalue(who))
    r = put(client, "/settings", {"max_key_accounts": 30, "capacity_warning_share": "0.75"})
    assert r.status_code == 200
    assert r.json()["max_key_accounts"] == 30
    assert Decimal(r.json()["capacity_warning_share"]) == Decimal("0.75")
    assert r.json()["max_key_accounts_per_manager"] == 4  # left out, kept
    org = organisation_get()
    assert org.max_key_accounts == 30


def test_director_changes_settings_with_a_token(director):
    _token, plain = api_token_create(user=director, name="script")
    r = put(
        Client(), "/settings", {"disagreement_points": "2.5"}, HTTP_AUTHORIZATION=f"Bearer {plain}"
    )
    assert r.status_code == 200
    assert organisation_get().disagreement_points == Decimal("2.5")


def test_invalid_settings_answer_422_with_the_field(director):
    r = put(client_for(director), "/settings", {"uncertainty_threshold": "0.3"})
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "uncertainty_threshold"
    assert body["problems"] == [body["detail"]]
    assert organisation_get().uncertainty_threshold == Decimal("0.80")


def test_director_changes_box_policies_all_or_none(director):
    client = client_for(director)
    r = put(
        client,
        "/box-policies",
        [
            {
                "box": "key",
                "min_hours_per_year": 250,
                "max_hours_per_year": 800,
                "review_cadence_months": 3,
            },
            {
                "box": "opportunistic",
                "min_hours_per_year": 5,
                "max_hours_per_year": 20,
                "review_cadence_months": 12,
            },
        ],
    )
    assert r.status_code == 200
    by_box = {p["box"]: p for p in r.json()}
    assert by_box["key"]["min_hours_per_year"] == 250
    assert by_box["opportunistic"]["max_hours_per_year"] == 20
    assert by_box["maintenance"]["min_hours_per_year"] == 30  # untouched

    r = put(
        client,
        "/box-policies",
        [
            {
                "box": "key",
                "min_hours_per_year": 100,
                "max_hours_per_year": 800,
                "review_cadence_months": 3,
            },
            {
                "box": "maintenance",
                "min_hours_per_year": 50,
                "max_hours_per_year": 40,
                "review_cadence_months": 6,
            },
        ],
    )
    assert r.status_code == 422
    assert r.json()["field"] == "maintenance.max_hours_per_year"
    assert BoxPolicy.objects.get(box="key").min_hours_per_year == 250


def test_box_policies_refuse_an_unknown_or_repeated_box(director):
    client = client_for(director)
    row = {"min_hours_per_year": 1, "max_hours_per_year": 2, "review_cadence_months": 3}
    r = put(client, "/box-policies", [row | {"box": "premium"}])
    assert r.status_code == 422
    assert r.json()["field"] == "premium.box"
    r = put(client, "/box-policies", [row | {"box": "key"}, row | {"box": "key"}])
    assert r.status_code == 422
    assert r.json()["field"] == "box"


def test_team_capacity_shows_hourly_cost_only_to_directors(director, kam_user, viewer):
    kam_user.profile.hours_per_year = 1400
    kam_user.profile.hourly_cost = Decimal("88.00")
    kam_user.profile.save()

    body = client_for(director).get(BASE + "/team-capacity").json()
    assert body["total_hours_per_year"] == 1400.0
    row = next(p for p in body["people"] if p["username"] == "kam1")
    assert row["hours_per_year"] == 1400
    assert Decimal(row["hourly_cost"]) == Decimal("88.00")
    assert row["role"] == "key_account_manager"
    assert {p["username"] for p in body["people"]} == {"director", "kam1"}

    for user in (kam_user, viewer):
        body = client_for(user).get(BASE + "/team-capacity").json()
        assert body["total_hours_per_year"] == 1400.0
        assert all(p["hourly_cost"] is None for p in body["people"])


def test_director_sets_and_removes_exchange_rates(director):
    client = client_for(director)
    r = put(client, "/exchange-rates/usd", {"rate_to_base": "0.92"})
    assert r.status_code == 200
    assert r.json()["currency"] == "USD"
    assert client.get(BASE + "/settings").json()["exchange_rates"]["USD"] == "0.920000"
    r = put(client, "/exchange-rates/EUR", {"rate_to_base": "2"})
    assert r.status_code == 422
    assert r.json()["field"] == "currency"
    assert client.delete(BASE + "/exchange-rates/USD").status_code == 204
    assert client.delete(BASE + "/exchange-rates/USD").status_code == 404
