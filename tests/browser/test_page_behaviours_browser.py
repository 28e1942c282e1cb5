"""The page behaviours that moved out of inline script for the Content-Security-Policy
(kam/web/static/kam/kam.js, kam/plans/static/plans/action_form.js) still work, in a real
browser under the policy: the action form shows the owner field of the chosen side, a
delete asks first (and dismissing keeps the action), the new token is copied and selected.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import Login, log_in
from tests.browser.test_layout_browser import CSP_LISTENER

pytestmark = pytest.mark.browser


@pytest.fixture
def plan_with_action(transactional_db):  # type: ignore[no-untyped-def]
    from kam.plans import services
    from kam.users.models import Role
    from tests.factories import AccountFactory, make_user

    kam = make_user(Role.KEY_ACCOUNT_MANAGER, username="sanne", first_name="Sanne")
    account = AccountFactory(name="Van Dijk Retail", owner=kam)
    plan = services.plan_create(
        user=kam,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    action = services.action_create(
        user=kam,
        plan=plan,
        data={"what": "Joint store audit", "owner_side": "ours", "owner_user": kam},
    )
    return Login("sanne", "pw-for-tests-1"), plan, action


def test_moved_behaviours_work_under_the_policy(live_server, chromium, plan_with_action) -> None:  # type: ignore[no-untyped-def]
    from kam.plans.models import PlanAction

    login, plan, action = plan_with_action
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(CSP_LISTENER)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    log_in(page, live_server.url, login)

    # The action form: only the chosen side's owner field shows.
    page.goto(f"{live_server.url}/plans/{plan.pk}/actions/{action.pk}/")
    assert page.locator("[name=owner_user]").is_visible()
    assert not page.locator("[name=owner_contact]").is_visible()
    page.check("input[name=owner_side][value=theirs]")
    assert page.locator("[name=owner_contact]").is_visible()
    assert not page.locator("[name=owner_user]").is_visible()
    page.check("input[name=owner_side][value=ours]")

    # Delete asks first; dismissing keeps the action.
    questions: list[str] = []

    def dismiss(dialog):  # type: ignore[no-untyped-def]
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button[name=delete]")
    page.wait_for_timeout(500)
    assert questions == ["Delete this for good?"]
    assert PlanAction.objects.filter(pk=action.pk).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[name=delete]")
    page.wait_for_url(f"{live_server.url}/plans/{plan.pk}/**")
    assert not PlanAction.objects.filter(pk=action.pk).exists()

    # A new token: the copy button copies it and says so; focusing selects it.
    from django.urls import reverse

    page.goto(f"{live_server.url}{reverse('users:tokens')}")
    page.fill("[name=name]", "nightly export")
    page.locator("form.stacked button[type=submit]").click()
    token = page.locator("#plain-token").input_value()
    assert token
    copy = page.locator("[data-copy-from=plain-token]")
    copy.click()
    assert copy.text_content() == "Copied"
    assert page.evaluate("navigator.clipboard.readText()") == token
    page.locator("#plain-token").focus()
    selected = page.evaluate(
        "(() => { const i = document.getElementById('plain-token');"
        " return i.value.slice(i.selectionStart, i.selectionEnd); })()"
    )
    assert selected == token

    assert page.evaluate("window.__cspViolations") == []
    context.close()


def test_an_htmx_error_shows_its_message_in_the_target(
    live_server, chromium, plan_with_action
) -> None:  # type: ignore[no-untyped-def]
    """The one error fragment (kam/web/page_errors.py) answers 404 and still shows in the
    target: htmx swaps no 4xx answer unless kam.js says so."""
    login, plan, _action = plan_with_action
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(30_000)
    log_in(page, live_server.url, login)
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.evaluate(
        """() => {
          const target = document.createElement("div");
          target.id = "error-target";
          document.querySelector("main").prepend(target);
          return htmx.ajax("GET", "/plans/987654/", {target: "#error-target", swap: "innerHTML"});
        }"""
    )
    alert = page.locator("#error-target [role=alert]")
    alert.wait_for()
    assert alert.inner_text().strip() == "There is no such plan."
    assert page.evaluate("window.__cspViolations || []") == []
    context.close()
