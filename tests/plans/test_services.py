"""Plan services: who may change what, drafts freeze, templates per box, actions tracked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.plans import services
from kam.plans.models import ActionComment, ActionStatus, PlanStatus
from kam.plans.selectors import plan_document, template_for_box
from tests.factories import AccountFactory, AccountRevenueFactory

pytestmark = pytest.mark.django_db


def test_new_plan_has_template_sections_and_last_years_revenue(account, kam_user):
    AccountRevenueFactory(account=account, year=2025, amount=Decimal("4000000.00"))
    plan = services.plan_create(
        user=kam_user,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    assert plan.status == PlanStatus.DRAFT
    assert plan.sections == template_for_box(Box.KEY).sections
    assert plan.revenue_current == Decimal("4000000.00")


def test_a_second_plan_for_the_same_period_is_refused(plan, kam_user):
    with pytest.raises(ApplicationError) as exc:
        services.plan_create(
            user=kam_user,
            account=plan.account,
            period_label="2026",
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 12, 31),
        )
    assert exc.value.status == 409


def test_another_kam_and_a_viewer_cannot_change_the_plan(plan, other_kam, viewer):
    with pytest.raises(ApplicationError) as exc:
        services.plan_update(user=other_kam, plan=plan, data={"summary": "x"})
    assert exc.value.status == 403
    with pytest.raises(ApplicationError):
        services.item_create(user=viewer, plan=plan, kind="objective", data={"title": "x"})


def test_templates_per_box_are_set_by_directors_only(director, kam_user, account):
    with pytest.raises(ApplicationError) as exc:
        services.templates_save(user=kam_user, rows={Box.KEY: (["summary"], [])})
    assert exc.value.status == 403
    services.templates_save(
        user=director, rows={Box.KEY: (["summary", "actions"], ["actions", "analysis"])}
    )
    row = template_for_box(Box.KEY)
    assert row.sections == ["summary", "actions"]
    # a shared section must be in the template
    assert row.shared_sections == ["actions"]


def test_maintenance_template_is_smaller_than_key():
    assert "analysis" not in template_for_box(Box.MAINTENANCE).sections
    assert "analysis" in template_for_box(Box.KEY).sections


def test_profit_plan_numbers_are_checked(plan, kam_user):
    with pytest.raises(ApplicationError) as exc:
        services.plan_update(user=kam_user, plan=plan, data={"margin_target_pct": "140"})
    assert exc.value.field == "margin_target_pct"
    services.plan_update(
        user=kam_user, plan=plan, data={"investment": "60000", "expected_return": "150000"}
    )
    profit = plan_document(plan=plan).profit_plan
    assert profit is not None and profit.return_on_investment == Decimal("1.5")


def test_confirmed_value_needs_who_confirmed(plan, kam_user):
    with pytest.raises(ApplicationError) as exc:
        services.item_create(
            user=kam_user,
            plan=plan,
            kind="value_proposition",
            data={"title": "Less waste", "confirmed": True},
        )
    assert exc.value.field == "confirmed_by"


def test_action_needs_an_owner_on_its_side(plan, kam_user):
    with pytest.raises(ApplicationError) as exc:
        services.action_create(
            user=kam_user, plan=plan, data={"what": "Call", "owner_side": "theirs"}
        )
    assert exc.value.field == "owner_contact"
    with pytest.raises(ApplicationError) as exc:
        services.action_create(
            user=kam_user, plan=plan, data={"what": "Call", "owner_side": "ours"}
        )
    assert exc.value.field == "owner_user"


def test_content_is_frozen_outside_draft_but_status_is_tracked(full_plan, kam_user, finance_person):
    services.plan_submit(user=kam_user, plan=full_plan)
    with pytest.raises(ApplicationError) as exc:
        services.plan_update(user=kam_user, plan=full_plan, data={"summary": "changed"})
    assert exc.value.status == 409
    action = full_plan.actions.get(what="Cost the VMI set-up")
    # our own owner (a team member who cannot edit the account) tracks their commitment
    services.action_track(
        user=finance_person, action=action, status=ActionStatus.IN_PROGRESS, comment="Quote asked"
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS
    assert ActionComment.objects.get(action=action).author_name == "Piet Bakker"


def test_someone_else_cannot_track_an_action(full_plan, member):
    action = full_plan.actions.get(what="Cost the VMI set-up")
    with pytest.raises(ApplicationError) as exc:
        services.action_track(user=member, action=action, status=ActionStatus.DONE)
    assert exc.value.status == 403


def test_done_sets_completed_and_reopening_clears_it(full_plan, kam_user):
    action = full_plan.actions.get(what="Cost the VMI set-up")
    services.action_track(user=kam_user, action=action, status=ActionStatus.DONE)
    assert action.completed_at is not None
    services.action_track(user=kam_user, action=action, status=ActionStatus.OPEN)
    assert action.completed_at is None


def test_account_from_another_kam_is_not_plannable(other_kam):
    account = AccountFactory(owner=other_kam)
    from tests.factories import make_user

    stranger = make_user("key_account_manager", username="stranger")
    with pytest.raises(ApplicationError) as exc:
        services.plan_create(
            user=stranger,
            account=account,
            period_label="2026",
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 12, 31),
        )
    assert exc.value.status == 404
