"""The start page at / (docs/start.md): what needs a key account manager or a director today."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.activities.services import activity_create
from kam.notifications.models import CustomerUpdate
from kam.pages import alerts
from kam.plans import services as plan_services
from kam.plans.models import ActionStatus, PlanAction
from kam.portfolio.models import Placement, Review, ReviewStatus
from kam.relationships.findings_store import findings_refresh
from kam.relationships.models import Contact
from kam.users.models import StartVisit
from kam.users.services import START_SESSION_GAP
from tests.conftest import client_for
from tests.factories import (
    AccountFactory,
    AccountTeamMemberFactory,
    CriterionFactory,
    ReviewFactory,
    SchemeVersionFactory,
)

TODAY = timezone.localdate()


def _review(name: str, day: dt.date, status: str = ReviewStatus.CLOSED) -> Review:
    version = SchemeVersionFactory(scheme__name="Scheme")
    if not version.criteria.exists():
        CriterionFactory(version=version, key="size", name="Size", weight=10)
    closed = timezone.now() - dt.timedelta(days=30) if status == ReviewStatus.CLOSED else None
    return ReviewFactory(
        name=name, review_date=day, scheme_version=version, status=status, closed_at=closed
    )


def _place(review: Review, account, box: str) -> None:  # type: ignore[no-untyped-def]
    Placement.objects.create(review=review, account=account, box=box)


def _account_with_plan(owner, name: str, box_before: str, box_now: str, reviews):  # type: ignore[no-untyped-def]
    account = AccountFactory(name=name, owner=owner)
    _place(reviews[0], account, box_before)
    _place(reviews[1], account, box_now)
    plan = plan_services.plan_create(
        user=owner,
        account=account,
        period_label=str(TODAY.year),
        period_start=dt.date(TODAY.year, 1, 1),
        period_end=dt.date(TODAY.year, 12, 31),
    )
    return account, plan


def _action(plan, what: str, due: dt.date, **kwargs) -> PlanAction:  # type: ignore[no-untyped-def]
    return PlanAction.objects.create(plan=plan, what=what, due_date=due, **kwargs)


@pytest.fixture
def world(kam_user, other_kam, director):  # type: ignore[no-untyped-def]
    """Two closed reviews a year apart and an open one; kam_user owns Alpha (key →
    maintenance: a drop), Beta (key development → key, its champion left) and Gamma
    (opportunistic throughout); other_kam owns Delta (key throughout)."""
    reviews = [
        _review("Spring last year", TODAY - dt.timedelta(days=400)),
        _review("Spring this year", TODAY - dt.timedelta(days=35)),
    ]
    alpha, alpha_plan = _account_with_plan(kam_user, "Alpha Foods", "key", "maintenance", reviews)
    beta, _beta_plan = _account_with_plan(
        kam_user, "Beta Retail", "key_development", "key", reviews
    )
    gamma, _ = _account_with_plan(
        kam_user, "Gamma Online", "opportunistic", "opportunistic", reviews
    )
    delta, delta_plan = _account_with_plan(other_kam, "Delta Other", "key", "key", reviews)
    Contact.objects.create(
        account=beta,
        number=1,
        name="Chris Champion",
        attitude="champion",
        has_left=True,
        left_on=TODAY - dt.timedelta(days=10),
    )
    overdue = _action(
        alpha_plan, "Send the listing proposal", TODAY - dt.timedelta(days=5), owner_user=kam_user
    )
    coming = _action(
        alpha_plan,
        "Approve the shelf plan",
        TODAY + dt.timedelta(days=3),
        owner_side="theirs",
        owner_contact_name="Ann Buyer",
    )
    _action(alpha_plan, "Old and done", TODAY - dt.timedelta(days=9), status=ActionStatus.DONE)
    _action(alpha_plan, "Far ahead", TODAY + dt.timedelta(days=60))
    _action(delta_plan, "Delta's late thing", TODAY - dt.timedelta(days=2), owner_user=other_kam)
    CustomerUpdate.objects.create(
        recipient=kam_user,
        action=coming,
        plan=coming.plan,
        person_name="Ann Buyer",
        status_to=ActionStatus.IN_PROGRESS,
        comment="On it",
    )
    open_review = _review("Autumn scoring", TODAY, status=ReviewStatus.OPEN)
    open_review.raters.add(kam_user, director)
    findings_refresh()  # what the findings_refresh job does once the transaction commits
    return SimpleNamespace(
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        delta=delta,
        overdue=overdue,
        coming=coming,
        open_review=open_review,
        reviews=reviews,
    )


def _section(html: str, testid: str) -> str:
    """From the element marked ``testid`` to the end of its section (or of ``html``)."""
    start = html.index(f'data-testid="{testid}"')
    end = html.find("</section>", start)
    return html[start : end if end >= 0 else len(html)]


def test_a_managers_start_page_shows_what_needs_them(kam_user, world):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()

    alerts_html = _section(html, "start-alerts")
    assert "Alpha Foods" in alerts_html and "dropped from Key to Maintenance" in alerts_html
    assert "Beta Retail" in alerts_html and "lost its champion Chris Champion" in alerts_html
    assert "Gamma Online" not in alerts_html and "Delta Other" not in alerts_html

    actions_html = _section(html, "start-actions")
    detail = reverse("plans:detail", args=[world.overdue.plan_id])
    assert f'{detail}#action-{world.overdue.pk}"' in actions_html
    assert f'{detail}#action-{world.coming.pk}"' in actions_html  # the customer's
    assert "Old and done" not in actions_html and "Far ahead" not in actions_html
    assert "Delta&#x27;s late thing" not in actions_html  # another manager's account

    reviews_html = _section(html, "start-reviews")
    assert reverse("portfolio:review_score", args=[world.open_review.pk]) in reviews_html

    updates_html = _section(html, "start-updates")
    assert "Ann Buyer" in updates_html and "set the status to In progress" in updates_html

    findings_html = _section(html, "start-findings")
    assert "Champion left" in findings_html
    assert "first visit" in _section(html, "start-changes")
    assert 'data-testid="start-capacity"' not in html and 'data-testid="start-moved"' not in html

    boxes_html = _section(html, "start-boxes")
    assert "Alpha Foods" in boxes_html and "Delta Other" not in boxes_html


def test_a_directors_start_page_adds_capacity_and_the_accounts_that_moved(director, world):  # type: ignore[no-untyped-def]
    html = client_for(director).get(reverse("home")).content.decode()
    moved = _section(html, "start-moved")
    assert "Alpha Foods" in moved and "Beta Retail" in moved
    assert "Gamma Online" not in moved and "Delta Other" not in moved
    capacity = _section(html, "start-capacity")
    assert reverse("portfolio:matrix") in capacity
    assert "Delta&#x27;s late thing" in _section(html, "start-actions")


def test_empty_sections_say_something_useful(kam_user):  # type: ignore[no-untyped-def]
    html = client_for(kam_user).get(reverse("home")).content.decode()
    assert "None" not in html
    assert "Nothing overdue" in html
    assert "No open review is waiting for your scores." in html
    assert "No key or key development account dropped a box" in html


def test_the_nav_starts_with_start_and_keeps_the_matrix(kam_user):  # type: ignore[no-untyped-def]
    html = client_for(kam_user).get(reverse("home")).content.decode()
    nav = html[html.index('class="mainnav"') :]
    assert nav.index(f'href="{reverse("home")}"') < nav.index(
        f'href="{reverse("portfolio:matrix")}"'
    )


def test_since_the_last_visit_shows_what_others_did_and_survives_a_reload(  # type: ignore[no-untyped-def]
    kam_user, member, world
):
    client = client_for(kam_user)
    client.get(reverse("home"))  # first visit
    visit = StartVisit.objects.get(user=kam_user)
    assert visit.since is None
    # two hours later ...
    StartVisit.objects.filter(pk=visit.pk).update(
        last_seen_at=visit.last_seen_at - START_SESSION_GAP - dt.timedelta(hours=2)
    )
    AccountTeamMemberFactory(account=world.alpha, user=member)
    activity_create(
        user=member,
        account=world.alpha,
        date=TODAY,
        duration_minutes=30,
        type="call",
        participants=[member],
        topic="Call about the promotion",
    )
    Contact.objects.create(
        account=world.gamma, number=1, name="Dana Decider", buying_roles=["decider"]
    )
    findings_refresh()
    html = client.get(reverse("home")).content.decode()
    changes = _section(html, "start-changes")
    assert "Call about the promotion" in _section(changes, "change-activities")
    assert "Gamma Online" in _section(changes, "change-findings").split("change-activities")[0]
    # what the manager did themselves is not news to them
    client.get(reverse("home"))
    html_again = client.get(reverse("home")).content.decode()
    assert "Call about the promotion" in _section(html_again, "start-changes")


def test_a_review_closed_since_the_last_visit_shows_its_box_changes(kam_user, world):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    client.get(reverse("home"))
    long_ago = timezone.now() - dt.timedelta(days=60)
    StartVisit.objects.filter(user=kam_user).update(last_seen_at=long_ago)
    html = client.get(reverse("home")).content.decode()
    boxes = _section(_section(html, "start-changes"), "change-boxes")
    assert "Alpha Foods" in boxes and "Beta Retail" in boxes and "Gamma" not in boxes


def test_many_activities_since_the_last_visit_are_counted_up_to_a_point(  # type: ignore[no-untyped-def]
    kam_user, member, world, monkeypatch
):
    client = client_for(kam_user)
    client.get(reverse("home"))
    StartVisit.objects.filter(user=kam_user).update(
        last_seen_at=timezone.now() - START_SESSION_GAP - dt.timedelta(hours=1)
    )
    AccountTeamMemberFactory(account=world.alpha, user=member)
    for i in range(10):
        activity_create(
            user=member,
            account=world.alpha,
            date=TODAY,
            duration_minutes=30,
            type="call",
            participants=[member],
            topic=f"Call number {i}",
        )
    monkeypatch.setattr("kam.pages.start.COUNTED_ACTIVITIES", 9)
    changes = _section(client.get(reverse("home")).content.decode(), "change-activities")
    # beyond the point the page says "more than", and lists the newest eight
    assert "More than 9 activities logged." in changes
    assert "Call number 9" in changes and "Call number 2" in changes
    assert "Call number 1" not in changes
    monkeypatch.setattr("kam.pages.start.COUNTED_ACTIVITIES", 100)
    changes = _section(client.get(reverse("home")).content.decode(), "change-activities")
    assert "10 activities logged." in changes and "More than" not in changes


def test_new_activities_are_read_along_indexes_on_their_creation_time(db):  # type: ignore[no-untyped-def]
    """The migration gives the start page's "since your last visit" its indexes."""
    from kam.activities.models import Activity

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Activity._meta.db_table)
    assert any(c["index"] and c["columns"] == ["created_at"] for c in constraints.values())
    assert any(
        c["index"] and c["columns"] == ["account_id", "created_at"] for c in constraints.values()
    )


