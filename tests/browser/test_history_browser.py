"""The history pages as an administrator sees them, in English and Dutch: they fit 1280 px,
show the changes, and the export button downloads the file (screenshots in
test-artifacts/history/)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import ARTIFACTS, Login, log_in

pytestmark = pytest.mark.browser

WIDTH = 1280


@pytest.fixture
def admin_with_changes(transactional_db):  # type: ignore[no-untyped-def]
    from kam.accounts.services import account_update
    from kam.users.models import Role
    from kam.web.history_records import history_reason
    from tests.factories import AccountFactory, make_user

    admin = make_user(Role.ADMINISTRATOR, username="admin1", first_name="Ada", last_name="Admin")
    kam_user = make_user(Role.KEY_ACCOUNT_MANAGER, username="kam1")
    account = AccountFactory(
        owner=kam_user, name="Coöperatie Zuivelfabriek Noord-Nederland", channel="retail"
    )
    for i, channel in enumerate(["wholesale", "food service", "online"]):
        with history_reason(f"Import of accounts-{i}.csv"):
            account_update(user=admin, account=account, channel=channel)
    kam_user.profile.role = Role.SALES_DIRECTOR
    kam_user.profile.save()
    return Login("admin1", "pw-for-tests-1"), account


def test_history_pages_fit_and_export_downloads(live_server, chromium, admin_with_changes):
    login, account = admin_with_changes
    shots = ARTIFACTS / "history"
    shots.mkdir(parents=True, exist_ok=True)
    today = dt.date.today().isoformat()
    pages = {
        "account": f"/accounts/{account.pk}/",
        "object": f"/history/account/{account.pk}/",
        "all": f"/history/?since={today}&until={today}",
    }
    for lang in ("en", "nl"):
        context = chromium.new_context(
            viewport={"width": WIDTH, "height": 800}, accept_downloads=True
        )
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(60_000)
        log_in(page, live_server.url, login)
        for name, path in pages.items():
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (name, lang)
            page.screenshot(path=str(shots / f"{name}-{lang}.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= WIDTH, (name, lang, width)
            table = page.locator("[data-testid=history]")
            assert "online" in table.inner_text()
        # the account's history section links its full history and its export
        with page.expect_download() as download:
            page.click("button[formaction$='export.csv']")
        content = download.value.path().read_bytes().decode("utf-8-sig")
        assert "online" in content and "accounts-2.csv" in content
        context.close()
