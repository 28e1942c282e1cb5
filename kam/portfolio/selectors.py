"""Reads of schemes, reviews and placements (the selection matrix, docs/method.md section 1).

"The portfolio" -- the boxes every other part of kam works with (account pages and lists,
allocation, plan templates, economics, the business case, warnings, API defaults) -- is the
latest CLOSED review, ``portfolio_review()``. It is defined here and only here: a review
that is open for scoring is work in progress (half-scored, its boxes still moving) and a
cancelled one was opened by mistake; neither changes what the rest of kam shows. Call
``account_box`` or ``boxes_of`` for an account's box; never pick a review by date elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from kam.accounts.models import Account, AccountRevenue
from kam.accounts.selectors import account_list_visible, revenue_year_last
from kam.core.scoring import Criterion as CoreCriterion
from kam.core.scoring import Scheme
from kam.organisation.selectors import exchange_rates_get, organisation_get
from kam.portfolio.models import Axis, Outlook, Placement, Review, ReviewStatus, SchemeVersion


def scheme_version_to_core(*, version: SchemeVersion) -> Scheme:
    """The plain ``kam.core`` scheme of a stored version (criteria in their display order)."""
    att: list[CoreCriterion] = []
    strength: list[CoreCriterion] = []
    for c in version.criteria.all():
        core = CoreCriterion(
            key=c.key,
            name=c.name,
            weight=c.weight,
            anchors={2: c.anchor_2, 5: c.anchor_5, 8: c.anchor_8},
        )
        (att if c.axis == Axis.ATTRACTIVENESS else strength).append(core)
    return Scheme(
        attractiveness=tuple(att),
        strength=tuple(strength),
        attractiveness_cut=float(version.attractiveness_cut),
        strength_cut_relative=float(version.strength_cut_relative),
        strength_cut_absolute=float(version.strength_cut_absolute),
    )


def _closed_reviews() -> QuerySet[Review]:
    return (
        Review.objects.filter(status=ReviewStatus.CLOSED)
        .select_related("scheme_version__scheme", "closed_by")
        .order_by("-review_date", "-pk")
    )


def portfolio_review() -> Review | None:
    """The portfolio: the latest CLOSED review by review date (ties: the later created).

    None when no review has been closed yet. Open and cancelled reviews never count, so
    opening a review changes nothing until it is closed.
    """
    return _closed_reviews().first()


def boxes_of(
    *, account_ids: Iterable[int] | QuerySet[Any, Any], review: Review | None = None
) -> dict[int, str]:
    """Box of each account in the portfolio review (or in ``review`` when given).

    Only placed accounts appear: an account missing from the answer is not placed (or there
    is no closed review yet).
    """
    review = review if review is not None else portfolio_review()
    if review is None:
        return {}
    # a query of ids goes to the database as a subquery, not thousands of parameters
    ids = account_ids if isinstance(account_ids, QuerySet) else list(account_ids)
    rows = Placement.objects.filter(review=review, account_id__in=ids).values_list(
        "account_id", "box"
    )
    return {pk: box for pk, box in rows if box}


def account_box(*, account: Account, review: Review | None = None) -> str:
    """The account's box in the portfolio review (or in ``review``); "" when not placed."""
    return boxes_of(account_ids=[account.pk], review=review).get(account.pk, "")


def review_previous(*, review: Review) -> Review | None:
    """The closed review before ``review`` in time, whose placements give the matrix's arrows.

    For the portfolio review this is the review it replaced; for a review in progress it is
    the portfolio review (or the last closed one dated before it).
    """
    return _closed_reviews().filter(review_date__lt=review.review_date).first()


def reviews_next(*, review: Review) -> list[Review]:
    """The closed reviews whose closed review before (``review_previous``) is ``review``
    once it is closed: those of the first later date among the closed reviews."""
    later = _closed_reviews().filter(review_date__gt=review.review_date)
    first = later.reverse().values_list("review_date", flat=True).first()
    return list(later.filter(review_date=first)) if first is not None else []


def reviews_newest_first() -> QuerySet[Review]:
    """Every review (open, closed, cancelled), newest first: for lists and histories.

    Not for finding "the" review whose boxes count: that is ``portfolio_review()``.
    """
    return Review.objects.order_by("-review_date", "-pk")


def reviews_open() -> QuerySet[Review]:
    """The reviews still being scored, oldest first: for reminders to their raters."""
    return Review.objects.filter(status=ReviewStatus.OPEN).order_by("review_date", "pk")


