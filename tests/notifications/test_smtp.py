"""E-mail through a real SMTP server started in the test (aiosmtpd), configured the way an
operator does it: ``KAM_EMAIL_URL=smtp://user:password@host:port``.

The server requires a login, collects what it receives, and can be told to refuse. The
tests read the messages as a mail program would: envelope recipients, decoded subject,
the language of the text, the link to act on, the unsubscribe link and header.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.core.management import call_command
from django.test import Client

from kam.notifications import services
from kam.notifications.email_url import parse_email_url
from kam.notifications.models import Preferences, Sent
from tests.notifications.conftest import BASE, TODAY, open_review

pytestmark = [
    pytest.mark.django_db,
    # the relay asks for a login without TLS: it runs on 127.0.0.1 inside the test
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]

USER, PASSWORD = "kam@noordhoek.example", "s3cret:relay"


@dataclass
class Relay:
    """Collects the messages it accepts; ``refuse`` makes it answer 554 to the data."""

    received: list[tuple[list[str], email.message.EmailMessage]] = field(default_factory=list)
    refuse: bool = False
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.refuse:
            return "554 5.7.1 relay refuses this message"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (USER, PASSWORD)
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def relay(settings) -> Iterator[Relay]:  # type: ignore[no-untyped-def]
    handler = Relay()
    port = _free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=handler.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    url = f"smtp://kam%40noordhoek.example:s3cret%3Arelay@127.0.0.1:{port}?timeout=5"
    for name, value in parse_email_url(url).items():
        setattr(settings, name, value)
    settings.DEFAULT_FROM_EMAIL = "kam <kam@noordhoek.example>"
    try:
        yield handler
    finally:
        controller.stop()


def _text(message: email.message.EmailMessage) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def _html(message: email.message.EmailMessage) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def test_invitations_arrive_at_the_relay_per_rater_in_their_language(
    relay, boss, manager, dutch, accounts, version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = open_review(boss, [manager, dutch], version)
    assert relay.logins  # kam logged in with the user and password of the URL
    by_rcpt = {rcpt[0]: msg for rcpt, msg in relay.received}
    assert sorted(by_rcpt) == ["anouk@noordhoek.example", "kees@noordhoek.example"]
    for rcpt, msg in relay.received:
        assert rcpt == [msg["To"]]  # one person per message: nobody sees the others
        assert msg["From"] == "kam <kam@noordhoek.example>"
    score_url = f"{BASE}/portfolio/reviews/{review.pk}/score/"
    kees, anouk = by_rcpt["kees@noordhoek.example"], by_rcpt["anouk@noordhoek.example"]
    assert kees["Subject"] == "Please score your accounts for Spring 2026"
    assert anouk["Subject"] == "Beoordeel uw accounts voor Spring 2026"
    assert "Hallo Anouk," in _text(anouk) and "beoordelaars" in _text(anouk)
    assert score_url in _text(kees) and f'href="{score_url}"' in _html(kees)
    assert score_url in _text(anouk)
    header = str(kees["List-Unsubscribe"]).strip()  # a long header is folded
    assert header.startswith(f"<{BASE}/notifications/unsubscribe/")
    assert kees["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_unsubscribe_link_from_a_received_email_stops_that_kind_only(
    relay, boss, manager, accounts, version, plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = open_review(boss, [manager], version)
    ((_rcpt, invitation),) = relay.received
    path = re.search(re.escape(BASE) + r"(/notifications/unsubscribe/\S+/)", _text(invitation))
    assert path
    assert Client().post(path.group(1)).status_code == 200  # no login
    assert Preferences.objects.get(user=manager).invitations is False
    # reminders and the digest still come; a second invitation (another review) does not
    with django_capture_on_commit_callbacks(execute=True):
        open_review(boss, [manager], version, name="Autumn 2026")
    assert services.reminders_send(review_id=review.pk, today=TODAY) == 1
    call_command("send_digest", "--date", TODAY.isoformat())
    subjects = [msg["Subject"] for _r, msg in relay.received]
    assert subjects == [
        "Please score your accounts for Spring 2026",
        "Reminder: your scores for Spring 2026 are 0% done",
        "Your actions this week: 1 overdue, 1 coming",
    ]


def test_digest_is_not_sent_twice_in_a_week(relay, manager, plan):
    call_command("send_digest", "--date", TODAY.isoformat())
    call_command("send_digest", "--date", (TODAY + dt.timedelta(days=2)).isoformat())
    assert [r for r, _m in relay.received] == [["kees@noordhoek.example"]]
    ((_r, digest),) = relay.received
    assert "Send the VMI proposal" in _text(digest) and "(10 days late)" in _text(digest)


def test_digest_switched_off_sends_nothing(relay, manager, plan):
    Preferences.objects.create(user=manager, digest=False)
    call_command("send_digest", "--date", TODAY.isoformat())
    assert relay.received == []


def test_a_relay_that_refuses_loses_nothing_the_next_run_sends_it(relay, manager, plan):
    relay.refuse = True
    with pytest.raises(Exception, match="relay refuses"):
        services.digest_send(user=manager, today=TODAY)
    assert not Sent.objects.exists()  # not recorded as sent
    relay.refuse = False
    assert services.digest_send(user=manager, today=TODAY) is True
    assert len(relay.received) == 1


def test_a_wrong_relay_password_is_an_error_not_a_silent_loss(relay, settings, manager, plan):
    settings.EMAIL_HOST_PASSWORD = "wrong"
    with pytest.raises(Exception):  # noqa: B017 - smtplib's error depends on the mechanism
        services.digest_send(user=manager, today=TODAY)
    assert relay.received == [] and not Sent.objects.exists()


def test_a_relay_that_is_down_does_not_stop_a_review_from_opening(
    settings, boss, manager, accounts, version, django_capture_on_commit_callbacks
):
    """The invitation job fails (nothing listens on the port); the director's page works,
    the review is open, and no invitation is recorded as sent."""
    from django.urls import reverse

    from kam.portfolio.models import Review
    from tests.conftest import client_for

    for name, value in parse_email_url(f"smtp://127.0.0.1:{_free_port()}?timeout=2").items():
        setattr(settings, name, value)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(boss).post(
            reverse("portfolio:review_create"),
            {
                "name": "Spring 2026",
                "review_date": "2026-04-01",
                "scheme_version": version.pk,
                "raters": [manager.pk],
            },
        )
    assert response.status_code == 302
    assert Review.objects.get(name="Spring 2026").status == "open"
    assert not Sent.objects.exists()


def test_cron_command_with_the_relay_down_says_so_without_a_traceback(settings, manager, plan):
    from django.core.management.base import CommandError

    for name, value in parse_email_url(f"smtp://127.0.0.1:{_free_port()}?timeout=2").items():
        setattr(settings, name, value)
    with pytest.raises(CommandError, match="The mail relay failed") as caught:
        call_command("send_digest", "--date", TODAY.isoformat())
    assert caught.value.returncode == 1
    assert not Sent.objects.exists()
