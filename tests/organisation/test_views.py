"""The policies page: only sales directors and administrators; errors beside the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.organisation.models import BoxPolicy, ExchangeRate
from kam.organisation.selectors import organisation_get
from kam.organisation.services import exchange_rate_set
from kam.users.models import Role
from tests.conftest import client_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = "/policies/"


def box_post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {"section": "boxes"}
    for box, (lo, hi, months) in {
        "key": (200, 600, 3),
        "key_development": (120, 400, 3),
        "maintenance": (30, 120, 6),
        "opportunistic": (0, 30, 12),
    }.items():
        data[f"{box}-min_hours_per_year"] = lo
        data[f"{box}-max_hours_per_year"] = hi
        data[f"{box}-review_cadence_months"] = months
    data.update(overrides)
    return data


def org_post(**overrides: object) -> dict[str, object]:
    return {
        "section": "organisation",
        "name": "Acme Foods",
        "base_currency": "EUR",
        "max_key_accounts": 50,
        "max_key_accounts_per_manager": 4,
        "manager_limit_counts": "key_and_development",
        "capacity_warning_share": "1.00",
        "sensitivity_draws": 1000,
        "sensitivity_concentration": "100.0",
        "uncertainty_threshold": "0.80",
        "disagreement_points": "3.0",
    } | overrides


def team_post(rows: list[tuple[int, str, int, str]]) -> dict[str, object]:
    data: dict[str, object] = {
        "section": "team",
        "team-TOTAL_FORMS": len(rows),
        "team-INITIAL_FORMS": len(rows),
    }
    for i, (user_id, function, hours, cost) in enumerate(rows):
        data[f"team-{i}-user_id"] = user_id
        data[f"team-{i}-function"] = function
        data[f"team-{i}-hours_per_year"] = hours
        data[f"team-{i}-hourly_cost"] = cost
    return data


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return make_user(Role.ADMINISTRATOR, username="admin1")


def test_login_is_needed(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["kam_user", "member", "viewer"])
def test_other_roles_get_403_and_change_nothing(request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    org = organisation_get()
    response = client.post(URL, org_post(max_key_accounts=99))
    assert response.status_code == 403
    response = client.post(URL, box_post(**{"key-min_hours_per_year": 1}))
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.max_key_accounts == 50
    assert BoxPolicy.objects.get(box="key").min_hours_per_year == 200


@pytest.mark.parametrize("who", ["director", "admin_user"])
def test_directors_and_administrators_see_every_section(request, who):
    response = client_for(request.getfixturevalue(who)).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for anchor in ('id="boxes"', 'id="team"', 'id="organisation"', 'id="rates"'):
        assert anchor in html
    assert "one to four accounts" in html  # the practitioner's explanation


def test_policies_link_only_in_the_nav_of_those_who_may_open_it(director, kam_user):
    assert 'href="/policies/"' in client_for(director).get("/me/tokens/").content.decode()
    assert 'href="/policies/"' not in client_for(kam_user).get("/me/tokens/").content.decode()


def test_director_saves_box_policies(director):
    response = client_for(director).post(
        URL,
        box_post(**{"key-min_hours_per_year": 250, "key-max_hours_per_year": 700}),
    )
    assert response.status_code == 302
    key = BoxPolicy.objects.get(box="key")
    assert (key.min_hours_per_year, key.max_hours_per_year) == (250, 700)


def test_max_below_min_shows_the_error_beside_the_field_and_saves_nothing(director):
    response = client_for(director).post(
        URL,
        box_post(
            **{
                "key-min_hours_per_year": 250,  # valid on its own
                "maintenance-min_hours_per_year": 100,
                "maintenance-max_hours_per_year": 50,
            }
        ),
    )
    assert response.status_code == 200
    forms = dict((row.box, form) for row, form in response.context["box_forms"])
    assert forms["maintenance"].errors["max_hours_per_year"]
    html = response.content.decode()
    assert 'id="id_maintenance-max_hours_per_year-errors"' in html
    assert "must be at least the minimum" in html
    assert BoxPolicy.objects.get(box="key").min_hours_per_year == 200
    assert BoxPolicy.objects.get(box="maintenance").max_hours_per_year == 120


def test_a_range_error_is_shown_per_field(director):
    response = client_for(director).post(
        URL, box_post(**{"opportunistic-review_cadence_months": 0})
    )
    assert response.status_code == 200
    forms = dict((row.box, form) for row, form in response.context["box_forms"])
    assert forms["opportunistic"].errors["review_cadence_months"]
    assert BoxPolicy.objects.get(box="opportunistic").review_cadence_months == 12


def test_director_saves_limits_and_settings(director):
    response = client_for(director).post(
        URL, org_post(max_key_accounts=30, max_key_accounts_per_manager=3)
    )
    assert response.status_code == 302
    org = organisation_get()
    assert (org.name, org.max_key_accounts, org.max_key_accounts_per_manager) == (
        "Acme Foods",
        30,
        3,
    )


def test_settings_rule_error_is_shown_beside_the_field(director):
    exchange_rate_set(organisation=organisation_get(), currency="USD", rate_to_base=Decimal("0.9"))
    response = client_for(director).post(URL, org_post(base_currency="SEK"))
    assert response.status_code == 200
    form = response.context["org_form"]
    assert "SEK" in form.errors["base_currency"][0]
    assert organisation_get().base_currency == "EUR"


def test_settings_out_of_range_is_refused(director):
    response = client_for(director).post(URL, org_post(uncertainty_threshold="0.3"))
    assert response.status_code == 200
    assert response.context["org_form"].errors["uncertainty_threshold"]
    assert organisation_get().uncertainty_threshold == Decimal("0.80")


def test_team_table_lists_the_team_and_saves_in_one_form(director, kam_user, member, viewer):
    client = client_for(director)
    response = client.get(URL)
    people = {f.person for f in response.context["team_formset"].forms}
    assert people == {director, kam_user, member}
    response = client.post(
        URL,
        team_post(
            [
                (director.pk, "management", 300, "120.00"),
                (kam_user.pk, "sales", 1400, "90.00"),
                (member.pk, "supply_chain", 200, "65.50"),
            ]
        ),
    )
    assert response.status_code == 302
    kam_user.profile.refresh_from_db()
    member.profile.refresh_from_db()
    assert kam_user.profile.hours_per_year == 1400
    assert (member.profile.function, member.profile.hourly_cost) == (
        "supply_chain",
        Decimal("65.50"),
    )
    html = client.get(URL).content.decode()
    assert "1,900 h" in html  # total capacity shown


def test_team_error_is_shown_in_that_persons_row(director, kam_user):
    response = client_for(director).post(
        URL,
        team_post([(director.pk, "sales", 100, "0"), (kam_user.pk, "sales", 5000, "0")]),
    )
    assert response.status_code == 200
    forms = response.context["team_formset"].forms
    assert not forms[0].errors
    assert forms[1].errors["hours_per_year"]
    director.profile.refresh_from_db()
    assert director.profile.hours_per_year == 0


def test_exchange_rates_are_added_and_removed_on_the_page(director):
    client = client_for(director)
    response = client.post(URL, {"section": "rate", "currency": "usd", "rate_to_base": "0.92"})
    assert response.status_code == 302
    assert ExchangeRate.objects.get().currency == "USD"
    assert "USD" in client.get(URL).content.decode()
    response = client.post(URL, {"section": "rate", "currency": "EUR", "rate_to_base": "2"})
    assert response.status_code == 200
    assert response.context["rate_form"].errors["currency"]
    response = client.post(URL, {"section": "rate_delete", "currency": "USD"})
    assert response.status_code == 302
    assert not ExchangeRate.objects.exists()


def test_capacity_summary_shows_how_many_key_accounts_the_team_can_carry(director, kam_user):
    """1,400 h at the key minimum of 200 h carries 7 key accounts."""
    kam_user.profile.hours_per_year = 1400
    kam_user.profile.save()
    response = client_for(director).get(URL)
    assert response.context["affordable_key_accounts"] == 7


def test_page_query_count_does_not_grow_with_the_team(director):
    client = client_for(director)
    client.get(URL)  # the first visit creates the organisation with its defaults
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(8):
        make_user(Role.TEAM_MEMBER)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)
