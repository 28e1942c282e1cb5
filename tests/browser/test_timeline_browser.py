"""A key account's timeline, walked from the account page as the director does, in English
and Dutch: the three closed reviews, the scores chart drawn, the year-by-year story, no CSP
violation (screenshots in test-artifacts/timeline/)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def test_the_director_opens_a_key_accounts_timeline_from_its_page(
    live_server, chromium, demo_director
):  # type: ignore[no-untyped-def]
    from kam.portfolio.models import Placement
    from kam.portfolio.selectors import portfolio_review

    placement = (
        Placement.objects.filter(review=portfolio_review(), box="key")
        .select_related("account")
        .order_by("account__name")
        .first()
    )
    assert placement is not None, "the demo has key accounts"
    account = placement.account
    shots = ARTIFACTS / "timeline"
    shots.mkdir(parents=True, exist_ok=True)
    for lang, link, heading in (
        ("en", "Timeline", "the account's timeline"),
        ("nl", "Tijdlijn", "de tijdlijn van het account"),
    ):
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(60_000)
        violations: list[str] = []
        page.on(
            "console",
            lambda m, v=violations: (
                v.append(m.text) if "Content Security Policy" in m.text else None
            ),
        )
        log_in(page, live_server.url, demo_director)
        page.goto(f"{live_server.url}/accounts/{account.pk}/")
        page.get_by_role("link", name=link, exact=True).click()
        page.wait_for_url(f"{live_server.url}/accounts/{account.pk}/history/")
        assert heading in page.locator("h1").inner_text()
        # three closed reviews in the table, the chart drawn
        assert page.locator('[data-testid="reviews"] tbody tr').count() == 3
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"scores-chart\"]')"
            "?.getAttribute('data-ready') === 'true'"
        )
        assert page.locator('[data-testid="scores-chart"] svg').count() == 1
        # the story, year by year, with reviews and findings in it
        assert page.locator(".hist-year").count() >= 2
        assert page.locator('.hist-event[data-kind="review"]').count() == 3
        assert page.locator('.hist-event[data-kind="findings_opened"]').count() >= 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, (lang, width)
        page.screenshot(path=str(shots / f"timeline-{lang}.png"), full_page=True)
        assert not violations, violations
        context.close()
