"""Template tags of the portfolio: where the boxes on a page come from."""

from __future__ import annotations

from typing import Any

from django import template

from kam.portfolio.models import Review
from kam.portfolio.selectors import portfolio_review

register = template.Library()


@register.inclusion_tag("portfolio/_boxes_source.html")
def boxes_source(review: Review | str | None = "") -> dict[str, Any]:
    """The line "Boxes from review <name>, closed <date>", linked to the review.

    Without an argument the portfolio review (the latest closed one) is named; pages that
    already hold it pass it to save the query.
    """
    return {"source_review": portfolio_review() if review == "" else review}
