"""The demo portfolio: what someone trying kam with ``make demo`` relies on."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kam.accounts.models import Account, AccountRevenue, AccountTeamMember
from kam.demo import DEMO_ORGANISATION, DemoLogins, demo_load
from kam.organisation.models import Box, ExchangeRate
from kam.organisation.selectors import organisation_get
from kam.portfolio.models import Placement, Rating, Review, ReviewStatus
from kam.portfolio.selectors import portfolio_review, review_previous
from kam.users.models import Role
from tests.demo_copy import DemoCopy
from tests.factories import AccountFactory

# Transactional: each test starts from an emptied database, into which the demo is loaded, or
# on SQLite restored from the copy of this process's first load (tests/demo_copy.py).
pytestmark = pytest.mark.django_db(transaction=True)

SEED = 11
ACCOUNTS = 60


@pytest.fixture(autouse=True)
def fast_hashing(settings):  # type: ignore[no-untyped-def]
    # Thirteen PBKDF2 hashes per load would dominate the run; logins work the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


_FIRST_LOAD = DemoCopy()


@pytest.fixture(autouse=True)
def _demo_copy(settings, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Lets ``load`` keep and restore the copy (it needs the test's settings)."""
    _STATE["settings"], _STATE["factory"] = settings, tmp_path_factory
    yield
    _STATE.clear()


_STATE: dict[str, object] = {}


def load(seed: int = SEED, **kwargs) -> tuple[DemoLogins, str]:  # type: ignore[no-untyped-def]
    """Load the demo; the output it printed is returned with the logins.

    The default load (seed ``SEED``, no options) into an empty database is the same in every
    test; on SQLite it runs once per process and later tests get a copy of its result.
    """
    default = seed == SEED and not kwargs and DemoCopy.usable()
    fresh = default and not Account.objects.exists() and not get_user_model().objects.exists()
    if fresh and _FIRST_LOAD.kept:
        return _FIRST_LOAD.restore(_STATE["settings"])  # type: ignore[no-any-return]
    out = io.StringIO()
    logins = demo_load(seed=seed, accounts=ACCOUNTS, stdout=out, **kwargs)
    if fresh:
        files = _STATE["factory"].mktemp("demo-copy")  # type: ignore[attr-defined]
        _FIRST_LOAD.keep(_STATE["settings"], files, (logins, out.getvalue()))
    return logins, out.getvalue()


def latest_and_previous() -> tuple[Review, Review]:
    latest = portfolio_review()
    assert latest is not None
    previous = review_previous(review=latest)
    assert previous is not None
    return latest, previous


def snapshot(review: Review) -> dict[str, tuple[object, ...]]:
    return {
        p.account.external_id: (
            p.box,
            p.attractiveness,
            p.strength,
            p.relative_strength,
            p.strength_axis,
            tuple(p.missing),
            tuple(p.disagreement),
        )
        for p in review.placements.select_related("account")
    }


def test_every_demo_login_works_with_the_printed_password_and_every_role_exists():
    logins, output = load()
    assert logins.password
    assert DEMO_ORGANISATION in output
    for username, label in logins.users:
        assert label
        assert Client().login(username=username, password=logins.password), username
    User = get_user_model()
    roles = set(
        User.objects.filter(username__in=[u for u, _label in logins.users]).values_list(
            "profile__role", flat=True
        )
    )
    assert roles == set(Role.values)
    assert organisation_get().name == DEMO_ORGANISATION


def test_accounts_have_three_years_of_revenue_groups_and_converted_currencies():
    load()
    assert Account.objects.count() == ACCOUNTS
    years = set(AccountRevenue.objects.values_list("year", flat=True))
    this_year = dt.date.today().year
    assert years == {this_year - 3, this_year - 2, this_year - 1}
    last = AccountRevenue.objects.filter(year=this_year - 1)
    assert last.count() == ACCOUNTS  # every customer bought something last year
    assert Account.objects.filter(parent__isnull=False).exists()  # groups with country companies
    assert len(set(Account.objects.values_list("country", flat=True))) >= 5
    currencies = set(Account.objects.values_list("currency", flat=True)) - {"EUR"}
    rates = set(ExchangeRate.objects.values_list("currency", flat=True))
    assert currencies and currencies <= rates
    assert not Account.objects.filter(owner__isnull=True).exists()


