"""An administrator removes an imported transaction source in a real browser: the imports
page offers **Remove…**, the confirmation says what goes and fits 1280 px in English and
Dutch, and removing (a background job, shown on the jobs page) leaves the store empty.

Saves screenshots to test-artifacts/economics-import-sources-{en,nl}.png and
economics-source-remove-{en,nl}.png.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, Login, log_in
from tests.economics.conftest import lines_csv

pytestmark = pytest.mark.browser


def test_an_administrator_removes_a_source_after_confirming(  # type: ignore[no-untyped-def]
    settings, live_server, chromium, transactional_db, tmp_path
):
    from kam.economics.lines import store_get
    from kam.economics.services import transaction_import_start
    from kam.users.models import Role
    from tests.factories import AccountFactory, make_user

    settings.KAM_TRANSACTIONS_ROOT = str(tmp_path / "transactions")
    settings.KAM_ECONOMICS_SYNC = True
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    admin.set_password("pw-for-tests-1")
    admin.save()
    AccountFactory(external_id="A1", owner=admin)
    rows = [("A1", "i1", "2026-01-10", "150", "90", None, None, "EUR")]
    transaction_import_start(user=admin, content=lines_csv(rows), filename="erp-2026.csv")
    assert [s.name for s in store_get().sources()] == ["erp-2026.csv"]

    ARTIFACTS.mkdir(exist_ok=True)
    for lang in ("nl", "en"):
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page = context.new_page()
        log_in(page, live_server.url, Login("admin1", "pw-for-tests-1"))
        page.goto(f"{live_server.url}/economics/import/")
        page.screenshot(
            path=str(ARTIFACTS / f"economics-import-sources-{lang}.png"), full_page=True
        )
        page.click("[data-testid=source-remove]")
        page.wait_for_selector("[data-testid=source-remove-form]")
        assert "erp-2026.csv" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=str(ARTIFACTS / f"economics-source-remove-{lang}.png"), full_page=True)
        if lang == "en":
            page.click("[data-testid=source-remove-form] button[type=submit]")
            # the removal runs as a background job: the jobs page shows its row
            page.wait_for_url(f"{live_server.url}/jobs/**")
            row = page.locator("tr#" + page.url.rsplit("#", 1)[1])  # the URL names its row
            assert "erp-2026.csv" in row.inner_text()
            assert row.get_attribute("data-status") == "done"
            assert "Removal of a transaction source" in row.inner_text()
            page.screenshot(
                path=str(ARTIFACTS / "economics-source-removed-job.png"), full_page=True
            )
        context.close()
    assert store_get().sources() == []
