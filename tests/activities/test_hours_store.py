"""The actual-time page's stored sums (kam/activities/hours_store.py): for a reader of every
account and the twelve months up to today they give the figures the participations give,
and a change is summed from the participations until the refresh has stored it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.activities.hours_store import hours_store
from kam.activities.models import Activity, HoursDirty, HoursSnapshot, HoursStored
from kam.activities.selectors import (
    actual_hours_by_box,
    actual_hours_by_person,
    actual_hours_top_accounts,
    actual_time_overview,
    period_start_default,
)
from kam.activities.services import activity_delete, activity_update
from kam.activities.signals import activities_bulk_created
from kam.portfolio.models import Placement
from tests.activities.conftest import log, make_review
from tests.conftest import client_for
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def period() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return period_start_default(today), today


@pytest.fixture
def review(accounts):  # type: ignore[no-untyped-def]
    review = make_review()
    Placement.objects.create(review=review, account=accounts["own"], box="key")
    Placement.objects.create(review=review, account=accounts["other"], box="")
    return review


@pytest.fixture
def logged(director, kam_user, other_kam, member, accounts):  # type: ignore[no-untyped-def]
    """Person-minutes of the twelve months up to today: own 60 × 2 + 90, other 45 × 2, served
    20 × 2; and 600 on own the day before the period, which does not count."""
    start, end = period()
    log(director, accounts["own"], 60, [kam_user, member], day=end)
    log(director, accounts["own"], 90, [kam_user], day=start)
    log(director, accounts["other"], 45, [other_kam, director], day=end)
    log(director, accounts["served"], 20, [member, other_kam], day=end)
    log(director, accounts["own"], 600, [kam_user], day=start - dt.timedelta(days=1))
    return accounts


def summed(user, review, limit=2):  # type: ignore[no-untyped-def]
    """What each selector sums from the participations on its own."""
    start, end = period()
    return (
        actual_hours_by_box(start=start, end=end, user=user, review=review),
        actual_hours_top_accounts(start=start, end=end, user=user, limit=limit),
        actual_hours_by_person(start=start, end=end, user=user),
    )


def overview(user, review, limit=2):  # type: ignore[no-untyped-def]
    """The page's overview and whether it summed the participations."""
    start, end = period()
    with CaptureQueriesContext(connection) as queries:
        result = actual_time_overview(start=start, end=end, user=user, review=review, limit=limit)
    scanned = any("activities_activityparticipant" in q["sql"] for q in queries.captured_queries)
    return result, scanned


def test_the_stored_sums_give_the_figures_of_the_participations(director, review, logged):  # type: ignore[no-untyped-def]
    assert hours_store() == 3
    assert not HoursDirty.objects.exists()
    result, scanned = overview(director, review)
    assert not scanned
    assert result == summed(director, review)
    boxes, top, _people = result
    assert {r.key: r.minutes for r in boxes}["key"] == 210
    assert {r.key: r.minutes for r in boxes}["unplaced"] == 130  # an empty box, no placement
    assert [(r.label, r.minutes) for r in top.top] == [("Own Retail", 210), ("Other Wholesale", 90)]
    assert (top.rest_accounts, top.rest_minutes, top.total_minutes) == (1, 40, 340)


def test_a_change_is_summed_until_the_refresh_stores_it(  # type: ignore[no-untyped-def]
    director, kam_user, member, review, logged
):
    hours_store()
    _start, end = period()
    added = log(director, logged["served"], 300, [member], day=end)
    assert HoursDirty.objects.exists()
    result, scanned = overview(director, review)
    assert scanned
    assert result == summed(director, review)
    assert result[1].total_minutes == 640
    hours_store()
    result, scanned = overview(director, review)
    assert not scanned
    assert result == summed(director, review)
    assert result[1].top[0].label == "Served Online"

    activity_update(user=director, activity=Activity.objects.get(pk=added.pk), duration_minutes=30)
    assert overview(director, review)[1]
    hours_store()
    assert overview(director, review)[0][1].total_minutes == 370

    activity_delete(user=director, activity=Activity.objects.get(pk=added.pk))
    assert overview(director, review)[1]
    hours_store()
    result, scanned = overview(director, review)
    assert not scanned
    assert result[1].total_minutes == 340
    assert result == summed(director, review)


