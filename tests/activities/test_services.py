"""Logging, changing and deleting activities: who may, and the field rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kam.activities.models import Activity, ActivityParticipant
from kam.activities.services import activity_delete, activity_update
from kam.errors import ApplicationError
from tests.activities.conftest import log

pytestmark = pytest.mark.django_db


def test_log_stores_everything_and_the_creator(kam_user, member, accounts):  # type: ignore[no-untyped-def]
    activity = log(
        kam_user,
        accounts["own"],
        90,
        [kam_user, member, kam_user],
        kind="visit",
        topic="  Range review ",
        notes="Went well.",
        contact_names=["Anna de Wit", "", "  j.bos@example.com ", "Anna de Wit"],
    )
    activity.refresh_from_db()
    assert activity.created_by == kam_user
    assert activity.type == "visit" and activity.duration_minutes == 90
    assert activity.topic == "Range review"
    assert activity.contact_names == ["Anna de Wit", "j.bos@example.com"]
    assert set(activity.participants.all()) == {kam_user, member}


@pytest.mark.parametrize("minutes", [0, -5, 1441])
def test_duration_between_one_minute_and_a_day(kam_user, accounts, minutes):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        log(kam_user, accounts["own"], minutes, [kam_user])
    assert exc.value.field == "duration_minutes"
    assert Activity.objects.count() == 0


def test_a_full_day_is_allowed(kam_user, accounts):  # type: ignore[no-untyped-def]
    assert log(kam_user, accounts["own"], 1440, [kam_user]).hours == 24


def test_needs_a_participant_and_a_known_type(kam_user, accounts):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        log(kam_user, accounts["own"], 30, [])
    assert exc.value.field == "participants"
    with pytest.raises(ApplicationError) as exc:
        log(kam_user, accounts["own"], 30, [kam_user], kind="lunch")
    assert exc.value.field == "type"
    assert "visit" in exc.value.message


def test_inactive_person_cannot_take_part(kam_user, member, accounts):  # type: ignore[no-untyped-def]
    member.is_active = False
    member.save()
    with pytest.raises(ApplicationError) as exc:
        log(kam_user, accounts["own"], 30, [kam_user, member])
    assert exc.value.field == "participants"


def test_a_date_years_ahead_is_refused(kam_user, accounts):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        log(
            kam_user,
            accounts["own"],
            30,
            [kam_user],
            day=timezone.localdate() + dt.timedelta(days=400),
        )
    assert exc.value.field == "date"


def test_uid_is_unique_when_set(kam_user, accounts):  # type: ignore[no-untyped-def]
    log(kam_user, accounts["own"], 30, [kam_user], external_uid="cal-1")
    log(kam_user, accounts["own"], 30, [kam_user])
    log(kam_user, accounts["own"], 30, [kam_user])  # two without a uid are fine
    with pytest.raises(ApplicationError) as exc:
        log(kam_user, accounts["own"], 45, [kam_user], external_uid="cal-1")
    assert exc.value.status == 409
    assert Activity.objects.count() == 3


# --- who may ------------------------------------------------------------------------------------


def test_key_account_manager_cannot_log_on_another_managers_account(kam_user, accounts):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        log(kam_user, accounts["other"], 30, [kam_user])
    assert exc.value.status == 404
    assert Activity.objects.count() == 0


def test_team_member_logs_on_accounts_they_serve_only(member, accounts):  # type: ignore[no-untyped-def]
    log(member, accounts["served"], 30, [member])
    with pytest.raises(ApplicationError) as exc:
        log(member, accounts["other"], 30, [member])
    assert exc.value.status == 404


def test_viewer_cannot_log(viewer, kam_user, accounts):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        log(viewer, accounts["own"], 30, [kam_user])
    assert exc.value.status == 403


def test_director_logs_anywhere_and_changes_anything(director, kam_user, other_kam, accounts):  # type: ignore[no-untyped-def]
    activity = log(other_kam, accounts["other"], 30, [other_kam])
    activity_update(user=director, activity=activity, duration_minutes=45)
    activity.refresh_from_db()
    assert activity.duration_minutes == 45
    log(director, accounts["own"], 30, [kam_user])
    activity_delete(user=director, activity=activity)
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_participant_or_creator_changes_others_do_not(kam_user, other_kam, member, accounts):  # type: ignore[no-untyped-def]
    # member logs on own (kam_user's account) with only themselves taking part.
    activity = log(member, accounts["own"], 30, [member])
    # kam_user can read it (own account) but neither logged it nor took part.
    with pytest.raises(ApplicationError) as exc:
        activity_update(user=kam_user, activity=activity, topic="changed")
    assert exc.value.status == 403
    with pytest.raises(ApplicationError) as exc:
        activity_delete(user=kam_user, activity=activity)
    assert exc.value.status == 403
    # As soon as they are a participant they may.
    activity_update(user=member, activity=activity, participants=[member, kam_user])
    activity_update(user=kam_user, activity=activity, topic="changed")
    activity.refresh_from_db()
    assert activity.topic == "changed"
    # another manager cannot even see it: 404
    with pytest.raises(ApplicationError) as exc:
        activity_update(user=other_kam, activity=activity, topic="x")
    assert exc.value.status == 404


def test_viewer_cannot_change(viewer, kam_user, accounts):  # type: ignore[no-untyped-def]
    activity = log(kam_user, accounts["own"], 30, [kam_user])
    with pytest.raises(ApplicationError) as exc:
        activity_delete(user=viewer, activity=activity)
    assert exc.value.status == 403


def test_update_replaces_participants_and_moves_only_to_visible_accounts(  # type: ignore[no-untyped-def]
    kam_user, member, accounts
):
    activity = log(kam_user, accounts["own"], 30, [kam_user, member])
    activity_update(user=kam_user, activity=activity, participants=[kam_user])
    assert list(
        ActivityParticipant.objects.filter(activity=activity).values_list("user", flat=True)
    ) == [kam_user.pk]
    with pytest.raises(ApplicationError) as exc:
        activity_update(user=kam_user, activity=activity, account=accounts["other"])
    assert exc.value.status == 404
    activity.refresh_from_db()
    assert activity.account == accounts["own"]
    with pytest.raises(ApplicationError):
        activity_update(user=kam_user, activity=activity, participants=[])
    assert activity.participants.count() == 1


def test_deleting_an_account_deletes_its_activities(kam_user, accounts):  # type: ignore[no-untyped-def]
    log(kam_user, accounts["own"], 30, [kam_user])
    accounts["own"].delete()
    assert Activity.objects.count() == 0 and ActivityParticipant.objects.count() == 0