def test_latest_review_uses_the_second_scheme_version_and_places_accounts_in_all_four_boxes():
    load()
    latest, previous = latest_and_previous()
    assert latest.scheme_version.scheme_id == previous.scheme_version.scheme_id
    assert (previous.scheme_version.number, latest.scheme_version.number) == (1, 2)
    assert previous.status == ReviewStatus.CLOSED
    assert 330 <= (latest.review_date - previous.review_date).days <= 370
    boxes = Counter(latest.placements.values_list("box", flat=True))
    assert all(boxes[b] > 0 for b in Box.values), boxes
    assert boxes[Box.OPPORTUNISTIC] > boxes[Box.KEY]  # a long tail, few key accounts


def test_the_portfolio_is_the_latest_closed_review_and_a_later_one_is_open_and_partly_scored():
    load()
    latest, previous = latest_and_previous()
    assert latest.status == previous.status == ReviewStatus.CLOSED
    assert latest.closed_at is not None and latest.closed_by is not None
    (upcoming,) = Review.objects.filter(status=ReviewStatus.OPEN)
    assert upcoming.review_date > latest.review_date
    assert upcoming.scheme_version_id == latest.scheme_version_id
    scored = set(
        Rating.objects.filter(review=upcoming, derived=False).values_list("account_id", flat=True)
    )
    assert 0 < len(scored) < ACCOUNTS  # partly scored
    placements = Counter(upcoming.placements.values_list("box", flat=True))
    assert placements[""] > ACCOUNTS / 2  # most accounts not placed yet
    assert sum(n for box, n in placements.items() if box) > 0  # some already are
    # the open review does not become the portfolio
    assert Counter(latest.placements.values_list("box", flat=True))[""] < ACCOUNTS / 10


def test_some_accounts_changed_box_between_the_reviews_and_most_did_not():
    load()
    latest, previous = latest_and_previous()
    before = dict(previous.placements.values_list("account_id", "box"))
    now = dict(latest.placements.exclude(box="").values_list("account_id", "box"))
    moved = [pk for pk, box in now.items() if before.get(pk) and before[pk] != box]
    assert 0 < len(moved) < len(now) / 2


def test_the_box_moves_stored_at_close_equal_the_moves_computed_from_the_placements():
    """Every closed review of the demo (closed through ``review_close``) stores its moves
    against the closed review before it, equal to ``box_moves_compute``; the start page's
    selector reads the same list, and some of them are drops of a watched box."""
    from kam.pages.alerts import box_moves, box_moves_summary
    from kam.portfolio.models import ReviewMove
    from kam.portfolio.selectors import box_moves_compute

    load()
    closed = Review.objects.filter(status=ReviewStatus.CLOSED).order_by("review_date")
    assert closed.count() == 3
    for review in closed:
        previous = review_previous(review=review)
        stored = sorted(
            ReviewMove.objects.filter(review=review).values_list("account_id", "before", "after")
        )
        computed = sorted(box_moves_compute(review=review, previous=previous)) if previous else []
        assert stored == computed
        assert review.moves_previous == previous and review.moves_stored_at is not None
    latest, _previous = latest_and_previous()
    everything = Account.objects.all()
    read = box_moves(accounts=everything)
    assert sorted((m.account.pk, m.before, m.after) for m in read) == sorted(
        ReviewMove.objects.filter(review=latest).values_list("account_id", "before", "after")
    )
    summary = box_moves_summary(accounts=everything)
    assert summary.count == len(read) > 0 and summary.drops
    assert summary.listed == read[: len(summary.listed)]
    # the portfolio review deck (the matrix's rows) counts the same moves
    from kam.reports.portfolio_deck import review_deck

    director = get_user_model().objects.get(username="maarten")
    deck = review_deck(review=latest, user=director)
    assert sorted((m.name, m.from_box, m.to_box) for m in deck.moves) == sorted(
        (m.account.name, m.before, m.after) for m in read
    )


