"""Plan pages: visibility, editing through forms, review steps, comparison, overdue lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kam.plans import services
from kam.plans.models import ActionStatus, Plan, PlanStatus, PlanTemplate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_plan_page_shows_sections_items_and_actions(full_plan, kam_user):
    response = client_for(kam_user).get(reverse("plans:detail", args=[full_plan.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Grow chilled soups",
        "Raise our net price 4 %",
        "Cost the VMI set-up",
        "Analysis",
    ):
        assert text in html


def test_plan_of_another_kams_account_is_404(full_plan, other_kam):
    client = client_for(other_kam)
    assert client.get(reverse("plans:detail", args=[full_plan.pk])).status_code == 404
    assert client.get(reverse("plans:share", args=[full_plan.pk])).status_code == 404
    assert client.get(reverse("plans:compare", args=[full_plan.pk])).status_code == 404


def test_viewer_reads_but_cannot_edit(full_plan, viewer):
    client = client_for(viewer)
    assert client.get(reverse("plans:detail", args=[full_plan.pk])).status_code == 200
    response = client.post(
        reverse("plans:section", args=[full_plan.pk, "summary"]), {"summary": "hijack"}
    )
    assert response.status_code == 403
    full_plan.refresh_from_db()
    assert full_plan.summary != "hijack"


def test_section_form_saves_profit_plan(plan, kam_user):
    response = client_for(kam_user).post(
        reverse("plans:section", args=[plan.pk, "profit_plan"]),
        {"revenue_current": "4000000", "revenue_target": "4600000", "margin_target_pct": "23.5"},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert str(plan.revenue_target) == "4600000.00"


def test_item_and_action_forms(plan, kam_user):
    client = client_for(kam_user)
    response = client.post(
        reverse("plans:item_new", args=[plan.pk, "value_proposition"]),
        {"title": "Less waste", "measured_value": "120000", "shared": "on"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("plans:action_new", args=[plan.pk]),
        {
            "what": "Send the data",
            "owner_side": "theirs",
            "owner_contact": plan.account.contacts.get(name="Anna de Vries").pk,
            "due_date": "2026-03-01",
            "status": "open",
            "shared": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    action = plan.actions.get()
    assert action.owner_contact.name == "Anna de Vries"
    # The contact's address is what a share link for the person matches.
    assert action.owner_contact_email == "anna@vandijk.example"
    # a missing owner shows beside the field
    response = client.post(
        reverse("plans:action_new", args=[plan.pk]),
        {"what": "Call", "owner_side": "ours", "status": "open"},
    )
    assert response.status_code == 200
    assert "Choose who on our side owns it." in response.content.decode()


def test_review_steps_through_the_pages(full_plan, kam_user, director):
    client_for(kam_user).post(reverse("plans:transition", args=[full_plan.pk, "submit"]))
    full_plan.refresh_from_db()
    assert full_plan.status == PlanStatus.IN_REVIEW
    response = client_for(kam_user).post(
        reverse("plans:transition", args=[full_plan.pk, "approve"])
    )
    assert response.status_code == 403
    client_for(director).post(reverse("plans:transition", args=[full_plan.pk, "approve"]))
    full_plan.refresh_from_db()
    assert full_plan.status == PlanStatus.APPROVED
    assert full_plan.versions.count() == 1


def test_compare_page_shows_changes(full_plan, kam_user, director):
    services.plan_submit(user=kam_user, plan=full_plan)
    services.plan_approve(user=director, plan=full_plan)
    services.plan_reopen(user=kam_user, plan=full_plan)
    services.plan_update(user=kam_user, plan=full_plan, data={"summary": "Grow ready meals."})
    response = client_for(kam_user).get(
        reverse("plans:compare", args=[full_plan.pk]) + "?old=v1&new=current"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<ins class="diff-ins">' in html and "ready meals." in html
    assert (
        client_for(kam_user)
        .get(reverse("plans:compare", args=[full_plan.pk]) + "?old=v9")
        .status_code
        == 404
    )


def test_owner_tracks_own_action_on_the_page(full_plan, finance_person):
    action = full_plan.actions.get(what="Cost the VMI set-up")
    response = client_for(finance_person).post(
        reverse("plans:action_track", args=[full_plan.pk, action.pk]),
        {"status": "done", "comment": "Sent to Anna"},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_overdue_lists_per_person_and_function(full_plan, kam_user, director, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 3, 1))
    client = client_for(director)
    html = client.get(reverse("plans:overdue") + "?by=person").content.decode()
    assert "Piet Bakker" in html and "Cost the VMI set-up" in html
    assert "Share the promotion calendar" not in html  # done
    html = client.get(reverse("plans:overdue") + "?by=function").content.decode()
    assert "Finance" in html
    html = client.get(reverse("plans:overdue") + "?by=customer").content.decode()
    assert "Anna de Vries" in html and "Bram Smit" in html


def test_templates_page_is_for_directors(director, kam_user):
    response = client_for(kam_user).post(reverse("plans:templates"), {"key-sections": ["summary"]})
    assert response.status_code == 403
    response = client_for(director).post(
        reverse("plans:templates"),
        {
            "key-sections": ["summary", "actions"],
            "key-shared": ["actions"],
            "key_development-sections": ["summary"],
            "maintenance-sections": ["actions"],
            "opportunistic-sections": ["actions"],
        },
    )
    assert response.status_code == 302
    key = PlanTemplate.objects.get(box="key")
    assert (key.sections, key.shared_sections) == (["summary", "actions"], ["actions"])
    assert PlanTemplate.objects.get(box="opportunistic").sections == ["actions"]
    assert client_for(kam_user).get(reverse("plans:templates")).status_code == 200


def test_list_and_new_plan_pages(account, kam_user):
    client = client_for(kam_user)
    assert client.get(reverse("plans:list")).status_code == 200
    response = client.post(
        reverse("plans:new"),
        {
            "account": account.pk,
            "period_label": "2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
    )
    assert response.status_code == 302
    plan = Plan.objects.get(account=account)
    assert (plan.period_label, plan.period_start, plan.period_end, plan.status) == (
        "2026",
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
        "draft",
    )
    assert response.url == reverse("plans:detail", args=[plan.pk])
    # the account's plan link opens its plan
    opened = client.get(reverse("plans:account", args=[account.pk]))
    assert opened.status_code == 302 and opened.url == reverse("plans:detail", args=[plan.pk])
    assert "Van Dijk Retail" in client.get(reverse("plans:list")).content.decode()


def test_plan_list_costs_the_same_queries_for_more_plans(kam_user):
    """The list is one query for the plans whatever their number (no N+1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AccountFactory

    def add(n: int) -> None:
        for _ in range(n):
            plan = services.plan_create(
                user=kam_user,
                account=AccountFactory(owner=kam_user),
                period_label="2026",
                period_start=dt.date(2026, 1, 1),
                period_end=dt.date(2026, 12, 31),
            )
            services.action_create(
                user=kam_user,
                plan=plan,
                data={"what": "Call", "owner_side": "ours", "owner_user": kam_user},
            )

    client = client_for(kam_user)
    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("plans:list")).status_code == 200
    add(5)
    with CaptureQueriesContext(connection) as more:
        assert client.get(reverse("plans:list")).status_code == 200
    assert len(more) == len(few)


