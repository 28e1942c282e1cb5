"""API for portfolio reviews and raters' scores (docs/method.md section 1).

Everyone authenticated reads reviews (what they see of accounts is limited by their
visibility). Directors and administrators open and close reviews. Each rater reads and
writes only their own scores; directors may read any rater's with ``?rater=``.

Status codes: 403 not allowed (not a rater, not a director), 404 no such review or an
account the caller may not read, 409 the review is closed, 422 scores that break the rules
(``problems`` lists every one).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kam.accounts.selectors import account_list_visible
from kam.errors import ApplicationError
from kam.portfolio.models import Rating, Review, ReviewStatus
from kam.portfolio.review_selectors import (
    RaterProgress,
    ratings_of,
    review_box_counts,
    review_get,
    review_is_rater,
    review_list,
    review_progress_map,
    review_uncertain,
)
from kam.portfolio.scheme_selectors import scheme_version_find
from kam.portfolio.selectors import placement_list, portfolio_review
from kam.portfolio.services import (
    RatingInput,
    ratings_save,
    review_cancel,
    review_close,
    review_create,
    review_derive_scores,
    review_ensure_computed,
)
from kam.users.selectors import user_list_active, user_may_manage_portfolio
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["reviews"])


class RaterProgressOut(Schema):
    """How far one rater has got: cells are accounts × criteria; percent is 0-100."""

    rater_id: int
    username: str
    name: str
    cells: int
    scored: int
    percent: int


class ReviewOut(Schema):
    """A review. ``status`` is open, closed or cancelled; ``is_portfolio`` is true for the one
    review whose boxes the rest of kam uses (the latest closed one)."""

    id: int
    name: str
    review_date: dt.date
    status: str
    is_portfolio: bool
    closed_at: dt.datetime | None
    closed_by: int | None
    cancelled_at: dt.datetime | None
    cancelled_by: int | None
    scheme_id: int
    scheme_name: str
    scheme_version: int
    scheme_version_id: int
    raters: list[int]
    progress: list[RaterProgressOut]


class ReviewDetailOut(ReviewOut):
    """A review with the counts a director needs before the meeting."""

    box_counts: dict[str, int] = Field(
        ..., description="Accounts per box; the key '' counts accounts not placed."
    )
    not_placed: int
    uncertain: int
    flagged_criteria: int = Field(..., description="Account × criterion pairs to discuss.")
    computed_at: dt.datetime | None


class ReviewIn(Schema):
    name: str
    review_date: dt.date
    scheme_version_id: int
    rater_ids: list[int]


class RatingIn(Schema):
    """One score of the caller; ``score: null`` clears it. Scores are whole numbers 1-10."""

    account_id: int
    criterion_id: int
    score: int | None
    competitor_score: int | None = None
    competitor_id: int | None = None
    view_source: str = Field("", description="'customer', 'estimate' or '' (strength only).")
    comment: str = ""


class RatingsIn(Schema):
    ratings: list[RatingIn]


class RatingOut(Schema):
    account_id: int
    criterion_id: int
    criterion_key: str
    rater_id: int | None = Field(description="None for a score derived from the account's facts")
    derived: bool
    score: int
    competitor_score: int | None
    competitor_id: int | None
    view_source: str
    comment: str
    updated_at: dt.datetime


class RatingsSavedOut(Schema):
    created: int
    updated: int
    deleted: int


def _progress_out(progress: list[RaterProgress]) -> list[RaterProgressOut]:
    return [
        RaterProgressOut(
            rater_id=p.rater.pk,
            username=p.rater.get_username(),
            name=p.rater.get_full_name() or p.rater.get_username(),
            cells=p.cells,
            scored=p.scored,
            percent=p.percent,
        )
        for p in progress
    ]


def _review_fields(
    review: Review, progress: list[RaterProgress], portfolio: Review | None = None
) -> dict[str, Any]:
    if portfolio is None:
        portfolio = portfolio_review()
    version = review.scheme_version
    return {
        "id": review.pk,
        "name": review.name,
        "review_date": review.review_date,
        "status": review.status,
        "is_portfolio": portfolio is not None and portfolio.pk == review.pk,
        "closed_at": review.closed_at,
        "closed_by": review.closed_by_id,
        "cancelled_at": review.cancelled_at,
        "cancelled_by": review.cancelled_by_id,
        "scheme_id": version.scheme_id,
        "scheme_name": version.scheme.name,
        "scheme_version": version.number,
        "scheme_version_id": version.pk,
        "raters": [r.pk for r in review.raters.all()],
        "progress": _progress_out(progress),
    }


def _detail(request: AuthenticatedHttpRequest, review: Review) -> ReviewDetailOut:
    review_ensure_computed(review=review)
    user = request.user
    counts = review_box_counts(review=review, user=user)
    flagged = sum(
        len(d)
        for d in placement_list(review=review, user=user).values_list("disagreement", flat=True)
    )
    return ReviewDetailOut(
        **_review_fields(review, review_progress_map(reviews=[review]).get(review.pk, [])),
        box_counts=counts,
        not_placed=counts.get("", 0),
        uncertain=review_uncertain(review=review, user=user).count(),
        flagged_criteria=flagged,
        computed_at=review.computed_at,
    )


@router.get("", response=list[ReviewOut], summary="List reviews, newest first")
def reviews_list(request: AuthenticatedHttpRequest) -> list[ReviewOut]:
    reviews = list(review_list())
    progress = review_progress_map(reviews=reviews)
    portfolio = portfolio_review()
    return [ReviewOut(**_review_fields(r, progress.get(r.pk, []), portfolio)) for r in reviews]


@router.post(
    "", response={201: ReviewDetailOut}, summary="Open a review (directors, administrators)"
)
def reviews_create(request: AuthenticatedHttpRequest, payload: ReviewIn) -> Status[ReviewDetailOut]:
    version = scheme_version_find(version_id=payload.scheme_version_id)
    if version is None:
        raise ApplicationError(_("No such scheme version."), field="scheme_version_id", status=422)
    users = list(user_list_active(user_ids=payload.rater_ids))
    unknown = set(payload.rater_ids) - {u.pk for u in users}
    if unknown:
        raise ApplicationError(
            _("No such people: %(ids)s.") % {"ids": ", ".join(str(i) for i in sorted(unknown))},
            field="rater_ids",
        )
    review = review_create(
        name=payload.name,
        review_date=payload.review_date,
        scheme_version=version,
        raters=users,
        created_by=request.user,
    )
    return Status(201, _detail(request, review_get(review_id=review.pk)))


@router.get("/{review_id}", response=ReviewDetailOut, summary="A review with its counts")
def reviews_detail(request: AuthenticatedHttpRequest, review_id: int) -> ReviewDetailOut:
    return _detail(request, review_get(review_id=review_id))


@router.get(
    "/{review_id}/ratings",
    response=list[RatingOut],
    summary="Scores in a review",
    description="The caller's own scores. Directors and administrators may pass "
    "`?rater=<user id>` for one rater's scores or `?rater=all` for everyone's.",
)
def reviews_ratings(
    request: AuthenticatedHttpRequest, review_id: int, rater: str | None = None
) -> list[RatingOut]:
    review = review_get(review_id=review_id)
    user = request.user
    rater_id: int | None = None
    all_raters = False
    if rater not in (None, "", str(user.pk)):
        if not user_may_manage_portfolio(user=user):
            raise ApplicationError(
                _("Raters score on their own: you may read only your own scores."), status=403
            )
        if rater == "all":
            all_raters = True
        elif rater is not None and rater.isdigit():
            rater_id = int(rater)
        else:
            raise ApplicationError(
                _("rater must be a user id or 'all'."), field="rater", status=422
            )
    rows = ratings_of(
        review=review,
        viewer=user,
        rater_id=rater_id,
        all_raters=all_raters,
    )
    return [_rating_out(r) for r in rows]


def _rating_out(r: Rating) -> RatingOut:
    return RatingOut(
        account_id=r.account_id,
        criterion_id=r.criterion_id,
        criterion_key=r.criterion.key,
        rater_id=r.rater_id,
        derived=r.derived,
        score=r.score,
        competitor_score=r.competitor_score,
        competitor_id=r.competitor_id,
        view_source=r.view_source,
        comment=r.comment,
        updated_at=r.updated_at,
    )


@router.put(
    "/{review_id}/ratings",
    response=RatingsSavedOut,
    summary="Save my scores (all or nothing)",
    description="Creates, changes or (with `score: null`) clears the caller's own scores. "
    "403 when the caller is not a rater, 404 for an account the caller may not read, 409 "
    "when the review is closed, 422 with every problem when a score breaks the rules.",
)
def reviews_ratings_save(
    request: AuthenticatedHttpRequest, review_id: int, payload: RatingsIn
) -> RatingsSavedOut:
    review = review_get(review_id=review_id)
    user = request.user
    if review.status != ReviewStatus.OPEN:
        raise ApplicationError(
            _("This review is closed; its scores can no longer change."), status=409
        )
    if not review_is_rater(review=review, user=user):
        raise ApplicationError(_("You are not a rater in this review."), status=403)
    wanted = {e.account_id for e in payload.ratings}
    readable = set(
        account_list_visible(user=user).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    unknown = sorted(wanted - readable)
    if unknown:
        # The same answer as for an id that does not exist: nobody learns which ids are used.
        raise ApplicationError(
            _("No such account: %(ids)s.") % {"ids": ", ".join(str(i) for i in unknown)},
            field="account_id",
            status=404,
        )
    saved = ratings_save(
        review=review,
        rater=user,
        entries=[
            RatingInput(
                account_id=e.account_id,
                criterion_id=e.criterion_id,
                score=e.score,
                competitor_score=e.competitor_score,
                competitor_id=e.competitor_id,
                view_source=e.view_source,
                comment=e.comment,
            )
            for e in payload.ratings
        ],
    )
    return RatingsSavedOut(created=saved.created, updated=saved.updated, deleted=saved.deleted)


class DerivedOut(Schema):
    derived: int


@router.post(
    "/{review_id}/derive",
    response=DerivedOut,
    summary="Derive the fact-bound scores again (directors)",
    description="Replaces the scores kam derives from account facts for criteria bound to "
    "a fact, from each account's latest facts at the review date; raters' overrides stay. "
    "409 when the review is closed.",
)
def reviews_derive(request: AuthenticatedHttpRequest, review_id: int) -> DerivedOut:
    review = review_get(review_id=review_id)
    if not user_may_manage_portfolio(user=request.user):
        raise ApplicationError(
            _("Only a sales director or an administrator may do this."), status=403
        )
    return DerivedOut(derived=review_derive_scores(review=review))


@router.post(
    "/{review_id}/close",
    response=ReviewDetailOut,
    summary="Close a review (directors)",
    description="Scores freeze and placements are computed one last time. Closing a closed "
    "review changes nothing.",
)
def reviews_close(request: AuthenticatedHttpRequest, review_id: int) -> ReviewDetailOut:
    review = review_get(review_id=review_id)
    review_close(review=review, closed_by=request.user)
    return _detail(request, review_get(review_id=review_id))


@router.post(
    "/{review_id}/cancel",
    response=ReviewOut,
    summary="Cancel an open review (directors)",
    description="For a review opened by mistake or abandoned. The review stays, marked "
    "cancelled with who and when; its scores and placements are deleted. The portfolio (the "
    "latest closed review) never changes. 403 for anyone but a sales director or an "
    "administrator, 409 for a closed review; cancelling a cancelled review changes nothing.",
)
def reviews_cancel(request: AuthenticatedHttpRequest, review_id: int) -> dict[str, object]:
    review = review_get(review_id=review_id)
    review_cancel(review=review, cancelled_by=request.user)
    review = review_get(review_id=review_id)
    return _review_fields(review, review_progress_map(reviews=[review]).get(review.pk, []))
