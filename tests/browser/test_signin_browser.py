"""Signing in, in a browser: the user menu, the password pages and the locked-out page.

Screenshots of each page in English and Dutch go to test-artifacts/signin/.
"""

from __future__ import annotations

import pytest

from kam.users.models import Role
from tests.browser.conftest import ARTIFACTS
from tests.factories import make_user

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests-1"
OUT = ARTIFACTS / "signin"


@pytest.fixture
def anna(transactional_db):  # type: ignore[no-untyped-def]
    return make_user(
        Role.KEY_ACCOUNT_MANAGER, username="anna", first_name="Anna", email="anna@example.com"
    )


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_user_menu_leads_to_the_password_change(live_server, chromium, anna, language):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    page.set_default_timeout(120_000)  # the first page of a session warms the server up
    try:
        page.goto(f"{live_server.url}/login/")
        _fits(page)
        _shot(page, f"login-{language}")
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")  # signing in lands on the start page
        menu = page.locator("details.usermenu")
        assert not page.locator(".usermenu-list").is_visible()
        menu.locator("summary").click()
        assert page.locator(".usermenu-list").is_visible()
        _shot(page, f"usermenu-{language}")
        page.locator(".usermenu-list a").first.click()
        page.wait_for_url(f"{live_server.url}/me/password/")
        _fits(page)
        _shot(page, f"password-change-{language}")
        page.fill("#id_old_password", PASSWORD)
        page.fill("#id_new_password1", "a-new-and-long-passphrase-42")
        page.fill("#id_new_password2", "a-new-and-long-passphrase-42")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/me/password/")
        assert page.locator(".messages .msg-success").is_visible()
        _shot(page, f"password-changed-{language}")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_locked_out_and_reset_pages(live_server, chromium, anna, settings, language):
    settings.KAM_OIDC = {**settings.KAM_OIDC, "client_id": "kam", "issuer": "http://127.0.0.1:9"}
    settings.KAM_OIDC["provider_name"] = "Contoso"
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{live_server.url}/login/")
        assert page.locator("a.sso").is_visible()
        _shot(page, f"login-sso-{language}")
        for _ in range(5):
            page.fill("#id_username", "anna")
            page.fill("#id_password", "wrong")
            page.click("form.stacked button[type=submit]")
            page.wait_for_load_state()
        assert page.locator("#locked-out").is_visible()
        _fits(page)
        _shot(page, f"locked-out-{language}")
        page.locator("#locked-out a.button").click()
        page.wait_for_url(f"{live_server.url}/password-reset/")
        _shot(page, f"reset-form-{language}")
        page.fill("#id_email", "anna@example.com")
        page.click("form.stacked button[type=submit]")
        page.wait_for_url(f"{live_server.url}/password-reset/sent/")
        _fits(page)
        _shot(page, f"reset-sent-{language}")
    finally:
        context.close()
