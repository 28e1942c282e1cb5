"""kam's Content-Security-Policy in a real browser: an inline script or handler attribute
that slipped into a page would not run, and the violation listener of the layout walk
(tests/browser/test_layout_browser.py) would see it: that walk's "no violations" is a
measurement, not a listener that hears nothing."""

from __future__ import annotations

import pytest

from tests.browser.test_layout_browser import CSP_LISTENER

pytestmark = pytest.mark.browser

INJECT = """
() => {
  const script = document.createElement('script');
  script.textContent = 'window.__inlineRan = true;';
  document.body.appendChild(script);
  const box = document.createElement('div');
  box.innerHTML = '<img src="/static/kam/favicon.svg" onload="window.__handlerRan = true">';
  document.body.appendChild(box);
}
"""


def test_inline_script_and_handlers_are_blocked_and_reported(live_server, chromium) -> None:  # type: ignore[no-untyped-def]
    context = chromium.new_context()
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    response = page.goto(f"{live_server.url}/login/")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") == []  # the page itself passes
    page.evaluate(INJECT)
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("window.__inlineRan === undefined")
    assert page.evaluate("window.__handlerRan === undefined")
    violations = page.evaluate("window.__cspViolations")
    assert all(v.startswith("script-src") for v in violations), violations
    context.close()
