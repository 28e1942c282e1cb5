"""The review page (/portfolio/reviews/<id>/) costs the same number of queries whatever the
number of accounts and raters, and each rater's progress counts the accounts that rater
reads (``account_list_visible``), counted for all raters at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.accounts.models import Account, AccountTeamMember
from kam.accounts.selectors import account_list_visible
from kam.portfolio.models import Criterion, Review, SchemeVersion, ScoringScheme
from kam.portfolio.review_selectors import review_progress_map
from kam.portfolio.services import review_create
from kam.users.models import Role
from tests.conftest import client_for
from tests.factories import make_user
from tests.portfolio.test_matrix import REVIEW_DATE, matrix_portfolio

pytestmark = pytest.mark.django_db


def _portfolio(director, kam_user, other_kam, *, extra: int, more_raters: int):  # type: ignore[no-untyped-def]
    """The matrix portfolio (closed) with the managers and a team member as raters, and an
    open review after it with the same raters."""
    portfolio = matrix_portfolio(director=director, owners=[kam_user, other_kam], extra=extra)
    member = make_user(Role.TEAM_MEMBER, username=f"member-{extra}")
    AccountTeamMember.objects.create(account=portfolio.accounts["Gamma Foodservice"], user=member)
    # a manager on the team of an account they also own counts it once
    AccountTeamMember.objects.create(account=portfolio.accounts["Alpha Retail"], user=kam_user)
    raters = [director, kam_user, other_kam, member] + [
        make_user(Role.KEY_ACCOUNT_MANAGER, username=f"extra-kam-{extra}-{i}")
        for i in range(more_raters)
    ]
    portfolio.review.raters.add(*raters)
    review_create(
        name="Open one",
        review_date=REVIEW_DATE.replace(year=REVIEW_DATE.year + 1),
        scheme_version=portfolio.review.scheme_version,
        raters=raters,
        created_by=director,
    )
    return portfolio


def _queries(director, review: Review) -> int:  # type: ignore[no-untyped-def]
    client = client_for(director)
    url = reverse("portfolio:review_detail", args=[review.pk])
    client.get(url)  # the first request may create the organisation
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _assert_progress_is_what_each_rater_reads(review: Review) -> None:
    n_criteria = Criterion.objects.filter(version=review.scheme_version, fact="").count()
    (progress,) = review_progress_map(reviews=[review]).values()
    assert len(progress) >= 4
    for p in progress:
        scope = account_list_visible(user=p.rater)
        if review.is_closed:
            scope = scope.filter(placements__review=review)
        else:
            scope = scope.filter(active=True)
        assert p.cells == scope.count() * n_criteria, p.rater.username


def _reset() -> None:
    Review.objects.all().delete()
    Account.objects.all().delete()
    SchemeVersion.objects.all().delete()
    ScoringScheme.objects.all().delete()


def test_the_review_page_costs_the_same_queries_at_3n_accounts_and_more_raters(
    director, kam_user, other_kam
):  # type: ignore[no-untyped-def]
    small = _portfolio(director, kam_user, other_kam, extra=5, more_raters=0)  # 10 accounts
    open_small = Review.objects.get(name="Open one")
    few_closed = _queries(director, small.review)
    few_open = _queries(director, open_small)
    for review in (small.review, open_small):
        _assert_progress_is_what_each_rater_reads(review)
    # the managers read fewer accounts than the director: the counts are really limited
    (progress,) = review_progress_map(reviews=[small.review]).values()
    cells = {p.rater.username: p.cells for p in progress}
    assert 0 < cells["kam1"] < cells["director"] and 0 < cells["member-5"] < cells["kam1"]

    _reset()
    large = _portfolio(director, kam_user, other_kam, extra=25, more_raters=5)  # 30 accounts
    open_large = Review.objects.get(name="Open one")
    assert _queries(director, large.review) == few_closed
    assert _queries(director, open_large) == few_open
    for review in (large.review, open_large):
        _assert_progress_is_what_each_rater_reads(review)


def test_a_closed_reviews_scores_per_rater_are_stored_at_close_and_equal_the_count(
    director, kam_user, other_kam
):  # type: ignore[no-untyped-def]
    from kam.portfolio.review_selectors import frozen_scored_counts

    portfolio = matrix_portfolio(director=director, owners=[kam_user, other_kam], extra=3)
    for review in (portfolio.previous, portfolio.review):
        review.refresh_from_db()
        computed = frozen_scored_counts(review_ids=[review.pk])
        assert computed, "the director scored these reviews"
        assert review.scored_by_rater == {str(rater): n for (_r, rater), n in computed.items()}
    # the progress read from the store is the progress counted from the scores
    stored = review_progress_map(reviews=[portfolio.review])
    Review.objects.filter(pk=portfolio.review.pk).update(scored_by_rater=None)
    portfolio.review.refresh_from_db()
    counted = review_progress_map(reviews=[portfolio.review])
    assert [(p.rater.pk, p.scored, p.cells) for p in stored[portfolio.review.pk]] == [
        (p.rater.pk, p.scored, p.cells) for p in counted[portfolio.review.pk]
    ]
    assert stored[portfolio.review.pk][0].scored > 0
