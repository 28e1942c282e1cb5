"""Fixtures for the business case: complete answers, a placed portfolio, a team."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.core.business_case import READINESS, REASONS
from kam.organisation.selectors import organisation_get
from kam.portfolio.services import (
    CriterionInput,
    RatingInput,
    SchemeContent,
    ratings_save,
    review_close,
    review_compute,
    review_create,
    scheme_create,
)


def answers_at(level: int) -> dict[str, int]:
    return {q.key: level for q in REASONS}


def readiness_at(level: int) -> dict[str, int]:
    return {q.key: level for q in READINESS}


def form_data(answers: dict[str, int], readiness: dict[str, int], **extra: str) -> dict[str, str]:
    """What the questionnaire posts: one radio value per question, the date and notes."""
    data = {f"reason__{k}": str(v) for k, v in answers.items()}
    data |= {f"ready__{k}": str(v) for k, v in readiness.items()}
    data |= {"assessed_on": "2026-03-02", "notes": ""}
    return data | extra


@pytest.fixture
def team(director, kam_user, other_kam):  # type: ignore[no-untyped-def]
    """Two key account managers with 1,000 hours each and a director with 400: 2,400 hours."""
    for user, hours in ((kam_user, 1000), (other_kam, 1000), (director, 400)):
        user.profile.hours_per_year = hours
        user.profile.save()
    organisation_get()  # the default box policies: key 200 h, key development 120 h minimum
    return {"director": director, "managers": [kam_user, other_kam]}


@pytest.fixture
def placed(director, team):  # type: ignore[no-untyped-def]
    """A review that places 3 key accounts, 1 key development and 1 maintenance account."""
    from tests.factories import AccountFactory

    version = scheme_create(
        name="Model",
        content=SchemeContent(
            criteria=[
                CriterionInput("attractiveness", "size", "Size", 50, "low", "mid", "high"),
                CriterionInput("attractiveness", "growth", "Growth", 30, "low", "mid", "high"),
                CriterionInput("attractiveness", "margin", "Margin", 20, "low", "mid", "high"),
                CriterionInput("strength", "price", "Price", 100),
            ]
        ),
        created_by=director,
    )
    review = review_create(
        name="Review 2026",
        review_date=dt.date(2026, 3, 1),
        scheme_version=version,
        raters=[director],
        created_by=director,
    )
    criteria = {c.key: c.pk for c in version.criteria.all()}
    # (attractiveness score, strength score): key = both >= 5; development = attractive, weak
    profiles = [(8, 8), (7, 6), (9, 9), (8, 2), (2, 8)]
    entries = []
    for n, (att, strength) in enumerate(profiles):
        account = AccountFactory(name=f"Customer {n}")
        entries += [
            RatingInput(account.pk, criteria[k], att) for k in ("size", "growth", "margin")
        ] + [RatingInput(account.pk, criteria["price"], strength)]
    ratings_save(review=review, rater=director, entries=entries)
    review_compute(review=review)
    review_close(review=review, closed_by=director)  # the portfolio is a closed review
    return review
