"""What kam e-mails, to whom, in which language, and what it never sends twice (locmem).

The tests with a real SMTP server are in test_smtp.py; these read Django's outbox.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.errors import ApplicationError
from kam.notifications import services
from kam.notifications.models import CustomerUpdate, Kind, Preferences, Sent
from kam.plans import services as plan_services
from kam.portfolio.models import Rating
from kam.portfolio.services import review_cancel
from tests.conftest import client_for
from tests.notifications.conftest import BASE, TODAY, open_review
from tests.portfolio.test_services import score_all

pytestmark = pytest.mark.django_db


def _html(message) -> str:  # type: ignore[no-untyped-def]
    (content, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return str(content)


def _unsubscribe_path(message) -> str:  # type: ignore[no-untyped-def]
    found = re.search(re.escape(BASE) + r"(/notifications/unsubscribe/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


# -- review invitations ----------------------------------------------------------------------


def test_opening_a_review_invites_each_rater_in_their_language(
    boss, manager, dutch, accounts, version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = open_review(boss, [boss, manager, dutch], version)
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {
        "bea@noordhoek.example",
        "kees@noordhoek.example",
        "anouk@noordhoek.example",
    }
    score_url = f"{BASE}/portfolio/reviews/{review.pk}/score/"

    kees = by_to["kees@noordhoek.example"]
    assert kees.subject == "Please score your accounts for Spring 2026"
    assert "Hello Kees," in kees.body
    assert score_url in kees.body and score_url in _html(kees)
    assert "Please score your 1 account on your own" in kees.body  # he may read one account
    assert f"{BASE}/notifications/preferences/" in kees.body
    assert kees.extra_headers["List-Unsubscribe"].startswith(f"<{BASE}/notifications/unsubscribe/")

    anouk = by_to["anouk@noordhoek.example"]
    assert anouk.subject == "Beoordeel uw accounts voor Spring 2026"
    assert "Hallo Anouk," in anouk.body
    assert score_url in anouk.body
    assert '<html lang="nl">' in _html(anouk)
    assert Sent.objects.filter(kind=Kind.INVITATION, key=f"review:{review.pk}").count() == 3


def test_invitation_off_or_no_address_sends_nothing_and_a_rerun_nothing_more(
    boss, manager, dutch, accounts, version, django_capture_on_commit_callbacks
):
    Preferences.objects.filter(user=dutch).update(invitations=False)
    boss.email = ""
    boss.save()
    with django_capture_on_commit_callbacks(execute=True):
        review = open_review(boss, [boss, manager, dutch], version)
    assert [m.to for m in mail.outbox] == [["kees@noordhoek.example"]]
    # the job run again (a retry) sends nothing twice
    assert services.invitations_send(review_id=review.pk, rater_ids=[manager.pk, dutch.pk]) == 0
    assert len(mail.outbox) == 1


def test_a_review_cancelled_before_the_job_runs_invites_nobody(boss, manager, accounts, version):
    review = open_review(boss, [manager], version)
    review_cancel(review=review, cancelled_by=boss)
    assert services.invitations_send(review_id=review.pk, rater_ids=[manager.pk]) == 0
    assert mail.outbox == []


# -- reminders -----------------------------------------------------------------------------------


def test_reminders_go_to_raters_behind_once_a_day(boss, manager, dutch, accounts, version):
    review = open_review(boss, [boss, manager, dutch], version)
    # Kees scores his one account completely; Anouk half of hers; Bea nothing.
    score_all(review, manager, accounts[0], {"a1": 5, "a2": 5, "a3": 5, "s1": 5, "s2": 5})
    score_all(review, dutch, accounts[1], {"a1": 5, "a2": 5})
    assert services.reminders_send_all(today=TODAY) == 2
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {"bea@noordhoek.example", "anouk@noordhoek.example"}
    assert by_to["anouk@noordhoek.example"].subject == (
        "Herinnering: uw scores voor Spring 2026 zijn 40% klaar"
    )
    bea = by_to["bea@noordhoek.example"].body
    assert "scored 0 of your 10 account × criterion cells (0%)" in bea
    # the same day again (cron twice, or the worker and cron): nothing more
    assert services.reminders_send_all(today=TODAY) == 0
    # the next day they are reminded again
    assert services.reminders_send_all(today=TODAY + dt.timedelta(days=1)) == 2
    assert len(mail.outbox) == 4


def test_remind_button_for_the_director_only(
    boss, manager, dutch, accounts, version, django_capture_on_commit_callbacks
):
    review = open_review(boss, [manager, dutch], version)
    url = reverse("notifications:review_remind", args=[review.pk])
    page = client_for(boss).get(reverse("portfolio:review_detail", args=[review.pk]))
    assert url in page.content.decode()
    assert (
        url
        not in client_for(manager)
        .get(reverse("portfolio:review_detail", args=[review.pk]))
        .content.decode()
    )
    # a rater may not remind the others
    assert client_for(manager).post(url).status_code == 403
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(boss).post(url, follow=True)
    assert "A reminder goes to 2 raters who have not finished scoring." in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "anouk@noordhoek.example",
        "kees@noordhoek.example",
    ]
    # pressed again the same day: nobody is reminded twice
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(boss).post(url, follow=True)
    assert "Nobody to remind" in response.content.decode()
    assert len(mail.outbox) == 2


def test_remind_refuses_a_closed_review_and_a_missing_one(boss, manager, accounts, version):
    review = open_review(boss, [manager], version)
    review_cancel(review=review, cancelled_by=boss)
    with pytest.raises(ApplicationError, match="is not open"):
        services.reminders_request(review=review, user=boss)
    response = client_for(boss).post(
        reverse("notifications:review_remind", args=[review.pk]), follow=True
    )
    assert "is not open: there is nothing left to score" in response.content.decode()
    assert (
        client_for(boss)
        .post(reverse("notifications:review_remind", args=[review.pk + 999]))
        .status_code
        == 404
    )
    assert (
        client_for(boss).get(reverse("notifications:review_remind", args=[review.pk])).status_code
        == 405
    )
    assert mail.outbox == []


# -- the weekly digest ------------------------------------------------------------------------


def test_digest_lists_overdue_and_coming_actions_ours_and_the_customers(manager, plan):
    assert services.digest_send(user=manager, today=TODAY) is True
    (message,) = mail.outbox
    assert message.to == ["kees@noordhoek.example"]
    assert message.subject == "Your actions this week: 1 overdue, 1 coming"
    body = message.body
    ours_late = body.index("Your overdue actions")
    ours_coming = body.index("Your actions due in the next 14 days")
    theirs_late = body.index("The customer's overdue actions on your accounts")
    theirs_coming = body.index("The customer's actions due in the next 14 days")
    assert ours_late < body.index("Send the VMI proposal") < ours_coming
    assert "(10 days late)" in body
    assert ours_coming < body.index("Book the category review") < theirs_late
    assert theirs_late < body.index("Send store sales data") < theirs_coming
    assert "Anna de Vries" in body
    assert theirs_coming < body.index("Confirm listing fee budget")
    assert "Price the new range" not in body  # beyond 14 days
    assert "Share the promotion calendar" not in body  # done
    assert f"{BASE}/plans/{plan.pk}/" in body and f"{BASE}/plans/{plan.pk}/" in _html(message)


def test_digest_once_a_week_and_not_when_nothing_is_due_or_switched_off(manager, dutch, boss, plan):
    assert services.digests_send_all(today=TODAY) == 1  # only Kees has actions
    assert services.digests_send_all(today=TODAY + dt.timedelta(days=3)) == 0  # same ISO week
    assert services.digests_send_all(today=TODAY + dt.timedelta(days=7)) == 1  # next week
    Preferences.objects.create(user=manager, digest=False)
    assert services.digests_send_all(today=TODAY + dt.timedelta(days=14)) == 0
    assert len(mail.outbox) == 2
    assert set(Sent.objects.values_list("key", flat=True)) == {"2026-W10", "2026-W11"}


def test_digest_and_reminders_commands_for_cron(manager, plan, capsys):
    call_command("send_digest", "--date", TODAY.isoformat())
    call_command("send_digest", "--date", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "Digests sent: 1" in out and "Digests sent: 0" in out
    assert len(mail.outbox) == 1
    with pytest.raises(CommandError, match="YYYY-MM-DD") as caught:
        call_command("send_reminders", "--date", "2. März")
    assert caught.value.returncode == 2


# -- customer updates through a share link ------------------------------------------------------


@pytest.fixture
def shared(plan, manager):  # type: ignore[no-untyped-def]
    link, token = plan_services.share_link_create(
        user=manager, plan=plan, person_name="Anna de Vries", person_email="anna@vandijk.example"
    )
    return link, token


def _customer_posts(token, action, **data):  # type: ignore[no-untyped-def]
    return Client().post(reverse("plans:shared_action", args=[token, str(action.uid)]), data)


def test_customer_update_tells_the_key_account_manager(
    shared, plan, django_capture_on_commit_callbacks
):
    _link, token = shared
    action = plan.actions.get(what="Send store sales data")
    with django_capture_on_commit_callbacks(execute=True):
        response = _customer_posts(token, action, status="done", comment="Sent <b>Monday</b>.")
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["kees@noordhoek.example"]
    assert message.subject == "Van Dijk Retail: the customer updated an action"
    assert "Send store sales data · Van Dijk Retail · Anna de Vries" in message.body
    assert "Status: Open → Done" in message.body
    assert "“Sent <b>Monday</b>.”" in message.body
    assert "Sent &lt;b&gt;Monday&lt;/b&gt;." in _html(message)  # the customer's text, escaped
    assert f"{BASE}/plans/{plan.pk}/" in message.body


def test_several_customer_updates_within_minutes_come_in_one_email(
    shared, plan, settings, django_capture_on_commit_callbacks
):
    """With a job runner that can defer (here django-tasks' dummy backend, which keeps the
    jobs), the first update queues one job 5 minutes ahead; the others join it."""
    from django_tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    _link, token = shared
    sales = plan.actions.get(what="Send store sales data")
    budget = plan.actions.get(what="Confirm listing fee budget")
    backend = task_backends["default"]
    backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _customer_posts(token, sales, status="in_progress")
        _customer_posts(token, sales, status="in_progress", comment="Half of the stores are in.")
        _customer_posts(token, budget, status="blocked", comment="Waiting for finance.")
    assert len(backend.results) == 1
    (job,) = backend.results
    assert job.task.run_after > timezone.now() + dt.timedelta(minutes=4)
    assert mail.outbox == []
    assert job.task.call(*job.args, **job.kwargs) is True
    (message,) = mail.outbox
    assert message.subject == "Van Dijk Retail: the customer updated 2 actions"
    assert message.body.count("Anna de Vries") == 3
    assert message.body.count("Status: Open → In progress") == 1  # the comment kept the status
    assert "“Half of the stores are in.”" in message.body
    assert "Status: Open → Blocked" in message.body
    # the job runs again (a retry): nothing is told twice
    assert job.task.call(*job.args, **job.kwargs) is False
    assert len(mail.outbox) == 1
    assert not CustomerUpdate.objects.filter(sent_at__isnull=True).exists()


def test_customer_updates_switched_off_are_not_sent(
    shared, plan, manager, django_capture_on_commit_callbacks
):
    Preferences.objects.create(user=manager, customer_updates=False)
    _link, token = shared
    with django_capture_on_commit_callbacks(execute=True):
        _customer_posts(token, plan.actions.get(what="Send store sales data"), status="done")
    assert mail.outbox == []


# -- preferences and unsubscribing -----------------------------------------------------------------


def test_preferences_page_switches_kinds_and_language(manager):
    client = client_for(manager)
    url = reverse("notifications:preferences")
    page = client.get(url).content.decode()
    assert "Review invitations" in page and "Weekly digest" in page
    home = client.get(reverse("home"), follow=True).content.decode()
    assert 'href="/notifications/preferences/"' in home  # in the user menu
    response = client.post(
        url, {"language": "nl", "invitations": "on", "reminders": "on", "customer_updates": "on"}
    )
    assert response.status_code == 302
    prefs = Preferences.objects.get(user=manager)
    assert (prefs.language, prefs.invitations, prefs.digest) == ("nl", True, False)
    assert client.post(url, {"language": "xx"}).status_code == 200  # refused, shown again
    assert Preferences.objects.get(user=manager).language == "nl"


def test_preferences_saved_unchanged_write_nothing(manager):
    client = client_for(manager)
    url = reverse("notifications:preferences")
    all_on = {
        "language": "",
        "invitations": "on",
        "reminders": "on",
        "digest": "on",
        "customer_updates": "on",
    }
    client.post(url, all_on)
    assert not Preferences.objects.filter(user=manager).exists()  # the defaults: no row
    client.post(url, {**all_on, "digest": ""})
    stamp = Preferences.objects.get(user=manager).updated_at
    client.post(url, {**all_on, "digest": ""})
    assert Preferences.objects.get(user=manager).updated_at == stamp


def test_unsubscribe_link_works_without_login_for_that_kind_only(manager, plan):
    services.digest_send(user=manager, today=TODAY)
    path = _unsubscribe_path(mail.outbox[0])
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200 and "Weekly digest of actions" in page.content.decode()
    assert not Preferences.objects.filter(user=manager).exists()  # a GET changes nothing
    done = anonymous.post(path)  # one click, no CSRF token (RFC 8058)
    assert done.status_code == 200 and "kam sends no more" in done.content.decode()
    prefs = Preferences.objects.get(user=manager)
    assert (prefs.digest, prefs.invitations, prefs.reminders, prefs.customer_updates) == (
        False,
        True,
        True,
        True,
    )
    assert services.digest_send(user=manager, today=TODAY + dt.timedelta(days=7)) is False


@pytest.mark.parametrize("tamper", ["kind", "user", "garbage"])
def test_a_forged_unsubscribe_token_is_refused_and_changes_nothing(manager, boss, tamper):
    token = services.unsubscribe_token(user=manager, kind=Kind.DIGEST)
    if tamper == "kind":  # swap the payload's kind but keep the signature
        payload, rest = token.split(":", 1)
        import base64
        import json

        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        data["k"] = "invitation"
        forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
        token = f"{forged}:{rest}"
    elif tamper == "user":
        token = token.replace(token[2], "A" if token[2] != "A" else "B", 1)
    else:
        token = "not-a-token"
    path = reverse("notifications:unsubscribe", args=[token])
    response = Client().post(path)
    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.content.decode()
    assert not Preferences.objects.exists()


def test_an_email_that_fails_is_tried_again_next_time(manager, plan, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    def refuse(self, fail_silently=False):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("relay down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with pytest.raises(ConnectionRefusedError):
        services.digest_send(user=manager, today=TODAY)
    assert not Sent.objects.exists()
    monkeypatch.undo()
    assert services.digest_send(user=manager, today=TODAY) is True
    assert len(mail.outbox) == 1


def test_scores_nothing_left_no_reminder(boss, manager, accounts, version):
    review = open_review(boss, [manager], version)
    score_all(review, manager, accounts[0], {"a1": 5, "a2": 5, "a3": 5, "s1": 5, "s2": 5})
    assert Rating.objects.filter(review=review).count() == 5
    assert services.reminders_send(review_id=review.pk, today=TODAY) == 0


def test_customer_update_in_dutch_for_a_dutch_manager(
    shared, plan, manager, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from kam.plans.models import ActionStatus

    Preferences.objects.create(user=manager, language="nl")
    _link, token = shared
    with django_capture_on_commit_callbacks(execute=True):
        _customer_posts(token, plan.actions.get(what="Send store sales data"), status="done")
    (message,) = mail.outbox
    assert message.subject == "Van Dijk Retail: de klant heeft een actie bijgewerkt"
    with translation.override("nl"):
        done, still_open = str(ActionStatus.DONE.label), str(ActionStatus.OPEN.label)
    assert done != "Done"
    assert f"Status: {still_open} → {done}" in message.body
    assert "Via het gedeelde plan heeft de klant deze acties bijgewerkt:" in message.body
    assert translation.get_language() == "en"  # the request's language is left alone


def test_dutch_digest(dutch, accounts, plan):
    plan.account = accounts[1]  # Anouk's account: the customer's actions are hers to follow
    plan.save()
    assert services.digest_send(user=dutch, today=TODAY) is True
    (message,) = mail.outbox
    assert message.subject == "Uw acties deze week: 0 verlopen, 0 komend"
    assert "Verlopen acties van de klant bij uw accounts" in message.body
    assert "(3 dagen te laat)" in message.body