@pytest.mark.parametrize("who", ["kam_user", "director"])
def test_new_activities_are_read_along_those_indexes_on_sqlite(who, request, world):  # type: ignore[no-untyped-def]
    """Not every activity of every account: a director's along the index on created_at from
    the last visit on, newest first (the list stops at its LIMIT, the count at
    COUNTED_ACTIVITIES); a manager's per account from the last visit on."""
    from kam.pages.start import COUNTED_ACTIVITIES, SHOWN, activities_since, start_scope

    if connection.vendor != "sqlite":
        pytest.skip("the query plan asked of SQLite")
    user = request.getfixturevalue(who)
    director = who == "director"
    new = activities_since(
        user=user,
        scope=start_scope(user=user),
        since=timezone.now() - dt.timedelta(days=1),
        whole_portfolio=director,
    )
    for query in (
        new.select_related("account").order_by("-created_at", "-pk")[:SHOWN],
        new.order_by()[: COUNTED_ACTIVITIES + 1],
    ):
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
        if director:  # the newest first, stopping at the LIMIT: no sort
            assert "activities_activity USING INDEX activities__created" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
        else:  # each account's activities after the last visit, not all of them
            assert "(account_id=? AND created_at>?)" in plan, plan


def _more_accounts(owner, reviews, n: int, start: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(start, start + n):
        account, plan = _account_with_plan(owner, f"Extra {i:02d}", "key", "maintenance", reviews)
        Contact.objects.create(
            account=account, number=1, name=f"Boss {i}", buying_roles=["decider"]
        )
        late = _action(plan, f"Late {i}", TODAY - dt.timedelta(days=3), owner_user=owner)
        _action(plan, f"Soon {i}", TODAY + dt.timedelta(days=2), owner_side="theirs")
        CustomerUpdate.objects.create(
            recipient=owner, action=late, plan=late.plan, person_name="X", comment="c"
        )


@pytest.mark.parametrize("who", ["kam_user", "director"])
def test_the_number_of_queries_does_not_grow_with_the_accounts(who, request, world):  # type: ignore[no-untyped-def]
    user = request.getfixturevalue(who)
    owner = request.getfixturevalue("kam_user")
    client = client_for(user)
    client.get(reverse("home"))  # the first visit creates the visit row

    def count() -> int:
        StartVisit.objects.filter(user=user).update(
            last_seen_at=timezone.now() - dt.timedelta(days=90)
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return len(queries)

    _more_accounts(owner, world.reviews, 2, 0)
    findings_refresh()
    few = count()
    _more_accounts(owner, world.reviews, 9, 10)
    findings_refresh()
    assert count() == few


# --- the alert rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "alert"),
    [
        ("key", "key_development", True),
        ("key", "opportunistic", True),
        ("key_development", "maintenance", True),
        ("key_development", "key", False),  # up, not down
        ("maintenance", "opportunistic", False),  # not a watched box
        ("key", "key", False),
    ],
)
def test_a_box_drop_is_a_watched_account_going_down(before, after, alert):  # type: ignore[no-untyped-def]
    account = SimpleNamespace(pk=1, name="A")
    move = alerts.BoxMove(account, before, after)  # type: ignore[arg-type]
    assert bool(alerts.box_drop_alerts([move])) is alert


def test_a_contribution_alert_compares_the_last_twelve_months_with_the_twelve_before(
    monkeypatch, db
):  # type: ignore[no-untyped-def]
    from kam.economics.ledger_store import RecentRead
    from kam.economics.pnl import LatestFigures

    falls = SimpleNamespace(pk=1, name="Falls")
    grows = SimpleNamespace(pk=2, name="Grows")
    young = SimpleNamespace(pk=3, name="Young")
    small = SimpleNamespace(pk=4, name="Small")
    asked = []
    complete = [True, True]

    def figures(pk: int, contribution: float) -> LatestFigures:
        return LatestFigures(pk, "USD", 2.0, 5000.0, contribution, 100.0, 10.0)

    def fake_recent(*, account_query, account_ids, as_of, last):  # type: ignore[no-untyped-def]
        asked.extend(account_ids)
        periods = [SimpleNamespace(complete=ok) for ok in complete]
        return RecentRead(
            periods=periods,  # type: ignore[arg-type]
            figures={
                1: [figures(1, 1000.0), figures(1, 900.0)],
                2: [figures(2, 900.0), figures(2, 1000.0)],
                3: [figures(3, 100.0)],  # one period only: nothing to compare
            },
        )

    monkeypatch.setattr("kam.economics.ledger_store.ledgers_recent_read", fake_recent)

    def found() -> list[tuple[str, float | None, float | None]]:
        return [
            (a.account.name, a.contribution, a.previous_contribution)
            for a in alerts.contribution_alerts(
                accounts=[falls, grows, young, small],  # type: ignore[list-item]
                boxes={1: "key", 2: "key_development", 3: "key", 4: "maintenance"},
                as_of=TODAY,
            )
        ]

    assert found() == [("Falls", 1800.0, 2000.0)]  # in the base currency (rate 2 here)
    assert 4 not in asked  # maintenance accounts raise no alert
    complete[0] = False  # the twelve months before are not complete: no comparison
    assert found() == []


def _start_page_msgids() -> set[str]:
    """The English texts the start page translates: its templates (with its alerts and the
    alerts page) and kam.pages.start."""
    import re
    from pathlib import Path

    import kam.pages
    import kam.web

    root = Path(kam.web.__file__).parent
    ids: set[str] = set()
    for name in ("start.html", "_alert.html", "alerts.html"):
        template = (root / "templates/web" / name).read_text()
        ids |= set(re.findall(r'\{%\s*translate\s+"((?:[^"\\]|\\.)*)"', template))
    code = (Path(kam.pages.__file__).parent / "start.py").read_text()
    ids |= set(re.findall(r'(?:\b_|gettext(?:_lazy)?)\(\s*"((?:[^"\\]|\\.)*)"', code))
    return ids


def test_the_dutch_start_page_says_kwadrant_and_beoordeling():
    """The Dutch of the start page's texts uses the vocabulary of the other pages: box =
    kwadrant, review = beoordeling (never "vak" or "review")."""
    import re

    from django.utils import translation

    ids = _start_page_msgids()
    assert "Your accounts by box" in ids and "No open review is waiting for your scores." in ids
    with translation.override("nl"):
        dutch = {text: translation.gettext(text) for text in ids}
    mixed = {k: v for k, v in dutch.items() if re.search(r"\bvak|review", v, re.IGNORECASE)}
    assert mixed == {}
    assert dutch["Your accounts by box"] == "Uw klanten per kwadrant"
    assert "beoordeling" in dutch["No open review is waiting for your scores."]


@pytest.mark.parametrize("who", ["kam_user", "director"])
def test_the_scores_left_are_the_review_pages_progress_of_the_person(who, request, world):  # type: ignore[no-untyped-def]
    """The start page counts the person's own progress only, with the review page's
    definition (``review_progress_map``): the other rater's scores do not count."""
    from kam.portfolio.models import Rating
    from kam.portfolio.review_selectors import review_progress_map

    user = request.getfixturevalue(who)
    kam_user, director = request.getfixturevalue("kam_user"), request.getfixturevalue("director")
    review = world.open_review
    criterion = review.scheme_version.criteria.get()
    for rater, accounts in ((kam_user, [world.alpha]), (director, [world.beta, world.delta])):
        for account in accounts:
            Rating.objects.create(
                review=review, account=account, rater=rater, criterion=criterion, score=5
            )
    (mine,) = [p for p in review_progress_map(reviews=[review])[review.pk] if p.rater == user]
    assert (mine.scored, mine.cells) == ((1, 3) if who == "kam_user" else (2, 4))

    html = _section(client_for(user).get(reverse("home")).content.decode(), "start-reviews")
    left = mine.cells - mine.scored
    assert f"{mine.scored} of {mine.cells} scores given, {left} to go" in html


def test_the_persons_scores_are_counted_along_the_review_and_rater_index(kam_user, world):  # type: ignore[no-untyped-def]
    """Counting the person's own scores reads their scores of the open review only (the
    index on review and rater), not every rater's (300,000 in a large review)."""
    from kam.portfolio.review_selectors import review_progress_map

    if connection.vendor != "sqlite":
        pytest.skip("the query plan asked of SQLite")
    review = world.open_review
    with CaptureQueriesContext(connection) as queries:
        review_progress_map(reviews=[review], raters={kam_user.pk})
    (sql,) = [q["sql"] for q in queries.captured_queries if 'FROM "portfolio_rating"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
    assert "portfolio_rating USING INDEX portfolio_r_review__317fe1_idx" in plan, plan
    assert "(review_id=? AND rater_id=?)" in plan, plan
