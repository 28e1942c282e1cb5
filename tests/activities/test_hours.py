"""Actual hours: person-hours summed by account, person and box, visibility, and the
variance sentences (docs/method.md section 2, "Planned against actual")."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.activities.selectors import (
    UNPLACED,
    actual_hours_by_account,
    actual_hours_by_box,
    actual_hours_by_person,
    actual_hours_top_accounts,
    actual_share_by_box,
    period_start_default,
    shares,
    variance_sentences,
)
from kam.portfolio.models import Placement
from tests.activities.conftest import DAY, log, make_review

pytestmark = pytest.mark.django_db

START = dt.date(2025, 1, 1)
END = dt.date(2025, 12, 31)


@pytest.fixture
def logged(director, kam_user, other_kam, member, accounts):  # type: ignore[no-untyped-def]
    """Hand-worked person-minutes in 2025:

    own:    60 min × (kam1, member1) = 120, 90 min × kam1 = 90        → 210 (3.5 h)
    other:  45 min × (kam2, director) = 90                           →  90 (1.5 h)
    served: 20 min × (member1, kam2) = 40                            →  40
    plus 600 min on own on 31 December 2024, outside the period.
    By person: kam1 150, member1 80, kam2 65, director 45; total 340.
    """
    log(director, accounts["own"], 60, [kam_user, member])
    log(director, accounts["own"], 90, [kam_user], day=END)
    log(director, accounts["other"], 45, [other_kam, director], day=START)
    log(director, accounts["served"], 20, [member, other_kam])
    log(director, accounts["own"], 600, [kam_user], day=dt.date(2024, 12, 31))
    return accounts


def by_key(rows):  # type: ignore[no-untyped-def]
    return {r.key: r.minutes for r in rows}


def test_each_participant_counts_the_full_duration(director, logged):  # type: ignore[no-untyped-def]
    rows = actual_hours_by_account(start=START, end=END, user=director)
    assert [(r.label, r.minutes) for r in rows] == [
        ("Own Retail", 210),
        ("Other Wholesale", 90),
        ("Served Online", 40),
    ]
    assert rows[0].hours == 3.5
    assert rows[0].detail == "OWN-1"


def test_hours_by_person(director, kam_user, other_kam, member, logged):  # type: ignore[no-untyped-def]
    rows = actual_hours_by_person(start=START, end=END, user=director)
    assert [(r.key, r.minutes) for r in rows] == [
        (kam_user.pk, 150),
        (member.pk, 80),
        (other_kam.pk, 65),
        (director.pk, 45),
    ]
    assert sum(r.minutes for r in rows) == 340


def test_period_is_inclusive_and_excludes_other_days(director, logged):  # type: ignore[no-untyped-def]
    only_new_year = actual_hours_by_account(start=START, end=START, user=director)
    assert [(r.label, r.minutes) for r in only_new_year] == [("Other Wholesale", 90)]
    last_year = actual_hours_by_account(
        start=dt.date(2024, 12, 31), end=dt.date(2024, 12, 31), user=director
    )
    assert [(r.label, r.minutes) for r in last_year] == [("Own Retail", 600)]


def test_hours_by_person_of_one_day_for_a_reader_of_every_account(  # type: ignore[no-untyped-def]
    director, kam_user, other_kam, logged
):
    # the director's sum per person chooses the period's activities in a subquery: its
    # bounds are inclusive and leave other days out, as for the other users
    only_new_year = actual_hours_by_person(start=START, end=START, user=director)
    assert {(r.key, r.minutes) for r in only_new_year} == {(other_kam.pk, 45), (director.pk, 45)}
    last_year = actual_hours_by_person(
        start=dt.date(2024, 12, 31), end=dt.date(2024, 12, 31), user=director
    )
    assert [(r.key, r.minutes) for r in last_year] == [(kam_user.pk, 600)]


def test_key_account_manager_counts_only_their_accounts(kam_user, member, logged):  # type: ignore[no-untyped-def]
    assert [
        (r.label, r.minutes) for r in actual_hours_by_account(start=START, end=END, user=kam_user)
    ] == [("Own Retail", 210)]
    people = by_key(actual_hours_by_person(start=START, end=END, user=kam_user))
    assert people == {kam_user.pk: 150, member.pk: 60}


def test_team_member_counts_the_accounts_they_serve(member, logged):  # type: ignore[no-untyped-def]
    rows = actual_hours_by_account(start=START, end=END, user=member)
    assert [(r.label, r.minutes) for r in rows] == [("Own Retail", 210), ("Served Online", 40)]


def test_viewer_reads_everything_and_an_anonymous_user_nothing(viewer, logged):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    assert sum(r.minutes for r in actual_hours_by_account(start=START, end=END, user=viewer)) == 340
    assert actual_hours_by_account(start=START, end=END, user=AnonymousUser()) == []


def test_hours_by_box_from_the_reviews_placements(director, kam_user, logged):  # type: ignore[no-untyped-def]
    review = make_review()
    Placement.objects.create(review=review, account=logged["own"], box="key")
    Placement.objects.create(review=review, account=logged["other"], box="opportunistic")
    # served has no placement: its hours are unplaced.
    rows = actual_hours_by_box(start=START, end=END, user=director, review=review)
    assert by_key(rows) == {
        "key": 210,
        "key_development": 0,
        "maintenance": 0,
        "opportunistic": 90,
        UNPLACED: 40,
    }
    assert [r.key for r in rows][-1] == UNPLACED
    share = actual_share_by_box(start=START, end=END, user=director, review=review)
    assert share["key"] == pytest.approx(210 / 340)
    assert share["opportunistic"] == pytest.approx(90 / 340)
    assert sum(share.values()) == pytest.approx(1.0)
    # The key account manager sees only their own account's hours, all in the key box.
    assert (
        by_key(actual_hours_by_box(start=START, end=END, user=kam_user, review=review))["key"]
        == 210
    )
    assert (
        sum(
            by_key(actual_hours_by_box(start=START, end=END, user=kam_user, review=review)).values()
        )
        == 210
    )


def test_an_empty_box_and_no_review_count_as_unplaced(director, logged):  # type: ignore[no-untyped-def]
    review = make_review()
    Placement.objects.create(review=review, account=logged["own"], box="")
    rows = by_key(actual_hours_by_box(start=START, end=END, user=director, review=review))
    assert rows[UNPLACED] == 340
    rows = by_key(actual_hours_by_box(start=START, end=END, user=director, review=None))
    assert rows[UNPLACED] == 340 and rows["key"] == 0


def test_other_reviews_placements_do_not_count(director, logged):  # type: ignore[no-untyped-def]
    older = make_review("2024", dt.date(2024, 3, 1))
    latest = make_review("2025", dt.date(2025, 3, 1))
    Placement.objects.create(review=older, account=logged["own"], box="opportunistic")
    Placement.objects.create(review=latest, account=logged["own"], box="maintenance")
    rows = by_key(actual_hours_by_box(start=START, end=END, user=director, review=latest))
    assert rows["maintenance"] == 210 and rows["opportunistic"] == 0


def test_top_accounts_sum_the_rest(director, logged):  # type: ignore[no-untyped-def]
    top = actual_hours_top_accounts(start=START, end=END, user=director, limit=1)
    assert [r.label for r in top.top] == ["Own Retail"]
    assert (top.rest_accounts, top.rest_minutes, top.total_minutes) == (2, 130, 340)


def test_default_period_is_twelve_months_up_to_and_including_the_end() -> None:
    assert period_start_default(dt.date(2025, 6, 2)) == dt.date(2024, 6, 3)
    assert period_start_default(dt.date(2025, 12, 31)) == dt.date(2025, 1, 1)
    assert period_start_default(dt.date(2024, 2, 29)) == dt.date(2023, 3, 1)


def test_shares_of_nothing_are_zero() -> None:
    assert shares([]) == {}


# --- query counts ---------------------------------------------------------------------------


def test_each_selector_is_one_query_whatever_the_data(  # type: ignore[no-untyped-def]
    director, kam_user, member, logged, django_assert_max_num_queries
):
    review = make_review()
    Placement.objects.create(review=review, account=logged["own"], box="key")
    calls = {
        "account": lambda u: actual_hours_by_account(start=START, end=END, user=u),
        "person": lambda u: actual_hours_by_person(start=START, end=END, user=u),
        "box": lambda u: actual_hours_by_box(start=START, end=END, user=u, review=review),
    }
    for user in (director, kam_user):
        for call in calls.values():
            with django_assert_max_num_queries(1):
                call(user)
    for i in range(30):
        log(director, logged["own"], 30 + i, [kam_user, member], day=DAY)
    for user in (director, kam_user):
        for call in calls.values():
            with django_assert_max_num_queries(1):
                call(user)


# --- variance sentences ------------------------------------------------------------------------


def test_variance_sentences_largest_difference_first() -> None:
    actual = {"key": 0.40, "maintenance": 0.29, "opportunistic": 0.31}
    planned = {"key": 0.50, "key_development": 0.09, "maintenance": 0.31, "opportunistic": 0.10}
    assert variance_sentences(actual, planned) == [
        "31 % of hours went to opportunistic accounts; the plan gives them 10 %.",
        "40 % of hours went to key accounts; the plan gives them 50 %.",
        "0 % of hours went to key development accounts; the plan gives them 9 %.",
    ]


def test_variance_sentences_only_above_five_points() -> None:
    assert variance_sentences({"key": 0.14}, {"key": 0.10}) == []
    assert variance_sentences({"key": 0.16}, {"key": 0.10}) == [
        "16 % of hours went to key accounts; the plan gives them 10 %."
    ]
    assert variance_sentences({"key": 0.16}, {"key": 0.10}, threshold=0.1) == []


def test_variance_sentence_for_unplaced_hours() -> None:
    assert variance_sentences({UNPLACED: 0.12}, {}) == [
        "12 % of hours went to accounts without a box; the plan gives them 0 %."
    ]


def test_variance_sentences_from_the_selectors(director, logged) -> None:  # type: ignore[no-untyped-def]
    review = make_review()
    Placement.objects.create(review=review, account=logged["own"], box="key")
    Placement.objects.create(review=review, account=logged["other"], box="opportunistic")
    Placement.objects.create(review=review, account=logged["served"], box="maintenance")
    actual = actual_share_by_box(start=START, end=END, user=director, review=review)
    sentences = variance_sentences(actual, {"key": 0.75, "maintenance": 0.2, "opportunistic": 0.05})
    # 90/340 = 26 % opportunistic against 5 % (21 points); 210/340 = 62 % key against
    # 75 % (13 points); 40/340 = 12 % maintenance against 20 % (8 points).
    assert sentences == [
        "26 % of hours went to opportunistic accounts; the plan gives them 5 %.",
        "62 % of hours went to key accounts; the plan gives them 75 %.",
        "12 % of hours went to maintenance accounts; the plan gives them 20 %.",
    ]


def test_the_actual_time_page_and_its_api_cost_the_same_queries_for_3n_accounts(  # type: ignore[no-untyped-def]
    director, kam_user
):
    """N accounts with hours, then 3N: the page and each hours endpoint run as many queries
    (the sums are the database's); the page shows the top accounts and sums the rest."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests.conftest import client_for
    from tests.factories import AccountFactory

    review = make_review()

    def add(n: int) -> None:
        for i in range(n):
            account = AccountFactory(owner=kam_user)
            Placement.objects.create(review=review, account=account, box="key" if i % 2 else "")
            log(director, account, 30 + i, [kam_user], day=DAY)

    client = client_for(director)
    urls = [
        reverse("activities:actual_time") + "?start=2025-01-01&end=2025-12-31",
        "/api/activities/hours/boxes?start=2025-01-01&end=2025-12-31",
        "/api/activities/hours/accounts?start=2025-01-01&end=2025-12-31",
        "/api/activities/hours/people?start=2025-01-01&end=2025-12-31",
    ]

    def counts() -> list[int]:
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries))
        return out

    add(4)
    few = counts()
    add(8)
    more = counts()
    assert more == few
    boxes = client.get(urls[1]).json()
    assert {r["key"]: r["hours"] * 60 for r in boxes["rows"]}["key"] == sum(
        30 + i for i in range(4) if i % 2
    ) + sum(30 + i for i in range(8) if i % 2)
    total = sum(30 + i for i in range(4)) + sum(30 + i for i in range(8))
    assert boxes["total_hours"] * 60 == total


