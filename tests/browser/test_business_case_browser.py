"""The business case in a real browser, in Dutch: pick Dutch in the top bar, answer the
questionnaire (partly with the keyboard), and land on the one-page business case.

Saves a full-page screenshot to test-artifacts/business-case-nl.png on every run.
"""

from __future__ import annotations

import re

import pytest

from kam.core.business_case import READINESS, REASONS
from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser

ANSWERS = {
    "customer_power": 4,
    "global_customers": 3,
    "complex_dmu": 3,
    "purchasing_practices": 4,
    "own_complexity": 2,
    "focus_resources": 3,
    "relationships_win": 3,
    "solutions": 2,
    "shape_strategy": 2,
    "abnormal_rewards": 3,
}
READY = {
    "sponsorship": 1,
    "cross_functional": 2,
    "profitability_data": 1,
    "planning_discipline": 2,
    "people": 2,
}


def test_a_director_answers_in_dutch_and_gets_the_business_case(live_server, page, demo_director):
    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/business-case/")
    assert page.locator(".bc-empty").count() == 1, "no assessment yet: the empty state"
    page.click("button[value=nl]")
    page.wait_for_load_state()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("django_language") == "nl"
    assert page.get_attribute("html", "lang") == "nl"

    page.goto(f"{live_server.url}/business-case/new/")
    assert page.locator("fieldset.bc-q").count() == len(REASONS) + len(READINESS)
    assert "Zelfevaluatie voor de businesscase" in page.inner_text("h1")
    for key, level in ANSWERS.items():
        if key == "solutions":
            continue
        page.check(f"input[name=reason__{key}][value='{level}']")
    for key, level in READY.items():
        page.check(f"input[name=ready__{key}][value='{level}']")
    # Keyboard: focus the scale's first option, then the arrow keys move the choice.
    page.focus("input[name=reason__solutions][value='0']")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.is_checked("input[name=reason__solutions][value='2']")

    page.click(".bc-final button[type=submit]")
    page.wait_for_url(re.compile(r".*/business-case/\d+/$"))
    assert page.get_attribute("html", "lang") == "nl"
    assert page.locator(".bc-headline p").count() == 3
    assert page.locator(".bc-bar").count() == 3
    assert page.locator(".bc-reasons li").count() == 3
    assert page.locator(".bc-obstacles li").count() >= 2  # sponsorship and data at 1
    assert page.locator(".bc-steps li").count() >= 3
    assert page.locator(".bc-calc tr").count() == 2
    body = page.inner_text("main")
    assert "De businesscase voor key accountmanagement" in body
    assert "Volgende stappen" in body and "Next steps" not in body
    assert "Meer weten" in body  # the method's guidance panel, in Dutch
    # defensive 16 of 20 and aggressive 13 of 20, drawn to scale
    widths = page.eval_on_selector_all(".bc-bar-fill", "els => els.map(e => e.style.width)")
    assert widths == ["80%", "65%", "40%"]

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "business-case-nl.png"), full_page=True)

    pdf = page.request.get(page.url + "pdf/")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
