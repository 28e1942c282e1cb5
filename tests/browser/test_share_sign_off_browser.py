"""The customer's side in a real browser: a link made in Dutch opens in Dutch for a browser
set to English, the customer switches to English (kept when the page is opened again), and
signs off the approved version; our versions list shows who and when. No Content-Security-
Policy violation on the way. Saves test-artifacts/share-nl.png, share-en-signed.png and
share-versions.png.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_layout_browser import CSP_LISTENER
from tests.browser.test_plans_browser import shared_plan  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_customer_reads_in_dutch_switches_to_english_and_signs_off(  # type: ignore[no-untyped-def]
    live_server,
    chromium,
    shared_plan,  # noqa: F811
):
    from kam.plans import services
    from kam.plans.models import PlanSignOff
    from kam.users.models import Role
    from tests.factories import make_user

    link, _token, _action = shared_plan
    plan, kam = link.plan, link.plan.account.owner
    director = make_user(Role.SALES_DIRECTOR, username="maarten", first_name="Maarten")
    services.plan_submit(user=kam, plan=plan)
    services.plan_approve(user=director, plan=plan)
    _dutch, token = services.share_link_create(
        user=kam,
        plan=plan,
        person_name="Eva Meijer",
        person_email="eva.meijer@vandijk.example",
        language="nl",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(60_000)
    url = f"{live_server.url}/plans/shared/{token}/"

    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "nl"
    assert "Gezamenlijk accountplan" in page.locator("h1").inner_text()
    assert "Versie 1 aftekenen" in page.locator("[data-testid=sign-off-submit]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "share-nl.png"), full_page=True)

    page.click("[data-testid=share-language-en]")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert "Joint account plan" in page.locator("h1").inner_text()
    page.goto(url)  # opened again: still English
    assert page.locator("html").get_attribute("lang") == "en"

    form = page.locator("[data-testid=sign-off] form")
    assert form.locator("input[name=person_name]").input_value() == "Eva Meijer"
    form.locator("input[name=person_role]").fill("Supply chain director")
    page.click("[data-testid=sign-off-submit]")
    page.wait_for_selector("text=Thank you, Eva Meijer: version 1 of the plan is signed off.")
    signed = page.locator("[data-testid=sign-offs]").inner_text()
    assert "Version 1 signed off by Eva Meijer on" in signed
    assert "(Supply chain director)" in signed
    assert page.locator("[data-testid=sign-off-submit]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "share-en-signed.png"), full_page=True)
    assert page.evaluate("window.__cspViolations") == []
    context.close()

    sign_off = PlanSignOff.objects.get()
    assert (sign_off.person_name, sign_off.person_role, sign_off.version.number) == (
        "Eva Meijer",
        "Supply chain director",
        1,
    )

    # Our side: the versions list says who signed off and when.
    ours = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    ours.add_init_script(CSP_LISTENER)
    page = ours.new_page()
    page.set_default_timeout(60_000)
    director.set_password("pw-for-the-test")
    director.save()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "maarten")
    page.fill("#id_password", "pw-for-the-test")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/plans/{plan.pk}/#versions")
    cell = page.locator("[data-testid=version-sign-offs-1]").inner_text()
    assert "Eva Meijer on" in cell and "(Supply chain director)" in cell
    page.locator("#versions").screenshot(path=str(ARTIFACTS / "share-versions.png"))
    assert page.evaluate("window.__cspViolations") == []
    ours.close()