def test_matrix_has_trails_over_three_reviews_potentials_and_expected_positions():
    from kam.portfolio.matrix import MatrixFilters, axis_counts, matrix_rows

    load()
    latest, _previous = latest_and_previous()
    director = get_user_model().objects.get(username="maarten")
    rows = matrix_rows(review=latest, user=director, filters=MatrixFilters())
    placed = [r for r in rows if r["box"]]
    # Most placed accounts have two earlier positions: three closed reviews in all.
    assert sum(1 for r in placed if len(r["trail"]) == 2) > len(placed) / 2
    assert all(r["potential"] is not None for r in placed if r["revenue"])
    key_like = [r for r in placed if r["box"] in ("key", "key_development")]
    assert key_like and all(r["expected_attractiveness"] is not None for r in key_like)
    assert not any(
        r["expected_attractiveness"] is not None
        for r in placed
        if r["box"] in ("maintenance", "opportunistic")
    )
    counts = axis_counts(rows)
    assert counts["relative"] and counts["absolute"], "both kinds for the combined picture"


def test_latest_review_shows_disagreement_uncertainty_unplaced_and_absolute_accounts():
    load()
    latest, _previous = latest_and_previous()
    placements = list(latest.placements.all())
    assert any(p.disagreement for p in placements)
    assert any(p.uncertain for p in placements)
    unplaced = [p for p in placements if not p.box]
    assert unplaced and all(p.missing for p in unplaced)
    axes = Counter(p.strength_axis for p in placements if p.box)
    assert axes["relative"] > axes["absolute"] > 0
    flagged = Rating.objects.filter(review=latest).exclude(comment="")
    assert flagged.exists()  # the manager explains why they score so differently


def test_each_account_is_scored_by_the_director_its_manager_and_a_team_member():
    load()
    latest, _previous = latest_and_previous()
    director = get_user_model().objects.get(profile__role=Role.SALES_DIRECTOR)
    raters = set(latest.raters.values_list("pk", flat=True))
    by_account: dict[int, set[int]] = {}
    for account_id, rater_id in Rating.objects.filter(review=latest).values_list(
        "account_id", "rater_id"
    ):
        by_account.setdefault(account_id, set()).add(rater_id)
    assert len(by_account) == ACCOUNTS
    team = set(AccountTeamMember.objects.values_list("account_id", "user_id"))
    for account in Account.objects.all():
        who = by_account[account.pk]
        assert len(who) == 3 and who <= raters
        assert director.pk in who and account.owner_id in who
        (colleague,) = who - {director.pk, account.owner_id}
        assert (account.pk, colleague) in team


def test_one_manager_carries_more_key_accounts_than_the_limit_and_the_others_do_not():
    load()
    latest, _previous = latest_and_previous()
    limit = organisation_get().max_key_accounts_per_manager
    per_owner = Counter(
        Placement.objects.filter(review=latest, box=Box.KEY).values_list(
            "account__owner__username", flat=True
        )
    )
    over = [owner for owner, n in per_owner.items() if n > limit]
    assert len(over) == 1, per_owner


def test_loading_again_changes_nothing_and_says_so():
    logins, _output = load()
    accounts = Account.objects.count()
    ratings = Rating.objects.count()
    again, output = load()
    assert "already loaded" in output
    assert again == logins
    assert Account.objects.count() == accounts
    assert Rating.objects.count() == ratings
    assert Review.objects.count() == 4  # three closed (trails on the matrix), one open


def test_the_same_seed_gives_the_same_placements_and_another_seed_does_not():
    load()
    latest, _previous = latest_and_previous()
    first = snapshot(latest)
    _logins, output = load(reset=True)
    assert "Removed the earlier demo data" in output
    assert Account.objects.count() == ACCOUNTS
    assert Review.objects.count() == 4  # three closed (trails on the matrix), one open
    latest, _previous = latest_and_previous()
    assert snapshot(latest) == first
    load(seed=SEED + 1, reset=True)
    latest, _previous = latest_and_previous()
    assert snapshot(latest) != first


def test_the_demo_refuses_a_database_with_accounts_of_its_own():
    AccountFactory(name="Real customer", external_id="R-1")
    logins, output = load()
    assert logins.users == []
    assert "Nothing was changed" in output
    assert Account.objects.count() == 1
    assert not Review.objects.exists()


