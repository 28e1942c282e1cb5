"""What the relationship analysis reads from the apps above relationships, which it does
not import (docs/architecture.md, "The order of the packages"): the meetings logged in
activities and the plan markers of the stage from plans. Those apps register their readers
here in their app configs (``ActivitiesConfig.ready``, ``PlansConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.db.models import QuerySet

from kam.accounts.models import Account
from kam.slots import Slot


@dataclass(frozen=True)
class MeetingRow:
    """One meeting (an activity other than an e-mail): who of ours and of theirs took part."""

    activity_id: int
    account_id: int
    day: dt.date
    users: frozenset[int]
    contacts: frozenset[int]


@dataclass
class PlanMarkers:
    """The plan markers of the stage (docs/method.md section 3): accounts whose current
    plan the customer can open through a working share link, and the number of projects
    of that plan shared with the customer per account."""

    shared: set[int] = field(default_factory=set)
    projects: dict[int, int] = field(default_factory=dict)


class MeetingsReader(Protocol):
    """The meetings of ``accounts`` dated ``start`` to ``end``, oldest first."""

    def __call__(
        self, *, accounts: QuerySet[Account], start: dt.date, end: dt.date
    ) -> list[MeetingRow]: ...


class PlanMarkersReader(Protocol):
    """The plan markers of ``accounts`` on day ``as_of``."""

    def __call__(self, *, accounts: QuerySet[Account], as_of: dt.date) -> PlanMarkers: ...


_meetings: Slot[MeetingsReader] = Slot("the meetings", provider="kam.activities")
_plan_markers: Slot[PlanMarkersReader] = Slot("the plan markers", provider="kam.plans")


def activities_register(*, meetings: MeetingsReader) -> None:
    """Called by activities when the apps are ready."""
    _meetings.fill(meetings)


def plans_register(*, plan_markers: PlanMarkersReader) -> None:
    """Called by plans when the apps are ready."""
    _plan_markers.fill(plan_markers)


def meetings_read(*, accounts: QuerySet[Account], start: dt.date, end: dt.date) -> list[MeetingRow]:
    """See ``MeetingsReader`` (kam.activities.selectors)."""
    return _meetings.get()(accounts=accounts, start=start, end=end)


def plan_markers_read(*, accounts: QuerySet[Account], as_of: dt.date) -> PlanMarkers:
    """See ``PlanMarkersReader`` (kam.plans.selectors)."""
    return _plan_markers.get()(accounts=accounts, as_of=as_of)
