"""The customer's page behind a share link, in a real browser at 1440×900.

A person at the customer opens the link (no login), sees the shared part of the plan only,
updates the status of an action they own and comments on it; the change is in the plan and
in the link's log. Saves test-artifacts/plans-customer-view.png (before) and
plans-customer-updated.png (after).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def shared_plan(transactional_db):  # type: ignore[no-untyped-def]
    from kam.plans import services
    from kam.users.models import Role
    from tests.factories import AccountFactory, make_user

    kam = make_user(
        Role.KEY_ACCOUNT_MANAGER, username="sanne", first_name="Sanne", last_name="Bakker"
    )
    account = AccountFactory(name="Van Dijk Retail", owner=kam)
    from kam.relationships.models import Contact

    Contact.objects.create(
        account=account, number=1, name="Eva Meijer", email="eva.meijer@vandijk.example"
    )
    plan = services.plan_create(
        user=kam,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    services.plan_update(user=kam, plan=plan, data={"market": "Discounters are growing fast."})
    services.item_create(
        user=kam,
        plan=plan,
        kind="objective",
        data={
            "title": "On-shelf availability above 97 %",
            "measure": "Store audits",
            "baseline": "93.5 %",
            "target": "97 %",
        },
    )
    services.item_create(
        user=kam,
        plan=plan,
        kind="objective",
        data={"title": "Raise our net price 4 %", "shared": False},
    )
    services.item_create(
        user=kam,
        plan=plan,
        kind="value_proposition",
        data={
            "title": "Vendor-managed inventory",
            "problem": "Out-of-stocks of 6.5 %",
            "measured_value": "420000",
            "confirmed": True,
            "confirmed_by": "Eva Meijer",
        },
    )
    action = services.action_create(
        user=kam,
        plan=plan,
        data={
            "what": "Sign the service agreement",
            "owner_side": "theirs",
            "owner_contact_name": "Eva Meijer",
            "owner_contact_email": "eva.meijer@vandijk.example",
            "due_date": dt.date.today() - dt.timedelta(days=5),
        },
    )
    services.action_create(
        user=kam,
        plan=plan,
        data={
            "what": "Send the costed proposal",
            "owner_side": "ours",
            "owner_user": kam,
            "due_date": dt.date.today() + dt.timedelta(days=10),
        },
    )
    services.action_create(
        user=kam,
        plan=plan,
        data={
            "what": "Check our margin on the deal",
            "owner_side": "ours",
            "owner_user": kam,
            "shared": False,
        },
    )
    link, token = services.share_link_create(
        user=kam, plan=plan, person_name="Eva Meijer", person_email="eva.meijer@vandijk.example"
    )
    return link, token, action


def test_customer_updates_an_action_through_the_link(live_server, page, shared_plan):  # type: ignore[no-untyped-def]
    from kam.plans.models import ActionComment, ActionStatus, ShareAccess, ShareAccessKind

    link, token, action = shared_plan
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server.url}/plans/shared/{token}/")
    body = page.locator("body")
    assert "On-shelf availability above 97 %" in body.inner_text()
    text = body.inner_text()
    for internal in (
        "Raise our net price 4 %",
        "Check our margin on the deal",
        "Discounters are growing fast.",
        "Analysis",
    ):
        assert internal not in text
    page.screenshot(path=str(ARTIFACTS / "plans-customer-view.png"), full_page=True)

    form = page.locator(f"[data-testid='update-{action.uid}']")
    form.locator("select[name=status]").select_option("in_progress")
    form.locator("textarea[name=comment]").fill(
        "Legal is reviewing it; I expect to sign next week."
    )
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Thank you, your update is saved.")
    assert (
        page.locator(f"[data-testid='status-{action.uid}']").inner_text().strip() == "In progress"
    )
    assert "Legal is reviewing it" in page.locator(f"#action-{action.uid}").inner_text()
    page.screenshot(path=str(ARTIFACTS / "plans-customer-updated.png"), full_page=True)

    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS
    assert ActionComment.objects.get(action=action).author_name == "Eva Meijer"
    kinds = set(ShareAccess.objects.filter(link=link).values_list("kind", flat=True))
    assert {ShareAccessKind.VIEW, ShareAccessKind.STATUS, ShareAccessKind.COMMENT} <= kinds

    # The same address with one character changed reveals nothing.
    page.goto(f"{live_server.url}/plans/shared/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}/")
    assert "This link is not valid." in page.locator("body").inner_text()
    assert "Sign the service agreement" not in page.content()
