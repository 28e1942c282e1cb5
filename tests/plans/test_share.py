"""Share links: the customer person sees only what is shared and changes only their own actions.

Every failure (unknown, tampered, expired, revoked token; another plan's action; an internal
action; someone else's action) answers with the same plain page, and every use is logged.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.plans import services
from kam.plans.models import ActionComment, ActionStatus, ShareAccess, ShareAccessKind, ShareLink
from kam.relationships.models import Contact
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

INVALID = "This link is not valid. Ask your contact at"


@pytest.fixture
def link_and_token(full_plan, kam_user):  # type: ignore[no-untyped-def]
    return services.share_link_create(
        user=kam_user,
        plan=full_plan,
        person_name="Anna de Vries",
        person_email="anna@vandijk.example",
    )


def _url(token: str) -> str:
    return reverse("plans:shared", args=[token])


def _action_url(token: str, action) -> str:  # type: ignore[no-untyped-def]
    return reverse("plans:shared_action", args=[token, str(action.uid)])


def test_token_is_stored_only_as_a_digest(link_and_token):
    link, token = link_and_token
    assert len(token) >= 43
    assert token not in {link.digest, link.lookup}
    assert not ShareLink.objects.filter(digest=token).exists()


def test_customer_page_shows_only_shared_sections_and_items(link_and_token):
    link, token = link_and_token
    response = Client().get(_url(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Grow chilled soups" in html and "Fewer empty shelves" in html
    for internal in (
        "Raise our net price 4 %",  # internal item in a shared section
        "Cost the VMI set-up",  # internal action
        "Discounters grow.",  # text of the internal analysis section
        "Analysis",  # not even the internal section's title
        "Executive summary",
        "Grow soups with vendor-managed inventory.",
    ):
        assert internal not in html, internal
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert ShareAccess.objects.filter(link=link, kind=ShareAccessKind.VIEW).count() == 1


def test_person_updates_status_and_comments_on_own_action(link_and_token, full_plan):
    link, token = link_and_token
    action = full_plan.actions.get(what="Send store sales data")
    client = Client()
    client.get(_url(token))
    response = client.post(
        _action_url(token, action),
        {"status": "done", "comment": "Sent on Monday."},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    comment = ActionComment.objects.get(action=action)
    assert (comment.author_name, comment.share_link, comment.visible_to_customer) == (
        "Anna de Vries",
        link,
        True,
    )
    kinds = set(ShareAccess.objects.filter(link=link).values_list("kind", "ip"))
    assert (ShareAccessKind.STATUS, "203.0.113.7") in kinds
    assert (ShareAccessKind.COMMENT, "203.0.113.7") in kinds


@pytest.mark.parametrize(
    "what", ["Confirm listing fee budget", "Cost the VMI set-up", "Share the promotion calendar"]
)
def test_person_cannot_change_actions_they_do_not_own(link_and_token, full_plan, what):
    """Someone else's customer action, an internal action, one of our actions: all refused."""
    _link, token = link_and_token
    action = full_plan.actions.get(what=what)
    before = action.status
    response = Client().post(_action_url(token, action), {"status": "dropped", "comment": "x"})
    assert response.status_code == 404
    assert INVALID in response.content.decode()
    action.refresh_from_db()
    assert action.status == before
    assert not ActionComment.objects.filter(action=action).exists()


