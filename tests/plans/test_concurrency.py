"""No lost updates on plans: two people load the same section, item or action and both save.

The second save is refused with both versions (a 409 page in the browser, 409/412 with the
current object in the API); the first person's words stay. Saving unchanged changes nothing,
not even the version. The rule itself is ``kam.web.concurrency``.
"""

from __future__ import annotations

import json
import re

import pytest

from kam.plans import services
from kam.plans.models import Plan, PlanAction, PlanItem
from kam.web.concurrency import VersionConflict
from tests.conftest import client_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(account):  # type: ignore[no-untyped-def]
    """A second editor of the account's plan: Carla, the sales director."""
    return make_user("sales_director", username="carla", first_name="Carla", last_name="Jong")


def _version_in(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the edit form carries no version"
    return found.group(1)


def _json(client, method, url, body, **headers):  # type: ignore[no-untyped-def]
    return getattr(client, method)(
        url, json.dumps(body), content_type="application/json", headers=headers
    )


# -- the service rule -------------------------------------------------------------------------


def test_stale_section_save_is_refused_and_keeps_the_first(plan, kam_user):
    loaded = plan.version
    services.plan_update(
        user=kam_user,
        plan=Plan.objects.get(pk=plan.pk),
        data={"summary": "Mine first."},
        expected_version=loaded,
    )
    with pytest.raises(VersionConflict) as caught:
        services.plan_update(
            user=kam_user,
            plan=Plan.objects.get(pk=plan.pk),
            data={"summary": "Second, from the old page."},
            expected_version=loaded,
        )
    assert caught.value.status == 409
    assert caught.value.current.summary == "Mine first."
    assert caught.value.yours == {"summary": "Second, from the old page."}
    fresh = Plan.objects.get(pk=plan.pk)
    assert fresh.summary == "Mine first."
    assert fresh.version == loaded + 1


def test_unchanged_save_writes_nothing_and_keeps_the_version(plan, kam_user):
    services.plan_update(user=kam_user, plan=plan, data={"summary": "Same."})
    before = Plan.objects.get(pk=plan.pk)
    services.plan_update(
        user=kam_user,
        plan=Plan.objects.get(pk=plan.pk),
        data={"summary": "Same."},
        expected_version=before.version,
    )
    after = Plan.objects.get(pk=plan.pk)
    assert after.version == before.version
    assert after.updated_at == before.updated_at


def test_tracking_an_action_refuses_an_edit_form_loaded_before(full_plan, kam_user):
    """The customer (or the owner) sets a status; an old edit form must not put it back."""
    action = full_plan.actions.first()
    loaded = action.version
    services.action_track(user=kam_user, action=action, status="in_progress")
    with pytest.raises(VersionConflict):
        services.action_update(
            user=kam_user,
            action=PlanAction.objects.get(pk=action.pk),
            data={"what": "Changed from an old form", "status": "open"},
            expected_version=loaded,
        )
    fresh = PlanAction.objects.get(pk=action.pk)
    assert fresh.status == "in_progress"
    assert fresh.what != "Changed from an old form"


def test_submitting_refuses_a_section_form_loaded_on_the_draft(plan, kam_user):
    loaded = plan.version
    services.plan_submit(user=kam_user, plan=plan)
    services.plan_reopen(user=kam_user, plan=Plan.objects.get(pk=plan.pk))
    with pytest.raises(VersionConflict):
        services.plan_update(
            user=kam_user,
            plan=Plan.objects.get(pk=plan.pk),
            data={"summary": "From before the review."},
            expected_version=loaded,
        )


# -- pages ----------------------------------------------------------------------------------


def test_two_people_save_the_same_section(plan, kam_user, colleague):
    url = f"/plans/{plan.pk}/section/summary/"
    first, second = client_for(kam_user), client_for(colleague)
    version_first = _version_in(first.get(url).content.decode())
    version_second = _version_in(second.get(url).content.decode())
    assert version_first == version_second

    response = first.post(url, {"summary": "Grow soups.", "version": version_first})
    assert response.status_code == 302

    response = second.post(url, {"summary": "Grow salads.", "version": version_second})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Grow soups." in page  # theirs
    assert "Grow salads." in page  # yours
    assert "Saved by someone else in the meantime" in page
    assert kam_user.get_full_name() in page  # who saved theirs
    assert Plan.objects.get(pk=plan.pk).summary == "Grow soups."

    # Keep mine: the conflict page re-sends my text on top of the version now stored.
    current = _version_in(page)
    assert int(current) == int(version_first) + 1
    response = second.post(url, {"summary": "Grow salads.", "version": current})
    assert response.status_code == 302
    fresh = Plan.objects.get(pk=plan.pk)
    assert fresh.summary == "Grow salads."
    assert fresh.updated_by == colleague


def test_two_people_save_different_sections_of_one_plan(plan, kam_user, colleague):
    """The sections live on one row: saving the profit plan after someone saved the summary
    loses nothing, so it is saved (the summary stays), not refused."""
    first, second = client_for(kam_user), client_for(colleague)
    summary = first.get(f"/plans/{plan.pk}/section/summary/").content.decode()
    team = second.get(f"/plans/{plan.pk}/section/team/").content.decode()
    base = re.search(r'name="base" value="([0-9a-f]+)"', team)
    assert base, "the section form carries what it showed"

    response = first.post(
        f"/plans/{plan.pk}/section/summary/",
        {"summary": "Grow soups.", "version": _version_in(summary)},
    )
    assert response.status_code == 302
    response = second.post(
        f"/plans/{plan.pk}/section/team/",
        {"team_notes": "Carla meets their buyer.", "version": _version_in(team), "base": base[1]},
    )
    assert response.status_code == 302
    fresh = Plan.objects.get(pk=plan.pk)
    assert (fresh.summary, fresh.team_notes) == ("Grow soups.", "Carla meets their buyer.")
    assert fresh.version == plan.version + 2

    # The same section from the same old page is still refused.
    response = second.post(
        f"/plans/{plan.pk}/section/team/",
        {"team_notes": "Stale.", "version": _version_in(team), "base": base[1]},
    )
    assert response.status_code == 409


def test_conflict_page_in_dutch(plan, kam_user, colleague):
    url = f"/plans/{plan.pk}/section/summary/"
    second = client_for(colleague)
    loaded = _version_in(second.get(url).content.decode())
    client_for(kam_user).post(url, {"summary": "Eerst.", "version": loaded})
    second.cookies["django_language"] = "nl"
    response = second.post(
        url, {"summary": "Daarna.", "version": loaded}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Intussen door iemand anders opgeslagen" in page
    assert "Houd de mijne" in page


def test_htmx_gets_the_fragment(plan, kam_user, colleague):
    url = f"/plans/{plan.pk}/section/summary/"
    client_for(kam_user).post(url, {"summary": "First.", "version": plan.version})
    response = client_for(colleague).post(
        url, {"summary": "Second.", "version": plan.version}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="conflict"' in page


def test_two_people_save_the_same_item(full_plan, kam_user, colleague):
    item = full_plan.items.get(title="Grow chilled soups")
    url = f"/plans/{full_plan.pk}/items/{item.pk}/"
    first, second = client_for(kam_user), client_for(colleague)
    loaded = _version_in(first.get(url).content.decode())
    assert _version_in(second.get(url).content.decode()) == loaded
    base = {"title": "Grow chilled soups", "description": "", "measure": "", "baseline": ""}
    response = first.post(url, {**base, "target": "EUR 1.8 m", "shared": "on", "version": loaded})
    assert response.status_code == 302
    response = second.post(url, {**base, "target": "EUR 2 m", "shared": "on", "version": loaded})
    assert response.status_code == 409
    page = response.content.decode()
    assert "EUR 1.8 m" in page and "EUR 2 m" in page
    assert PlanItem.objects.get(pk=item.pk).target == "EUR 1.8 m"


def test_two_people_save_the_same_action(full_plan, kam_user, colleague):
    action = full_plan.actions.filter(owner_side="ours").first()
    url = f"/plans/{full_plan.pk}/actions/{action.pk}/"
    first, second = client_for(kam_user), client_for(colleague)
    loaded = _version_in(first.get(url).content.decode())
    form = {
        "owner_side": "ours",
        "owner_user": action.owner_user_id,
        "status": action.status,
        "due_date": action.due_date.isoformat() if action.due_date else "",
        "shared": "on" if action.shared else "",
        "version": loaded,
    }
    assert first.post(url, {**form, "what": "First wording"}).status_code == 302
    response = second.post(url, {**form, "what": "Second wording"})
    assert response.status_code == 409
    assert PlanAction.objects.get(pk=action.pk).what == "First wording"


def test_sections_choice_conflict(plan, kam_user, colleague):
    url = f"/plans/{plan.pk}/sections/"
    loaded = _version_in(client_for(colleague).get(url).content.decode())
    response = client_for(kam_user).post(
        url, {"sections": ["summary", "objectives", "actions"], "version": loaded}
    )
    assert response.status_code == 302
    response = client_for(colleague).post(url, {"sections": ["summary"], "version": loaded})
    assert response.status_code == 409
    assert Plan.objects.get(pk=plan.pk).sections == ["summary", "objectives", "actions"]


# -- API ------------------------------------------------------------------------------------


def test_api_plan_etag_and_if_match(plan, kam_user, colleague):
    first, second = client_for(kam_user), client_for(colleague)
    got = first.get(f"/api/plans/{plan.pk}")
    assert got.status_code == 200
    version = got.json()["version"]
    assert got["ETag"] == f'"{version}"'

    fresh = _json(
        first, "patch", f"/api/plans/{plan.pk}", {"summary": "A"}, **{"If-Match": got["ETag"]}
    )
    assert fresh.status_code == 200, fresh.content
    assert fresh.json()["version"] == version + 1
    assert fresh["ETag"] == f'"{version + 1}"'

    stale = _json(
        second, "patch", f"/api/plans/{plan.pk}", {"summary": "B"}, **{"If-Match": got["ETag"]}
    )
    assert stale.status_code == 412
    body = stale.json()
    assert body["your_version"] == version
    assert body["current_version"] == version + 1
    assert body["current"]["id"] == plan.pk and body["current"]["version"] == version + 1
    assert body["yours"] == {"summary": "B"}
    assert Plan.objects.get(pk=plan.pk).summary == "A"


def test_api_plan_body_version_conflict_is_409(plan, kam_user):
    client = client_for(kam_user)
    v = client.get(f"/api/plans/{plan.pk}").json()["version"]
    assert (
        _json(client, "patch", f"/api/plans/{plan.pk}", {"summary": "A", "version": v}).status_code
        == 200
    )
    stale = _json(client, "patch", f"/api/plans/{plan.pk}", {"summary": "B", "version": v})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == v + 1
    assert stale.json()["yours"] == {"summary": "B"}


def test_api_if_match_that_is_no_version_is_412(plan, kam_user):
    response = _json(
        client_for(kam_user),
        "patch",
        f"/api/plans/{plan.pk}",
        {"summary": "A"},
        **{"If-Match": '"abc"'},
    )
    assert response.status_code == 412
    assert Plan.objects.get(pk=plan.pk).summary == ""


def test_api_item_and_action(full_plan, kam_user, colleague):
    item = full_plan.items.get(title="Grow chilled soups")
    first, second = client_for(kam_user), client_for(colleague)
    url = f"/api/plans/{full_plan.pk}/items/{item.pk}"
    got = first.get(url)
    assert got.status_code == 200 and got["ETag"] == f'"{item.version}"'
    assert got.json()["version"] == item.version
    ok = _json(first, "patch", url, {"fields": {"target": "X"}}, **{"If-Match": got["ETag"]})
    assert ok.status_code == 200 and ok.json()["version"] == item.version + 1
    stale = _json(second, "patch", url, {"fields": {"target": "Y"}}, **{"If-Match": got["ETag"]})
    assert stale.status_code == 412
    assert stale.json()["current"]["fields"]["target"] == "X"
    assert PlanItem.objects.get(pk=item.pk).target == "X"

    action = full_plan.actions.filter(owner_side="ours").first()
    url = f"/api/plans/{full_plan.pk}/actions/{action.pk}"
    got = first.get(url)
    assert got.status_code == 200 and got.json()["version"] == action.version
    ok = _json(first, "patch", url, {"what": "New wording"}, **{"If-Match": got["ETag"]})
    assert ok.status_code == 200 and ok.json()["version"] == action.version + 1
    stale = _json(second, "patch", url, {"what": "Other wording", "version": action.version})
    assert stale.status_code == 409
    assert stale.json()["current"]["what"] == "New wording"


def test_api_get_item_of_another_plan_is_404(full_plan, other_kam):
    item = full_plan.items.first()
    response = client_for(other_kam).get(f"/api/plans/{full_plan.pk}/items/{item.pk}")
    assert response.status_code == 404
