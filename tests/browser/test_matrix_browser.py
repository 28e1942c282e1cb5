"""The matrix in a real browser: log in, count the bubbles, hover, click one, land on it.

Saves a full-page screenshot of the matrix to test-artifacts/matrix.png on every run.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser

CHART_READY = "[data-testid=matrix-chart][data-ready=true]"

# Walks the Vega scenegraph to the bubble mark ("bubbles" layer, Vega mark
# "bubbles_marks") and returns how many bubbles are drawn. For the click it asks Vega's own
# event handler which item sits under a point, exactly as it does for a real mouse event
# (canvas-relative point minus the handler's origin), and searches around each bubble's
# centre, topmost first, for a point where that bubble is hit. Returns the point in page
# coordinates with the bubble's datum.
FIND_BUBBLES = """
() => {
  const view = window.kamMatrixView;
  let mark = null;
  function walk(m) {
    if (mark || !m) return;
    if (m.name === 'bubbles_marks') { mark = m; return; }
    if (m.marktype !== 'group') return;
    for (const g of m.items || []) for (const c of g.items || []) walk(c);
  }
  walk(view.scenegraph().root);
  if (!mark) return {drawn: -1};
  const canvas = view.container().querySelector('canvas');
  const box = canvas.getBoundingClientRect();
  const handler = view._handler;
  const origin = handler._origin || view.origin();
  const root = view.scenegraph().root;
  const hit = (x, y) => handler.pick(root, x, y, x - origin[0], y - origin[1]);
  let pick = null;
  const items = mark.items;
  for (let i = items.length - 1; i >= 0 && !pick; i--) {
    const it = items[i];
    for (let dx = -20; dx <= 20 && !pick; dx += 2) {
      for (let dy = -20; dy <= 20 && !pick; dy += 2) {
        const x = origin[0] + it.x + dx, y = origin[1] + it.y + dy;
        const h = hit(x, y);
        if (h && h.mark === mark && h.datum.i === it.datum.i) {
          pick = {x: box.left + x, y: box.top + y, id: it.datum.i, name: it.datum.n};
        }
      }
    }
  }
  return {drawn: items.length, data: view.data('accounts').length, pick};
}
"""


def _expected_points(username: str) -> tuple[int, str]:
    from django.contrib.auth import get_user_model

    from kam.portfolio.matrix import MatrixFilters, axis_choose, axis_counts, matrix_rows
    from kam.portfolio.selectors import portfolio_review

    user = get_user_model().objects.get(username=username)
    rows = matrix_rows(review=portfolio_review(), user=user, filters=MatrixFilters())
    counts = axis_counts(rows)
    axis = axis_choose(None, counts)
    return counts[axis], axis


def test_matrix_counts_bubbles_and_a_click_opens_the_account(live_server, page, demo_director):
    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/portfolio/")
    chart = page.wait_for_selector(CHART_READY)

    expected, axis = _expected_points(demo_director.username)
    assert expected > 10
    assert chart.get_attribute("data-axis") == axis
    assert int(chart.get_attribute("data-points")) == expected
    found = page.evaluate(FIND_BUBBLES)
    assert found["drawn"] == expected
    assert found["data"] == expected

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "matrix.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "matrix-viewport.png"))

    chart.scroll_into_view_if_needed()
    target = page.evaluate(FIND_BUBBLES)["pick"]
    assert target is not None, "some bubble is not covered by another"
    page.mouse.move(target["x"], target["y"])
    tooltip = page.wait_for_selector("#vg-tooltip-element.visible")
    assert target["name"] in tooltip.inner_text()

    page.mouse.click(target["x"], target["y"])
    page.wait_for_url(re.compile(rf".*/accounts/{target['id']}/$"))
    assert page.inner_text("[data-testid=account-name]").strip() == target["name"]


def test_filter_redraws_chart_and_table_through_htmx(live_server, page, demo_director):
    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/portfolio/")
    page.wait_for_selector(CHART_READY)
    key_count = int(page.inner_text("[data-testid=matrix-stats] li[data-box=key] .count"))
    assert key_count > 0

    page.select_option("select[name=box]", "key")
    page.wait_for_url(re.compile(r".*box=key.*"))
    chart = page.wait_for_selector(CHART_READY)
    found = page.evaluate(FIND_BUBBLES)
    shown_key = int(chart.get_attribute("data-points"))
    assert found["drawn"] == shown_key
    assert 0 < shown_key <= key_count
    badges = page.query_selector_all("[data-testid=matrix-rows] tbody td:nth-child(3) .badge")
    assert badges and all("box-key" in (b.get_attribute("class") or "").split() for b in badges)


def test_the_page_loads_nothing_from_other_hosts(live_server, page, demo_director):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/portfolio/")
    page.wait_for_selector(CHART_READY)

    assert f"{live_server.url}/vendor/vega.js" in requested
    assert any("/portfolio/matrix/data.json" in url for url in requested)
    foreign = [url for url in requested if not url.startswith(live_server.url)]
    assert foreign == []


# Counts what the chart's named datasets hold, as Vega drew them.
DATASETS = """
() => {
  const view = window.kamMatrixView;
  return {
    accounts: view.data('accounts').length,
    trails: view.data('trails').length,
    expected: view.data('expected').length,
    squares: view.data('accounts').filter((d) => d.s && d.s.indexOf('S_us') >= 0).length,
  };
}
"""


def test_combined_picture_with_trails_expected_arrows_and_potential(
    live_server, page, demo_director
):
    """Every placed account on one picture (relative and absolute), trails over the three
    closed reviews, dashed arrows to the expected positions; the size switch redraws by
    potential; no Content-Security-Policy violation on the way."""
    from django.contrib.auth import get_user_model

    from kam.portfolio.matrix import MatrixFilters, axis_counts, matrix_rows
    from kam.portfolio.selectors import portfolio_review

    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    user = get_user_model().objects.get(username=demo_director.username)
    rows = matrix_rows(review=portfolio_review(), user=user, filters=MatrixFilters())
    counts = axis_counts(rows)
    assert counts["relative"] and counts["absolute"], "the demo has both kinds of account"

    log_in(page, live_server.url, demo_director)
    page.goto(f"{live_server.url}/portfolio/?axis=combined&trails=1")
    chart = page.wait_for_selector(CHART_READY)
    assert chart.get_attribute("data-axis") == "combined"
    assert chart.get_attribute("data-trails") == "true"
    assert page.is_visible("[data-testid=combined-axis-help]")
    drawn = page.evaluate(DATASETS)
    assert drawn["accounts"] == counts["combined"] == int(chart.get_attribute("data-points"))
    assert drawn["squares"] == counts["absolute"]
    assert drawn["trails"] > 0
    assert drawn["expected"] == sum(
        1 for r in rows if r["box"] and r["expected_attractiveness"] is not None
    )
    assert page.evaluate(FIND_BUBBLES)["drawn"] == counts["combined"]

    page.click("[data-testid=size-potential]")
    page.wait_for_url(re.compile(r".*size=potential.*"))
    chart = page.wait_for_selector(f"{CHART_READY}[data-size=potential]")
    assert chart.get_attribute("data-trails") == "true"
    assert page.evaluate(DATASETS)["accounts"] == counts["combined"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "matrix-combined.png"), full_page=True)
    assert violations == []
