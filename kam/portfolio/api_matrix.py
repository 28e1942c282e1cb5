"""The matrix and the "too many key accounts" warnings through the API (/api/portfolio/...).

Rows use the same filters and selector as the page (``kam.portfolio.matrix``), so the API
never shows an account the caller could not open in the browser. Warnings are company-wide
counts, the same for every role.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kam.portfolio.matrix import (
    MatrixFilters,
    axis_counts,
    capacity_summary,
    matrix_review_get,
    matrix_rows,
)
from kam.portfolio.models import Review, ReviewStatus
from kam.portfolio.selectors import review_previous
from kam.portfolio.services import review_ensure_computed
from kam.web.errors import ApplicationError

router = Router(tags=["matrix"])


class ReviewRef(Schema):
    """A review by id, name, date and status; ``closed_on`` is the day it was closed."""

    id: int
    name: str
    review_date: dt.date
    status: str
    closed_on: dt.date | None = None


class AxisCounts(Schema):
    """Placed accounts per strength axis, and accounts not placed."""

    relative: int
    absolute: int
    unplaced: int


class MatrixRowOut(Schema):
    """One account on the matrix. Scores are 0-10, RS a ratio (1.0 = parity), probabilities
    0-1, revenue in the organisation's base currency for ``revenue_year``."""

    id: int
    name: str
    url: str
    owner_id: int | None
    owner: str
    country: str
    channel: str
    box: str
    attractiveness: float | None
    strength: float | None
    competitor_strength: float | None
    relative_strength: float | None
    strength_axis: str
    strength_value: float | None
    p_key: float | None
    p_key_development: float | None
    p_maintenance: float | None
    p_opportunistic: float | None
    p_box: float | None
    uncertain: bool
    missing: list[str]
    disagreement: list[str]
    revenue: float | None
    revenue_year: int
    previous_box: str | None
    previous_attractiveness: float | None
    previous_strength_value: float | None
    moved: bool


class MatrixOut(Schema):
    """``preview`` is true when ``review`` is still open for scoring: its placements are work
    in progress, not the portfolio (the latest closed review, the default)."""

    preview: bool
    review: ReviewRef
    previous_review: ReviewRef | None
    axis_counts: AxisCounts
    rows: list[MatrixRowOut]


class ManagerLoad(Schema):
    """The accounts one key account manager carries that count against the per-manager limit
    (key and key development accounts, or key only: ``counted_boxes``), and the limit."""

    manager: str
    key_accounts: int = Field(
        description="Accounts counted against the limit (the boxes in counted_boxes)."
    )
    limit: int
    counted_boxes: list[str] = Field(
        default_factory=list, description="The boxes that count: key, key_development."
    )


class WarningOut(Schema):
    """One broken limit: ``code`` is capacity, per_manager or company; ``message`` says it in
    words; ``observed`` and ``limit`` are hours (capacity) or numbers of key accounts."""

    code: str
    message: str
    observed: float
    limit: float
    manager_id: int | None = None
    manager: str | None = None


class WarningsOut(Schema):
    review: ReviewRef
    key_accounts: int
    key_development_accounts: int
    hours_needed: float
    hours_available: float
    per_manager: dict[str, ManagerLoad]
    warnings: list[WarningOut]


class WarningsQuery(Schema):
    review_id: int | None = None


def _review(filters: MatrixFilters) -> Review:
    review = matrix_review_get(filters=filters)
    if review is None:
        raise ApplicationError(
            _(
                "There is no closed portfolio review yet; close a review (or ask for an open "
                "one by review_id to preview it)."
            ),
            status=404,
        )
    review_ensure_computed(review=review)
    return review


def _ref(review: Review | None) -> dict[str, object] | None:
    if review is None:
        return None
    return {
        "id": review.pk,
        "name": review.name,
        "review_date": review.review_date,
        "status": review.status,
        "closed_on": review.closed_on,
    }


@router.get("/matrix", response=MatrixOut, summary="The selection matrix of a review")
def matrix_get(request: HttpRequest, filters: Query[MatrixFilters]) -> dict[str, object]:
    """Every account of the review that you may see, with its scores, box, box
    probabilities, revenue and previous position. Filters as on the matrix page."""
    review = _review(filters)
    previous = review_previous(review=review)
    rows = matrix_rows(review=review, user=request.user, filters=filters, previous=previous)
    return {
        "preview": review.status == ReviewStatus.OPEN,
        "review": _ref(review),
        "previous_review": _ref(previous),
        "axis_counts": axis_counts(rows),
        "rows": rows,
    }


@router.get("/warnings", response=WarningsOut, summary="Too many key accounts?")
def warnings_get(request: HttpRequest, query: Query[WarningsQuery]) -> dict[str, object]:
    """The three checks of the method for the whole company: hours that key and key
    development accounts need against the team's capacity, key accounts per key account
    manager, and key accounts in total."""
    review = _review(MatrixFilters(review_id=query.review_id))
    summary = capacity_summary(review=review, user=request.user)
    check = summary["check"]
    return {
        "review": _ref(review),
        "key_accounts": check.key_accounts,
        "key_development_accounts": check.key_development_accounts,
        "hours_needed": check.hours_needed,
        "hours_available": check.hours_available,
        "per_manager": summary["per_manager"],
        "warnings": [
            {
                "code": w.code,
                "message": w.message,
                "observed": w.observed,
                "limit": w.limit,
                "manager_id": w.manager_id,
                "manager": w.manager,
            }
            for w in summary["messages"]
        ],
    }
