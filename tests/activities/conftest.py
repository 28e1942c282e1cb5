"""Fixtures for the activity tests: three accounts with owners and a team, and a helper
that logs activities through the real service."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.activities.services import activity_create
from kam.portfolio.models import Review, ReviewStatus
from tests.factories import AccountFactory, AccountTeamMemberFactory, ReviewFactory

DAY = dt.date(2025, 6, 2)


def make_review(name: str = "2025 review", day: dt.date = dt.date(2025, 3, 1)) -> Review:
    # closed: only a closed review is the portfolio whose boxes pages show
    return ReviewFactory(
        name=name,
        review_date=day,
        scheme_version__scheme__name="Scheme",
        status=ReviewStatus.CLOSED,
    )


@pytest.fixture
def accounts(kam_user, other_kam, member):  # type: ignore[no-untyped-def]
    """own: kam_user's with member on its team; other: other_kam's; served: other_kam's,
    served by member."""
    own = AccountFactory(name="Own Retail", external_id="OWN-1", owner=kam_user)
    other = AccountFactory(name="Other Wholesale", external_id="OTH-1", owner=other_kam)
    served = AccountFactory(name="Served Online", external_id="SRV-1", owner=other_kam)
    AccountTeamMemberFactory(account=own, user=member)
    AccountTeamMemberFactory(account=served, user=member)
    return {"own": own, "other": other, "served": served}


def log(user, account, minutes, people, *, day=DAY, kind="meeting", **kwargs):  # type: ignore[no-untyped-def]
    """Log one activity as ``user`` through the service."""
    return activity_create(
        user=user,
        account=account,
        date=day,
        duration_minutes=minutes,
        type=kind,
        participants=people,
        **kwargs,
    )
