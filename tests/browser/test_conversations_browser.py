"""The right conversation in Chromium: the plan's grid flags an objective nobody discussed
with a decider; "log one" opens the activity form with the objective chosen; the decider
is ticked and saved; the grid then shows the conversation and the flag is gone. Changing the
account on the form swaps the objectives for that account's plan (htmx, out of band).
Saves test-artifacts/conversations-grid-{before,after}.png."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import ARTIFACTS, Login

pytestmark = pytest.mark.browser


@pytest.fixture
def planned(transactional_db):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from kam.activities.services import activity_create
    from kam.plans import services
    from kam.relationships.models import Contact
    from kam.users.models import Role
    from tests.factories import AccountFactory, make_user

    kam = make_user(
        Role.KEY_ACCOUNT_MANAGER, username="sanne", first_name="Sanne", last_name="Bakker"
    )
    account = AccountFactory(name="Van Dijk Retail", owner=kam)
    other = AccountFactory(name="Zeeland Foods", owner=kam)
    anna = Contact.objects.create(
        account=account, number=1, name="Anna de Wit", buying_roles=["decider"]
    )
    bram = Contact.objects.create(
        account=account, number=2, name="Bram Smit", buying_roles=["buyer", "user"]
    )
    year = timezone.localdate().year
    plan = services.plan_create(
        user=kam,
        account=account,
        period_label=str(year),
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
    )
    soups = services.item_create(
        user=kam, plan=plan, kind="objective", data={"title": "Grow chilled soups"}
    )
    price = services.item_create(
        user=kam, plan=plan, kind="objective", data={"title": "Raise our net price"}
    )
    other_plan = services.plan_create(
        user=kam,
        account=other,
        period_label=str(year),
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
    )
    services.item_create(
        user=kam, plan=other_plan, kind="value_proposition", data={"title": "Fresher fish"}
    )
    today = timezone.localdate()
    for day, objective, people in (
        (today - dt.timedelta(days=20), soups, [anna, bram]),
        (today - dt.timedelta(days=10), price, [bram]),
    ):
        activity_create(
            user=kam,
            account=account,
            date=day,
            duration_minutes=60,
            type="meeting",
            participants=[kam],
            contacts=people,
            objective=objective,
        )
    return Login("sanne", "pw-for-tests-1"), plan, price, anna


def test_a_flagged_objective_is_discussed_with_its_decider(live_server, page, planned):  # type: ignore[no-untyped-def]
    from kam.activities.models import Activity

    login, plan, price, anna = planned
    page.set_default_timeout(180_000)  # the machine is shared; waiting is not what is tested
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", login.username)
    page.fill("#id_password", login.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/plans/{plan.pk}/#conversations")
    grid = page.locator("[data-testid='conversation-grid']")
    assert grid.is_visible()
    flagged = grid.locator("tr.conv-missing")
    assert flagged.count() == 1
    assert "Raise our net price" in flagged.inner_text()
    assert "No conversation with a decider" in flagged.inner_text()
    soups_row = grid.locator("tbody tr").first
    assert "Anna de Wit" in soups_row.locator("[data-role='decider']").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    grid.screenshot(path=str(ARTIFACTS / "conversations-grid-before.png"))

    # "log one": the form opens on the account with the objective chosen.
    flagged.get_by_role("link", name="log one").click()
    page.wait_for_url("**/activities/new/**")
    select = page.locator("#id_objective")
    assert select.input_value() == str(price.pk)

    # Another account: its plan's objectives replace the list (htmx, out of band) ...
    page.select_option("#id_account", label="Zeeland Foods (" + _external_id("Zeeland Foods") + ")")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#id_objective option')]"
        ".some(o => o.textContent.includes('Fresher fish'))"
    )
    assert "Raise our net price" not in page.locator("#id_objective").inner_text()
    # ... and back.
    page.select_option(
        "#id_account", label="Van Dijk Retail (" + _external_id("Van Dijk Retail") + ")"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('#id_objective option')]"
        ".some(o => o.textContent.includes('Raise our net price'))"
    )
    page.select_option("#id_objective", label="Raise our net price")
    page.locator("[data-testid='contact-options'] label", has_text="Anna de Wit").locator(
        "input"
    ).check()
    page.fill("#id_topic", "Price increase with the commercial director")
    page.get_by_role("button", name="Log activity").click()
    page.wait_for_url("**/activities/")
    logged = Activity.objects.get(topic="Price increase with the commercial director")
    assert logged.objective == price and list(logged.contacts.all()) == [anna]

    page.goto(f"{live_server.url}/plans/{plan.pk}/#conversations")
    grid = page.locator("[data-testid='conversation-grid']")
    assert grid.locator("tr.conv-missing").count() == 0
    assert "Every objective has had a conversation with a decider." in grid.inner_text()
    price_row = grid.locator(f"tr[data-ref='{price.uid}']")
    assert "Anna de Wit" in price_row.locator("[data-role='decider']").inner_text()
    grid.screenshot(path=str(ARTIFACTS / "conversations-grid-after.png"))


def _external_id(name: str) -> str:
    from kam.accounts.models import Account

    return str(Account.objects.get(name=name).external_id)
