"""The browser fixtures (headless Chromium at 1440×900, the demo director) for the guide's
browser test, shared from tests/browser so that there is one way to drive the browser."""

from tests.browser.conftest import chromium, demo_director, page

__all__ = ["chromium", "demo_director", "page"]
