"""Single sign-on through OpenID Connect, against a real provider running beside the test.

The provider is django-oidc-provider in a separate Django project (tests/oidc_provider/)
started in a subprocess on a free port with its own SQLite database. kam is driven with
Django's test client; the browser's side at the provider (its login form, the
authorization redirect) goes over real HTTP with ``requests``; kam itself fetches the
discovery document, exchanges the code, checks the ID token's signature against the
provider's keys and reads the userinfo endpoint over real HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from kam.users.models import Role
from tests.factories import make_user
from tests.oidc_provider.setup import CLIENT_ID, CLIENT_SECRET, PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CALLBACK = "http://testserver/oidc/callback/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The provider's base URL while it runs; stopped (by its process id) afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DB": str(tmp_path_factory.mktemp("oidc-provider") / "op.sqlite3"),
        "OIDC_PROVIDER_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "tests.oidc_provider.setup", CALLBACK],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = tmp_path_factory.mktemp("oidc-provider-log") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(200):
            try:
                requests.get(f"{url}/openid/.well-known/openid-configuration", timeout=1)
                break
            except requests.ConnectionError:
                if server.poll() is not None:
                    pytest.fail(f"the provider did not start: {log.read_text()}")
                time.sleep(0.1)  # waiting for the subprocess to listen, not for time to pass
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def oidc(settings, provider):  # type: ignore[no-untyped-def]
    """kam configured for the provider by its issuer (endpoints from discovery)."""
    settings.KAM_OIDC = {
        **settings.KAM_OIDC,
        "issuer": f"{provider}/openid",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": "openid email profile kam",
        "provider_name": "Test ID",
        "create_users": True,
        "role_claim": "groups",
        "roles": "kam-admins=administrator,kam-directors=sales_director",
        "default_role": "viewer",
    }
    return settings.KAM_OIDC


def _sign_in(kam: Client, username: str, provider: str) -> tuple[Any, str]:
    """Click "Sign in with Test ID", log in at the provider, come back.

    Returns kam's answer to the callback and the callback's path (code and state).
    """
    start = kam.get("/oidc/authenticate/?next=/accounts/")
    assert start.status_code == 302
    location = start["Location"]
    assert location.startswith(f"{provider}/openid/authorize")
    browser = requests.Session()
    for _ in range(10):
        response = browser.get(location, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "csrfmiddlewaretoken" in response.text:
            # the provider's login form
            response = browser.post(
                response.url,
                data={
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                    "username": username,
                    "password": PASSWORD,
                    "next": parse_qs(urlsplit(response.url).query)["next"][0],
                },
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code == 302, response.text[:500]
        location = requests.compat.urljoin(response.url, response.headers["Location"])
        if location.startswith(CALLBACK):
            break
    else:
        pytest.fail("the provider never sent the browser back to kam")
    callback = location.removeprefix("http://testserver")
    return kam.get(callback), callback


def _user_id(kam: Client) -> int | None:
    value = kam.session.get("_auth_user_id")
    return int(value) if value else None


@pytest.mark.django_db
def test_a_new_person_signs_in_through_the_provider_with_the_mapped_role(oidc, provider):
    kam = Client()
    login_page = kam.get("/login/").content.decode()
    assert "Sign in with Test ID" in login_page
    answer, _callback = _sign_in(kam, "anna", provider)
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/"
    user = get_user_model().objects.get(pk=_user_id(kam))
    assert user.email == "anna@example.com"
    assert user.profile.role == Role.SALES_DIRECTOR  # her group kam-directors
    assert not user.has_usable_password()  # she signs in at the provider only
    assert kam.get("/accounts/").status_code == 200


@pytest.mark.django_db
def test_a_person_without_a_mapped_group_gets_the_default_role(oidc, provider):
    kam = Client()
    _sign_in(kam, "bob", provider)
    user = get_user_model().objects.get(pk=_user_id(kam))
    assert user.profile.role == Role.VIEWER


@pytest.mark.django_db
def test_an_existing_kam_user_is_matched_by_the_verified_e_mail(oidc, provider, settings):
    settings.KAM_OIDC = {**oidc, "role_claim": "", "create_users": False}
    known = make_user(Role.KEY_ACCOUNT_MANAGER, username="k.user", email="Known.User@example.com")
    kam = Client()
    _sign_in(kam, "known", provider)
    assert _user_id(kam) == known.pk
    known.profile.refresh_from_db()
    assert known.profile.role == Role.KEY_ACCOUNT_MANAGER  # no role claim: kam's role stays
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_person_is_refused_when_kam_does_not_create_users(oidc, provider, settings):
    settings.KAM_OIDC = {**oidc, "create_users": False}
    kam = Client()
    answer, _callback = _sign_in(kam, "bob", provider)
    assert answer.status_code == 302
    assert answer["Location"] == "/login/"
    assert _user_id(kam) is None
    assert not get_user_model().objects.exists()
    page = kam.get("/login/").content.decode()
    assert "Signing in with Test ID did not work." in page
    assert "You have no kam account yet; ask an administrator." in page


@pytest.mark.django_db
def test_refusing_unmapped_people_when_there_is_no_default_role(oidc, provider, settings):
    settings.KAM_OIDC = {**oidc, "default_role": ""}
    kam = Client()
    _sign_in(kam, "bob", provider)
    assert _user_id(kam) is None
    page = kam.get("/login/").content.decode()
    assert "Your groups at the provider give you no kam role." in page


@pytest.mark.django_db
def test_a_forged_or_replayed_callback_signs_nobody_in(oidc, provider):
    kam = Client()
    _answer, callback = _sign_in(kam, "anna", provider)
    assert _user_id(kam) is not None
    kam.post("/logout/")
    # the same code and state again, in the same browser and in another: no sign-in, no 500
    for browser in (kam, Client()):
        replay = browser.get(callback)
        assert replay.status_code == 302
        assert replay["Location"] == "/login/"
        assert _user_id(browser) is None
    # a made-up code for a state kam did hand out: the provider refuses to exchange it
    other = Client()
    start = other.get("/oidc/authenticate/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    forged = other.get(f"/oidc/callback/?code=made-up&state={state}")
    assert forged.status_code == 302
    assert forged["Location"] == "/login/"
    assert _user_id(other) is None


@pytest.mark.django_db
def test_without_configuration_single_sign_on_is_off(settings):
    assert not settings.KAM_OIDC["client_id"]
    assert "Sign in with" not in Client().get("/login/").content.decode()
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404


@pytest.mark.django_db
def test_an_unreachable_provider_sends_the_browser_back_with_a_message(settings):
    settings.KAM_OIDC = {
        **settings.KAM_OIDC,
        "issuer": f"http://127.0.0.1:{_free_port()}/nothing-here",
        "client_id": "kam",
        "client_secret": "x",
        "provider_name": "Test ID",
    }
    kam = Client()
    response = kam.get("/oidc/authenticate/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/"
    assert "Test ID cannot be reached" in response.content.decode()


@pytest.mark.parametrize(
    ("groups", "roles", "default", "expected"),
    [
        (
            ["kam-team", "kam-directors"],
            "kam-team=team_member,kam-directors=sales_director",
            "viewer",
            "sales_director",
        ),  # the most powerful mapped role
        (["other"], "kam-team=team_member", "viewer", "viewer"),
        (["other"], "kam-team=team_member", "", None),  # no default: refused
        ("key_account_manager", "", "viewer", "key_account_manager"),  # names kam's roles
        (["kam-x"], "kam-x=sales-director", "viewer", "viewer"),  # a typo maps to nothing
        (42, "", "viewer", "viewer"),  # a claim of the wrong shape
    ],
)
def test_groups_map_to_roles(settings, groups, roles, default, expected):
    from kam.users.oidc import _role_for

    settings.KAM_OIDC = {
        **settings.KAM_OIDC,
        "role_claim": "groups",
        "roles": roles,
        "default_role": default,
    }
    assert _role_for({"groups": groups}) == expected
