"""Customer groups in a real browser, on the demo: the director finds the groups rolled up
on the account list, opens one, reads its totals beside its companies, and goes on to a
company's own page.

Saves full-page screenshots to test-artifacts/groups-list.png and groups-page.png.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def test_director_walks_from_the_list_to_a_group_and_on_to_a_company(
    live_server, page, demo_director
):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, live_server.url, demo_director)

    page.click("nav.mainnav >> text=Accounts")
    page.wait_for_load_state()
    rollups = page.locator("[data-testid=group-rollups] tbody tr")
    assert rollups.count() >= 2  # the demo has groups
    first = rollups.first
    name = first.locator("td").first.inner_text().strip()
    companies = int(first.locator("td").nth(1).inner_text())
    assert companies >= 3  # the group account and at least two country companies
    page.screenshot(path=str(ARTIFACTS / "groups-list.png"), full_page=True)

    first.locator("a").first.click()
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=group-name]") == name
    rows = page.locator("[data-testid=group-companies] tbody tr")
    assert rows.count() == companies
    total = page.inner_text("[data-testid=group-total-row]")
    assert total.startswith("Total (EUR)")
    assert page.inner_text("[data-testid=group-revenue]").startswith("EUR ")
    page.screenshot(path=str(ARTIFACTS / "groups-page.png"), full_page=True)

    # the second row is a country company; its link opens its own account page, which
    # names the group it belongs to
    company = rows.nth(1)
    company_name = company.locator("td").first.locator("a").first.inner_text().strip()
    company.locator("td").first.locator("a").first.click()
    page.wait_for_load_state()
    assert "/accounts/" in page.url and "/groups/" not in page.url
    assert page.inner_text("[data-testid=account-name]") == company_name
    assert name in page.inner_text("main")
    assert errors == []
