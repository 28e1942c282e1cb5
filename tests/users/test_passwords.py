"""Password change from the user menu and password reset by e-mail (EN/NL)."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from kam.users.models import Role
from tests.conftest import client_for
from tests.factories import make_user

PASSWORD = "pw-for-tests-1"
NEW = "a-new-and-long-passphrase-42"


@pytest.fixture
def anna(db):  # type: ignore[no-untyped-def]
    return make_user(Role.KEY_ACCOUNT_MANAGER, username="anna", email="anna@example.com")


def test_the_user_menu_offers_the_password_change(anna):
    html = client_for(anna).get("/me/tokens/").content.decode()
    assert 'href="/me/password/"' in html
    assert "Change password" in html


def test_a_signed_in_user_changes_the_password_and_stays_signed_in(anna):
    client = client_for(anna)
    other_browser = client_for(anna)
    page = client.get("/me/password/")
    assert page.status_code == 200
    response = client.post(
        "/me/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert "Your password has been changed." in response.content.decode()
    assert client.get("/me/tokens/").status_code == 200  # still signed in here
    assert other_browser.get("/me/tokens/").status_code == 302  # signed out elsewhere
    assert Client().login(username="anna", password=NEW)
    assert not Client().login(username="anna", password=PASSWORD)


def test_a_wrong_old_password_or_a_weak_new_one_is_refused(anna):
    client = client_for(anna)
    wrong = client.post(
        "/me/password/", {"old_password": "nope", "new_password1": NEW, "new_password2": NEW}
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    weak = client.post(
        "/me/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert "too common" in weak.content.decode()
    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)


def test_the_password_page_needs_a_login(db):
    response = Client().get("/me/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def _link(body: str) -> str:
    match = re.search(r"https?://\S+/password-reset/\S+/\S+/", body)
    assert match, body
    return match.group(0)


def test_the_reset_e_mail_round_trip_and_the_link_works_once(anna, settings):
    settings.KAM_BASE_URL = "https://kam.example.com"
    login_page = Client().get("/login/").content.decode()
    assert 'href="/password-reset/"' in login_page
    client = Client()
    response = client.post("/password-reset/", {"email": "ANNA@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    assert message.subject == "Reset your kam password"
    link = _link(message.body)
    assert link.startswith("https://kam.example.com/password-reset/")
    path = link.removeprefix("https://kam.example.com")
    # the link leads to the form (Django moves the token into the session first)
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    assert done["Location"] == "/password-reset/done/"
    assert Client().login(username="anna", password=NEW)
    # the same link again: refused
    again = Client().get(path, follow=True).content.decode()
    assert "This link no longer works" in again


def test_the_reset_link_comes_from_the_request_without_kam_base_url(anna, settings):
    settings.KAM_BASE_URL = ""
    Client().post("/password-reset/", {"email": "anna@example.com"})
    assert _link(mail.outbox[0].body).startswith("http://testserver/password-reset/")


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(anna):
    known = Client().post("/password-reset/", {"email": "anna@example.com"})
    unknown = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1


def test_the_reset_e_mail_is_dutch_for_a_dutch_user(anna):
    client = Client(headers={"accept-language": "nl"})
    client.post("/password-reset/", {"email": "anna@example.com"})
    message = mail.outbox[0]
    assert message.subject == "Stel je kam-wachtwoord opnieuw in"
    assert "De link werkt één keer" in message.body
    assert "Iemand, waarschijnlijk jij" in message.body
    assert "“anna”" in message.body
    page = client.get("/password-reset/sent/").content.decode()
    assert "Kijk in je e-mail" in page


def test_a_reset_ends_a_lockout_of_that_user(anna):
    attacker = Client()
    for _ in range(5):
        attacker.post("/login/", {"username": "anna", "password": "wrong"})
    assert AccessAttempt.objects.filter(username="anna").exists()
    client = Client()
    client.post("/password-reset/", {"email": "anna@example.com"})
    form_page = client.get(
        _link(mail.outbox[0].body).removeprefix("http://testserver"), follow=True
    )
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert not AccessAttempt.objects.filter(username="anna").exists()
    response = Client().post("/login/", {"username": "anna", "password": NEW})
    assert response.status_code == 302


def test_reset_e_mails_to_one_address_stop_after_three_an_hour(anna):
    """The form cannot flood an inbox: the fourth request in the hour gets the same answer
    and no e-mail, for a known address as for an unknown one."""
    client = Client()
    answers = [client.post("/password-reset/", {"email": "anna@example.com"}) for _ in range(5)]
    assert len(mail.outbox) == 3
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, "/password-reset/sent/")}
