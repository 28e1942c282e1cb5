"""Two people edit the same plan section in two browsers: the second save shows both versions.

Sanne (the account's manager) and Carla (the sales director) open the executive summary
of the same draft plan, each in her own browser context. Sanne saves first; Carla's save
is refused with the conflict page (HTTP 409) showing Sanne's text, who saved it and when,
and Carla's text, field by field. Carla keeps hers: it is saved on top of Sanne's version.
Saves test-artifacts/plans-conflict.png.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import ARTIFACTS, Login, log_in

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def draft_plan(transactional_db):  # type: ignore[no-untyped-def]
    from kam.plans import services
    from kam.users.models import Role
    from tests.factories import AccountFactory, make_user

    sanne = make_user(
        Role.KEY_ACCOUNT_MANAGER, username="sanne", first_name="Sanne", last_name="Bakker"
    )
    make_user(Role.SALES_DIRECTOR, username="carla", first_name="Carla", last_name="Jong")
    account = AccountFactory(name="Van Dijk Retail", owner=sanne)
    plan = services.plan_create(
        user=sanne,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    services.plan_update(user=sanne, plan=plan, data={"summary": "Grow with the discounters."})
    return plan


def test_second_save_of_a_section_shows_both_versions(live_server, chromium, draft_plan):  # type: ignore[no-untyped-def]
    from kam.plans.models import Plan

    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{live_server.url}/plans/{draft_plan.pk}/section/summary/"
    contexts = [
        chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
        for _ in range(2)
    ]
    try:
        sanne, carla = (c.new_page() for c in contexts)
        for page, who in ((sanne, "sanne"), (carla, "carla")):
            page.set_default_timeout(30_000)
            log_in(page, live_server.url, Login(who, PASSWORD))
            page.goto(url)
            assert page.locator("textarea[name=summary]").input_value() == (
                "Grow with the discounters."
            )

        sanne.fill("textarea[name=summary]", "Grow with vendor-managed inventory.")
        sanne.click("button[type=submit]:has-text('Save')")
        sanne.wait_for_url(f"**/plans/{draft_plan.pk}/**")

        carla.fill("textarea[name=summary]", "Grow in chilled soups first.")
        with carla.expect_response(lambda r: r.request.method == "POST") as answer:
            carla.click("button[type=submit]:has-text('Save')")
        assert answer.value.status == 409
        conflict = carla.locator("#conflict")
        text = conflict.inner_text()
        assert "Saved by someone else in the meantime" in text
        assert "Sanne Bakker" in text
        row = conflict.locator("tr[data-field=summary]")
        assert "Grow with vendor-managed inventory." in row.locator("td.theirs").inner_text()
        assert "Grow in chilled soups first." in row.locator("td.yours").inner_text()
        carla.screenshot(path=str(ARTIFACTS / "plans-conflict.png"), full_page=True)
        assert Plan.objects.get(pk=draft_plan.pk).summary == "Grow with vendor-managed inventory."

        carla.click("button[name=keep_mine]")
        carla.wait_for_url(f"**/plans/{draft_plan.pk}/**")
        assert "Grow in chilled soups first." in carla.locator("body").inner_text()
        fresh = Plan.objects.get(pk=draft_plan.pk)
        assert fresh.summary == "Grow in chilled soups first."
        assert fresh.updated_by.username == "carla"
    finally:
        for context in contexts:
            context.close()
