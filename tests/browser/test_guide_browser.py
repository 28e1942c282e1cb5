"""The guidance block in a real browser, in English and Dutch, at 1440×900.

On every page that carries guidance: the lead is visible, the "learn more" panel opens
without JavaScript of ours (``<details>``), and neither fits outside the page. Saves a
screenshot per page and language with the panel open to test-artifacts/guide-<page>-<lang>.png.
"""

from __future__ import annotations

import pytest

from kam.guide.topics import TOPICS
from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser

DUTCH = {"summary": "Meer weten", "nav": "Methode"}
ENGLISH = {"summary": "Learn more", "nav": "Method"}


def _pages() -> dict[str, tuple[str, str]]:
    """{name: (path, topic)} on the demo data."""
    from django.urls import reverse

    from kam.accounts.models import Account
    from kam.portfolio.models import Review

    review = Review.objects.order_by("-review_date").first()
    account = Account.objects.order_by("pk").first()
    assert review is not None and account is not None
    scheme = [review.scheme_version.scheme_id]
    return {
        "matrix": (reverse("portfolio:matrix"), "matrix"),
        "reviews": (reverse("portfolio:review_list"), "reviews"),
        "review": (reverse("portfolio:review_detail", args=[review.pk]), "reviews"),
        "scoring": (reverse("portfolio:review_score", args=[review.pk]), "scoring"),
        "schemes": (reverse("portfolio:scheme_list"), "scoring"),
        "scheme": (reverse("portfolio:scheme_detail", args=scheme), "scoring"),
        "scheme-edit": (reverse("portfolio:scheme_edit", args=scheme), "scoring"),
        "accounts": (reverse("accounts:list"), "accounts"),
        "account": (reverse("accounts:detail", args=[account.pk]), "accounts"),
        "import": (reverse("accounts:import"), "import"),
        "policies": (reverse("organisation:settings"), "policies"),
    }


@pytest.mark.parametrize("language", ["en", "nl"])
def test_guidance_opens_and_fits_on_every_page(live_server, page, demo_director, language):  # type: ignore[no-untyped-def]
    words = DUTCH if language == "nl" else ENGLISH
    pages = _pages()
    log_in(page, live_server.url, demo_director)
    if language == "nl":
        page.click("button[value=nl]")
        page.wait_for_selector("html[lang=nl]")
    for name, (path, topic) in pages.items():
        page.goto(f"{live_server.url}{path}")
        block = page.locator(f"aside.guidance[data-guidance={topic}]")
        assert block.count() == 1, name
        assert block.locator(".guidance-lead").is_visible(), name
        body = block.locator(".guidance-body")
        assert not body.is_visible(), f"{name}: the panel starts collapsed"
        summary = block.locator("summary")
        assert summary.inner_text().strip() == words["summary"], name
        summary.click()
        assert body.is_visible(), name
        width = page.evaluate("() => document.documentElement.clientWidth")
        box = block.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
        # The block sits above the page's own content, not beside it.
        head = page.locator("main h1").first.bounding_box()
        assert head is not None and box["y"] > head["y"], name
        assert page.locator(f".usernav a:has-text('{words['nav']}')").is_visible()
        page.screenshot(path=str(ARTIFACTS / f"guide-{name}-{language}.png"))


@pytest.mark.parametrize("language", ["en", "nl"])
def test_method_and_glossary_pages(live_server, page, demo_director, language):  # type: ignore[no-untyped-def]
    log_in(page, live_server.url, demo_director)
    if language == "nl":
        page.click("button[value=nl]")
        page.wait_for_selector("html[lang=nl]")
    page.click(".usernav a[href='/method/']")
    page.wait_for_url(f"{live_server.url}/method/")
    assert page.locator("article.method-topic").count() == len(TOPICS)
    page.screenshot(path=str(ARTIFACTS / f"guide-method-{language}.png"))
    page.goto(f"{live_server.url}/method/#allocation")
    top = page.locator("#allocation").bounding_box()
    assert top is not None and 0 <= top["y"] < 300, "the anchor scrolls the topic into view"
    page.goto(f"{live_server.url}/method/glossary/#dmu")
    assert page.locator("#dmu").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"guide-glossary-{language}.png"), full_page=True)