def review_choices_for_matrix() -> list[Review]:
    """Closed and open reviews, newest first, for the matrix's review chooser (cancelled
    reviews have no boxes)."""
    return list(reviews_newest_first().exclude(status=ReviewStatus.CANCELLED))


def review_scope(*, review: Review) -> QuerySet[Account]:
    """The accounts a review covers: active accounts while open; the placed ones once closed."""
    if review.status == ReviewStatus.CLOSED and review.computed_at is not None:
        return Account.objects.filter(placements__review=review)
    return Account.objects.filter(active=True)


def placement_list(*, review: Review, user: User | AnonymousUser) -> QuerySet[Placement]:
    """The placements of ``review`` for the accounts ``user`` may read, with account and owner."""
    visible = account_list_visible(user=user).values("pk")
    return (
        Placement.objects.filter(review=review, account_id__in=visible)
        .select_related("account", "account__owner")
        .order_by("account__name")
    )


def account_placements(*, account: Account) -> QuerySet[Placement]:
    """An account's placement in every review, newest first (its history on the matrix)."""
    return (
        Placement.objects.filter(account=account)
        .select_related("review", "review__scheme_version__scheme")
        .order_by("-review__review_date", "-review__pk")
    )


def account_placements_shown(*, account: Account) -> QuerySet[Placement]:
    """The account's placement in every closed or open review, newest review first, as the
    account's page lists them (docs/method.md section 1); an open review's row is work in
    progress, not its box. Unlike ``account_placements``, a cancelled review is left out."""
    return (
        Placement.objects.filter(account=account)
        .exclude(review__status="cancelled")
        .select_related("review")
        .order_by("-review__review_date", "-review__pk")
    )


def account_list_annotated(
    *, user: User | AnonymousUser, review: Review | bool | None = True
) -> QuerySet[Account]:
    """Visible accounts with their owner and three computed columns for lists and exports.

    - ``box``: the account's box in ``review`` (the portfolio review -- the latest closed
      one -- when left ``True``; empty when the account was not placed or there is none);
    - ``revenue_last_year``: revenue of the last complete calendar year in the account's
      currency (None when unknown);
    - ``revenue_last_year_base``: the same in the organisation's base currency, None
      when there is no exchange rate for the account's currency.

    Everything is computed by subqueries in one SELECT, so a page of 50 costs one query.
    """
    if review is True:
        review = portfolio_review()
    qs = account_list_visible(user=user).select_related("owner")
    if isinstance(review, Review):
        box: Any = Subquery(
            Placement.objects.filter(review=review, account=OuterRef("pk")).values("box")[:1]
        )
    else:
        box = Value("", output_field=CharField())
    revenue = Subquery(
        AccountRevenue.objects.filter(account=OuterRef("pk"), year=revenue_year_last()).values(
            "amount"
        )[:1],
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    rates = exchange_rates_get(organisation=organisation_get())
    rate = Case(
        *(When(currency=code, then=Value(value)) for code, value in rates.items()),
        default=Value(None),
        output_field=DecimalField(max_digits=14, decimal_places=6),
    )
    return qs.annotate(
        box=Coalesce(box, Value(""), output_field=CharField()),
        revenue_last_year=revenue,
    ).annotate(
        revenue_last_year_base=ExpressionWrapper(
            F("revenue_last_year") * rate,
            output_field=DecimalField(max_digits=30, decimal_places=2),
        )
    )


def box_moves_compute(*, review: Review, previous: Review) -> list[tuple[int, str, str]]:
    """The definition of a box move: ``(account_id, before, after)`` of every account placed
    in both ``previous`` and ``review`` whose box differs, by account id (two queries).

    What ``ReviewMove`` stores for a closed review and its closed review before."""
    before = dict(
        Placement.objects.filter(review=previous).exclude(box="").values_list("account_id", "box")
    )
    return [
        (pk, before[pk], box)
        for pk, box in Placement.objects.filter(review=review)
        .exclude(box="")
        .order_by("account_id")
        .values_list("account_id", "box")
        if pk in before and before[pk] != box
    ]


def outlook_of(*, review: Review, account: Account) -> Outlook | None:
    """The account's three-year outlook recorded at ``review``, or None."""
    return Outlook.objects.filter(review=review, account=account).first()


def placement_of(*, review: Review, account: Account) -> Placement | None:
    """The account's placement in ``review``, or None."""
    return Placement.objects.filter(review=review, account=account).first()