def test_the_actual_time_page_costs_the_same_queries_for_3n_accounts_for_a_manager(  # type: ignore[no-untyped-def]
    director, kam_user, other_kam
):
    """As for the sales director: a key account manager's page (their accounts only) runs
    as many queries for 3N accounts as for N, and sums only their own accounts' hours."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests.conftest import client_for
    from tests.factories import AccountFactory

    review = make_review()
    url = reverse("activities:actual_time") + "?start=2025-01-01&end=2025-12-31"
    client = client_for(kam_user)

    def add(n: int) -> None:
        for i in range(n):
            own = AccountFactory(owner=kam_user)
            other = AccountFactory(owner=other_kam)
            Placement.objects.create(review=review, account=own, box="key" if i % 2 else "")
            log(director, own, 30 + i, [kam_user], day=DAY)
            log(director, other, 1000, [other_kam], day=DAY)

    def count() -> tuple[int, str]:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    add(4)
    few, _html = count()
    add(8)
    more, html = count()
    assert more == few
    minutes = sum(30 + i for i in range(4)) + sum(30 + i for i in range(8))
    total = html.split('data-testid="total-hours"')[1].split("<")[0]
    assert total == f">{round(minutes / 60)}"


def test_the_actual_time_page_sums_each_figure_as_its_own_selector(  # type: ignore[no-untyped-def]
    director, kam_user, other_kam, member, viewer, logged
):
    """The page's one scan (boxes, top accounts and people) gives what each selector gives
    on its own, and its count of activities is the visible activities' count, for every
    role; by person, the hand-worked figures of ``logged``."""
    from kam.activities.models import Activity
    from kam.activities.selectors import (
        activity_count_in_period,
        activity_list_visible,
        actual_time_overview,
    )

    review = make_review()
    Placement.objects.create(review=review, account=logged["own"], box="key")
    Placement.objects.create(review=review, account=logged["other"], box="")
    Activity.objects.create(account=logged["other"], date=START, duration_minutes=15)  # nobody
    for user in (director, kam_user, member, viewer):
        boxes, top, people = actual_time_overview(
            start=START, end=END, user=user, review=review, limit=2
        )
        assert boxes == actual_hours_by_box(start=START, end=END, user=user, review=review)
        assert top == actual_hours_top_accounts(start=START, end=END, user=user, limit=2)
        assert people == actual_hours_by_person(start=START, end=END, user=user)
        assert (
            activity_count_in_period(start=START, end=END, user=user)
            == activity_list_visible(user=user).filter(date__gte=START, date__lte=END).count()
        )
    _boxes, _top, people = actual_time_overview(start=START, end=END, user=director, review=review)
    assert [(r.key, r.minutes) for r in people] == [
        (kam_user.pk, 150),
        (member.pk, 80),
        (other_kam.pk, 65),
        (director.pk, 45),
    ]
    assert activity_count_in_period(start=START, end=END, user=director) == 5
