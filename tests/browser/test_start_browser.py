"""The start page in a browser (docs/start.md): a key account manager walks from it to an
overdue action and to a review waiting for their scores; a sales director, in Dutch, to an
account that moved and to the capacity check."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, Login, log_in

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "start"


def _in_language(page, base_url: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": base_url}])


def test_a_manager_walks_to_an_overdue_action_and_a_review_to_score(  # type: ignore[no-untyped-def]
    live_server, page, demo_director
):
    log_in(page, live_server.url, Login("sanne", demo_director.password))
    assert page.locator("h1").inner_text() == "Start"
    assert page.locator(".mainnav a").first.inner_text() == "Start"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "manager-en.png"), full_page=True)

    link = page.locator('[data-testid="overdue-action"] a').first
    what = link.inner_text()
    href = link.get_attribute("href") or ""
    action_id = href.rsplit("#action-", 1)[1]
    link.click()
    page.wait_for_url(re.compile(r".*/plans/\d+/#action-\d+$"))
    row = page.locator(f"#action-{action_id}")
    assert what in row.inner_text()
    assert "overdue" in (row.get_attribute("class") or "")

    page.goto(f"{live_server.url}/")
    review = page.locator('[data-testid="review-to-score"] a').first
    name = review.inner_text()
    review.click()
    page.wait_for_url(re.compile(r".*/portfolio/reviews/\d+/score/$"))
    assert name in page.content()


def test_a_director_in_dutch_walks_to_a_moved_account_and_the_capacity_check(  # type: ignore[no-untyped-def]
    live_server, page, demo_director
):
    _in_language(page, live_server.url, "nl")
    log_in(page, live_server.url, demo_director)
    assert page.locator(".mainnav a").first.inner_text() == "Start"
    assert page.locator('[data-testid="start-capacity"] h2').inner_text() == (
        "Kunnen we ze bedienen?"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "director-nl.png"), full_page=True)

    moved = page.locator('[data-testid="moved-account"] a').first
    account = moved.inner_text()
    moved.click()
    page.wait_for_url(re.compile(r".*/accounts/\d+/$"))
    assert account in page.locator("h1").inner_text()

    page.goto(f"{live_server.url}/")
    page.locator('[data-testid="capacity-link"]').click()
    page.wait_for_url(re.compile(r".*/portfolio/$"))
    capacity = page.locator('[data-testid="capacity-warnings"], [data-testid="capacity-ok"]')
    assert capacity.first.is_visible()
