"""Writes of the exports: the portfolio review deck prepared as a background job
(docs/exports.md, "The portfolio review deck"; docs/operations.md, "Background jobs").

At 10,000 accounts the deck takes a minute to render, longer than a web request may, so
the pages and ``POST /api/reports/portfolio/export/{fmt}`` enqueue it; the worker renders it
with ``portfolio_export_file`` (same user, format, review and language) and keeps the file
for its owner (``kam.jobs.services.job_file_save``). Plan exports stay synchronous.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.jobs.models import Job
from kam.jobs.services import job_enqueue
from kam.portfolio.matrix import MatrixFilters, matrix_review_get
from kam.reports.files import check_format

KIND = "portfolio_deck"


def portfolio_deck_enqueue(
    *,
    user: User | AnonymousUser,
    fmt: str,
    review_id: int | None = None,
    lang: str = "en",
) -> Job:
    """Enqueue the deck of review ``review_id`` (default the latest) as ``fmt`` in ``lang``
    for ``user``. Refused at once, before any job exists: 401 when nobody is signed in, 404
    for an unknown format or review, 400 for a language kam does not speak."""
    if not user.is_authenticated:
        raise ApplicationError(_("Sign in to prepare the review deck."), status=401)
    check_format(fmt, lang)
    review = matrix_review_get(filters=MatrixFilters(review_id=review_id))
    if review is None:
        raise ApplicationError(_("There is no portfolio review yet."), status=404)
    label = _("Review of %(date)s, %(fmt)s, %(lang)s") % {
        "date": review.review_date.isoformat(),
        "fmt": "PDF" if fmt == "pdf" else "PowerPoint",
        "lang": lang,
    }
    return job_enqueue(
        kind=KIND,
        user=user,
        object_id=None,
        label=label,
        arguments={"fmt": fmt, "review_id": review.pk, "lang": lang},
    )


def deck_job_stopped(*, object_id: int | None, reason: str, cancelled: bool) -> None:
    """A deck job keeps no row of its own: nothing to mark when it stops."""


def deck_job_retry(*, user: User | AnonymousUser, object_id: int | None) -> None:
    """A deck job may always be rendered again (its arguments are on the job)."""
