"""Review, approval, frozen versions, next period's plan and the comparison of versions."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.errors import ApplicationError
from kam.plans import services
from kam.plans.compare import plan_compare, text_diff
from kam.plans.document import PlanDocument
from kam.plans.models import ActionStatus, PlanStatus
from kam.plans.selectors import actions_overdue, plan_document

pytestmark = pytest.mark.django_db


def _approve(plan, kam_user, director):  # type: ignore[no-untyped-def]
    services.plan_submit(user=kam_user, plan=plan)
    return services.plan_approve(user=director, plan=plan, note="Good plan")


def test_only_directors_approve_and_only_plans_in_review(full_plan, kam_user, director):
    with pytest.raises(ApplicationError) as exc:
        services.plan_approve(user=director, plan=full_plan)
    assert exc.value.status == 409
    services.plan_submit(user=kam_user, plan=full_plan)
    with pytest.raises(ApplicationError) as exc:
        services.plan_approve(user=kam_user, plan=full_plan)
    assert exc.value.status == 403
    version = services.plan_approve(user=director, plan=full_plan)
    full_plan.refresh_from_db()
    assert full_plan.status == PlanStatus.APPROVED
    assert version.number == 1
    assert version.approved_by == director


def test_snapshot_is_frozen_and_rebuilds_the_document(full_plan, kam_user, director):
    version = _approve(full_plan, kam_user, director)
    doc = plan_document(version=version, audience="internal")
    assert doc.approved_by == director.get_full_name()
    assert doc.approved_at == version.approved_at
    assert doc.status == "approved"
    services.plan_reopen(user=kam_user, plan=full_plan)
    full_plan.refresh_from_db()
    assert full_plan.version_number == 2
    services.plan_update(user=kam_user, plan=full_plan, data={"summary": "A new direction."})
    again = PlanDocument.from_snapshot(version.snapshot)
    summary = again.section("summary")
    assert summary is not None
    assert summary.fields == [("Executive summary", "Grow soups with vendor-managed inventory.")]


def test_customer_view_of_a_version_has_no_internal_items(full_plan, kam_user, director):
    version = _approve(full_plan, kam_user, director)
    doc = plan_document(version=version, audience="customer")
    titles = {i.title for s in doc.sections for i in s.items}
    assert "Grow chilled soups" in titles
    assert "Raise our net price 4 %" not in titles
    assert "Cost the VMI set-up" not in titles
    assert {s.key for s in doc.sections} <= set(full_plan.shared_sections)
    assert doc.profit_plan is None


def test_comparison_shows_added_removed_and_changed(full_plan, kam_user, director):
    version = _approve(full_plan, kam_user, director)
    services.plan_reopen(user=kam_user, plan=full_plan)
    services.plan_update(
        user=kam_user, plan=full_plan, data={"summary": "Grow soups and ready meals with VMI."}
    )
    full_plan.items.get(title="Raise our net price 4 %").delete()
    grow = full_plan.items.get(title="Grow chilled soups")
    services.item_update(user=kam_user, item=grow, data={"target": "EUR 1.8 m"})
    services.item_create(
        user=kam_user, plan=full_plan, kind="project", data={"title": "VMI pilot", "shared": True}
    )
    comparison = plan_compare(old=plan_document(version=version), new=plan_document(plan=full_plan))
    items = {i.title_new or i.title_old: i for s in comparison.sections for i in s.items}
    assert items["VMI pilot"].change == "added"
    assert items["Raise our net price 4 %"].change == "removed"
    assert items["Grow chilled soups"].change == "changed"
    target = next(f for f in items["Grow chilled soups"].fields if f.label == "Target")
    assert (target.old, target.new) == ("EUR 1.6 m", "EUR 1.8 m")
    summary = next(s for s in comparison.sections if s.key == "summary")
    assert summary.change == "changed"
    inserted = "".join(seg.text for f in summary.fields for seg in f.segments if seg.op == "insert")
    assert "and ready meals" in inserted
    assert comparison.counts["added"] == 1 and comparison.counts["removed"] == 1


def test_text_diff_rebuilds_both_texts():
    old, new = "Out of stock is 6 % today", "Out of stock is 2 % by June"
    segments = text_diff(old, new)
    assert "".join(s.text for s in segments if s.op != "insert") == old
    assert "".join(s.text for s in segments if s.op != "delete") == new


def test_next_period_copies_items_and_carries_open_actions(full_plan, kam_user, director):
    vp = full_plan.items.get(title="Fewer empty shelves")
    services.item_update(
        user=kam_user, item=vp, data={"confirmed": True, "confirmed_by": "Anna de Vries"}
    )
    _approve(full_plan, kam_user, director)
    new = services.plan_create_next_period(
        user=kam_user,
        source=full_plan,
        period_label="2027",
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
    )
    assert new.status == PlanStatus.DRAFT and new.previous == full_plan
    assert new.summary == "Grow soups with vendor-managed inventory."
    assert {i.uid for i in new.items.all()} == {i.uid for i in full_plan.items.all()}
    copied_vp = new.items.get(title="Fewer empty shelves")
    assert copied_vp.confirmed is False and copied_vp.confirmed_by == ""
    # the done action stays behind; the three open ones come along, still linked
    assert sorted(new.actions.values_list("what", flat=True)) == [
        "Confirm listing fee budget",
        "Cost the VMI set-up",
        "Send store sales data",
    ]
    assert new.actions.get(what="Send store sales data").objective.title == "Grow chilled soups"
    # the old plan's actions no longer count as overdue: nothing is counted twice
    overdue = actions_overdue(user=director, today=dt.date(2026, 6, 1))
    assert {a.plan_id for a in overdue} == {new.pk}
    with pytest.raises(ApplicationError):
        services.plan_create_next_period(
            user=kam_user,
            source=full_plan,
            period_label="2028",
            period_start=dt.date(2028, 1, 1),
            period_end=dt.date(2028, 12, 31),
        )


def test_next_period_needs_an_approved_version(full_plan, kam_user):
    with pytest.raises(ApplicationError) as exc:
        services.plan_create_next_period(
            user=kam_user,
            source=full_plan,
            period_label="2027",
            period_start=dt.date(2027, 1, 1),
            period_end=dt.date(2027, 12, 31),
        )
    assert exc.value.status == 409


def test_done_actions_are_not_overdue(full_plan, director):
    overdue = actions_overdue(user=director, today=dt.date(2026, 3, 1))
    assert sorted(a.what for a in overdue) == [
        "Confirm listing fee budget",
        "Cost the VMI set-up",
        "Send store sales data",
    ]
    assert ActionStatus.DONE not in {a.status for a in overdue}
