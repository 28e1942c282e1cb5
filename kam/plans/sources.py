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
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from kam.accounts.models import Account
from kam.plans.document import ConversationGridDoc
from kam.plans.models import Plan
from kam.slots import Slot

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


_figures: Slot[FiguresReader] = Slot("a plan's figures", provider="kam.economics")
_revenues: Slot[RevenuesReader] = Slot("a plan's revenue", provider="kam.economics")
_hours: Slot[HoursReader] = Slot("a plan's planned hours", provider="kam.economics")
_grid: Slot[GridReader] = Slot("a plan's conversation grid", provider="kam.activities")


def economics_register(
    *, figures: FiguresReader, revenues: RevenuesReader, hours: HoursReader
) -> None:
    """Called by economics when the apps are ready."""
    _figures.fill(figures)
    _revenues.fill(revenues)
    _hours.fill(hours)


def activities_register(*, grid: GridReader) -> None:
    """Called by activities when the apps are ready."""
    _grid.fill(grid)


def account_figures(*, account: Account, year: int, plan: Plan | None = None) -> AccountFigures:
    """See ``FiguresReader`` (kam.economics.figures)."""
    return _figures.get()(account=account, year=year, plan=plan)


def revenues_of_year(*, accounts: Iterable[Account], year: int) -> dict[int, YearRevenue]:
    """See ``RevenuesReader`` (kam.economics.figures)."""
    return _revenues.get()(accounts=accounts, year=year)


def planned_hours_by_person(*, account_id: int, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """See ``HoursReader`` (kam.economics.figures)."""
    return _hours.get()(account_id=account_id, start=start, end=end)


def conversation_grid(*, plan: Plan, today: dt.date | None = None) -> ConversationGridDoc:
    """See ``GridReader`` (kam.activities.conversations)."""
    return _grid.get()(plan=plan, today=today)
