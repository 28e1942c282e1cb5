"""The customer's side of the joint plan: the share page in the customer's language, and
the customer signing off the current approved version (docs/plans.md).

The page's language is the link's (chosen when it is made), or the one the person switches
to on the page (kept in their session, per link); it never follows the language of a
signed-in kam user. A sign-off records who and when, once per version and link; an older
version, a plan being revised and a dead link are refused with a message that says why.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.notifications.models import CustomerUpdate, CustomerUpdateKind, Preferences
from kam.plans import services
from kam.plans.models import PlanSignOff, ShareAccess, ShareAccessKind
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _approve(plan, kam_user, director):  # type: ignore[no-untyped-def]
    services.plan_submit(user=kam_user, plan=plan)
    return services.plan_approve(user=director, plan=plan, note="Good plan")


@pytest.fixture
def approved(full_plan, kam_user, director):  # type: ignore[no-untyped-def]
    """The full plan, approved as version 1."""
    _approve(full_plan, kam_user, director)
    full_plan.refresh_from_db()
    return full_plan


def _link(plan, kam_user, language="nl", email="anna@vandijk.example", name="Anna de Vries"):  # type: ignore[no-untyped-def]
    return services.share_link_create(
        user=kam_user, plan=plan, person_name=name, person_email=email, language=language
    )


def _page(token: str) -> str:
    return reverse("plans:shared", args=[token])


def _sign(client, token, **data):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("plans:shared_sign_off", args=[token]), data, REMOTE_ADDR="198.51.100.4"
    )


# -- the customer's language ------------------------------------------------------------------


def test_link_made_in_dutch_opens_the_page_in_dutch_whatever_the_signed_in_users_language(
    approved, kam_user
):
    _link_row, token = _link(approved, kam_user, language="nl")
    client = client_for(kam_user)
    client.cookies["django_language"] = "en"  # our own person reads kam in English
    response = client.get(_page(token), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "nl"
    assert '<html lang="nl">' in html
    assert "Gezamenlijk accountplan" in html
    assert "Joint account plan" not in html
    assert "U leest versie 1 van het plan" in html


def test_link_in_english_stays_english_for_a_user_reading_kam_in_dutch(approved, kam_user):
    _link_row, token = _link(approved, kam_user, language="en")
    client = client_for(kam_user)
    client.cookies["django_language"] = "nl"
    html = client.get(_page(token)).content.decode()
    assert '<html lang="en">' in html and "Joint account plan" in html


def test_customer_switches_the_language_and_the_choice_is_kept_for_that_link(approved, kam_user):
    _link_row, token = _link(approved, kam_user, language="nl")
    _other, other_token = _link(
        approved, kam_user, language="nl", email="bram@vandijk.example", name="Bram Smit"
    )
    client = Client()
    assert "Gezamenlijk accountplan" in client.get(_page(token)).content.decode()
    response = client.post(reverse("plans:shared_language", args=[token]), {"language": "en"})
    assert response.status_code == 302 and response["Location"] == _page(token)
    for _visit in range(2):  # kept on the next visits in this session
        html = client.get(_page(token)).content.decode()
        assert '<html lang="en">' in html and "Joint account plan" in html
        assert "Gezamenlijk accountplan" not in html
    # another link opened in the same browser keeps its own language
    assert '<html lang="nl">' in client.get(_page(other_token)).content.decode()
    # a new session starts in the link's language again
    assert '<html lang="nl">' in Client().get(_page(token)).content.decode()


def test_switching_to_an_unknown_language_changes_nothing(approved, kam_user):
    _link_row, token = _link(approved, kam_user, language="nl")
    client = Client()
    client.post(reverse("plans:shared_language", args=[token]), {"language": "fr"})
    assert '<html lang="nl">' in client.get(_page(token)).content.decode()


def test_dead_link_page_follows_the_customers_browser_or_last_choice(approved, kam_user):
    link, token = _link(approved, kam_user, language="nl")
    client = Client()
    client.post(reverse("plans:shared_language", args=[token]), {"language": "en"})
    services.share_link_revoke(user=kam_user, link=link)
    response = client.get(_page(token), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 404
    assert "This link is not valid." in response.content.decode()  # the choice made on the page
    fresh = Client().get(_page(token), HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9,en;q=0.5")
    assert fresh.status_code == 404
    assert "Deze link is niet geldig." in fresh.content.decode()
    assert fresh["Content-Language"] == "nl"


def test_the_language_is_chosen_on_the_share_form_and_refused_when_unknown(plan, kam_user):
    client = client_for(kam_user)
    response = client.post(
        reverse("plans:share", args=[plan.pk]),
        {
            "person_name": "Anna de Vries",
            "person_email": "anna@vandijk.example",
            "days_valid": "30",
            "language": "nl",
        },
    )
    assert response.status_code == 200
    assert plan.share_links.get().language == "nl"
    with pytest.raises(Exception, match="Unknown language fr"):
        _link(plan, kam_user, language="fr")
    assert plan.share_links.count() == 1


# -- signing off ----------------------------------------------------------------------------


def test_customer_signs_off_the_current_version_with_name_role_and_time(
    approved, kam_user, director
):
    link, token = _link(approved, kam_user, language="en")
    client = Client()
    page = client.get(_page(token)).content.decode()
    assert "Sign off version 1" in page and 'value="Anna de Vries"' in page
    before = timezone.now()
    response = _sign(
        client,
        token,
        version="1",
        person_name="Anna de Vries",
        person_role="Supply chain director",
        person_email="",
    )
    assert response.status_code == 302 and response["Location"].endswith("#sign-off")
    sign_off = PlanSignOff.objects.get()
    assert (sign_off.person_name, sign_off.person_role, sign_off.link) == (
        "Anna de Vries",
        "Supply chain director",
        link,
    )
    assert sign_off.version == approved.versions.get(number=1)
    assert before <= sign_off.signed_at <= timezone.now()
    assert sign_off.ip == "198.51.100.4"
    page = client.get(_page(token)).content.decode()
    assert "Thank you, Anna de Vries: version 1 of the plan is signed off." in page
    assert "Version 1 signed off by Anna de Vries on" in page
    assert "Sign off version 1" not in page  # no second form
    assert ShareAccess.objects.filter(link=link, kind=ShareAccessKind.SIGN_OFF).count() == 1
    # our side: the versions list, the audit history, the API
    detail = client_for(director).get(reverse("plans:detail", args=[approved.pk])).content.decode()
    assert 'data-testid="version-sign-offs-1"' in detail
    cell = detail.split('data-testid="version-sign-offs-1"')[1].split("</td>")[0]
    assert "Anna de Vries on" in cell and "(Supply chain director)" in cell
    history = PlanSignOff.history.get()
    assert history.history_change_reason == (
        "Version 1 signed off by Anna de Vries through a share link"
    )
    api = client_for(director).get(f"/api/plans/{approved.pk}/versions").json()
    assert api[0]["sign_offs"][0]["person_name"] == "Anna de Vries"
    assert api[0]["sign_offs"][0]["share_link_id"] == link.pk


def test_signing_twice_changes_nothing_and_says_so(approved, kam_user):
    _link_row, token = _link(approved, kam_user, language="en")
    client = Client()
    data = {"version": "1", "person_name": "Anna de Vries", "person_role": "", "person_email": ""}
    _sign(client, token, **data)
    first = PlanSignOff.objects.get()
    response = _sign(client, token, **{**data, "person_name": "A. de Vries"})
    assert response.status_code == 302
    assert PlanSignOff.objects.get() == first and first.person_name == "Anna de Vries"
    assert (
        "was already signed off through this link by Anna de Vries"
        in client.get(_page(token)).content.decode()
    )
    assert CustomerUpdate.objects.filter(kind=CustomerUpdateKind.SIGN_OFF).count() == 1


def test_two_people_at_the_customer_each_sign_off(approved, kam_user):
    _a, token_a = _link(approved, kam_user, language="en")
    _b, token_b = _link(
        approved, kam_user, language="en", email="bram@vandijk.example", name="Bram Smit"
    )
    _sign(Client(), token_a, version="1", person_name="Anna de Vries")
    _sign(Client(), token_b, version="1", person_name="Bram Smit", person_role="CFO")
    assert list(PlanSignOff.objects.values_list("person_name", flat=True)) == [
        "Anna de Vries",
        "Bram Smit",
    ]
    page = Client().get(_page(token_b)).content.decode()
    assert "Version 1 signed off by Anna de Vries" in page and "(CFO)" in page


def test_an_older_version_is_refused_with_a_clear_message(approved, kam_user, director):
    services.plan_reopen(user=kam_user, plan=approved)
    approved.refresh_from_db()
    _approve(approved, kam_user, director)  # version 2
    _link_row, token = _link(approved, kam_user, language="en")
    response = _sign(Client(), token, version="1", person_name="Anna de Vries")
    assert response.status_code == 409
    html = response.content.decode()
    assert (
        "Version 1 is not the current version of this plan; version 2 is. Read it and sign "
        "that one off." in html
    )
    assert 'name="version" value="2"' in html  # the form now signs the current one
    assert not PlanSignOff.objects.exists()
    assert ShareAccess.objects.filter(kind=ShareAccessKind.REFUSED, detail="sign-off").exists()


def test_a_plan_being_revised_cannot_be_signed_off_and_the_page_says_why(approved, kam_user):
    services.plan_reopen(user=kam_user, plan=approved)
    _link_row, token = _link(approved, kam_user, language="nl")
    page = Client().get(_page(token)).content.decode()
    assert "Dit plan wordt herzien na versie 1" in page
    assert 'data-testid="sign-off-submit"' not in page
    response = _sign(Client(), token, version="1", person_name="Anna de Vries")
    assert response.status_code == 409
    assert "Dit plan wordt herzien na versie 1." in response.content.decode()
    assert not PlanSignOff.objects.exists()


def test_a_draft_without_version_offers_no_sign_off(full_plan, kam_user):
    _link_row, token = _link(full_plan, kam_user, language="en")
    page = Client().get(_page(token)).content.decode()
    assert "This plan has no approved version yet" in page
    response = _sign(Client(), token, version="1", person_name="Anna de Vries")
    assert response.status_code == 409


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_a_dead_link_cannot_sign_off(approved, kam_user, how):
    link, token = _link(approved, kam_user, language="en")
    if how == "revoked":
        services.share_link_revoke(user=kam_user, link=link)
    else:
        type(link).objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    response = _sign(Client(), token, version="1", person_name="Anna de Vries")
    assert response.status_code == 404
    assert "This link is not valid. Ask your contact at" in response.content.decode()
    assert not PlanSignOff.objects.exists()


def test_a_name_is_required_and_an_address_must_be_one(approved, kam_user):
    _link_row, token = _link(approved, kam_user, language="en")
    response = _sign(Client(), token, version="1", person_name="  ")
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    response = _sign(Client(), token, version="1", person_name="Anna", person_email="anna@")
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    assert not PlanSignOff.objects.exists()


def test_sign_off_attempts_through_a_link_are_throttled(approved, kam_user):
    _link_row, token = _link(approved, kam_user, language="en")
    client = Client()
    for _attempt in range(services.SIGN_OFF_LIMIT):
        assert _sign(client, token, version="7", person_name="Anna").status_code == 409
    response = _sign(client, token, version="1", person_name="Anna")
    assert response.status_code == 429
    assert "Too many sign-off attempts through this link." in response.content.decode()
    assert not PlanSignOff.objects.exists()


# -- the key account manager is told ---------------------------------------------------------


@pytest.fixture
def _emails(settings):  # type: ignore[no-untyped-def]
    settings.KAM_BASE_URL = "https://kam.example.com"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_the_manager_is_told_once_in_their_language(
    approved, kam_user, _emails, django_capture_on_commit_callbacks
):
    kam_user.email = "kees@noordhoek.example"
    kam_user.save()
    Preferences.objects.create(user=kam_user, language="nl")
    _link_row, token = _link(approved, kam_user, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        _sign(Client(), token, version="1", person_name="Anna de Vries", person_role="CFO")
    (message,) = mail.outbox
    assert message.to == ["kees@noordhoek.example"]
    assert message.subject == "Van Dijk Retail: de klant heeft het plan afgetekend"
    assert "Via het gedeelde plan heeft de klant afgetekend:" in message.body
    assert "Plan 2026, versie 1: afgetekend · Van Dijk Retail · Anna de Vries (CFO)" in message.body
    assert f"https://kam.example.com/plans/{approved.pk}/#versions" in message.body
    update = CustomerUpdate.objects.get()
    assert (update.kind, update.plan, update.action, update.recipient) == (
        CustomerUpdateKind.SIGN_OFF,
        approved,
        None,
        kam_user,
    )
    assert update.sent_at is not None
    with django_capture_on_commit_callbacks(execute=True):  # signing again tells nobody
        _sign(Client(), token, version="1", person_name="Anna de Vries")
    assert len(mail.outbox) == 1


def test_the_manager_who_switched_customer_updates_off_is_not_told(
    approved, kam_user, _emails, django_capture_on_commit_callbacks
):
    kam_user.email = "kees@noordhoek.example"
    kam_user.save()
    Preferences.objects.create(user=kam_user, customer_updates=False)
    _link_row, token = _link(approved, kam_user, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        _sign(Client(), token, version="1", person_name="Anna de Vries")
    assert mail.outbox == []
    assert CustomerUpdate.objects.filter(kind=CustomerUpdateKind.SIGN_OFF).exists()  # still listed


def test_a_sign_off_and_an_action_update_come_in_one_email(
    approved, kam_user, _emails, settings, django_capture_on_commit_callbacks
):
    from django_tasks import task_backends

    kam_user.email = "kees@noordhoek.example"
    kam_user.save()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = task_backends["default"]
    backend.clear()
    _link_row, token = _link(approved, kam_user, language="en")
    action = approved.actions.get(what="Send store sales data")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, token, version="1", person_name="Anna de Vries")
        client.post(
            reverse("plans:shared_action", args=[token, str(action.uid)]),
            {"status": "done", "comment": ""},
        )
    (job,) = backend.results
    assert job.task.call(*job.args, **job.kwargs) is True
    (message,) = mail.outbox
    assert message.subject == (
        "Van Dijk Retail: the customer signed off the plan and updated an action"
    )
    assert "Plan 2026, version 1: signed off" in message.body
    assert "Send store sales data · Van Dijk Retail · Anna de Vries" in message.body


# -- the forms, as a browser sends them, in English and Dutch -----------------------------------


def _forms(html: str) -> dict[str, dict[str, list[str]]]:
    from tests.test_forms_roundtrip import _Forms, _post_data

    parser = _Forms()
    parser.feed(html)
    assert parser.unreadable == []
    return {action: _post_data(fields) for action, fields in parser.forms}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_share_page_forms_sent_as_shown(approved, kam_user, language):
    """The language switch sent with the language shown changes nothing; the sign-off form
    sent as shown signs off once, in the link person's name, and is then gone."""
    link, token = _link(approved, kam_user, language=language)
    client = Client()
    forms = _forms(client.get(_page(token)).content.decode())
    switch = reverse("plans:shared_language", args=[token])
    sign = reverse("plans:shared_sign_off", args=[token])
    assert set(forms) >= {switch, sign}
    client.post(switch, {"language": language})
    html = client.get(_page(token)).content.decode()
    assert f'<html lang="{language}">' in html
    assert not PlanSignOff.objects.exists()
    assert client.post(sign, forms[sign]).status_code == 302
    sign_off = PlanSignOff.objects.get()
    assert (sign_off.person_name, sign_off.person_email, sign_off.person_role) == (
        "Anna de Vries",
        "anna@vandijk.example",
        "",
    )
    assert client.post(sign, forms[sign]).status_code == 302  # sent again: nothing new
    assert PlanSignOff.objects.count() == 1
    assert sign not in _forms(client.get(_page(token)).content.decode())
    assert link.sign_offs.count() == 1