def test_plan_list_pages_through_the_plans_and_counts_them_all(kam_user, monkeypatch):
    """The list shows a page of plans and the number of all of them; the API counts the
    same plans, and neither costs more queries for three times the plans."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kam.pages import plans_views as views
    from tests.factories import AccountFactory

    monkeypatch.setattr(views, "PLANS_PER_PAGE", 2)

    def add(n: int) -> None:
        for _ in range(n):
            services.plan_create(
                user=kam_user,
                account=AccountFactory(owner=kam_user),
                period_label="2026",
                period_start=dt.date(2026, 1, 1),
                period_end=dt.date(2026, 12, 31),
            )

    client = client_for(kam_user)
    add(3)
    with CaptureQueriesContext(connection) as page_few:
        first = client.get(reverse("plans:list")).content.decode()
    with CaptureQueriesContext(connection) as api_few:
        assert client.get("/api/plans/").json()["count"] == 3
    add(6)
    with CaptureQueriesContext(connection) as page_more:
        first = client.get(reverse("plans:list")).content.decode()
    with CaptureQueriesContext(connection) as api_more:
        listed = client.get("/api/plans/").json()
    assert len(page_more) == len(page_few)
    assert len(api_more) == len(api_few)
    assert listed["count"] == 9 and len(listed["items"]) == 9
    table = first.split('data-testid="plan-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 2  # the head and a page of two plans
    assert "9 plans" in first and "Page 1 of 5" in first
    last = client.get(reverse("plans:list"), {"page": 5}).content.decode()
    assert last.split('data-testid="plan-table"')[1].split("</table>")[0].count("<tr>") == 1 + 1


def test_customer_preview_matches_the_share_page(full_plan, kam_user):
    html = client_for(kam_user).get(reverse("plans:detail", args=[full_plan.pk]) + "?view=customer")
    text = html.content.decode()
    assert "Grow chilled soups" in text and "Raise our net price 4 %" not in text


def test_sections_page_switches_sections_and_sharing(plan, kam_user):
    client = client_for(kam_user)
    assert client.get(reverse("plans:sections", args=[plan.pk])).status_code == 200
    response = client.post(
        reverse("plans:sections", args=[plan.pk]),
        {
            "sections": ["summary", "objectives", "actions"],
            "shared_sections": ["actions", "analysis"],
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.sections == ["summary", "objectives", "actions"]
    assert plan.shared_sections == ["actions"]


def test_compare_with_last_periods_plan(full_plan, kam_user, director):
    services.plan_submit(user=kam_user, plan=full_plan)
    services.plan_approve(user=director, plan=full_plan)
    new = services.plan_create_next_period(
        user=kam_user,
        source=full_plan,
        period_label="2027",
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
    )
    grow = new.items.get(title="Grow chilled soups")
    services.item_update(user=kam_user, item=grow, data={"target": "EUR 2.0 m"})
    url = reverse("plans:compare", args=[new.pk]) + f"?old=p{full_plan.pk}:v1&new=current"
    response = client_for(kam_user).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026 version 1" in html and ">2.0<" in html
    # another plan's id in the address answers 404
    bad = reverse("plans:compare", args=[new.pk]) + f"?old=p{full_plan.pk + 999}:v1"
    assert client_for(kam_user).get(bad).status_code == 404


def test_plan_list_counts_open_and_overdue_actions_and_successors(full_plan, kam_user):  # type: ignore[no-untyped-def]
    """Open actions are those neither done nor dropped, overdue the open ones due before
    today; a plan a next period's plan was made from is superseded. Each plan counts only
    its own actions."""
    from django.utils import timezone

    from kam.plans.models import PlanAction
    from kam.plans.selectors import plan_list_annotated
    from tests.factories import PlanFactory

    today = timezone.localdate()
    # full_plan: one action done, three open, all due in the past
    full_plan.actions.filter(what="Send store sales data").update(
        due_date=today + dt.timedelta(days=3)
    )
    full_plan.actions.filter(what="Confirm listing fee budget").update(due_date=today)
    full_plan.actions.filter(what="Cost the VMI set-up").update(status=ActionStatus.DROPPED)
    other = PlanFactory(account=full_plan.account, period_start=dt.date(2020, 1, 1))
    PlanAction.objects.create(plan=other, what="Old", due_date=today - dt.timedelta(days=1))
    PlanFactory(account=full_plan.account, previous=other, period_start=dt.date(2021, 1, 1))

    rows = {p.pk: p for p in plan_list_annotated(user=kam_user)}
    plan = rows[full_plan.pk]
    assert (plan.open_actions, plan.overdue_actions, plan.successor_count) == (2, 0, 0)
    assert (rows[other.pk].open_actions, rows[other.pk].overdue_actions) == (1, 1)
    assert rows[other.pk].successor_count == 1
    html = client_for(kam_user).get(reverse("plans:list") + "?all=1").content.decode()
    assert "superseded" in html