def test_bulk_written_activities_mark_the_store(director, review, logged):  # type: ignore[no-untyped-def]
    hours_store()
    activities_bulk_created.send(sender=Activity, account_ids={logged["own"].pk})
    assert overview(director, review)[1]


def test_a_change_enqueues_the_job_that_stores_it(  # type: ignore[no-untyped-def]
    director, member, review, logged, django_capture_on_commit_callbacks
):
    from kam.jobs.models import Job, JobStatus

    hours_store()
    _start, end = period()
    with django_capture_on_commit_callbacks(execute=True):
        log(director, logged["served"], 300, [member], day=end)
    assert Job.objects.get(kind="hours_refresh").status == JobStatus.DONE
    assert not HoursDirty.objects.exists()
    result, scanned = overview(director, review)
    assert not scanned
    assert result[1].total_minutes == 640


def test_another_day_another_period_or_some_accounts_are_summed(  # type: ignore[no-untyped-def]
    director, kam_user, review, logged
):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    hours_store(as_of=yesterday)
    assert HoursSnapshot.objects.get().as_of == yesterday
    assert overview(director, review)[1]  # the period moved on

    hours_store()
    start, end = period()
    with CaptureQueriesContext(connection) as queries:
        actual_time_overview(
            start=start + dt.timedelta(days=1), end=end, user=director, review=review
        )
    assert any("activities_activityparticipant" in q["sql"] for q in queries.captured_queries)
    # a key account manager sees their own accounts' hours, which the store does not hold
    result, scanned = overview(kam_user, review)
    assert scanned
    assert result == summed(kam_user, review)
    assert result[1].total_minutes == 210


def test_the_store_holds_one_row_per_account_and_person_with_hours(  # type: ignore[no-untyped-def]
    director, kam_user, other_kam, member, logged
):
    hours_store()
    rows = HoursStored.objects.values_list("account_id", "user_id", "minutes")
    assert sorted(r for r in rows if r[0]) == sorted(
        [
            (logged["own"].pk, None, 210),
            (logged["other"].pk, None, 90),
            (logged["served"].pk, None, 40),
        ]
    )
    assert sorted(r for r in rows if r[1]) == sorted(
        [
            (None, kam_user.pk, 150),
            (None, member.pk, 80),
            (None, other_kam.pk, 65),
            (None, director.pk, 45),
        ]
    )


def test_the_page_from_the_store_costs_the_same_queries_for_3n_accounts(  # type: ignore[no-untyped-def]
    director, kam_user, review
):
    """The default period read from the store: as many queries for 3N accounts as for N,
    and the same page as summed from the participations."""
    client = client_for(director)
    url = reverse("activities:actual_time")
    _start, end = period()

    def add(n: int) -> None:
        for i in range(n):
            account = AccountFactory(owner=kam_user)
            Placement.objects.create(review=review, account=account, box="key" if i % 2 else "")
            log(director, account, 30 + i, [kam_user], day=end)

    def load() -> tuple[int, str]:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    def figures(html: str) -> str:
        return html.split('data-testid="total-hours"')[1].split("</table>", 3)[-2]

    add(4)
    live_html = load()[1]
    hours_store()
    few, html = load()
    assert figures(html) == figures(live_html)
    add(8)
    hours_store()
    more, html = load()
    assert more == few
    total = html.split('data-testid="total-hours"')[1].split("<")[0]
    assert (
        total == f">{round((sum(30 + i for i in range(4)) + sum(30 + i for i in range(8))) / 60)}"
    )
