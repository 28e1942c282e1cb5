"""What a plan's document reads from the apps above plans, which plans do not import
(docs/architecture.md, "The order of the packages"): the account's figures, revenue and
planned hours from economics, and the conversations logged in activities on the plan's
objectives. Those apps register their readers here in their app configs
(``EconomicsConfig.ready``, ``ActivitiesConfig.ready``); the document is built, and an
approved version stored, in plans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from kam.accounts.models import Account
from kam.plans.document import ConversationGridDoc
from kam.plans.models import Plan

if TYPE_CHECKING:
    from kam.economics.figures import AccountFigures, YearRevenue


class FiguresReader(Protocol):
    """The figures of ``account`` for plan year ``year`` with ``plan``'s numbers."""

    def __call__(
        self, *, account: Account, year: int, plan: Plan | None = None
    ) -> AccountFigures: ...


class RevenuesReader(Protocol):
    """Account id → its revenue in calendar ``year`` (accounts without one left out)."""

    def __call__(self, *, accounts: Iterable[Account], year: int) -> dict[int, YearRevenue]: ...


class HoursReader(Protocol):
    """User id → hours the latest finished allocation run overlapping ``start``–``end``
    gives the account."""

    def __call__(self, *, account_id: int, start: dt.date, end: dt.date) -> dict[int, Decimal]: ...


class GridReader(Protocol):
    """The plan's conversation grid: its objectives × buying roles, as of ``today``."""

    def __call__(self, *, plan: Plan, today: dt.date | None = None) -> ConversationGridDoc: ...


@dataclass
class _Sources:
    figures: FiguresReader | None = None
    revenues: RevenuesReader | None = None
    hours: HoursReader | None = None
    grid: GridReader | None = None


_sources = _Sources()


def economics_register(
    *, figures: FiguresReader, revenues: RevenuesReader, hours: HoursReader
) -> None:
    """Called by economics when the apps are ready."""
    _sources.figures = figures
    _sources.revenues = revenues
    _sources.hours = hours


def activities_register(*, grid: GridReader) -> None:
    """Called by activities when the apps are ready."""
    _sources.grid = grid


def account_figures(*, account: Account, year: int, plan: Plan | None = None) -> AccountFigures:
    """See ``FiguresReader`` (kam.economics.figures)."""
    assert _sources.figures is not None, "kam.economics registers the figures when ready"
    return _sources.figures(account=account, year=year, plan=plan)


def revenues_of_year(*, accounts: Iterable[Account], year: int) -> dict[int, YearRevenue]:
    """See ``RevenuesReader`` (kam.economics.figures)."""
    assert _sources.revenues is not None, "kam.economics registers the revenue when ready"
    return _sources.revenues(accounts=accounts, year=year)


def planned_hours_by_person(*, account_id: int, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """See ``HoursReader`` (kam.economics.figures)."""
    assert _sources.hours is not None, "kam.economics registers the planned hours when ready"
    return _sources.hours(account_id=account_id, start=start, end=end)


def conversation_grid(*, plan: Plan, today: dt.date | None = None) -> ConversationGridDoc:
    """See ``GridReader`` (kam.activities.conversations)."""
    assert _sources.grid is not None, "kam.activities registers the grid when ready"
    return _sources.grid(plan=plan, today=today)
