"""The activity pages: list with filters and htmx, log/edit/delete, import, actual time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kam.activities.models import Activity
from kam.activities.selectors import period_start_default
from kam.portfolio.models import Placement
from tests.activities.conftest import log, make_review
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LIST = reverse("activities:list")
NEW = reverse("activities:new")
ACTUAL = reverse("activities:actual_time")


@pytest.fixture
def logged(director, kam_user, other_kam, member, accounts):  # type: ignore[no-untyped-def]
    return {
        "own": log(kam_user, accounts["own"], 60, [kam_user, member], day=TODAY, topic="Own visit"),
        "other": log(
            other_kam,
            accounts["other"],
            30,
            [other_kam],
            day=TODAY,
            kind="call",
            topic="Other call",
        ),
        "served": log(
            member,
            accounts["served"],
            45,
            [member],
            day=TODAY - dt.timedelta(days=40),
            topic="Served meeting",
        ),
    }


def topics(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    html = response.content.decode()
    return [t for t in ("Own visit", "Other call", "Served meeting") if t in html]


def test_list_shows_only_visible_activities(director, kam_user, member, logged):  # type: ignore[no-untyped-def]
    assert topics(client_for(director).get(LIST)) == ["Own visit", "Other call", "Served meeting"]
    assert topics(client_for(kam_user).get(LIST)) == ["Own visit"]
    assert topics(client_for(member).get(LIST)) == ["Own visit", "Served meeting"]


def test_list_filters_and_person_hours(director, member, accounts, logged):  # type: ignore[no-untyped-def]
    client = client_for(director)
    assert topics(client.get(LIST, {"account": accounts["other"].pk})) == ["Other call"]
    assert topics(client.get(LIST, {"person": member.pk})) == ["Own visit", "Served meeting"]
    assert topics(client.get(LIST, {"type": "call"})) == ["Other call"]
    since = (TODAY - dt.timedelta(days=10)).isoformat()
    assert topics(client.get(LIST, {"date_from": since})) == ["Own visit", "Other call"]
    until = (TODAY - dt.timedelta(days=10)).isoformat()
    assert topics(client.get(LIST, {"date_to": until})) == ["Served meeting"]
    # A bad value is dropped, the rest still filters.
    assert topics(client.get(LIST, {"type": "lunch", "person": member.pk})) == [
        "Own visit",
        "Served meeting",
    ]
    # 60 × 2 + 30 + 45 = 195 person-minutes = 3.3 person-hours (3.25 shown to one decimal)
    assert "3.3 person-hours" in client.get(LIST).content.decode()


def test_htmx_request_gets_only_the_table(director, logged):  # type: ignore[no-untyped-def]
    response = client_for(director).get(LIST, {"type": "call"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith('<div id="activity-table">')
    assert "<html" not in html and "Other call" in html and "Own visit" not in html


def test_list_pages_by_fifty_with_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    director, kam_user, member, accounts, django_assert_max_num_queries
):
    client = client_for(director)
    log(kam_user, accounts["own"], 30, [kam_user], day=TODAY)
    client.get(LIST)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for i in range(60):
        log(kam_user, accounts["own"], 30 + i, [kam_user, member], day=TODAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.content.decode().count("/edit/") == 50
    assert "Page 1 of 2" in response.content.decode()


def test_log_form_lists_only_visible_accounts(kam_user, accounts):  # type: ignore[no-untyped-def]
    html = client_for(kam_user).get(NEW).content.decode()
    assert "Own Retail" in html and "Other Wholesale" not in html


def test_log_an_activity(kam_user, member, accounts):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).post(
        NEW,
        {
            "account": accounts["own"].pk,
            "date": "2025-06-02",
            "duration_minutes": "90",
            "type": "visit",
            "participants": [kam_user.pk, member.pk],
            "contact_names": "Anna de Wit\n\n j.bos@example.com \n",
            "topic": "Plant visit",
            "notes": "",
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.contact_names == ["Anna de Wit", "j.bos@example.com"]
    assert set(activity.participants.all()) == {kam_user, member}
    assert activity.created_by == kam_user


def test_cannot_log_on_another_managers_account(kam_user, accounts):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).post(
        NEW,
        {
            "account": accounts["other"].pk,
            "date": "2025-06-02",
            "duration_minutes": "30",
            "type": "call",
            "participants": [kam_user.pk],
        },
    )
    assert response.status_code == 200  # the form again, with the error beside the account
    assert Activity.objects.count() == 0
    assert "Select a valid choice" in response.content.decode()


def test_form_shows_a_rule_beside_its_field(kam_user, accounts):  # type: ignore[no-untyped-def]
    far = (TODAY + dt.timedelta(days=400)).isoformat()
    response = client_for(kam_user).post(
        NEW,
        {
            "account": accounts["own"].pk,
            "date": far,
            "duration_minutes": "30",
            "type": "call",
            "participants": [kam_user.pk],
        },
    )
    assert response.status_code == 200
    assert "more than a year ahead" in response.content.decode()
    assert Activity.objects.count() == 0


def test_viewer_cannot_open_the_log_form_or_import(viewer, accounts):  # type: ignore[no-untyped-def]
    client = client_for(viewer)
    assert client.get(NEW).status_code == 403
    assert client.get(reverse("activities:import")).status_code == 403


def test_edit_and_delete(kam_user, logged):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    activity = logged["own"]
    edit = reverse("activities:edit", args=[activity.pk])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "account": activity.account_id,
            "date": activity.date.isoformat(),
            "duration_minutes": "120",
            "type": "meeting",
            "participants": [kam_user.pk],
            "contacts": "",
            "topic": "Changed",
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.duration_minutes, activity.topic, activity.participants.count()) == (
        120,
        "Changed",
        1,
    )
    delete = reverse("activities:delete", args=[activity.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_another_managers_activity_is_not_found(kam_user, logged):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    other = logged["other"]
    assert client.get(reverse("activities:edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("activities:delete", args=[other.pk])).status_code == 404
    assert Activity.objects.filter(pk=other.pk).exists()


def test_readable_but_not_theirs_is_forbidden(kam_user, member, accounts):  # type: ignore[no-untyped-def]
    activity = log(member, accounts["own"], 30, [member], day=TODAY)
    client = client_for(kam_user)
    assert client.get(reverse("activities:edit", args=[activity.pk])).status_code == 403
    assert client.post(reverse("activities:delete", args=[activity.pk])).status_code == 403


def test_import_page_reports_problems_and_imports(director, accounts):  # type: ignore[no-untyped-def]
    client = client_for(director)
    url = reverse("activities:import")
    header = "date,account,duration_minutes,type,participants,uid\n"
    bad = SimpleUploadedFile("a.csv", (header + "2025-05-06,NOPE,60,visit,kam1,u1\n").encode())
    response = client.post(url, {"file": bad})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was imported" in html and "NOPE" in html
    good = (header + "2025-05-06,OWN-1,60,visit,kam1,u1\n").encode()
    response = client.post(url, {"file": SimpleUploadedFile("a.csv", good)})
    assert response.status_code == 200
    assert re.search(r"<b>1</b><span>activities added", response.content.decode())
    response = client.post(url, {"file": SimpleUploadedFile("a.csv", good)})
    assert re.search(r"<b>1</b><span>already imported", response.content.decode())
    assert Activity.objects.count() == 1
    template = client.get(reverse("activities:import_template"))
    assert template.status_code == 200 and b"duration_minutes" in template.content


def test_actual_time_page(director, kam_user, logged):  # type: ignore[no-untyped-def]
    review = make_review(day=TODAY - dt.timedelta(days=30))
    Placement.objects.create(review=review, account=logged["own"].account, box="key")
    Placement.objects.create(review=review, account=logged["other"].account, box="opportunistic")
    response = client_for(director).get(ACTUAL)
    assert response.status_code == 200
    html = response.content.decode()
    # default period: the twelve months up to and including today
    start = period_start_default(TODAY)
    assert f'name="start" value="{start.isoformat()}"' in html
    assert f'name="end" value="{TODAY.isoformat()}"' in html
    # 120 + 30 + 45 = 195 person-minutes:
    # key 120 (62 %), opportunistic 30 (15 %), unplaced 45 (23 %)
    box_table = html.split('data-testid="hours-by-box"')[1].split("</table>")[0]
    assert (
        "Key" in box_table and "62 %" in box_table and "15 %" in box_table and "23 %" in box_table
    )
    assert "Not placed" in box_table
    assert "Own Retail" in html and "Other Wholesale" in html
    # A key account manager sees only their own account's hours.
    html = client_for(kam_user).get(ACTUAL).content.decode()
    assert "Own Retail" in html and "Other Wholesale" not in html


def test_actual_time_for_a_chosen_period_and_the_rest_summed(director, kam_user, accounts):  # type: ignore[no-untyped-def]
    from tests.factories import AccountFactory

    for i in range(53):
        account = AccountFactory(name=f"Tail {i:02d}", owner=kam_user)
        log(kam_user, account, 100 - i, [kam_user], day=dt.date(2025, 3, 1))
    log(kam_user, accounts["own"], 600, [kam_user], day=dt.date(2024, 3, 1))
    response = client_for(director).get(ACTUAL, {"start": "2025-01-01", "end": "2025-12-31"})
    html = response.content.decode()
    assert "Own Retail" not in html  # outside the period
    table = html.split('data-testid="hours-by-account"')[1]
    assert table.count("Tail ") == 50
    assert "3 other accounts" in table  # 50, 49 and 48 minutes: 2.5 hours
    assert "2.5" in table.split('data-testid="rest"')[1]


def test_actual_time_with_nothing_logged(viewer):  # type: ignore[no-untyped-def]
    response = client_for(viewer).get(ACTUAL)
    assert response.status_code == 200
    assert "No activities were logged in this period" in response.content.decode()


def test_pages_need_a_login(client):  # type: ignore[no-untyped-def]
    for url in (LIST, NEW, ACTUAL, reverse("activities:import")):
        assert client.get(url).status_code == 302