@pytest.mark.parametrize("language", ["en", "nl"])
def test_share_link_form_sent_as_shown_makes_an_english_link(plan, kam_user, language):
    """The new-link form's defaults, in either language of ours: the site's language."""
    client = client_for(kam_user)
    client.cookies["django_language"] = language
    url = reverse("plans:share", args=[plan.pk])
    data = _forms(client.get(url).content.decode())[""]
    assert data["language"] == ["en"] and data["days_valid"] == ["90"]
    data.update(person_name=["Anna de Vries"], person_email=["anna@vandijk.example"])
    assert client.post(url, data).status_code == 200
    link = plan.share_links.get()
    assert (link.language, link.person_name) == ("en", "Anna de Vries")


def test_the_export_of_a_signed_off_version_names_who_signed_it(approved, kam_user, director):
    from django.utils import translation

    from kam.reports.plan_export import plan_export_build

    _link_row, token = _link(approved, kam_user, language="en")
    version = approved.versions.get(number=1)
    before = plan_export_build(plan=approved, user=director, audience="internal", version=version)
    assert "signed off" not in before.status_line
    _sign(Client(), token, version="1", person_name="Anna de Vries")
    for kwargs in ({"version": version}, {}):  # the version, and the live plan while approved
        export = plan_export_build(plan=approved, user=director, audience="customer", **kwargs)
        assert "signed off by Anna de Vries on" in export.status_line
    with translation.override("nl"):
        dutch = plan_export_build(
            plan=approved, user=director, audience="internal", version=version
        )
        assert "afgetekend door Anna de Vries op" in dutch.status_line


