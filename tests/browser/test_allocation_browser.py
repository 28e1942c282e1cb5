"""The year plan in a real browser (docs/method.md section 2): the live sketch of the
judgements, a director's run from the period page to its results, and plan against actual.

Saves screenshots of every year plan page to test-artifacts/allocation-*.png on every run.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser

#: The numbers typed for one account: today's hours, then contribution at 0 h, today,
#: +50 % and saturation (EUR a year).
NUMBERS = ("200", "100000", "180000", "220000", "260000")
FIELDS = (
    "reference_hours",
    "contribution_at_zero",
    "contribution_at_reference",
    "contribution_at_150pct",
    "contribution_at_saturation",
)


def _shot(page, name: str, *, selector: str | None = None) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = str(ARTIFACTS / f"allocation-{name}.png")
    if selector is None:
        page.screenshot(path=path, full_page=True)
        return
    # Centre the element first: an element screenshot scrolls it to the top, under the
    # sticky navigation bar.
    element = page.locator(selector).first
    element.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = element.bounding_box()
    assert box is not None
    page.screenshot(
        path=path,
        clip={
            "x": max(box["x"] - 8, 0),
            "y": max(box["y"] - 8, 0),
            "width": min(box["width"] + 16, 1440),
            "height": min(box["height"] + 16, 880),
        },
    )


def _period_url(page, base_url: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/allocation/")
    _shot(page, "periods")
    href = page.get_attribute("[data-testid=periods] tbody tr:first-child a", "href")
    assert href
    return f"{base_url}{href}"


def _sketch_points(page, account_id: str) -> str:  # type: ignore[no-untyped-def]
    return page.get_attribute(f"#sketch-{account_id} svg.sketch polyline", "points") or ""


def test_typing_the_judgements_redraws_the_sketch_and_names_the_number_to_change(
    live_server, page, demo_director
):
    log_in(page, live_server.url, demo_director)
    period = _period_url(page, live_server.url)
    page.goto(f"{period}judgements/?missing=on")
    row = page.locator("table.judgements tbody tr").first
    account_id = (row.get_attribute("id") or "").removeprefix("judgement-")
    assert account_id.isdigit()
    assert "Enter all five numbers" in row.locator(".sketch-cell").inner_text()

    for name, value in zip(FIELDS, NUMBERS, strict=True):
        row.locator(f"input[name={name}]").fill(value)
    page.wait_for_selector(f"#sketch-{account_id} svg.sketch")
    first = _sketch_points(page, account_id)
    assert first.count(",") > 20  # a polyline of the fitted curve
    assert page.locator(f"#sketch-{account_id} svg circle.today").count() == 1

    # More at +50 % makes a steeper curve: the sketch changes while typing, nothing saved.
    row.locator("input[name=contribution_at_150pct]").fill("245000")
    page.wait_for_function(
        "([id, before]) => { const p = document.querySelector(`#sketch-${id} polyline`);"
        " return p && p.getAttribute('points') !== before; }",
        arg=[account_id, first],
    )
    assert _sketch_points(page, account_id) != first
    row.locator("input[name=contribution_at_zero]").press("Tab")  # leaving groups the digits
    assert row.locator("input[name=contribution_at_zero]").input_value() == "100\u202f000"
    _shot(page, "judgements-sketch", selector=f"#judgement-{account_id}")

    # +50 % above saturation is not a response curve: the row says which number to change.
    row.locator("input[name=contribution_at_150pct]").fill("300000")
    error = page.wait_for_selector(f"#sketch-{account_id} .sketch-error")
    assert error.get_attribute("data-field") in {
        "contribution_at_150pct",
        "contribution_at_saturation",
    }
    assert re.search(r"\+50 %|saturation", error.inner_text())
    assert "change" in error.inner_text() or "raise" in error.inner_text()
    named = row.locator(f"input[name={error.get_attribute('data-field')}]")
    page.wait_for_function(
        "el => el.getAttribute('aria-invalid') === 'true'", arg=named.element_handle()
    )
    _shot(page, "judgements-error", selector=f"#judgement-{account_id}")

    # Put it right and save: the row is saved and keeps its sketch.
    row.locator("input[name=contribution_at_150pct]").fill("220000")
    page.wait_for_selector(f"#sketch-{account_id} svg.sketch")
    page.locator(f"#judgement-{account_id} button:has-text('Save')").click()
    page.wait_for_selector(f"#judgement-{account_id}.row-saved")
    assert page.locator(f"#judgement-{account_id} svg.sketch").count() == 1
    page.goto(f"{period}judgements/")
    _shot(page, "judgements")


def test_a_director_runs_the_plan_and_reads_the_results(live_server, page, demo_director, settings):
    # The run works inline (the tests' immediate task backend, tests/conftest.py); a real
    # worker is tested in tests/jobs. The progress row's polling is tested in
    # tests/allocation/test_pages.py.
    log_in(page, live_server.url, demo_director)
    period = _period_url(page, live_server.url)
    page.goto(period)
    assert page.locator("[data-testid=function-capacities] tbody tr").count() >= 1
    _shot(page, "period")
    page.click("[data-testid=run-start]")
    page.wait_for_url(re.compile(r".*/allocation/runs/\d+/$"), timeout=180_000)
    page.goto(period + "#runs")
    newest = page.locator("table.runs tbody tr").first
    assert newest.get_attribute("data-status") == "done"
    _shot(page, "runs", selector="#runs")
    newest.locator("[data-testid=run-results]").click()
    page.wait_for_url(re.compile(r".*/allocation/runs/\d+/$"))

    summary = page.inner_text("[data-testid=summary]")
    assert "more than today's allocation" in summary
    assert "more than the flat per-box rule" in summary
    uplift = re.search(r"EUR ([+−-])([\d,]+)\s+more than today's allocation", summary)
    assert uplift is not None and uplift.group(1) == "+"
    assert int(uplift.group(2).replace(",", "")) > 0

    lines = page.locator("[data-testid=lines] tbody tr[data-account]")
    assert lines.count() > 5
    assert page.locator("#people tbody tr").count() >= 5
    people_hours = page.locator("#people tbody tr td:nth-child(4)").all_inner_texts()
    assert sum(int(h.replace(",", "")) for h in people_hours) > 0
    box_notes = page.locator("#boxes tbody tr td:last-child").all_inner_texts()
    assert any("policy" in note for note in box_notes)
    assert page.locator("[data-testid=functions] tbody tr").count() >= 1
    assert "One more hour adds" in page.inner_text("[data-testid=shadow-price]")

    what_if = page.wait_for_selector("#what-if [data-chart][data-ready=true]")
    assert what_if.query_selector("svg, canvas") is not None
    assert page.locator("#what-if svg path").count() > 2  # the lines are drawn
    page.wait_for_selector("#curve [data-chart][data-ready=true]")
    _shot(page, "results")
    _shot(page, "what-if", selector="#what-if")

    # Clicking another account draws its curve.
    second = lines.nth(1)
    name = second.locator("a.curve-link").inner_text()
    second.locator("a.curve-link").click()
    page.wait_for_function(
        "name => { const el = document.querySelector('#curve [data-chart]');"
        " return el && el.getAttribute('data-ready') === 'true'"
        " && el.textContent.includes(name); }",
        arg=name,
    )
    _shot(page, "account-curve", selector="#curve")


def test_plan_against_actual_says_where_the_hours_went(live_server, page, demo_director):
    log_in(page, live_server.url, demo_director)
    period = _period_url(page, live_server.url)
    page.goto(period)
    page.click("text=Latest results")
    page.wait_for_url(re.compile(r".*/allocation/runs/\d+/$"))
    section = page.wait_for_selector("[data-testid=plan-vs-actual]")
    sentences = section.query_selector_all(".variance li")
    assert sentences, "the demo's activities differ from the plan by more than 5 points"
    text = sentences[0].inner_text()
    assert re.search(r"\d+ % of hours went to .+ accounts; the plan gives them \d+ %", text)
    _shot(page, "actual", selector="[data-testid=plan-vs-actual]")
