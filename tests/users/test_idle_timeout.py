"""Sessions end after a stretch without activity, and in any case after a maximum age."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from kam.users.middleware import LAST_SEEN, SIGNED_IN_AT
from kam.users.models import Role
from tests.factories import make_user


@pytest.fixture
def anna(db):  # type: ignore[no-untyped-def]
    return make_user(Role.KEY_ACCOUNT_MANAGER, username="anna")


def _signed_in_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": "pw-for-tests-1"})
    assert response.status_code == 302
    return client


def _set(client: Client, **values: int) -> None:
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def test_the_defaults_are_eight_idle_hours_and_fourteen_days(settings):
    assert settings.KAM_IDLE_MINUTES == 8 * 60
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 60 * 60


def test_a_session_idle_longer_than_the_limit_is_signed_out(anna, settings):
    client = _signed_in_client(anna)
    assert client.get("/me/tokens/").status_code == 200
    _set(client, **{LAST_SEEN: int(time.time()) - 8 * 3600 - 60})
    response = client.get("/me/tokens/", follow=True)
    assert response.redirect_chain[0][0].startswith("/login/?next=/me/tokens/")
    assert "You were signed out after 8 hours without activity." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_session_idle_just_under_the_limit_stays_and_is_renewed(anna):
    client = _signed_in_client(anna)
    stale = int(time.time()) - 8 * 3600 + 120
    _set(client, **{LAST_SEEN: stale})
    assert client.get("/me/tokens/").status_code == 200
    assert client.session[LAST_SEEN] > stale  # the activity moved the clock


def test_an_active_session_ends_at_its_maximum_age(anna):
    client = _signed_in_client(anna)
    now = int(time.time())
    _set(client, **{SIGNED_IN_AT: now - 14 * 24 * 3600 - 60, LAST_SEEN: now})
    response = client.get("/me/tokens/", follow=True)
    assert "Your session has ended; please sign in again." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_idle_limit_is_a_setting(anna, settings):
    settings.KAM_IDLE_MINUTES = 30
    client = _signed_in_client(anna)
    _set(client, **{LAST_SEEN: int(time.time()) - 31 * 60})
    response = client.get("/me/tokens/", follow=True)
    assert "after 30 minutes without activity" in response.content.decode()


def test_the_idle_sign_out_is_dutch_for_a_dutch_user(anna):
    client = _signed_in_client(anna)
    client.cookies["django_language"] = "nl"
    _set(client, **{LAST_SEEN: int(time.time()) - 9 * 3600})
    response = client.get("/me/tokens/", follow=True, headers={"accept-language": "nl"})
    assert "Je bent afgemeld na 8 uur zonder activiteit." in response.content.decode()
