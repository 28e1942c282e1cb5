"""The fifth judgement in a real browser (docs/allocation.md): the demo's inconsistent
judgement is named beside its cell, and typing a fifth far off the other four names it live,
before anything is saved; emptying it again removes the note.

Saves screenshots to test-artifacts/five-judgements-*.png on every run.
"""

from __future__ import annotations

import pytest

from kam.core.allocation.fit import fit_judgements
from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def _shot(page, name: str, selector: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    element = page.locator(selector).first
    element.evaluate("el => el.scrollIntoView({block: 'center'})")
    element.screenshot(path=str(ARTIFACTS / f"five-judgements-{name}.png"))


def test_the_grid_names_the_judgement_that_disagrees(live_server, page, demo_director):
    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/allocation/")
    href = page.get_attribute("[data-testid=periods] tbody tr:first-child a", "href")
    page.goto(f"{live_server.url}{href}judgements/")

    # The demo's key account judged five times, the -50 % far too close to today's.
    note = page.locator("td.doubtful [data-testid=judgement-note]").first
    note.wait_for()
    assert note.inner_text().startswith("Disagrees with the other four: they suggest about")
    cell = note.locator("xpath=..")
    assert cell.locator("input[name=contribution_at_50pct]").count() == 1
    row = cell.locator("xpath=ancestor::tr")
    assert "the curve misses them by at most" in row.locator(".fit-quality").inner_text()
    _shot(page, "named", f"#{row.get_attribute('id')}")

    # A row with four judgements: a fifth typed far off is named live, in its own cell.
    four = page.locator("table.judgements tbody tr:not(.has-note)").filter(
        has=page.locator("input[name=contribution_at_50pct][value='']")
    )
    target_id = four.first.get_attribute("id") or ""
    target = page.locator(f"#{target_id}")  # by id: once named, it no longer matches ``four``
    judged = {
        name: float(target.locator(f"input[name={field}]").input_value().replace("\u202f", ""))
        for name, field in (
            ("reference_hours", "reference_hours"),
            ("at_zero", "contribution_at_zero"),
            ("at_reference", "contribution_at_reference"),
            ("at_150pct", "contribution_at_150pct"),
            ("at_saturation", "contribution_at_saturation"),
        )
    }
    # halving the hours would lose nearly everything (or nothing): one of them is far off
    # the curve of the other four, as kam.core sees it
    span = judged["at_reference"] - judged["at_zero"]
    fifths = [round(judged["at_zero"] + share * span) for share in (0.03, 0.97)]
    fifth = next(f for f in fifths if fit_judgements(**judged, at_50pct=f).inconsistent)
    target.locator("input[name=contribution_at_50pct]").fill(str(fifth))
    page.wait_for_selector(f"#{target_id} td.doubtful [data-testid=judgement-note]")
    live = page.locator(f"#{target_id} td.doubtful")
    assert live.locator("input").get_attribute("name") in {
        "contribution_at_50pct",
        "contribution_at_150pct",
    }
    assert "they suggest about" in live.inner_text()
    assert "misses them by at most" in page.locator(f"#{target_id} .fit-quality").inner_text()
    _shot(page, "live", f"#{target_id}")

    # Emptied again: four judgements, fitted exactly, nothing named.
    target.locator("input[name=contribution_at_50pct]").fill("")
    page.wait_for_function(
        "id => !document.querySelector(`#${id} td.doubtful`)"
        " && !document.querySelector(`#${id} .fit-quality`)"
        " && !!document.querySelector(`#${id} svg.sketch`)",
        arg=target_id,
    )
