"""A key account's relationship page and its org chart in a real browser.

Screenshots to test-artifacts/relationships.png, relationships-orgchart.png and
relationships-findings.png on every run.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def _largest_key_account() -> tuple[int, str, int]:
    from django.db.models import Count

    from kam.accounts.models import Account
    from kam.portfolio.models import Placement
    from kam.portfolio.selectors import portfolio_review

    review = portfolio_review()
    keys = Placement.objects.filter(review=review, box="key").values("account_id")
    account = (
        Account.objects.filter(pk__in=keys)
        .annotate(n=Count("contacts"))
        .order_by("-n", "pk")
        .first()
    )
    assert account is not None, "the demo has key accounts"
    return account.pk, account.name, account.n


def test_relationship_page_and_org_chart(live_server, page, demo_director):  # type: ignore[no-untyped-def]
    log_in(page, live_server.url, demo_director)
    pk, name, contacts = _largest_key_account()
    # 60 from the relationship demo, plus the customer owners of its plan's actions, who are
    # contacts of the account too
    assert contacts >= 60, "the largest demo key account has 60 contacts or more"

    # from the account detail page to its relationship page
    page.goto(f"{live_server.url}/accounts/{pk}/")
    page.get_by_role("link", name="Relationships").last.click()
    page.wait_for_url(f"**/relationships/account/{pk}/")
    assert name in page.get_by_test_id("relationship-heading").inner_text()
    rows = page.locator("#matrix tbody tr")
    assert rows.count() == contacts
    assert page.locator("#matrix .str-strong").count() > 0
    assert page.get_by_test_id("findings").locator("li").count() > 0
    page.get_by_text("Evidence for each marker").click()
    assert page.locator(".stage-table .marker").count() >= 15
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "relationships.png"), full_page=True)

    page.get_by_role("link", name="Org chart").first.click()
    page.wait_for_url(f"**/relationships/account/{pk}/orgchart/")
    chart = page.get_by_test_id("orgchart").locator("svg")
    assert chart.locator("g.node").count() == contacts
    # boxes do not overlap: every pair of drawn nodes is apart
    boxes = chart.locator("g.node > rect:first-of-type").evaluate_all(
        "els => els.map(e => { const b = e.getBoundingClientRect();"
        " return [b.left, b.top, b.right, b.bottom]; })"
    )
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    # readable: the names are drawn at 12 px or more at 100 % zoom
    size = chart.locator("g.node text").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 12
    page.screenshot(path=str(ARTIFACTS / "relationships-orgchart.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PNG").click()
    assert download.value.suggested_filename.endswith(".png")

    page.goto(f"{live_server.url}/relationships/?sort=box")
    assert page.get_by_test_id("findings-table").locator("tbody tr").count() > 0
    page.screenshot(path=str(ARTIFACTS / "relationships-findings.png"), full_page=True)
