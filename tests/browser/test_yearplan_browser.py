"""Time for every customer in a real browser (docs/allocation.md): the demo's year plan
results show every box, the opportunistic and maintenance accounts with hours by their
box policy, and hours per box and per person that add up to the plan, in English and
Dutch."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def _number(text: str) -> int:
    # 1,234 (English) or 1.234 (Dutch): the digits are the number of whole hours.
    return int(re.sub(r"[^\d]", "", text) or 0)


def _results(page, base_url: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/allocation/")
    href = page.get_attribute("[data-testid=periods] tbody tr:first-child a", "href")
    assert href
    page.goto(f"{base_url}{href}")
    page.click("a[href*='/allocation/runs/']")
    page.wait_for_url(re.compile(r".*/allocation/runs/\d+/$"))
    return page.url


def test_the_results_show_every_box_with_policy_hours_and_totals_that_add_up(
    live_server, page, demo_director
):
    log_in(page, live_server.url, demo_director)
    url = _results(page, live_server.url)
    rows = page.locator("[data-testid=boxes] tbody tr")
    boxes = {rows.nth(i).get_attribute("data-box"): rows.nth(i) for i in range(rows.count())}
    assert {"key", "key_development", "maintenance", "opportunistic"} <= set(boxes)
    # Opportunistic accounts have no judgements: all their hours come from the policy,
    # served by inside sales.
    opp = boxes["opportunistic"].locator("td")
    assert "Inside sales" in opp.nth(0).inner_text()
    assert _number(opp.nth(2).inner_text()) == 0  # optimised
    assert _number(opp.nth(3).inner_text()) > 0  # by box policy
    assert _number(boxes["maintenance"].locator("td").nth(3).inner_text()) > 0

    # Per box and per person, the hours add up to the same plan.
    box_total = _number(page.locator("[data-testid=boxes] tfoot th").nth(4).inner_text())
    planned = [_number(boxes[b].locator("td").nth(4).inner_text()) for b in boxes]
    assert abs(sum(planned) - box_total) <= len(planned)  # whole-hour rounding per row
    people_total = _number(page.locator("[data-testid=people] tfoot th").nth(3).inner_text())
    assert abs(people_total - box_total) <= 1
    covered = page.inner_text("[data-testid=accounts-covered]")
    assert re.search(r"\d+ optimised, \d+ at their box policy's hours", covered)

    # An account at its box policy's hours says so, and has no curve to click.
    page.goto(url + "?sort=planned")  # fewest hours first: the policy accounts
    first = page.locator("[data-testid=lines] tbody tr[data-account]").first
    assert "box policy" in first.inner_text()
    assert first.locator("a.curve-link").count() == 0
    page.goto(url)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "yearplan-results-en.png"), full_page=True)

    # The same in Dutch.
    page.context.add_cookies([{"name": "django_language", "value": "nl", "url": live_server.url}])
    page.goto(url)
    text = page.inner_text("[data-testid=boxes]")
    assert "Uren per kwadrant: de hele portfolio" in text
    assert "Binnendienst" in text
    page.screenshot(path=str(ARTIFACTS / "yearplan-results-nl.png"), full_page=True)
