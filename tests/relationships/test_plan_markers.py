"""The stage's plan markers come from kam's plans (method section 3: the stage is inferred
"from the contact matrix and the plan"): a current plan the customer can open is a joint
plan, and its shared projects are joint projects."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.accounts.models import Account
from kam.plans import services as plans
from kam.plans.models import ItemKind
from kam.relationships import selectors
from tests.factories import AccountFactory

TODAY = dt.date(2026, 6, 15)


def _map(account):  # type: ignore[no-untyped-def]
    (d,) = selectors.load(Account.objects.filter(pk=account.pk), as_of=TODAY)
    return d.account_map, d.stage


@pytest.mark.django_db
def test_a_plan_shared_with_the_customer_is_a_joint_plan_until_the_link_is_revoked(kam_user):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=kam_user)
    plan = plans.plan_create(
        user=kam_user,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    before, _stage = _map(account)
    assert not before.has_joint_plan and before.joint_projects == 0

    plans.item_create(user=kam_user, plan=plan, kind=ItemKind.PROJECT, data={"title": "VMI pilot"})
    plans.item_create(
        user=kam_user,
        plan=plan,
        kind=ItemKind.PROJECT,
        data={"title": "Cost study", "shared": False},
    )
    link, _token = plans.share_link_create(
        user=kam_user, plan=plan, person_name="Eva Meijer", person_email="eva@example.com"
    )
    shared, stage = _map(account)
    assert shared.has_joint_plan
    assert shared.joint_projects == 1  # the internal project does not count
    joint = stage.marker("joint_plan")
    assert joint is not None and joint.present

    plans.share_link_revoke(user=kam_user, link=link)
    revoked, _stage = _map(account)
    assert not revoked.has_joint_plan


@pytest.mark.django_db
def test_the_plan_page_says_where_the_relationship_stands(kam_user):  # type: ignore[no-untyped-def]
    from django.urls import reverse

    from tests.conftest import client_for

    account = AccountFactory(owner=kam_user)
    plan = plans.plan_create(
        user=kam_user,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    text = client_for(kam_user).get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "Relationship:" in text
    assert reverse("relationships:account", args=[account.pk]) in text
    # no business and no contacts yet: the first stage, inferred
    assert "Exploratory" in text and "(inferred)" in text
