"""The return on the investment in a real browser, on the demo: the portfolio economics page
answers whether key accounts earn their special return, and a key account's economics page
draws its P&L and waterfall and lists its investments. An upload with a bad row is refused
with the row named.

Saves full-page screenshots to test-artifacts/economics-portfolio.png,
economics-key-account.png and economics-import-refused.png on every run.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def _key_account_with_investment() -> int:
    from kam.economics.models import Investment
    from kam.portfolio.models import Placement
    from kam.portfolio.selectors import portfolio_review

    review = portfolio_review()
    keys = set(
        Placement.objects.filter(review=review, box="key").values_list("account_id", flat=True)
    )
    invested = [i.account_id for i in Investment.objects.order_by("pk") if i.account_id in keys]
    return invested[0] if invested else sorted(keys)[0]


def _charts_drawn(page, count: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "n => document.querySelectorAll('[data-chart][data-ready=true] svg').length >= n",
        arg=count,
    )


def test_director_sees_the_portfolio_and_a_key_account_economics(
    settings, live_server, page, demo_director
):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, live_server.url, demo_director)

    page.click("nav.mainnav >> text=Economics")
    page.wait_for_load_state()
    assert "Do key accounts earn their special return?" in page.inner_text("h1")
    answer = page.inner_text("[data-testid=answer]")
    assert "key accounts" in answer and "per team hour" in answer
    assert page.locator("[data-testid=boxes] tbody tr").count() == 5  # four boxes and the total
    _charts_drawn(page, 1)
    page.screenshot(path=str(ARTIFACTS / "economics-portfolio.png"), full_page=True)

    account_id = _key_account_with_investment()
    page.goto(f"{live_server.url}/accounts/{account_id}/")
    page.click(f"a[href='/economics/accounts/{account_id}/']")
    page.wait_for_load_state()
    assert "the return on our investment" in page.inner_text("h1")
    _charts_drawn(page, 2)
    assert page.locator("table.pnl tbody tr").count() >= 10
    assert page.locator("[data-testid=facts]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "economics-key-account.png"), full_page=True)

    page.goto(f"{live_server.url}/economics/import/")
    bad = (
        "account_external_id,invoice_date,amount,cost,currency\n"
        "NHF-0001,2026-01-05,120.00,80.00,EUR\n"
        "NHF-0001,5 January,80.00,50.00,EUR\n"
    )
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}],
    )
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_load_state()
    page.click("table.jobs a:has-text('bad.csv')")
    page.wait_for_load_state()
    report = page.inner_text("[data-testid=import-report]")
    assert "Nothing was imported" in report and "invoice_date" in report
    page.screenshot(path=str(ARTIFACTS / "economics-import-refused.png"), full_page=True)
    assert errors == []