def test_the_sign_off_is_in_the_plans_audit_history(approved, kam_user, director):
    from kam.pages.history import history_page, history_scope

    _link_row, token = _link(approved, kam_user, language="nl")
    _sign(Client(), token, version="1", person_name="Anna de Vries", person_role="CFO")
    scope = history_scope(user=director, kind="plan", pk=approved.pk)
    entries = history_page(scope=scope, page=1).entries
    (entry,) = [e for e in entries if "signed off" in e.reason]
    assert entry.reason == "Version 1 signed off by Anna de Vries through a share link"
    assert "Anna de Vries" in entry.object_label


def test_the_api_makes_a_link_in_a_language_and_refuses_an_unknown_one(full_plan, kam_user):
    client = client_for(kam_user)
    url = f"/api/plans/{full_plan.pk}/share-links"
    person = {"person_name": "Anna de Vries", "person_email": "anna@vandijk.example"}
    response = client.post(url, {**person, "language": "nl"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["language"] == "nl"
    default = client.post(url, person, content_type="application/json")
    assert default.status_code == 201 and default.json()["language"] == "en"
    refused = client.post(url, {**person, "language": "fr"}, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Unknown language fr." and refused.json()["field"] == (
        "language"
    )
    assert [link["language"] for link in client.get(url).json()] == ["en", "nl"]
