"""Fixtures for the e-mail tests: people with addresses, a review, a plan with actions."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.notifications.models import Preferences
from kam.plans import services as plan_services
from kam.users.models import Role
from tests.factories import AccountFactory, make_user
from tests.portfolio.test_services import make_scheme

BASE = "https://kam.example.com"
TODAY = dt.date(2026, 3, 2)  # a Monday


@pytest.fixture(autouse=True)
def _base_url_and_jobs_run_inline(settings):  # type: ignore[no-untyped-def]
    """Links start with BASE; jobs run when queued (whatever job runner kam is set up with),
    so a test reads the e-mails right after the commit that caused them."""
    settings.KAM_BASE_URL = BASE
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def boss(db):  # type: ignore[no-untyped-def]
    return make_user(
        Role.SALES_DIRECTOR, username="boss", first_name="Bea", email="bea@noordhoek.example"
    )


@pytest.fixture
def manager(db):  # type: ignore[no-untyped-def]
    return make_user(
        Role.KEY_ACCOUNT_MANAGER, username="kees", first_name="Kees", email="kees@noordhoek.example"
    )


@pytest.fixture
def dutch(db):  # type: ignore[no-untyped-def]
    """A key account manager who reads her e-mails in Dutch."""
    user = make_user(
        Role.KEY_ACCOUNT_MANAGER,
        username="anouk",
        first_name="Anouk",
        email="anouk@noordhoek.example",
    )
    Preferences.objects.create(user=user, language="nl")
    return user


@pytest.fixture
def accounts(manager, dutch):  # type: ignore[no-untyped-def]
    return [
        AccountFactory(name="Van Dijk Retail", owner=manager),
        AccountFactory(name="Jansen Foodservice", owner=dutch),
    ]


@pytest.fixture
def version(boss):  # type: ignore[no-untyped-def]
    return make_scheme(boss)


def open_review(boss, raters, version, name="Spring 2026"):  # type: ignore[no-untyped-def]
    from kam.portfolio.services import review_create

    return review_create(
        name=name,
        review_date=dt.date(2026, 4, 1),
        scheme_version=version,
        raters=raters,
        created_by=boss,
    )


@pytest.fixture
def plan(accounts, manager):  # type: ignore[no-untyped-def]
    """Van Dijk's plan: actions of ours and the customer's, overdue, coming and far off."""
    from kam.relationships.models import Contact

    Contact.objects.create(
        account=accounts[0], number=1, name="Anna de Vries", email="anna@vandijk.example"
    )
    plan = plan_services.plan_create(
        user=manager,
        account=accounts[0],
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    for what, side, due, status in [
        ("Send the VMI proposal", "ours", dt.date(2026, 2, 20), "open"),  # 10 days late
        ("Book the category review", "ours", dt.date(2026, 3, 10), "in_progress"),  # coming
        ("Price the new range", "ours", dt.date(2026, 5, 1), "open"),  # too far off
        ("Share the promotion calendar", "ours", dt.date(2026, 2, 1), "done"),  # finished
        ("Send store sales data", "theirs", dt.date(2026, 2, 27), "open"),  # customer late
        ("Confirm listing fee budget", "theirs", dt.date(2026, 3, 16), "open"),  # coming
    ]:
        data = {"what": what, "owner_side": side, "due_date": due, "status": status}
        if side == "ours":
            data["owner_user"] = manager
        else:
            data["owner_contact_name"] = "Anna de Vries"
            data["owner_contact_email"] = "anna@vandijk.example"
        plan_services.action_create(user=manager, plan=plan, data=data)
    return plan
