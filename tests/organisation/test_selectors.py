"""Reads of policies as the portfolio and matrix code take them (kam.core dataclasses)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam.core.capacity import BoxPolicy as CoreBoxPolicy
from kam.core.capacity import CapacityLimits, check_key_account_capacity
from kam.organisation.models import BoxPolicy, Organisation
from kam.organisation.selectors import (
    box_policies_get,
    capacity_limits_get,
    exchange_rates_get,
    organisation_get,
    team_capacity_hours,
    team_capacity_list,
)
from kam.organisation.services import box_policy_update, exchange_rate_set, organisation_update
from kam.users.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def with_hours(user, hours):  # type: ignore[no-untyped-def]
    user.profile.hours_per_year = hours
    user.profile.save()
    return user


def test_box_policies_have_the_method_defaults():
    policies = box_policies_get(organisation=organisation_get())
    assert policies == {
        "key": CoreBoxPolicy(200.0, 600.0, 3),
        "key_development": CoreBoxPolicy(120.0, 400.0, 3),
        "maintenance": CoreBoxPolicy(30.0, 120.0, 6),
        "opportunistic": CoreBoxPolicy(0.0, 30.0, 12),
    }


def test_box_policies_follow_an_update():
    org = organisation_get()
    box_policy_update(
        organisation=org,
        box="maintenance",
        min_hours_per_year=40,
        max_hours_per_year=80,
        review_cadence_months=4,
    )
    assert box_policies_get(organisation=org)["maintenance"] == CoreBoxPolicy(40.0, 80.0, 4)


def test_a_box_without_a_stored_policy_gets_the_default_without_a_write():
    org = Organisation.objects.create(name="Bare")
    assert set(box_policies_get(organisation=org)) == {
        "key",
        "key_development",
        "maintenance",
        "opportunistic",
    }
    assert box_policies_get(organisation=org)["key"].min_hours_per_year == 200.0
    assert not BoxPolicy.objects.filter(organisation=org).exists()


def test_team_capacity_sums_active_people_only():
    with_hours(make_user(Role.KEY_ACCOUNT_MANAGER), 1200)
    with_hours(make_user(Role.TEAM_MEMBER), 300)
    gone = with_hours(make_user(Role.KEY_ACCOUNT_MANAGER), 1000)
    gone.is_active = False
    gone.save()
    assert team_capacity_hours() == 1500.0


def test_team_capacity_is_zero_without_people():
    assert team_capacity_hours() == 0.0


def test_team_list_holds_the_team_roles_and_anyone_with_hours():
    kam = make_user(Role.KEY_ACCOUNT_MANAGER, username="k")
    member = make_user(Role.TEAM_MEMBER, username="m")
    director = make_user(Role.SALES_DIRECTOR, username="d")
    make_user(Role.VIEWER, username="v")
    viewer_with_hours = with_hours(make_user(Role.VIEWER, username="vh"), 100)
    listed = set(team_capacity_list())
    assert listed == {kam, member, director, viewer_with_hours}
    # the hours listed add up to the capacity the checks use
    assert sum(u.profile.hours_per_year for u in listed) == team_capacity_hours()


def test_capacity_limits_follow_the_organisation():
    org = organisation_get()
    assert capacity_limits_get(organisation=org) == CapacityLimits(50, 4, 1.0)
    organisation_update(
        organisation=org,
        max_key_accounts=30,
        max_key_accounts_per_manager=3,
        capacity_warning_share=Decimal("0.70"),
    )
    assert capacity_limits_get(organisation=org) == CapacityLimits(30, 3, 0.7)


def test_selectors_feed_the_core_capacity_check():
    """Three key accounts at 200 h need 600 h; a team of 500 h gets the capacity warning."""
    with_hours(make_user(Role.KEY_ACCOUNT_MANAGER), 500)
    org = organisation_get()
    check = check_key_account_capacity(
        boxes=["key", "key", "key"],
        owners=["a", "a", "b"],
        policies=box_policies_get(organisation=org),
        team_hours_per_year=team_capacity_hours(),
        limits=capacity_limits_get(organisation=org),
    )
    assert check.hours_needed == 600.0
    assert check.hours_available == 500.0
    assert [w.code for w in check.warnings] == ["capacity"]


def test_exchange_rates_include_the_base_currency_at_one():
    org = organisation_get()
    exchange_rate_set(organisation=org, currency="usd", rate_to_base=Decimal("0.92"))
    assert exchange_rates_get(organisation=org) == {"EUR": Decimal(1), "USD": Decimal("0.92")}
