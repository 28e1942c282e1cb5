"""Box moves stored when a review closes (``ReviewMove``, docs/start.md).

Closing a review stores the accounts whose box differs from the closed review before it;
the start page, its alerts and its "since your last visit" read them through
``kam.pages.alerts.box_moves`` / ``box_moves_summary``. The store must equal the
computation from the placements (``box_moves_compute``) — also when a review dated before
the portfolio review is closed later, which changes the portfolio review's "before".

The setup is ``tests.portfolio.test_review_lifecycle.world``: the portfolio review (Alpha
key, Beta key development, Gamma maintenance, Delta opportunistic, Epsilon not placed;
Alpha was key development and Gamma maintenance in the review before) and a new open
review placing Alpha opportunistic, Beta and Delta key and leaving Gamma unplaced.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kam.accounts.models import Account
from kam.pages.alerts import box_moves, box_moves_summary, review_pair
from kam.portfolio.models import Review, ReviewMove
from kam.portfolio.selectors import box_moves_compute, review_previous
from kam.portfolio.services import review_close, review_compute, review_create
from tests.portfolio.test_matrix import PROFILES, score
from tests.portfolio.test_review_lifecycle import world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _stored(review: Review) -> set[tuple[str, str, str]]:
    return {
        (m.account.name, m.before, m.after)
        for m in ReviewMove.objects.filter(review=review).select_related("account")
    }


def _computed(review: Review) -> set[tuple[str, str, str]]:
    previous = review_previous(review=review)
    assert previous is not None
    names = dict(Account.objects.values_list("pk", "name"))
    return {(names[pk], b, a) for pk, b, a in box_moves_compute(review=review, previous=previous)}


def test_closing_a_review_stores_its_moves_worked_by_hand(world, director):  # noqa: F811
    portfolio, new = world
    # the portfolio review was closed after the one before it: Alpha key development → key
    assert _stored(portfolio.review) == {("Alpha Retail", "key_development", "key")}
    review_close(review=new, closed_by=director)
    new.refresh_from_db()
    # Gamma is not placed in the new review and Epsilon in neither: no move for them
    expected = {
        ("Alpha Retail", "key", "opportunistic"),
        ("Beta Wholesale", "key_development", "key"),
        ("Delta Online", "opportunistic", "key"),
    }
    assert _stored(new) == expected == _computed(new)
    assert new.moves_previous == portfolio.review and new.moves_stored_at is not None
    # read through the selector, by account name, for everything and for one manager's
    everything = Account.objects.all()
    assert [(m.account.name, m.before, m.after) for m in box_moves(accounts=everything)] == sorted(
        expected
    )
    summary = box_moves_summary(accounts=everything, listed=2)
    assert summary.count == 3
    assert [m.account.name for m in summary.listed] == ["Alpha Retail", "Beta Wholesale"]
    assert [(m.account.name, m.after) for m in summary.drops] == [("Alpha Retail", "opportunistic")]
    alpha_only = Account.objects.filter(name="Alpha Retail")
    assert box_moves_summary(accounts=alpha_only).count == 1


def test_the_stored_moves_equal_the_computed_ones_read_either_way(world, director):  # noqa: F811
    _portfolio, new = world
    review_close(review=new, closed_by=director)
    everything = Account.objects.all()
    stored = box_moves(accounts=everything)
    # forget that they were stored: the selector computes them from the placements
    Review.objects.filter(pk=new.pk).update(moves_stored_at=None)
    computed = box_moves(accounts=everything, pair=review_pair())
    assert [(m.account.pk, m.before, m.after) for m in stored] == [
        (m.account.pk, m.before, m.after) for m in computed
    ]
    assert box_moves_summary(accounts=everything).count == len(computed) == 3


def test_closing_an_earlier_review_later_restores_the_portfolio_reviews_moves(world, director):  # noqa: F811
    """A review dated between the two closed ones and closed last becomes the portfolio
    review's "before": the stored moves follow, so the start page does not lag behind."""
    portfolio, _new = world
    middle = review_create(
        name="Review spring 2026",
        review_date=portfolio.review.review_date - dt.timedelta(days=30),
        scheme_version=portfolio.review.scheme_version,
        raters=[director],
        created_by=director,
    )
    assert portfolio.previous.review_date < middle.review_date
    for name, box in (("Beta Wholesale", "key"), ("Delta Online", "maintenance")):
        score(middle, director, portfolio.accounts[name], PROFILES[box])
    review_compute(review=middle)
    review_close(review=middle, closed_by=director)
    portfolio.review.refresh_from_db()
    assert portfolio.review.moves_previous == middle
    expected = {
        ("Beta Wholesale", "key", "key_development"),
        ("Delta Online", "maintenance", "opportunistic"),
    }
    assert _stored(portfolio.review) == expected == _computed(portfolio.review)
    # the start page's pair reads the stored moves of the new pair
    assert {
        (m.account.name, m.before, m.after) for m in box_moves(accounts=Account.objects.all())
    } == expected
