"""Login throttling: wrong passwords lock a user name + address out for a cool-off."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from kam.users.models import Role
from tests.factories import make_user

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def anna(db):  # type: ignore[no-untyped-def]
    return make_user(Role.KEY_ACCOUNT_MANAGER, username="anna")


def _login(client: Client, password: str, username: str = "anna", **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password}, **extra)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _age_attempts(minutes: int) -> None:
    """Move the recorded failures back in time, as if the minutes had passed."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= dt.timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


def test_six_wrong_passwords_lock_out_the_right_one_until_the_cool_off_ends(anna, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    client = Client()
    for _ in range(4):
        response = _login(client, "wrong")
        assert response.status_code == 200  # the form again, with its error
        assert b"do not match" in response.content
    locked = _login(client, "wrong")  # the fifth failure locks
    assert locked.status_code == 429
    assert _login(client, "wrong").status_code == 429  # the sixth
    # the right password is refused while locked, with a page that says why and for how long
    refused = _login(client, PASSWORD)
    assert refused.status_code == 429
    assert not _signed_in(client)
    html = refused.content.decode()
    assert "Too many failed attempts" in html
    assert "Try again in 15 minutes" in html
    assert 'href="/password-reset/"' in html
    # 14 minutes later: still locked
    _age_attempts(14)
    assert _login(client, PASSWORD).status_code == 429
    assert not _signed_in(client)
    # after the cool-off the right password works
    _age_attempts(2)
    response = _login(client, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_the_locked_out_page_is_dutch_for_a_dutch_browser(anna):
    client = Client(headers={"accept-language": "nl"})
    for _ in range(5):
        _login(client, "wrong")
    html = _login(client, PASSWORD).content.decode()
    assert "Te veel mislukte pogingen" in html
    assert "Probeer het over 15 minuten opnieuw" in html


def test_the_lockout_is_per_user_name_and_address(anna, db):
    make_user(Role.VIEWER, username="bert")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        _login(attacker, "wrong", REMOTE_ADDR="203.0.113.9")
    assert _login(attacker, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    # anna from her own address still signs in; bert from the attacker's address too
    office = Client()
    assert _login(office, PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302
    other = Client()
    assert _login(other, PASSWORD, username="bert", REMOTE_ADDR="203.0.113.9").status_code == 302


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(anna, settings):
    client = Client()
    # an attacker rotating a forged header is still one address: locked after five
    for n in range(5):
        _login(client, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert _login(client, PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_client_address_comes_from_its_header(anna, settings):
    settings.KAM_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client()
    # the client forges the left part; the proxy appends the real address on the right
    for _ in range(5):
        _login(client, "wrong", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    assert _login(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # another client behind the same proxy is not locked out
    assert _login(Client(), PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 302


def test_an_administrator_unlocks_with_axes_reset(anna):
    client = Client()
    for _ in range(5):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 429
    call_command("axes_reset_username", "anna", verbosity=0)
    assert _login(client, PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(db):
    make_user(Role.ADMINISTRATOR, username="root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 429
    assert not _signed_in(client)


def test_a_successful_login_clears_the_failures(anna):
    client = Client()
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302  # not 4 + 4 = 8 failures


def test_force_login_and_the_test_clients_login_still_work(anna):
    client = Client()
    client.force_login(anna)
    assert client.get("/me/tokens/").status_code == 200
    assert Client().login(username="anna", password=PASSWORD)


def test_a_malformed_header_from_a_trusted_proxy_counts_as_the_proxy(anna, settings):
    settings.KAM_TRUSTED_PROXIES = ["127.0.0.0/8"]
    for _ in range(5):
        _login(Client(), "wrong", HTTP_X_FORWARDED_FOR="not-an-address")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    assert _login(Client(), PASSWORD, HTTP_X_FORWARDED_FOR="<script>").status_code == 429
