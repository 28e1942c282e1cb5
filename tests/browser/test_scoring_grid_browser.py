"""The scoring grid as a rater uses it: keyboard moves, a bad score refused, scores saved."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def _latest_review_and_first_cells():  # type: ignore[no-untyped-def]
    from kam.portfolio.models import Axis, Review, ReviewStatus

    # the demo's review in progress (the closed ones take no more scores)
    review = Review.objects.get(status=ReviewStatus.OPEN)
    criteria = list(
        review.scheme_version.criteria.filter(axis=Axis.ATTRACTIVENESS).order_by("position")
    )
    return review, criteria


def test_keyboard_validation_and_save(page, live_server, demo_director) -> None:  # type: ignore[no-untyped-def]
    from kam.portfolio.models import Rating

    review, criteria = _latest_review_and_first_cells()
    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/portfolio/reviews/{review.pk}/score/")
    rows = page.locator("tr.grid-row")
    assert rows.count() >= 2
    first_account = int(rows.nth(0).get_attribute("data-account"))
    second_account = int(rows.nth(1).get_attribute("data-account"))
    first = page.locator(f"#s-{first_account}-{criteria[0].pk}")

    # Enter moves down the same column; the arrow key moves to the next criterion.
    first.click()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == f"s-{second_account}-{criteria[0].pk}"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == f"s-{first_account}-{criteria[1].pk}"

    # A score outside 1-10 is marked in the browser with a message that says why.
    first.fill("11")
    first.dispatch_event("input")
    message = first.evaluate("el => el.validationMessage")
    assert "1 to 10" in message

    # A valid score is saved with the page and kept as this rater's own score.
    before = (
        Rating.objects.filter(
            review=review,
            account_id=first_account,
            criterion=criteria[0],
            rater__username=demo_director.username,
        )
        .values_list("score", flat=True)
        .first()
    )
    new_score = 3 if before != 3 else 4
    first.fill(str(new_score))
    first.dispatch_event("input")
    with page.expect_navigation():
        page.get_by_role("button", name="Save this page").click()
    page.screenshot(path=str(ARTIFACTS / "scoring-grid.png"), full_page=False)
    saved = Rating.objects.get(
        review=review,
        account_id=first_account,
        criterion=criteria[0],
        rater__username=demo_director.username,
    )
    assert saved.score == new_score
    assert page.locator(f"#s-{first_account}-{criteria[0].pk}").input_value() == str(new_score)