def test_action_of_another_plan_is_refused(link_and_token, kam_user):
    """Editing the URL to another plan's action (even one owned by the same person) fails."""
    _link, token = link_and_token
    elsewhere = AccountFactory(owner=kam_user)
    Contact.objects.create(
        account=elsewhere, number=1, name="Anna de Vries", email="anna@vandijk.example"
    )
    other_plan = services.plan_create(
        user=kam_user,
        account=elsewhere,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    other = services.action_create(
        user=kam_user,
        plan=other_plan,
        data={
            "what": "Elsewhere",
            "owner_side": "theirs",
            "owner_contact_name": "Anna de Vries",
            "owner_contact_email": "anna@vandijk.example",
        },
    )
    response = Client().post(_action_url(token, other), {"status": "done"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == ActionStatus.OPEN


def _same_invalid_answer(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 404
    html = response.content.decode()
    assert INVALID in html
    return html


def test_every_failure_gives_the_same_answer(link_and_token, full_plan, kam_user):
    link, token = link_and_token
    client = Client()
    unknown = _same_invalid_answer(client.get(_url("x" * 43)))
    tampered = _same_invalid_answer(
        client.get(_url(token[:-1] + ("A" if token[-1] != "A" else "B")))
    )
    short = _same_invalid_answer(client.get(_url("abc")))

    expired_link, expired_token = services.share_link_create(
        user=kam_user, plan=full_plan, person_name="Bram", person_email="bram@vandijk.example"
    )
    ShareLink.objects.filter(pk=expired_link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = _same_invalid_answer(client.get(_url(expired_token)))

    services.share_link_revoke(user=kam_user, link=link)
    revoked = _same_invalid_answer(client.get(_url(token)))
    assert unknown == tampered == short == expired == revoked
    assert "Grow chilled soups" not in revoked
    # a refused real link (expired, revoked) is recorded on it; a guess writes nothing
    assert ShareAccess.objects.filter(kind=ShareAccessKind.REFUSED).count() == 2
    assert not ShareAccess.objects.filter(link__isnull=True).exists()


def test_revoked_link_cannot_update(link_and_token, full_plan, kam_user):
    link, token = link_and_token
    services.share_link_revoke(user=kam_user, link=link)
    action = full_plan.actions.get(what="Send store sales data")
    response = Client().post(_action_url(token, action), {"status": "done"})
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_link_is_scoped_to_one_plan(link_and_token, kam_user):
    """The token opens its own plan only; there is no plan id in the address to edit."""
    link, token = link_and_token
    assert str(link.plan_id) not in _url(token).replace(token, "")


def test_unsharing_the_actions_section_hides_and_locks_them(link_and_token, full_plan, kam_user):
    _link, token = link_and_token
    services.plan_update(
        user=kam_user,
        plan=full_plan,
        data={"shared_sections": ["objectives", "value_propositions"]},
    )
    html = Client().get(_url(token)).content.decode()
    assert "Send store sales data" not in html
    action = full_plan.actions.get(what="Send store sales data")
    assert Client().post(_action_url(token, action), {"status": "done"}).status_code == 404


def test_share_token_does_not_open_the_api(link_and_token, full_plan):
    """A customer with a share link cannot reach internal items through the API."""
    _link, token = link_and_token
    client = Client()
    for path in (f"/api/plans/{full_plan.pk}", f"/api/plans/{full_plan.pk}/items", "/api/plans/"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401, path


def test_only_editors_make_and_revoke_links(full_plan, viewer, other_kam, kam_user):
    from kam.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        services.share_link_create(
            user=viewer, plan=full_plan, person_name="A", person_email="a@b.example"
        )
    assert exc.value.status == 403
    link, _token = services.share_link_create(
        user=kam_user, plan=full_plan, person_name="A", person_email="a@b.example"
    )
    with pytest.raises(ApplicationError):
        services.share_link_revoke(user=other_kam, link=link)


def test_share_page_shows_new_link_once(full_plan, kam_user):
    from tests.conftest import client_for

    client = client_for(kam_user)
    response = client.post(
        reverse("plans:share", args=[full_plan.pk]),
        {
            "person_name": "Anna de Vries",
            "person_email": "anna@vandijk.example",
            "days_valid": "30",
        },
    )
    html = response.content.decode()
    assert "/plans/shared/" in html
    link = ShareLink.objects.get(plan=full_plan)
    token = html.split("/plans/shared/")[1].split("/")[0]
    assert services._digest(token) == link.digest
    assert token not in client.get(reverse("plans:share", args=[full_plan.pk])).content.decode()