def test_a_dutch_link_whose_customer_signed_off_the_approved_plan_and_updated_an_action():
    from kam.notifications.models import CustomerUpdate, CustomerUpdateKind
    from kam.plans.models import PlanSignOff, PlanStatus

    _logins, output = load()
    (sign_off,) = PlanSignOff.objects.select_related("link", "plan", "version")
    assert sign_off.link is not None and sign_off.link.language == "nl"
    assert sign_off.person_name == sign_off.link.person_name and sign_off.person_role
    assert sign_off.plan.status == PlanStatus.APPROVED
    assert sign_off.version == sign_off.plan.versions.order_by("-number").first()
    assert "Share link in Dutch for" in output and "plan signed off" in output
    kinds = set(CustomerUpdate.objects.values_list("kind", flat=True))
    assert kinds == {CustomerUpdateKind.ACTION, CustomerUpdateKind.SIGN_OFF}
    assert CustomerUpdate.objects.get(kind=CustomerUpdateKind.SIGN_OFF).recipient == (
        sign_off.plan.account.owner
    )


def test_the_year_plan_gives_every_account_hours_and_the_policies_a_service_channel():
    from kam.allocation.models import AllocationLine, AllocationRun, PlannedBy, RunStatus
    from kam.organisation.models import BoxPolicy

    load()
    channels = dict(BoxPolicy.objects.values_list("box", "service_channel"))
    assert channels == {
        "key": "key_account_team",
        "key_development": "key_account_team",
        "maintenance": "field",
        "opportunistic": "inside_sales",
    }
    run = AllocationRun.objects.get(status=RunStatus.DONE)
    assert run.summary["uplift"] > 0  # against today's hours, given the same usable hours
    active = Account.objects.filter(active=True).count()
    assert run.lines.count() == active == run.summary["accounts"]
    policy = AllocationLine.objects.filter(run=run, planned_by=PlannedBy.POLICY)
    by_box = Counter(policy.filter(hours__gt=0).values_list("box", flat=True))
    assert by_box["opportunistic"] > 0 and by_box["maintenance"] > 0
    assert run.summary["planned_hours"] <= run.summary["capacity_hours"]


def test_the_demo_start_pages_have_something_true_in_every_section():
    load()
    users = get_user_model().objects.in_bulk(["sanne", "maarten"], field_name="username")
    for username, sections in {
        "sanne": [
            'data-testid="overdue-action"',
            'data-testid="review-to-score"',
            'data-testid="customer-update"',
            'data-kind="box_drop"',
            'data-kind="champion_lost"',
            'data-testid="change-updates"',
            'data-testid="change-findings"',
            'data-testid="change-activities"',
            'data-testid="change-actions"',
        ],
        "maarten": [
            'data-testid="overdue-action"',
            'data-testid="review-to-score"',
            'data-testid="customer-update"',
            'data-testid="moved-account"',
            'data-testid="start-capacity"',
            'data-kind="box_drop"',
            'data-kind="champion_lost"',
        ],
    }.items():
        client = Client()
        client.force_login(users[username])
        html = client.get("/").content.decode()
        missing = [s for s in sections if s not in html]
        assert not missing, f"{username}: {missing}"


def test_the_actual_time_page_reads_the_hours_the_demo_stored():
    """The demo writes its activities in bulk and then stores the actual-time sums of
    today's twelve months: the sales director's page reads them, and they are the hours
    summed from the activities."""
    from django.utils import timezone

    from kam.activities.models import HoursDirty, HoursSnapshot
    from kam.activities.selectors import (
        actual_hours_by_box,
        actual_hours_by_person,
        actual_hours_top_accounts,
        actual_time_overview,
        period_start_default,
    )

    load()
    today = timezone.localdate()
    assert HoursSnapshot.objects.get().as_of == today
    assert not HoursDirty.objects.exists()
    director = get_user_model().objects.get(username="maarten")
    start, review = period_start_default(today), portfolio_review()
    boxes, top, people = actual_time_overview(
        start=start, end=today, user=director, review=review, limit=10
    )
    assert top.total_minutes > 0
    assert boxes == actual_hours_by_box(start=start, end=today, user=director, review=review)
    assert top == actual_hours_top_accounts(start=start, end=today, user=director, limit=10)
    assert people == actual_hours_by_person(start=start, end=today, user=director)
