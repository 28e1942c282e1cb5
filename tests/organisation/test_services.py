"""Writes of policies: each refuses what breaks a rule, names the field, and saves nothing then."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam.errors import ApplicationError
from kam.organisation.models import BoxPolicy, ExchangeRate
from kam.organisation.selectors import exchange_rates_get, organisation_get
from kam.organisation.services import (
    BoxPolicyInput,
    TeamCapacityChange,
    box_policies_update,
    box_policy_update,
    exchange_rate_delete,
    exchange_rate_set,
    organisation_update,
    team_capacity_update,
)
from kam.users.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def policy(box: str) -> tuple[int, int, int]:
    row = BoxPolicy.objects.get(organisation=organisation_get(), box=box)
    return row.min_hours_per_year, row.max_hours_per_year, row.review_cadence_months


# --- box policies ---------------------------------------------------------------------


def test_box_policy_update_saves_hours_and_cadence():
    org = organisation_get()
    box_policy_update(
        organisation=org,
        box="key",
        min_hours_per_year=250,
        max_hours_per_year=800,
        review_cadence_months=3,
    )
    assert policy("key") == (250, 800, 3)


def test_min_equal_to_max_is_allowed():
    box_policy_update(
        organisation=organisation_get(),
        box="opportunistic",
        min_hours_per_year=10,
        max_hours_per_year=10,
        review_cadence_months=12,
    )
    assert policy("opportunistic") == (10, 10, 12)


def test_max_below_min_is_refused_on_the_max_field():
    org = organisation_get()
    with pytest.raises(ApplicationError) as exc:
        box_policy_update(
            organisation=org,
            box="key",
            min_hours_per_year=300,
            max_hours_per_year=200,
            review_cadence_months=3,
        )
    assert exc.value.field == "max_hours_per_year"
    assert "300" in exc.value.message and "200" in exc.value.message
    assert policy("key") == (200, 600, 3)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"box": "premium"}, "box"),
        ({"min_hours_per_year": -1}, "min_hours_per_year"),
        ({"max_hours_per_year": 100_001}, "max_hours_per_year"),
        ({"review_cadence_months": 0}, "review_cadence_months"),
        ({"review_cadence_months": 25}, "review_cadence_months"),
        ({"min_hours_per_year": 1.5}, "min_hours_per_year"),
    ],
)
def test_box_policy_rules(kwargs, field):
    args = {
        "box": "maintenance",
        "min_hours_per_year": 30,
        "max_hours_per_year": 120,
        "review_cadence_months": 6,
    } | kwargs
    with pytest.raises(ApplicationError) as exc:
        box_policy_update(organisation=organisation_get(), **args)
    assert exc.value.field == field


def test_box_policies_update_is_all_or_none_and_names_box_and_field():
    org = organisation_get()
    with pytest.raises(ApplicationError) as exc:
        box_policies_update(
            organisation=org,
            policies={
                "key": BoxPolicyInput(300, 900, 3),
                "maintenance": BoxPolicyInput(50, 40, 6),
            },
        )
    assert exc.value.field == "maintenance.max_hours_per_year"
    assert exc.value.message.startswith("Maintenance: ")
    assert policy("key") == (200, 600, 3)  # the valid one was not saved either


# --- organisation settings ------------------------------------------------------------


def test_organisation_update_changes_only_what_is_given():
    org = organisation_get()
    organisation_update(organisation=org, max_key_accounts=35, uncertainty_threshold=Decimal("0.9"))
    org.refresh_from_db()
    assert org.max_key_accounts == 35
    assert org.uncertainty_threshold == Decimal("0.90")
    assert org.max_key_accounts_per_manager == 4
    assert org.disagreement_points == Decimal("3.0")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_key_accounts", 0),
        ("max_key_accounts_per_manager", 0),
        ("capacity_warning_share", Decimal("1.5")),
        ("capacity_warning_share", Decimal("0")),
        ("sensitivity_draws", 10),
        ("sensitivity_concentration", Decimal("0")),
        ("uncertainty_threshold", Decimal("0.40")),
        ("uncertainty_threshold", Decimal("1.01")),
        ("disagreement_points", Decimal("9.5")),
        ("disagreement_points", Decimal("0.5")),
        ("max_key_accounts", Decimal("4.5")),
    ],
)
def test_organisation_bounds(field, value):
    org = organisation_get()
    with pytest.raises(ApplicationError) as exc:
        organisation_update(organisation=org, **{field: value})
    assert exc.value.field == field
    org.refresh_from_db()
    assert org.max_key_accounts == 50
    assert org.capacity_warning_share == Decimal("1.00")


def test_a_blank_organisation_name_is_refused():
    with pytest.raises(ApplicationError) as exc:
        organisation_update(organisation=organisation_get(), name="   ")
    assert exc.value.field == "name"


def test_a_bad_currency_code_is_refused():
    with pytest.raises(ApplicationError) as exc:
        organisation_update(organisation=organisation_get(), base_currency="EURO")
    assert exc.value.field == "base_currency"


def test_changing_the_base_currency_converts_the_rates():
    """EUR base, 1 USD = 0.80 EUR and 1 GBP = 1.20 EUR. In USD: 1 EUR = 1.25 USD and
    1 GBP = 1.20 / 0.80 = 1.50 USD."""
    org = organisation_get()
    exchange_rate_set(organisation=org, currency="USD", rate_to_base=Decimal("0.80"))
    exchange_rate_set(organisation=org, currency="GBP", rate_to_base=Decimal("1.20"))
    organisation_update(organisation=org, base_currency="usd")
    org.refresh_from_db()
    assert org.base_currency == "USD"
    assert exchange_rates_get(organisation=org) == {
        "USD": Decimal(1),
        "EUR": Decimal("1.25"),
        "GBP": Decimal("1.5"),
    }


def test_changing_the_base_currency_needs_its_rate_when_there_are_rates():
    org = organisation_get()
    exchange_rate_set(organisation=org, currency="USD", rate_to_base=Decimal("0.80"))
    with pytest.raises(ApplicationError) as exc:
        organisation_update(organisation=org, base_currency="SEK", max_key_accounts=20)
    assert exc.value.field == "base_currency"
    assert "SEK" in exc.value.message
    org.refresh_from_db()
    assert org.base_currency == "EUR"
    assert org.max_key_accounts == 50  # nothing of the update was saved


def test_changing_the_base_currency_without_rates_just_changes_it():
    org = organisation_get()
    organisation_update(organisation=org, base_currency="SEK")
    org.refresh_from_db()
    assert org.base_currency == "SEK"


# --- exchange rates -------------------------------------------------------------------


def test_exchange_rate_set_adds_then_updates():
    org = organisation_get()
    exchange_rate_set(organisation=org, currency="chf", rate_to_base=Decimal("1.05"))
    exchange_rate_set(organisation=org, currency="CHF", rate_to_base=Decimal("1.0512345678"))
    assert ExchangeRate.objects.get(currency="CHF").rate_to_base == Decimal("1.051235")
    assert ExchangeRate.objects.count() == 1


@pytest.mark.parametrize(
    ("currency", "rate", "field"),
    [
        ("EUR", Decimal("1"), "currency"),  # the base currency
        ("DOLLAR", Decimal("1"), "currency"),
        ("USD", Decimal("0"), "rate_to_base"),
        ("USD", Decimal("-1"), "rate_to_base"),
        ("USD", Decimal("0.0000001"), "rate_to_base"),
        ("USD", Decimal("NaN"), "rate_to_base"),
    ],
)
def test_exchange_rate_rules(currency, rate, field):
    with pytest.raises(ApplicationError) as exc:
        exchange_rate_set(organisation=organisation_get(), currency=currency, rate_to_base=rate)
    assert exc.value.field == field
    assert not ExchangeRate.objects.exists()


def test_exchange_rate_delete():
    org = organisation_get()
    exchange_rate_set(organisation=org, currency="USD", rate_to_base=Decimal("0.9"))
    exchange_rate_delete(organisation=org, currency="usd")
    assert not ExchangeRate.objects.exists()
    with pytest.raises(ApplicationError) as exc:
        exchange_rate_delete(organisation=org, currency="USD")
    assert exc.value.status == 404


# --- team capacity --------------------------------------------------------------------


def test_team_capacity_update_sets_function_hours_and_cost():
    anna = make_user(Role.KEY_ACCOUNT_MANAGER)
    ben = make_user(Role.TEAM_MEMBER)
    team_capacity_update(
        changes=[
            TeamCapacityChange(anna.pk, "sales", 1400, Decimal("95")),
            TeamCapacityChange(ben.pk, "supply_chain", 200, Decimal("70.555")),
        ]
    )
    anna.profile.refresh_from_db()
    ben.profile.refresh_from_db()
    assert (anna.profile.function, anna.profile.hours_per_year) == ("sales", 1400)
    assert anna.profile.hourly_cost == Decimal("95.00")
    assert (ben.profile.function, ben.profile.hours_per_year) == ("supply_chain", 200)
    assert ben.profile.hourly_cost == Decimal("70.56")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours_per_year": 3001}, "hours_per_year"),
        ({"hours_per_year": -5}, "hours_per_year"),
        ({"function": "astrology"}, "function"),
        ({"hourly_cost": Decimal("-1")}, "hourly_cost"),
    ],
)
def test_team_capacity_rules_are_all_or_none(change, field):
    anna = make_user(Role.KEY_ACCOUNT_MANAGER)
    ben = make_user(Role.TEAM_MEMBER)
    good = TeamCapacityChange(anna.pk, "sales", 1000, Decimal("90"))
    base = {"user_id": ben.pk, "function": "sales", "hours_per_year": 100, "hourly_cost": 50}
    bad = TeamCapacityChange(**(base | change))
    with pytest.raises(ApplicationError) as exc:
        team_capacity_update(changes=[good, bad])
    assert exc.value.field == f"{ben.pk}.{field}"
    anna.profile.refresh_from_db()
    assert anna.profile.hours_per_year == 0


def test_team_capacity_refuses_unknown_or_inactive_people():
    gone = make_user(Role.TEAM_MEMBER)
    gone.is_active = False
    gone.save()
    for user_id in (gone.pk, 999_999):
        with pytest.raises(ApplicationError) as exc:
            team_capacity_update(changes=[TeamCapacityChange(user_id, "sales", 10, Decimal(0))])
        assert exc.value.status == 404


def test_team_capacity_refuses_the_same_person_twice():
    anna = make_user(Role.KEY_ACCOUNT_MANAGER)
    with pytest.raises(ApplicationError):
        team_capacity_update(
            changes=[
                TeamCapacityChange(anna.pk, "sales", 10, Decimal(0)),
                TeamCapacityChange(anna.pk, "sales", 20, Decimal(0)),
            ]
        )
