"""Fixtures for plan tests: an account owned by ``kam_user`` with a draft plan built by services."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.plans import services
from kam.plans.models import ActionStatus
from kam.relationships.models import Contact
from kam.users.models import Function
from tests.factories import AccountFactory, make_user


@pytest.fixture
def account(kam_user):  # type: ignore[no-untyped-def]
    """Van Dijk Retail with two contacts, Anna de Vries and Bram Smit (customer owners)."""
    account = AccountFactory(name="Van Dijk Retail", owner=kam_user)
    Contact.objects.create(
        account=account, number=1, name="Anna de Vries", email="anna@vandijk.example"
    )
    Contact.objects.create(
        account=account, number=2, name="Bram Smit", email="bram@vandijk.example"
    )
    return account


@pytest.fixture
def plan(account, kam_user):  # type: ignore[no-untyped-def]
    return services.plan_create(
        user=kam_user,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )


@pytest.fixture
def finance_person(db):  # type: ignore[no-untyped-def]
    user = make_user("team_member", username="piet", first_name="Piet", last_name="Bakker")
    user.profile.function = Function.FINANCE
    user.profile.save()
    return user


@pytest.fixture
def full_plan(plan, kam_user, finance_person):  # type: ignore[no-untyped-def]
    """A plan with a shared and an internal objective, a value proposition and four actions."""
    services.plan_update(
        user=kam_user,
        plan=plan,
        data={
            "summary": "Grow soups with vendor-managed inventory.",
            "market": "Discounters grow.",
        },
    )
    shared_obj = services.item_create(
        user=kam_user,
        plan=plan,
        kind="objective",
        data={"title": "Grow chilled soups", "target": "EUR 1.6 m", "shared": True},
    )
    services.item_create(
        user=kam_user,
        plan=plan,
        kind="objective",
        data={"title": "Raise our net price 4 %", "shared": False},
    )
    services.item_create(
        user=kam_user,
        plan=plan,
        kind="value_proposition",
        data={"title": "Fewer empty shelves", "measured_value": "240000", "shared": True},
    )
    services.action_create(
        user=kam_user,
        plan=plan,
        data={
            "what": "Send store sales data",
            "owner_side": "theirs",
            "owner_contact_name": "Anna de Vries",
            "owner_contact_email": "Anna@VanDijk.example",
            "due_date": dt.date(2026, 2, 1),
            "objective": shared_obj,
        },
    )
    services.action_create(
        user=kam_user,
        plan=plan,
        data={
            "what": "Confirm listing fee budget",
            "owner_side": "theirs",
            "owner_contact_name": "Bram Smit",
            "owner_contact_email": "bram@vandijk.example",
            "due_date": dt.date(2026, 2, 15),
        },
    )
    services.action_create(
        user=kam_user,
        plan=plan,
        data={
            "what": "Cost the VMI set-up",
            "owner_side": "ours",
            "owner_user": finance_person,
            "due_date": dt.date(2026, 1, 20),
            "shared": False,
        },
    )
    services.action_create(
        user=kam_user,
        plan=plan,
        data={
            "what": "Share the promotion calendar",
            "owner_side": "ours",
            "owner_user": kam_user,
            "due_date": dt.date(2026, 1, 10),
            "status": ActionStatus.DONE,
        },
    )
    plan.refresh_from_db()
    return plan
