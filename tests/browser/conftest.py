"""Headless Chromium for the browser tests (Debian's /usr/bin/chromium; Playwright never
downloads a browser), a page at 1440×900 and a logged-in sales director on the demo data."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.demo_copy import DemoCopy

# Playwright's sync API runs an event loop in this thread; Django refuses database access
# from a thread with a running loop unless told it is safe (it is: the loop is idle).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    # A test may end while the page still fetches (the matrix loads its chart data after
    # the page): the live server would answer it while the database is being emptied for
    # the next test ("database table is locked"). Let the page's requests finish first.
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=30_000)
    context.close()


@dataclass(frozen=True)
class Login:
    username: str
    password: str


_DEMO = DemoCopy()


@pytest.fixture
def demo_director(transactional_db, settings, tmp_path_factory) -> Login:  # type: ignore[no-untyped-def]
    """The demo portfolio (40 customers, two reviews) and its sales director's login.

    Every test gets the demo afresh, as ``demo_load`` leaves it: on SQLite the first test in
    a process loads it and the others get a copy of that database and its files
    (tests/demo_copy.py; the database is emptied after each test, so a test's changes never
    reach the next one); on PostgreSQL each test loads it.
    """
    if _DEMO.kept and DemoCopy.usable():
        return _DEMO.restore(settings)  # type: ignore[no-any-return]
    login = _demo_load()
    if DemoCopy.usable():
        _DEMO.keep(settings, tmp_path_factory.mktemp("demo-copy"), login)
    return login


def _demo_load() -> Login:
    from django.contrib.auth import get_user_model

    from kam.demo import demo_load
    from kam.users.models import Role

    logins = demo_load(seed=20260301, accounts=40, stdout=io.StringIO())
    usernames = [u for u, _role in logins.users]
    director = (
        get_user_model()
        .objects.filter(username__in=usernames, profile__role=Role.SALES_DIRECTOR)
        .order_by("pk")
        .first()
    )
    assert director is not None, "the demo has a sales director"
    return Login(director.username, logins.password)


def log_in(page, base_url: str, login: Login) -> None:  # type: ignore[no-untyped-def]
    """Log in through the login form, as a person would."""
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", login.username)
    page.fill("#id_password", login.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")  # the start page
