"""Fixtures for the year plan: a team with hours and costs, a placed portfolio of five
accounts with owners and one account team, a planning period, and judgements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.accounts.models import Account, AccountTeamMember
from kam.allocation.judgement_services import JudgementInput, judgement_save
from kam.allocation.services import period_create
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
from tests.factories import AccountFactory


@pytest.fixture
def team(director, kam_user, other_kam):  # type: ignore[no-untyped-def]
    """Two key account managers with 600 h each at 60 an hour, a director with 200 h at 90."""
    for user, hours, cost in ((kam_user, 600, "60"), (other_kam, 600, "60"), (director, 200, "90")):
        user.profile.hours_per_year = hours
        user.profile.hourly_cost = Decimal(cost)
        user.profile.save()
    organisation_get()  # default box policies: key 200-600 h, development 120-400, ...
    return {"director": director, "managers": [kam_user, other_kam]}


@pytest.fixture
def accounts(director, kam_user, other_kam, team):  # type: ignore[no-untyped-def]
    """Five accounts placed by a review: three key, one key development, one maintenance.

    Owners: Customer 0, 1 and 3 belong to kam1, Customer 2 and 4 to kam2; kam2 is also on
    the team of Customer 0."""
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
        name="Review",
        review_date=dt.date(2026, 3, 1),
        scheme_version=version,
        raters=[director],
        created_by=director,
    )
    criteria = {c.key: c.pk for c in version.criteria.all()}
    profiles = [(8, 8), (7, 6), (9, 9), (8, 2), (2, 8)]
    owners = [kam_user, kam_user, other_kam, kam_user, other_kam]
    rows = []
    entries = []
    for n, ((att, strength), owner) in enumerate(zip(profiles, owners, strict=True)):
        account = AccountFactory(name=f"Customer {n}", owner=owner)
        rows.append(account)
        entries += [
            RatingInput(account.pk, criteria[k], att) for k in ("size", "growth", "margin")
        ] + [RatingInput(account.pk, criteria["price"], strength)]
    ratings_save(review=review, rater=director, entries=entries)
    review_compute(review=review)
    review_close(review=review, closed_by=director)  # the portfolio is a closed review
    AccountTeamMember.objects.create(account=rows[0], user=other_kam)
    return rows


@pytest.fixture
def period(director, accounts):  # type: ignore[no-untyped-def]
    return period_create(
        created_by=director, name="Plan 2027", start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31)
    )


def judgement(reference: int, zero: int, today: int, more: int, saturation: int, **kw):  # type: ignore[no-untyped-def]
    return JudgementInput(
        reference_hours=reference,
        contribution_at_zero=zero,
        contribution_at_reference=today,
        contribution_at_150pct=more,
        contribution_at_saturation=saturation,
        **kw,
    )


JUDGEMENTS = [
    # today's hours, at 0, at today, at +50 %, at saturation (EUR per year)
    (300, 200_000, 400_000, 450_000, 500_000),
    (250, 100_000, 180_000, 220_000, 260_000),
    (300, 150_000, 300_000, 340_000, 380_000),
    (150, 20_000, 60_000, 90_000, 140_000),
    (60, 30_000, 40_000, 43_000, 46_000),
]


@pytest.fixture
def judged(period, director, accounts):  # type: ignore[no-untyped-def]
    """Every account of the period judged by the director."""
    for account, numbers in zip(accounts, JUDGEMENTS, strict=True):
        judgement_save(user=director, period=period, account=account, data=judgement(*numbers))
    return period


def account_named(name: str) -> Account:
    return Account.objects.get(name=name)
