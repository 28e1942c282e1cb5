"""The matrix and the "too many key accounts" warnings through the API (/api/portfolio/...).

Rows use the same filters and selector as the page (``kam.portfolio.matrix``), so the API
never shows an account the caller could not open in the browser. Warnings are company-wide
counts, the same for every role.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kam.accounts.selectors import account_get_editable, account_get_visible
from kam.errors import ApplicationError
from kam.portfolio.matrix import (
    MatrixFilters,
    axis_counts,
    capacity_summary,
    matrix_review_get,
    matrix_rows,
    matrix_stats,
)
from kam.portfolio.models import Outlook, Review, ReviewStatus
from kam.portfolio.review_selectors import review_get
from kam.portfolio.selectors import outlook_of, review_previous
from kam.portfolio.services import outlook_save, review_ensure_computed
from kam.web.api_schemas import ErrorOut
from kam.web.concurrency import (
    IF_MATCH,
    ConflictOut,
    conflict_shows,
    expected_version,
    set_etag,
)
from kam.web.requests import AuthenticatedHttpRequest

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
    combined: int = Field(description="Placed accounts on either axis: the combined picture.")


class TrailPointOut(Schema):
    """Where an account stood in an earlier closed review: ``x`` on this review's strength
    axis (None when it was placed on the other axis then), ``c`` on the combined axis
    (-1 .. 0 = its cut line .. +1, with that review's cut lines)."""

    review_id: int
    review: str
    date: dt.date
    box: str
    attractiveness: float | None
    x: float | None
    c: float | None


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
    combined_value: float | None = Field(
        description="Strength against the account's own cut line: -1 weakest, 0 the cut "
        "line, +1 strongest its scale allows (docs/scoring.md, the combined picture)."
    )
    potential: float | None = Field(
        description="Revenue potential in three years, base currency (the outlook)."
    )
    expected_attractiveness: float | None
    expected_strength_value: float | None = Field(
        description="Expected strength in three years on the account's own axis (RS or S_us)."
    )
    expected_combined: float | None
    trail: list[TrailPointOut] = Field(
        description="Positions in the closed reviews before this one, oldest first."
    )


class MatrixSummary(Schema):
    """Counts over every row the filters keep, whatever page ``rows`` holds."""

    per_box: dict[str, int] = Field(description="Placed accounts per box.")
    unplaced: int
    uncertain: int = Field(description="Accounts whose box is uncertain.")
    flagged: int = Field(description="Accounts on which raters disagree.")
    total: int


class MatrixOut(Schema):
    """``preview`` is true when ``review`` is still open for scoring: its placements are work
    in progress, not the portfolio (the latest closed review, the default).

    ``rows`` is one page of the accounts, by name: ``offset`` rows skipped, at most
    ``limit`` (every row when no limit is asked). ``count``, ``axis_counts`` and
    ``summary`` count every row the filters keep."""

    preview: bool
    review: ReviewRef
    previous_review: ReviewRef | None
    axis_counts: AxisCounts
    summary: MatrixSummary
    count: int = Field(description="Rows the filters keep, on every page together.")
    offset: int
    limit: int | None
    rows: list[MatrixRowOut]


#: The most rows one page of /api/portfolio/matrix may ask for.
MATRIX_LIMIT_MAX = 1000


class MatrixPage(Schema):
    """Which rows of the matrix to return: ``limit`` rows after the first ``offset``."""

    limit: int | None = Field(
        None,
        ge=1,
        le=MATRIX_LIMIT_MAX,
        description="At most this many rows (1-1000); every row when left out.",
    )
    offset: int = Field(0, ge=0, description="Rows to skip, in name order.")


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
def matrix_get(
    request: AuthenticatedHttpRequest, filters: Query[MatrixFilters], page: Query[MatrixPage]
) -> dict[str, object]:
    """Every account of the review that you may see, with its scores, box, box
    probabilities, revenue and previous position. Filters as on the matrix page.
    ``limit`` and ``offset`` page through the rows (by name); the counts cover them all."""
    review = _review(filters)
    previous = review_previous(review=review)
    rows = matrix_rows(review=review, user=request.user, filters=filters, previous=previous)
    end = None if page.limit is None else page.offset + page.limit
    return {
        "preview": review.status == ReviewStatus.OPEN,
        "review": _ref(review),
        "previous_review": _ref(previous),
        "axis_counts": axis_counts(rows),
        "summary": matrix_stats(rows),
        "count": len(rows),
        "offset": page.offset,
        "limit": page.limit,
        "rows": rows[page.offset : end],
    }


@router.get("/warnings", response=WarningsOut, summary="Too many key accounts?")
def warnings_get(
    request: AuthenticatedHttpRequest, query: Query[WarningsQuery]
) -> dict[str, object]:
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


class OutlookOut(Schema):
    """An account's three-year outlook at a review: revenue potential (account currency)
    and expected scores (1-10; S_comp empty keeps today's). ``version`` counts saves."""

    review_id: int
    account_id: int
    potential_revenue: Decimal | None
    expected_attractiveness: Decimal | None
    expected_strength: Decimal | None
    expected_competitor_strength: Decimal | None
    note: str
    version: int


class OutlookIn(Schema):
    """Fields to set (omitted ones stay; null clears). ``version``: the one you read."""

    potential_revenue: Decimal | None = None
    expected_attractiveness: Decimal | None = None
    expected_strength: Decimal | None = None
    expected_competitor_strength: Decimal | None = None
    note: str | None = None
    version: int | None = None


def _outlook_out(outlook: Outlook) -> dict[str, Any]:
    return {
        "review_id": outlook.review_id,
        "account_id": outlook.account_id,
        "potential_revenue": outlook.potential_revenue,
        "expected_attractiveness": outlook.expected_attractiveness,
        "expected_strength": outlook.expected_strength,
        "expected_competitor_strength": outlook.expected_competitor_strength,
        "note": outlook.note,
        "version": outlook.version or 0,
    }


@router.get(
    "/reviews/{review_id}/outlooks/{account_id}",
    response={200: OutlookOut, 404: ErrorOut},
    summary="An account's three-year outlook",
)
def outlook_get(
    request: AuthenticatedHttpRequest, review_id: int, account_id: int, response: HttpResponse
) -> Any:
    """Potential and expected position of an account you may see; version 0 when none yet."""
    review = review_get(review_id=review_id)
    account = account_get_visible(user=request.user, account_id=account_id)
    outlook = outlook_of(review=review, account=account)
    if outlook is None:
        outlook = Outlook(review=review, account=account, version=0)
    set_etag(response, outlook.version)
    return _outlook_out(outlook)


@router.put(
    "/reviews/{review_id}/outlooks/{account_id}",
    response={
        200: OutlookOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ErrorOut,
        409: ConflictOut,
        412: ConflictOut,
    },
    summary="Record an account's three-year outlook",
    openapi_extra=IF_MATCH,
)
def outlook_put(
    request: AuthenticatedHttpRequest,
    review_id: int,
    account_id: int,
    payload: OutlookIn,
    response: HttpResponse,
) -> Any:
    """Whoever may change the account records its revenue potential and expected scores
    at the review; the matrix sizes bubbles by the potential and draws the expected
    position as an arrow's head. 409 for a cancelled review or a stale ``version``."""
    review = review_get(review_id=review_id)
    account = account_get_editable(user=request.user, account_id=account_id)
    data = payload.model_dump(exclude_unset=True)
    body_version = data.pop("version", None)
    current = outlook_of(review=review, account=account)
    with conflict_shows(lambda c: _outlook_out(c)):
        if current is not None:
            expected, precondition = expected_version(
                request, body_version=body_version, current=current
            )
        else:
            expected, precondition = None, False
        outlook = outlook_save(
            review=review,
            account=account,
            data=data,
            user=request.user,
            expected_version=expected,
            precondition=precondition,
        )
    set_etag(response, outlook.version or 0)
    return _outlook_out(outlook)
